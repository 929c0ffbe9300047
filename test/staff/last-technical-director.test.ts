// Regression: the "keep one Technical Director" rule does not hold under concurrency.
import { expect } from 'chai';
import { ownerQuery } from '../support/factories.ts';
import { csrfFrom, testApp } from '../support/http.ts';
import { createStaff, signedInStaffAgent } from '../support/staff.ts';

describe('the last Technical Director', function () {
  this.timeout(120_000);
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  // services/staff/accounts.ts keepOneTechnicalDirector counts the other TDs without locking them: two TDs who
  // deactivate (or demote) each other at the same moment both pass, leaving no active Technical Director at all.
  it('never leaves zero active Technical Directors when two deactivate each other at once', async () => {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      await ownerQuery(`DELETE FROM staff_tokens`);
      await ownerQuery(`UPDATE staff_users SET status = 'deactivated' WHERE status <> 'deactivated'`);
      const a = await createStaff({ role: 'technical_director', name: `TD A ${attempt}` });
      const b = await createStaff({ role: 'technical_director', name: `TD B ${attempt}` });
      const agentA = await signedInStaffAgent(app, a);
      const agentB = await signedInStaffAgent(app, b);
      const tokenA = csrfFrom((await agentA.get('/admin/staff')).text);
      const tokenB = csrfFrom((await agentB.get('/admin/staff')).text);
      const results = await Promise.all([
        agentA.post(`/admin/staff/${b.id}/deactivate`).type('form').send({ _csrf: tokenA }),
        agentB.post(`/admin/staff/${a.id}/deactivate`).type('form').send({ _csrf: tokenB }),
      ]);
      const statuses = results.map((r) => r.status);
      const [{ n }] = await ownerQuery<{ n: number }>(`SELECT count(*)::int AS n FROM staff_users WHERE role = 'technical_director' AND status = 'active'`);
      expect(n, `attempt ${attempt} (answers ${statuses.join(', ')}): active Technical Directors left`).to.be.at.least(1);
    }
  });
});
