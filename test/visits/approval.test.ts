// Support sessions from the client's side (DESIGN.md §8.4): a client that requires approval gets a
// pending request (mail to its Administrators, a waiting page that refreshes); only the client's
// own Administrators approve, deny, end a visit or change the setting — not a Director, not the
// staff member inside a visit; each client sees its own support history and no other's.
import { expect } from 'chai';
import { type ClientRow, type UserRow, createClient, createUser, ownerQuery } from '../support/factories.ts';
import { type Agent, signedInAgent, testApp } from '../support/http.ts';
import { outboxRows } from '../support/mail-helpers.ts';
import { type StaffRow, assignRepresentative, createStaff, signedInStaffAgent } from '../support/staff.ts';
import { auditOf, postFrom, requestEntry, visitRows } from './helpers.ts';

describe('support sessions: the client decides', () => {
  let app: ReturnType<typeof testApp>;
  let client: ClientRow;
  let admin: UserRow;
  let rep: StaffRow;
  let staffAgent: Agent;

  beforeEach(async () => {
    app = testApp();
    client = await createClient({ name: 'Careful Co', timeZone: 'Europe/Paris' });
    await ownerQuery('UPDATE clients SET support_approval_required = true WHERE id = $1', [client.id]);
    admin = await createUser(client, { rank: 'administrator', name: 'Ada Admin', email: 'ada@careful.example' });
    rep = await createStaff({ role: 'client_representative', name: 'Rita Rep' });
    await assignRepresentative(client, rep);
    staffAgent = await signedInStaffAgent(app, rep);
  });

  it('waits for approval, enters once approved, and the Administrator can end the visit', async () => {
    const form = await staffAgent.get(`/admin/support/new?client=${client.id}`).expect(200);
    expect(form.text).to.include('requires an Administrator’s approval first');

    const asked = await requestEntry(staffAgent, rep, client, { reason: 'Look at the overdue report', durationMinutes: '30' });
    expect(asked.status, asked.text).to.equal(303);
    const [pending] = await visitRows();
    expect(pending).to.include({ status: 'pending', client_id: client.id });
    expect(pending.started_at).to.equal(null);
    expect(asked.headers.location).to.equal(`/admin/support/${pending.id}`);
    expect((await auditOf('support.requested'))[0]).to.include({ client_id: client.id, actor_staff_id: rep.id, support_session_id: pending.id });

    const mail = (await outboxRows()).filter((m) => m.kind === 'support_request');
    expect(mail).to.have.length(1);
    expect(mail[0].to_address).to.equal('ada@careful.example');
    expect(mail[0].text_body).to.include('Rita Rep (SolutionsTRAK Client Representative) asks to enter Careful Co for support: Look at the overdue report');
    expect(mail[0].text_body).to.include('http://plantrak.test/settings/support');

    const waiting = await staffAgent.get(asked.headers.location).expect(200);
    expect(waiting.text).to.include('<meta http-equiv="refresh" content="5">');
    expect(waiting.text).to.include('Waiting for an Administrator of Careful Co');

    const early = await postFrom(staffAgent, asked.headers.location, `/admin/support/${pending.id}/enter`);
    expect(early.status).to.equal(409);
    expect(early.text).to.include('has not approved');
    expect((await visitRows())[0].status).to.equal('pending');
    expect((await staffAgent.get('/users')).status).to.equal(303);

    const director = await createUser(client, { rank: 'director' });
    const directorAgent = await signedInAgent(app, director.email, director.password);
    expect((await directorAgent.get('/settings/support')).status).to.equal(403);

    const adminAgent = await signedInAgent(app, admin.email, admin.password);
    const settings = await adminAgent.get('/settings/support').expect(200);
    expect(settings.text).to.include('Look at the overdue report');
    expect(settings.text).to.include('Rita Rep');
    expect(settings.text).to.include(`action="/settings/support/${pending.id}/approve"`);
    const approved = await postFrom(adminAgent, '/settings/support', `/settings/support/${pending.id}/approve`);
    expect(approved.status).to.equal(303);
    const [decided] = await visitRows();
    expect(decided).to.include({ status: 'approved', decided_by: admin.id });
    expect((await auditOf('support.approved'))[0]).to.include({ client_id: client.id, actor_user_id: admin.id, entity_id: pending.id });

    const ready = await staffAgent.get(asked.headers.location).expect(200);
    expect(ready.text).to.not.include('http-equiv="refresh"');
    expect(ready.text).to.include('Enter Careful Co now');
    const entered = await postFrom(staffAgent, asked.headers.location, `/admin/support/${pending.id}/enter`);
    expect(entered.status, entered.text).to.equal(303);
    expect(entered.headers.location).to.equal('/');
    const [active] = await visitRows();
    expect(active.status).to.equal('active');
    expect(new Date(active.started_at!).getTime()).to.be.greaterThan(new Date(active.requested_at).getTime());
    expect(new Date(active.expires_at!).getTime() - new Date(active.started_at!).getTime()).to.equal(30 * 60_000);
    const home = await staffAgent.get('/').expect(200);
    expect(home.text).to.include('Support session in Careful Co');

    const history = await adminAgent.get('/settings/support').expect(200);
    expect(history.text).to.include(`id="visit-${pending.id}"`);
    expect(history.text).to.include('Ada Admin');
    const ended = await postFrom(adminAgent, '/settings/support', `/settings/support/${pending.id}/end`);
    expect(ended.status).to.equal(303);
    expect((await visitRows())[0]).to.include({ status: 'ended', end_reason: 'revoked' });
    expect(await auditOf('support.revoked')).to.have.length(1);

    const next = await staffAgent.get('/users');
    expect(next.status).to.equal(303);
    expect(next.headers.location).to.equal('/admin');
  });

  it('a denied request cannot be entered', async () => {
    const asked = await requestEntry(staffAgent, rep, client);
    const [pending] = await visitRows();
    const adminAgent = await signedInAgent(app, admin.email, admin.password);
    const denied = await postFrom(adminAgent, '/settings/support', `/settings/support/${pending.id}/deny`);
    expect(denied.status).to.equal(303);
    expect((await visitRows())[0]).to.include({ status: 'denied', decided_by: admin.id });
    expect(await auditOf('support.denied')).to.have.length(1);

    const page = await staffAgent.get(asked.headers.location).expect(200);
    expect(page.text).to.include('denied this request');
    const enter = await postFrom(staffAgent, asked.headers.location, `/admin/support/${pending.id}/enter`);
    expect(enter.status).to.equal(409);
    expect((await visitRows())[0].status).to.equal('denied');
  });

  it('the staff member withdraws a pending request', async () => {
    const asked = await requestEntry(staffAgent, rep, client);
    const [pending] = await visitRows();
    const cancelled = await postFrom(staffAgent, asked.headers.location, `/admin/support/${pending.id}/cancel`);
    expect(cancelled.status).to.equal(303);
    expect((await visitRows())[0].status).to.equal('cancelled');
    expect((await auditOf('support.cancelled'))[0]).to.include({ client_id: client.id, actor_staff_id: rep.id });
    const page = await staffAgent.get(asked.headers.location).expect(200);
    expect(page.text).to.include('You cancelled this request');
    expect(page.text).to.not.include('http-equiv="refresh"');
  });

  it('another staff member cannot see or enter someone else’s request', async () => {
    const asked = await requestEntry(staffAgent, rep, client);
    const developer = await createStaff({ role: 'application_developer' });
    const other = await signedInStaffAgent(app, developer);
    expect((await other.get(asked.headers.location)).status).to.equal(404);
  });

  it('the staff member inside a visit may look at support access but not decide anything', async () => {
    await ownerQuery('UPDATE clients SET support_approval_required = false WHERE id = $1', [client.id]);
    const entered = await requestEntry(staffAgent, rep, client);
    expect(entered.status, entered.text).to.equal(303);
    // Another staff member's pending request, while the client requires approval again.
    await ownerQuery('UPDATE clients SET support_approval_required = true WHERE id = $1', [client.id]);
    const developer = await createStaff({ role: 'application_developer', name: 'Dev Dan' });
    const devAgent = await signedInStaffAgent(app, developer);
    expect((await requestEntry(devAgent, developer, client)).status).to.equal(303);
    const waiting = (await visitRows()).find((v) => v.status === 'pending')!;

    const page = await staffAgent.get('/settings/support').expect(200);
    expect(page.text).to.include('Dev Dan');
    expect(page.text).to.not.include(`action="/settings/support/${waiting.id}/approve"`);

    const approve = await postFrom(staffAgent, '/settings/support', `/settings/support/${waiting.id}/approve`);
    expect(approve.status).to.equal(403);
    expect(approve.text).to.include('decided by the client’s own Administrators');
    const toggle = await postFrom(staffAgent, '/settings/support', '/settings/support', {});
    expect(toggle.status).to.equal(403);
    const [row] = await ownerQuery<{ support_approval_required: boolean }>('SELECT support_approval_required FROM clients WHERE id = $1', [client.id]);
    expect(row.support_approval_required).to.equal(true);
    expect((await visitRows()).find((v) => v.id === waiting.id)!.status).to.equal('pending');
  });

  it('the Administrator changes the approval requirement, audited with before and after', async () => {
    const adminAgent = await signedInAgent(app, admin.email, admin.password);
    const res = await postFrom(adminAgent, '/settings/support', '/settings/support', {});
    expect(res.status).to.equal(303);
    const [row] = await ownerQuery<{ support_approval_required: boolean }>('SELECT support_approval_required FROM clients WHERE id = $1', [client.id]);
    expect(row.support_approval_required).to.equal(false);
    const [entry] = await auditOf('settings.support_approval');
    expect(entry).to.include({ client_id: client.id, actor_user_id: admin.id });
    expect(entry.changes).to.deep.equal({ support_approval_required: [true, false] });
    const bad = await postFrom(adminAgent, '/settings/support', '/settings/support', { requireApproval: 'yes' });
    expect(bad.status).to.equal(422);
  });

  it('each client’s Administrator sees their own support history and no other client’s', async () => {
    const other = await createClient({ name: 'Other Co' });
    const otherAdmin = await createUser(other, { rank: 'administrator' });
    const insert = (clientId: string, reason: string) =>
      ownerQuery<{ id: string }>(
        `INSERT INTO support_sessions (client_id, staff_id, reason, duration_minutes, status, started_at, expires_at, ended_at, end_reason)
         VALUES ($1, $2, $3, 60, 'ended', now() - interval '2 hours', now() - interval '1 hour', now() - interval '90 minutes', 'exit') RETURNING id`,
        [clientId, rep.id, reason],
      );
    const [mine] = await insert(client.id, 'Careful visit reason');
    const [theirs] = await insert(other.id, 'Other visit reason');

    const adminAgent = await signedInAgent(app, admin.email, admin.password);
    const page = await adminAgent.get('/settings/support').expect(200);
    expect(page.text).to.include(`id="visit-${mine.id}"`);
    expect(page.text).to.include('Careful visit reason');
    expect(page.text).to.include('Client Representative');
    expect(page.text).to.not.include('Other visit reason');
    expect(page.text).to.not.include(theirs.id);

    const otherAgent = await signedInAgent(app, otherAdmin.email, otherAdmin.password);
    const otherPage = await otherAgent.get('/settings/support').expect(200);
    expect(otherPage.text).to.include('Other visit reason');
    expect(otherPage.text).to.not.include('Careful visit reason');
    // Ending another client's visit in progress is a 404: the row is not there for them.
    const [live] = await ownerQuery<{ id: string }>(
      `INSERT INTO support_sessions (client_id, staff_id, reason, duration_minutes, status, started_at, expires_at)
       VALUES ($1, $2, 'Live visit', 60, 'active', now(), now() + interval '1 hour') RETURNING id`,
      [client.id, rep.id],
    );
    expect((await postFrom(otherAgent, '/settings/support', `/settings/support/${live.id}/end`)).status).to.equal(404);
    const [still] = await ownerQuery<{ status: string }>('SELECT status FROM support_sessions WHERE id = $1', [live.id]);
    expect(still.status).to.equal('active');
  });
});
