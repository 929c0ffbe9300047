// Regression: entering through an approved request skips every entry check made at request time.
import { expect } from 'chai';
import { type ClientRow, type UserRow, createClient, createUser, ownerQuery } from '../support/factories.ts';
import { type Agent, signedInAgent, testApp } from '../support/http.ts';
import { type StaffRow, assignRepresentative, createStaff, signedInStaffAgent } from '../support/staff.ts';
import { postFrom, requestEntry, visitRows } from './helpers.ts';

describe('entering an approved support request', () => {
  let app: ReturnType<typeof testApp>;
  let client: ClientRow;
  let admin: UserRow;
  let rep: StaffRow;
  let staffAgent: Agent;
  let visitId: string;

  before(() => {
    app = testApp();
  });

  beforeEach(async () => {
    client = await createClient({ name: 'Careful Co' });
    await ownerQuery('UPDATE clients SET support_approval_required = true WHERE id = $1', [client.id]);
    admin = await createUser(client, { rank: 'administrator', name: 'Ada Admin' });
    rep = await createStaff({ role: 'client_representative', name: 'Rita Rep' });
    await assignRepresentative(client, rep);
    staffAgent = await signedInStaffAgent(app, rep);
    const asked = await requestEntry(staffAgent, rep, client, { reason: 'Look at the overdue report' });
    expect(asked.status, asked.text).to.equal(303);
    visitId = (await visitRows())[0].id;
    const adminAgent = await signedInAgent(app, admin.email, admin.password);
    const approved = await postFrom(adminAgent, '/settings/support', `/settings/support/${visitId}/approve`);
    expect(approved.status).to.equal(303);
  });

  // controllers/support-sessions.ts enterApproved + the approved→active trigger branch never re-check
  // app_staff_may_enter: a Client Representative unassigned after approval still enters and reads the client's data.
  it('refuses a Client Representative who is no longer assigned to the client', async () => {
    const other = await createStaff({ role: 'client_representative', name: 'Other Rep' });
    await assignRepresentative(client, other);
    const entered = await postFrom(staffAgent, `/admin/support/${visitId}`, `/admin/support/${visitId}/enter`);
    expect(entered.status, 'an unassigned representative must not enter').to.be.within(400, 499);
    expect((await visitRows())[0].status).to.equal('approved');
    const users = await staffAgent.get('/users');
    expect(users.text).to.not.include('Ada Admin');
  });

  // Same gap: a client suspended after approval ("nobody may enter it for support") is still entered.
  it('refuses entry into a client suspended after the approval', async () => {
    await ownerQuery(`UPDATE clients SET status = 'suspended' WHERE id = $1`, [client.id]);
    const entered = await postFrom(staffAgent, `/admin/support/${visitId}`, `/admin/support/${visitId}/enter`);
    expect(entered.status, 'a suspended client must not be entered').to.be.within(400, 499);
    expect((await visitRows())[0].status).to.equal('approved');
  });
});
