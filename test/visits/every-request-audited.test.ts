// Regression: requests inside a visit that never reach the action adapter leave no audit entry.
import { expect } from 'chai';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { testApp } from '../support/http.ts';
import { createStaff, signedInStaffAgent } from '../support/staff.ts';
import { requestEntry } from './helpers.ts';

describe('every request of a visit is audited', () => {
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  // middleware/action.ts audits only inside userAction/userFlow: a write refused earlier (CSRF check, route guards)
  // under a support session leaves no trace in the client's log, though §8.4 says every request is audited.
  it('records a refused (no CSRF token) write made inside a visit', async () => {
    const client = await createClient({ name: 'Trace Co' });
    await createUser(client, { rank: 'administrator' });
    const staff = await createStaff({ role: 'application_developer' });
    const agent = await signedInStaffAgent(app, staff);
    expect((await requestEntry(agent, staff, client)).status).to.equal(303);
    const before = await ownerQuery<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE client_id = $1 AND action LIKE 'support.%'`, [client.id]);
    const res = await agent.post('/settings/levels').type('form').send({ region: 'X', division: 'Y', facility: 'Z' });
    expect(res.status).to.equal(403);
    const after = await ownerQuery<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE client_id = $1 AND action LIKE 'support.%'`, [client.id]);
    expect(after[0].n, 'the refused request is in the client’s audit log').to.equal(before[0].n + 1);
  });
});
