// Regression: deactivateUser (services/organisation/users.ts) checks "holds nothing anywhere" (heldAnywhere) in its
// own unit of work *before* the unit of work that locks and deactivates the user, and does not
// check again under the lock. An assignment committed in between (the user is still active, so
// every assignee list offers them) leaves a deactivated user holding a Plan Item — exactly what
// the guard exists to prevent. Here the window is held open by locking the user row.
import { expect } from 'chai';
import { ownerQuery } from '../support/factories.ts';
import { withConnection } from '../support/db-roles.ts';
import { csrfFrom } from '../support/http.ts';
import { planItem, world } from '../reassign/world.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('deactivation vs a concurrent assignment', () => {
  it('never leaves a deactivated user holding a Plan Item', async () => {
    const w = await world();
    const director = await w.as(w.director);
    const token = csrfFrom((await director.get(`/users/${w.cleo.id}`)).text);

    await withConnection('owner', async (locker) => {
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [w.cleo.id]);
      const pending = director.post(`/users/${w.cleo.id}/deactivate`).type('form').send({ _csrf: token }).then((r) => r);
      // Wait until the deactivation's locking read is blocked on our row lock (its check is done).
      for (let i = 0; i < 100; i += 1) {
        const [row] = await ownerQuery<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%FROM "users"%FOR UPDATE%'`,
        );
        if (row!.n > 0) break;
        await sleep(20);
      }
      // Meanwhile Cleo, still active, is given a Plan Item (as any assignee form would allow).
      await planItem(w, w.plantTwo, w.cleo, 'Weekly walk-round');
      await locker.query('COMMIT');
      const res = await pending;
      expect([303, 409]).to.include(res.status);
    });

    const [cleo] = await ownerQuery<{ status: string }>('SELECT status FROM users WHERE id = $1', [w.cleo.id]);
    const [held] = await ownerQuery<{ n: number }>('SELECT count(*)::int AS n FROM plan_items WHERE assignee_id = $1 AND NOT hidden', [w.cleo.id]);
    expect(held!.n).to.equal(1);
    expect(cleo!.status, 'a user holding a Plan Item must not end up deactivated').to.not.equal('deactivated');
  });
});
