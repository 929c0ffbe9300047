// Regression: a visit outlives the conditions it was allowed under; an approval never lapses.
import { expect } from 'chai';
import { csrfFrom } from '../support/http.ts';
import { type ClientRow, type UserRow, createClient, createUser, ownerQuery } from '../support/factories.ts';
import { type Agent, signedInAgent, testApp } from '../support/http.ts';
import { type StaffRow, assignRepresentative, createStaff, signedInStaffAgent } from '../support/staff.ts';
import { postFrom, requestEntry, visitRows } from './helpers.ts';

const LABELS = { region: 'Territory', division: 'Branch', facility: 'Site' };

describe('visits and approvals that outlive their grounds', () => {
  let app: ReturnType<typeof testApp>;
  let client: ClientRow;
  let admin: UserRow;
  let rep: StaffRow;
  let staffAgent: Agent;

  before(() => {
    app = testApp();
  });

  beforeEach(async () => {
    client = await createClient({ name: 'Lapse Co' });
    admin = await createUser(client, { rank: 'administrator', name: 'Ada Admin' });
    rep = await createStaff({ role: 'client_representative', name: 'Rita Rep' });
    await assignRepresentative(client, rep);
    staffAgent = await signedInStaffAgent(app, rep);
  });

  // middleware/action.ts loadVisitActor never checks client.status (loadActor does for client users) and
  // app_support_client() ignores clients.status: staff keep reading and writing a client suspended mid-visit.
  it('stops a visit once its client is suspended', async () => {
    const entered = await requestEntry(staffAgent, rep, client);
    expect(entered.status, entered.text).to.equal(303);
    const token = csrfFrom((await staffAgent.get('/settings/levels').expect(200)).text);
    await ownerQuery(`UPDATE clients SET status = 'suspended' WHERE id = $1`, [client.id]);
    const saved = await staffAgent.post('/settings/levels').type('form').send({ _csrf: token, ...LABELS });
    // The visit has ended: the staff member is sent back to the admin area and nothing is saved.
    expect(saved.status).to.equal(303);
    expect(saved.headers.location).to.equal('/admin');
    const [{ settings }] = await ownerQuery<{ settings: Record<string, unknown> }>('SELECT settings FROM clients WHERE id = $1', [client.id]);
    expect(settings.levelLabels, 'a write into a suspended client must be refused').to.equal(undefined);
    const [visit] = await ownerQuery<{ status: string; end_reason: string }>('SELECT status, end_reason FROM support_sessions WHERE client_id = $1', [client.id]);
    expect(visit).to.deep.equal({ status: 'ended', end_reason: 'expired' });
  });

  // services/support/requests.ts startApprovedVisit / the trigger's approved→active branch: an approval has no
  // lifetime, so a request approved weeks ago can be turned into a fresh 2-hour visit whenever the staff member likes.
  it('does not let a weeks-old approval start a visit', async () => {
    await ownerQuery('UPDATE clients SET support_approval_required = true WHERE id = $1', [client.id]);
    const asked = await requestEntry(staffAgent, rep, client);
    expect(asked.status, asked.text).to.equal(303);
    const [pending] = await visitRows();
    const adminAgent = await signedInAgent(app, admin.email, admin.password);
    expect((await postFrom(adminAgent, '/settings/support', `/settings/support/${pending.id}/approve`)).status).to.equal(303);
    await ownerQuery(`UPDATE support_sessions SET requested_at = now() - interval '30 days', decided_at = now() - interval '30 days' WHERE id = $1`, [pending.id]);
    const entered = await postFrom(staffAgent, `/admin/support/${pending.id}`, `/admin/support/${pending.id}/enter`);
    expect(entered.status, 'a stale approval must not open a visit').to.not.equal(303);
    expect((await visitRows())[0].status).to.equal('approved');
  });
});
