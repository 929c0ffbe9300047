// The pass finds what is waiting through the queue of pending notices, which the database keeps
// beside the ledger: a notice planned by the pass or written by an assignment in a user's
// transaction joins it, and leaves it when it is queued for mail or skipped. Read as the runtime
// role: the queue is under row-level security like the ledger.
import { expect } from 'chai';
import { inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { testEnv } from '../support/env.ts';
import { createUser, ownerQuery } from '../support/factories.ts';
import { grantScope } from '../support/hierarchy-factories.ts';
import { csrfFrom, signedInAgent, testApp } from '../support/http.ts';
import { eventDue, ledger, noticeWorld, pass } from './world.ts';

// 13:00 on 10 March 2026 in Los Angeles; the digests below wait for 23:00.
const INSTANT = '2026-03-10T20:00:00Z';

async function queued(clientId: string): Promise<string[]> {
  const rows = await inUnitOfWork(testEnv().db.sequelize, { actorKind: 'system', clientId }, () =>
    sql<{ id: string }>('SELECT notification_id AS id FROM notification_queue ORDER BY notification_id'));
  return rows.map((r) => r.id);
}

const pendingIds = async (clientId: string) => (await ledger(clientId)).filter((r) => r.status === 'pending').map((r) => r.id).sort();

describe('notifications: the queue of pending notices', () => {
  it('holds exactly the ledger’s pending notices as they are planned, assigned, skipped and sent', async () => {
    const w = await noticeWorld();
    const soon = await eventDue(w, 'losAngeles', '2026-03-12');
    await eventDue(w, 'losAngeles', '2026-03-01');
    const colleague = await createUser(w.client, { name: 'Quinn Queue', rank: 'associate' });
    await grantScope(colleague, w.losAngeles);
    await ownerQuery('UPDATE users SET digest_hour = 23 WHERE client_id = $1', [w.client.id]);

    await pass(w, INSTANT);
    const planned = await pendingIds(w.client.id);
    expect(planned.length, 'notices waiting for the digest hour').to.be.greaterThan(2);
    expect(await queued(w.client.id)).to.deep.equal(planned);

    // An assignment written by the database in the Director's own transaction joins the queue.
    const agent = await signedInAgent(testApp(), w.director.email, w.director.password);
    const page = await agent.get(`/events/${soon}`);
    expect((await agent.post(`/events/${soon}/reassign`).type('form').send({ _csrf: csrfFrom(page.text), assigneeId: colleague.id })).status).to.equal(303);
    const assignment = (await ledger(w.client.id)).find((r) => r.kind === 'assignment' && r.recipient_id === colleague.id)!;
    expect(await queued(w.client.id)).to.include(assignment.id).and.deep.equal(await pendingIds(w.client.id));

    // The next pass skips the old assignee's reminder and sends the urgent assignment at once.
    await pass(w, '2026-03-10T20:15:00Z');
    const rows = await ledger(w.client.id);
    expect(rows.filter((r) => r.event_id === soon && r.recipient_id === w.lee.id).map((r) => r.status)).to.deep.equal(['skipped']);
    expect(rows.find((r) => r.id === assignment.id)!.status).to.equal('queued');
    expect(await queued(w.client.id)).to.deep.equal(await pendingIds(w.client.id)).and.not.include(assignment.id);

    // At 23:00 in Los Angeles (daylight time) its digests go out (Auckland's wait) and leave the queue.
    const before = await pendingIds(w.client.id);
    await pass(w, '2026-03-11T06:00:00Z');
    const after = await pendingIds(w.client.id);
    expect(after.length).to.be.lessThan(before.length);
    expect(await queued(w.client.id)).to.deep.equal(after);
  });

  it('loses a notice’s queue entry with the notice itself', async () => {
    const w = await noticeWorld();
    await eventDue(w, 'losAngeles', '2026-03-12');
    await ownerQuery('UPDATE users SET digest_hour = 23 WHERE client_id = $1', [w.client.id]);
    await pass(w, INSTANT);
    const [first] = await pendingIds(w.client.id);
    await ownerQuery('DELETE FROM notifications WHERE id = $1', [first]);
    expect(await queued(w.client.id)).to.deep.equal(await pendingIds(w.client.id)).and.not.include(first);
  });
});
