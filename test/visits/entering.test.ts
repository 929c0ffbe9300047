// Support sessions from the staff side (DESIGN.md §8.4): entering an assigned client with a reason
// and a fresh TOTP code, the banner, acting as Administrator with both identities audited, the
// session id rotating on entry and exit, and every refusal (unassigned, missing reason, wrong or
// replayed code, read-only writes, expiry, client users in /admin) changing nothing.
import { expect } from 'chai';
import { type ClientRow, type UserRow, createClient, createUser, ownerQuery } from '../support/factories.ts';
import { type Agent, signedInAgent, testApp } from '../support/http.ts';
import { type StaffRow, assignRepresentative, createStaff, signedInStaffAgent, spentCode } from '../support/staff.ts';
import { auditOf, postFrom, requestEntry, sid, visitRows } from './helpers.ts';

const LABELS = { region: 'Territory', division: 'Branch', facility: 'Site' };

describe('support sessions: staff entering a client', () => {
  let app: ReturnType<typeof testApp>;
  let client: ClientRow;
  let admin: UserRow;
  let rep: StaffRow;
  let agent: Agent;

  beforeEach(async () => {
    app = testApp();
    client = await createClient({ name: 'Acme Visits', timeZone: 'America/Chicago' });
    admin = await createUser(client, { rank: 'administrator', name: 'Ada Admin' });
    rep = await createStaff({ role: 'client_representative', name: 'Rita Rep' });
    await assignRepresentative(client, rep);
    agent = await signedInStaffAgent(app, rep);
  });

  it('enters the assigned client, acts as Administrator with both identities audited, and exits', async () => {
    const form = await agent.get(`/admin/support/new?client=${client.id}`).expect(200);
    expect(form.text).to.include('Acme Visits');
    expect(form.text).to.match(/<option value="120"[^>]*selected/);
    const before = sid(form);

    const entered = await requestEntry(agent, rep, client, { reason: 'Fix the level names', durationMinutes: '30' });
    expect(entered.status, entered.text).to.equal(303);
    expect(entered.headers.location).to.equal('/');
    const inside = sid(entered);
    expect(inside).to.not.equal(before);

    const [visit] = await visitRows();
    expect(visit).to.include({ client_id: client.id, staff_id: rep.id, status: 'active', read_only: false });
    const [started] = await auditOf('support.started');
    expect(started).to.include({ client_id: client.id, actor_kind: 'staff', actor_staff_id: rep.id, support_session_id: visit.id });
    expect(started.changes).to.deep.equal({ reason: 'Fix the level names', read_only: false, duration_minutes: 30 });

    const home = await agent.get('/').expect(200);
    expect(home.text).to.include('Support session in Acme Visits');
    expect(home.text).to.include('Rita Rep');
    expect(home.text).to.match(/\((29|30) min left\)/);
    expect(home.text).to.include('action="/admin/support/exit"');

    const adminPage = await agent.get('/admin/support/new').expect(200);
    expect(adminPage.text).to.include('Support session in Acme Visits');
    expect(adminPage.text).to.include('Back to Acme Visits');

    const users = await agent.get('/users').expect(200);
    expect(users.text).to.include('Ada Admin');

    const saved = await postFrom(agent, '/settings/levels', '/settings/levels', LABELS);
    expect(saved.status, saved.text).to.equal(303);
    const [row] = await ownerQuery<{ settings: Record<string, unknown> }>('SELECT settings FROM clients WHERE id = $1', [client.id]);
    expect(JSON.stringify(row.settings)).to.include('Territory');
    const changes = await ownerQuery<{ action: string; actor_kind: string; actor_staff_id: string; actor_user_id: string | null; client_id: string }>(
      `SELECT action, actor_kind, actor_staff_id, actor_user_id, client_id FROM audit_log
        WHERE support_session_id = $1 AND action NOT LIKE 'support.%'`,
      [visit.id],
    );
    expect(changes, 'the change, audited').to.have.length.greaterThan(0);
    for (const change of changes) expect(change).to.include({ actor_kind: 'staff', actor_staff_id: rep.id, actor_user_id: null, client_id: client.id });

    const requests = await auditOf('support.request');
    expect(requests.length).to.be.greaterThanOrEqual(4);
    for (const entry of requests) expect(entry).to.include({ client_id: client.id, actor_kind: 'staff', actor_staff_id: rep.id, support_session_id: visit.id });
    expect(requests.map((r) => r.changes?.path)).to.include.members(['/', '/users', '/settings/levels']);

    const exit = await postFrom(agent, '/', '/admin/support/exit');
    expect(exit.status).to.equal(303);
    expect(exit.headers.location).to.equal('/admin');
    expect(sid(exit)).to.not.equal(inside);
    const [ended] = await visitRows();
    expect(ended).to.include({ status: 'ended', end_reason: 'exit' });
    const admin2 = await agent.get('/admin');
    expect(admin2.text).to.include('You left Acme Visits');
    const after = await agent.get('/users');
    expect(after.status).to.equal(303);
    expect(after.headers.location).to.match(/^\/login/);
  });

  it('refuses a client the representative is not assigned to, a suspended one and an unknown one (403, audited, nothing created)', async () => {
    const other = await createClient({ name: 'Other Co' });
    const refused = await requestEntry(agent, rep, other);
    expect(refused.status).to.equal(403);
    expect(refused.text).to.include('Client Representative');
    const suspended = await createClient({ name: 'Sleepy Co', status: 'suspended' });
    await assignRepresentative(suspended, rep);
    expect((await requestEntry(agent, rep, suspended)).status).to.equal(403);
    expect((await requestEntry(agent, rep, { id: '00000000-0000-4000-8000-000000000000' })).status).to.equal(403);

    expect(await visitRows()).to.have.length(0);
    const audits = await auditOf('support.refused');
    expect(audits.map((a) => [a.entity_id, a.changes?.reason])).to.deep.equal([
      [other.id, 'not_assigned'],
      [suspended.id, 'client_suspended'],
      ['00000000-0000-4000-8000-000000000000', 'unknown_client'],
    ]);
    for (const entry of audits) expect(entry).to.include({ client_id: null, actor_kind: 'staff', actor_staff_id: rep.id, entity_type: 'client' });
  });

  it('refuses a missing reason, a wrong code and a replayed code (422, nothing created)', async () => {
    const noReason = await requestEntry(agent, rep, client, { reason: '' });
    expect(noReason.status).to.equal(422);
    expect(noReason.text).to.include('Say why you need to enter');

    const wrong = await requestEntry(agent, rep, client, { code: '000000' });
    expect(wrong.status).to.equal(422);
    expect(wrong.text).to.include('That code is not correct, or it was already used');

    const replayed = await requestEntry(agent, rep, client, { code: await spentCode(rep) });
    expect(replayed.status).to.equal(422);
    expect(replayed.text).to.include('That code is not correct, or it was already used');

    expect(await visitRows()).to.have.length(0);
    const failures = await auditOf('staff.second_factor_failed');
    expect(failures.map((f) => f.changes?.step)).to.deep.equal(['support_entry', 'support_entry']);
  });

  it('keeps client users out of the admin area', async () => {
    const user = await signedInAgent(app, admin.email, admin.password);
    const res = await user.get('/admin');
    expect(res.status).to.equal(403);
    expect((await user.get('/admin/support/new')).status).to.equal(403);
  });

  it('a read-only visit reads but every write is refused, audited and changes nothing', async () => {
    const entered = await requestEntry(agent, rep, client, { readOnly: true });
    expect(entered.status, entered.text).to.equal(303);
    const home = await agent.get('/').expect(200);
    expect(home.text).to.include('Read-only');
    await agent.get('/users').expect(200);

    const [before] = await ownerQuery<{ settings: unknown }>('SELECT settings FROM clients WHERE id = $1', [client.id]);
    const write = await postFrom(agent, '/settings/levels', '/settings/levels', LABELS);
    expect(write.status).to.equal(403);
    expect(write.text).to.include('read-only');
    const [after] = await ownerQuery<{ settings: unknown }>('SELECT settings FROM clients WHERE id = $1', [client.id]);
    expect(after).to.deep.equal(before);
    const [refused] = await auditOf('support.write_refused');
    expect(refused).to.include({ client_id: client.id, actor_staff_id: rep.id, actor_kind: 'staff' });
    expect(refused.changes).to.include({ method: 'POST', path: '/settings/levels' });
  });

  it('an expired visit ends at the next request: back to /admin, new session id, client pages closed', async () => {
    const entered = await requestEntry(agent, rep, client);
    const inside = sid(entered);
    await ownerQuery(`UPDATE support_sessions SET started_at = now() - interval '3 hours', expires_at = now() - interval '150 minutes'`);

    const next = await agent.get('/users');
    expect(next.status).to.equal(303);
    expect(next.headers.location).to.equal('/admin');
    expect(sid(next)).to.not.equal(inside);
    const [visit] = await visitRows();
    expect(visit).to.include({ status: 'ended', end_reason: 'expired' });
    expect((await auditOf('support.ended'))[0].changes).to.deep.equal({ end_reason: 'expired' });

    const again = await agent.get('/users');
    expect(again.status).to.equal(303);
    expect(again.headers.location).to.match(/^\/login/);
  });
});
