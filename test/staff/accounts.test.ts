// Staff accounts: the Technical Director creates a staff member, who sets a password
// through the set-up link and must enrol an authenticator at the first sign-in; only the TD
// manages staff; deactivation ends sessions; a reset clears the authenticator.
import { expect } from 'chai';
import supertest from 'supertest';
import { auditRows } from '../support/auth-helpers.ts';
import { VALID_PASSWORD, createClient, ownerQuery } from '../support/factories.ts';
import { type Agent, submitForm, testApp } from '../support/http.ts';
import { outboxRows } from '../support/mail-helpers.ts';
import { type StaffRow, assignRepresentative, createStaff, signedInStaffAgent } from '../support/staff.ts';
import { NEW_PASSWORD, codeFor, enrolmentSecret, setupTokenFor, staffPost, staffRow, useSetupLink } from './helpers.ts';

describe('staff accounts', function () {
  this.timeout(60_000);
  let app: ReturnType<typeof testApp>;
  let director: StaffRow;
  let td: Agent;
  before(() => {
    app = testApp();
  });
  beforeEach(async () => {
    director = await createStaff({ role: 'technical_director', name: 'Tess Director' });
    td = await signedInStaffAgent(app, director);
  });

  async function createViaForm(fields: Record<string, string>) {
    return submitForm(td, '/admin/staff/new', '/admin/staff', fields);
  }

  it('creates an invited member with a mailed set-up link; the link sets the password once; the first sign-in enrols an authenticator', async () => {
    const res = await createViaForm({ name: 'Nico New', email: 'Nico@SolutionsTRAK.example', role: 'client_representative' });
    expect(res.status, res.text).to.equal(303);
    const [nico] = await ownerQuery<{ id: string; status: string; role: string; password_hash: string | null }>(
      `SELECT id, status, role, password_hash FROM staff_users WHERE email = 'nico@solutionstrak.example'`);
    expect(nico).to.include({ status: 'invited', role: 'client_representative', password_hash: null });
    expect(res.headers.location).to.equal(`/admin/staff/${nico.id}`);
    const tokens = await ownerQuery<{ used_at: Date | null; hours: number }>(
      `SELECT used_at, round(extract(epoch FROM expires_at - now()) / 3600)::int AS hours FROM staff_tokens WHERE staff_id = $1`, [nico.id]);
    expect(tokens).to.deep.equal([{ used_at: null, hours: 72 }]);
    const [mail] = (await outboxRows()).filter((m) => m.to_address === 'nico@solutionstrak.example');
    expect(mail).to.include({ kind: 'staff.setup', sensitive: true, client_id: null });
    const [created] = await auditRows('staff.created');
    expect(created).to.include({ client_id: null, actor_kind: 'staff', entity_type: 'staff', entity_id: nico.id });

    // The list shows them, invited, without an authenticator.
    const list = await td.get('/admin/staff').expect(200);
    expect(list.text).to.include('Nico New').and.include('Client Representative').and.include('Not set up');

    const token = await setupTokenFor('nico@solutionstrak.example');
    const person = supertest.agent(app);
    const page = await person.get(`/admin/setup?token=${token}`);
    expect(page.status).to.equal(200);
    expect(page.text).to.include('Nico New').and.include('id="password-rule"');

    const weak = await useSetupLink(person, token, 'password');
    expect(weak.status).to.equal(422);
    expect(weak.text).to.include('Add an upper-case letter.');
    const mismatch = await useSetupLink(person, token, NEW_PASSWORD, `${NEW_PASSWORD}x`);
    expect(mismatch.status).to.equal(422);
    expect(mismatch.text).to.include('The two passwords do not match.');
    expect((await staffRow(nico.id)).password_hash).to.equal(null);

    const done = await useSetupLink(person, token, NEW_PASSWORD);
    expect(done.status, done.text).to.equal(303);
    expect(done.headers.location).to.equal('/admin/login');
    const signInPage = await person.get('/admin/login');
    expect(signInPage.text).to.include('set up an authenticator app');
    const row = await staffRow(nico.id);
    expect(row.status).to.equal('active');
    expect(row.password_hash).to.match(/^\$2[aby]\$/);
    const [completed] = await auditRows('staff.setup_completed');
    expect(completed).to.include({ client_id: null, entity_id: nico.id });

    // The link works once.
    const again = await submitForm(supertest.agent(app), '/admin/login', '/admin/setup', { token, password: 'Another-Lantern-58!', confirmation: 'Another-Lantern-58!' });
    expect(again.status).to.equal(410);
    expect(again.text).to.include('no longer works');
    expect((await staffRow(nico.id)).password_hash).to.equal(row.password_hash);

    // Signing in sends them to enrolment; nothing in /admin opens before it.
    const nicoAgent = supertest.agent(app);
    const password = await submitForm(nicoAgent, '/admin/login', '/admin/login', { email: 'nico@solutionstrak.example', password: NEW_PASSWORD });
    expect(password.status).to.equal(303);
    expect(password.headers.location).to.equal('/admin/login/enrol');
    for (const path of ['/admin', '/admin/staff']) {
      const blocked = await nicoAgent.get(path);
      expect(blocked.status, path).to.equal(303);
      expect(blocked.headers.location).to.equal('/admin/login');
    }
    const secret = await enrolmentSecret(nicoAgent);
    const wrong = await submitForm(nicoAgent, '/admin/login/enrol', '/admin/login/enrol', { code: (await codeFor(secret)) === '000000' ? '111111' : '000000' });
    expect(wrong.status).to.equal(401);
    expect((await staffRow(nico.id)).totp_enabled_at).to.equal(null);
    const failed = await auditRows('staff.second_factor_failed');
    expect(failed.map((a) => a.changes)).to.deep.equal([{ step: 'enrol', reason: 'wrong_code' }]);

    const enrolled = await submitForm(nicoAgent, '/admin/login/enrol', '/admin/login/enrol', { code: await codeFor(secret) });
    expect(enrolled.status, enrolled.text).to.equal(303);
    expect(enrolled.headers.location).to.equal('/admin');
    expect((await staffRow(nico.id)).totp_enabled_at).to.not.equal(null);
    await nicoAgent.get('/admin/staff').expect(200);
  });

  it('refuses a duplicate e-mail with a field error and a bad set-up token with a clear page', async () => {
    const taken = await createStaff({ role: 'application_developer', email: 'taken@solutionstrak.example' });
    const res = await createViaForm({ name: 'Someone', email: 'TAKEN@solutionstrak.example', role: 'application_developer' });
    expect(res.status).to.equal(422);
    expect(res.text).to.include('A staff account with this e-mail address already exists.');
    const [{ n }] = await ownerQuery<{ n: number }>('SELECT count(*)::int AS n FROM staff_users');
    expect(n).to.equal(2);
    expect((await staffRow(taken.id)).name).to.equal('Test Staff');
    expect(await outboxRows()).to.have.length(0);

    const missingRole = await createViaForm({ name: 'Someone', email: 'new@solutionstrak.example', role: 'administrator' });
    expect(missingRole.status).to.equal(422);
    expect(missingRole.text).to.include('Choose a role.');

    const bogus = await supertest.agent(app).get('/admin/setup?token=not-a-real-token');
    expect(bogus.status).to.equal(410);
    // A POST takes the token from the form only, never from the URL.
    const agent = supertest.agent(app);
    await createViaForm({ name: 'Una Url', email: 'una@solutionstrak.example', role: 'application_developer' });
    const token = await setupTokenFor('una@solutionstrak.example');
    const viaUrl = await submitForm(agent, `/admin/setup?token=${token}`, `/admin/setup?token=${token}`, { password: NEW_PASSWORD, confirmation: NEW_PASSWORD });
    expect(viaUrl.status).to.equal(410);
  });

  it('lets only the Technical Director manage staff (others get 403); everyone may view the list', async () => {
    const target = await createStaff({ role: 'application_developer', name: 'Target Person' });
    for (const role of ['application_developer', 'client_representative'] as const) {
      const other = await createStaff({ role });
      const agent = await signedInStaffAgent(app, other);
      const list = await agent.get('/admin/staff');
      expect(list.status).to.equal(200);
      expect(list.text).to.include('Target Person').and.not.include('New staff member');
      expect((await agent.get('/admin/staff/new')).status).to.equal(403);
      const attempts = [
        staffPost(agent, '/admin/staff', { name: 'X', email: `x-${role}@solutionstrak.example`, role: 'technical_director' }),
        staffPost(agent, `/admin/staff/${target.id}`, { name: 'Renamed', role: 'technical_director' }),
        staffPost(agent, `/admin/staff/${target.id}/deactivate`),
        staffPost(agent, `/admin/staff/${target.id}/reactivate`),
        staffPost(agent, `/admin/staff/${target.id}/reset`),
        staffPost(agent, `/admin/staff/${other.id}`, { name: 'Me', role: 'technical_director' }),
      ];
      for (const res of await Promise.all(attempts)) expect(res.status, res.text).to.equal(403);
    }
    expect(await staffRow(target.id)).to.include({ status: 'active', role: 'application_developer', name: 'Target Person' });
    const [{ n }] = await ownerQuery<{ n: number }>(`SELECT count(*)::int AS n FROM staff_users WHERE email LIKE 'x-%'`);
    expect(n).to.equal(0);
  });

  it('changes a role (audited before/after) but never the TD\'s own role or status, nor a representative\'s with clients', async () => {
    const dev = await createStaff({ role: 'application_developer', name: 'Devi Dev' });
    const own = await td.get(`/admin/staff/${director.id}`).expect(200);
    expect(own.text).to.include('This is your own account').and.not.include('/deactivate');
    const other = await td.get(`/admin/staff/${dev.id}`).expect(200);
    expect(other.text).to.include('Reset and send a set-up link').and.include('Deactivate and sign out').and.include('<select id="role"');
    expect((await td.get('/admin/staff/not-a-uuid')).status).to.equal(404);
    const res = await staffPost(td, `/admin/staff/${dev.id}`, { name: 'Devi Developer', role: 'technical_director' });
    expect(res.status, res.text).to.equal(303);
    expect(await staffRow(dev.id)).to.include({ role: 'technical_director', name: 'Devi Developer' });
    const [updated] = await auditRows('staff.updated');
    expect(updated).to.include({ client_id: null, entity_type: 'staff', entity_id: dev.id });
    expect(updated.changes).to.deep.equal({ role: ['application_developer', 'technical_director'], name: ['Devi Dev', 'Devi Developer'] });

    const ownRole = await staffPost(td, `/admin/staff/${director.id}`, { name: director.name, role: 'application_developer' });
    expect(ownRole.status).to.equal(403);
    expect(ownRole.text).to.include('your own account');
    const ownDeactivate = await staffPost(td, `/admin/staff/${director.id}/deactivate`);
    expect(ownDeactivate.status).to.equal(403);
    expect(await staffRow(director.id)).to.include({ role: 'technical_director', status: 'active' });

    const rep = await createStaff({ role: 'client_representative' });
    await assignRepresentative(await createClient(), rep);
    const repChange = await staffPost(td, `/admin/staff/${rep.id}`, { name: rep.name, role: 'application_developer' });
    expect(repChange.status).to.equal(422);
    expect(repChange.text).to.include('represents 1 client(s)');
    const list = await td.get('/admin/staff').expect(200);
    expect(list.text).to.match(/Client Representative<\/td>\s*<td><span class="badge status-active">active<\/span><\/td>\s*<td>Set up<\/td>\s*<td>[^<]*<\/td>\s*<td>1<\/td>/);
  });

  it('deactivation ends the member\'s session and sign-in; reactivation restores it', async () => {
    const dev = await createStaff({ role: 'application_developer' });
    const devAgent = await signedInStaffAgent(app, dev);
    await devAgent.get('/admin/staff').expect(200);
    const res = await staffPost(td, `/admin/staff/${dev.id}/deactivate`);
    expect(res.status).to.equal(303);
    const row = await staffRow(dev.id);
    expect(row.status).to.equal('deactivated');
    expect(row.session_epoch).to.equal(1);
    const [entry] = await auditRows('staff.deactivated');
    expect(entry).to.include({ client_id: null, entity_type: 'staff', entity_id: dev.id });

    const after = await devAgent.get('/admin/staff');
    expect(after.status).to.be.oneOf([303, 401]);
    if (after.status === 303) expect(after.headers.location).to.match(/login/);
    const post = await staffPost(td, `/admin/staff/${dev.id}/reactivate`);
    expect(post.status).to.equal(303);
    expect((await staffRow(dev.id)).status).to.equal('active');
    // The old session stays ended (the epoch moved on); a new sign-in works.
    expect((await devAgent.get('/admin/staff')).status).to.be.oneOf([303, 401]);
    await (await signedInStaffAgent(app, dev)).get('/admin/staff').expect(200);
  });

  it('reset clears password and authenticator, ends sessions, and the next sign-in enrols again', async () => {
    const rep = await createStaff({ role: 'client_representative', email: 'rae@solutionstrak.example' });
    const repAgent = await signedInStaffAgent(app, rep);
    const res = await staffPost(td, `/admin/staff/${rep.id}/reset`);
    expect(res.status, res.text).to.equal(303);
    const row = await staffRow(rep.id);
    expect(row).to.include({ status: 'invited', password_hash: null, totp_secret: null, totp_enabled_at: null, totp_last_step: null });
    expect(row.session_epoch).to.equal(1);
    const [entry] = await auditRows('staff.reset');
    expect(entry).to.include({ client_id: null, entity_type: 'staff', entity_id: rep.id });
    expect((await repAgent.get('/admin/staff')).status).to.be.oneOf([303, 401]);

    // The old password no longer works.
    const old = await submitForm(supertest.agent(app), '/admin/login', '/admin/login', { email: rep.email, password: VALID_PASSWORD });
    expect(old.status).to.equal(401);

    const token = await setupTokenFor('rae@solutionstrak.example');
    expect((await useSetupLink(supertest.agent(app), token, NEW_PASSWORD)).status).to.equal(303);
    const agent = supertest.agent(app);
    const signIn = await submitForm(agent, '/admin/login', '/admin/login', { email: rep.email, password: NEW_PASSWORD });
    expect(signIn.headers.location).to.equal('/admin/login/enrol');
    // Without an authenticator, the code step accepts nothing.
    const code = await submitForm(agent, '/admin/login/enrol', '/admin/login/code', { code: '123456' });
    expect(code.status).to.equal(401);
    expect((await agent.get('/admin/staff')).status).to.equal(303);
  });

  it('a reset of an invited member re-issues the link: the earlier one stops working', async () => {
    await submitForm(td, '/admin/staff/new', '/admin/staff', { name: 'Ivo Invited', email: 'ivo@solutionstrak.example', role: 'application_developer' });
    const first = await setupTokenFor('ivo@solutionstrak.example');
    const [ivo] = await ownerQuery<{ id: string }>(`SELECT id FROM staff_users WHERE email = 'ivo@solutionstrak.example'`);
    expect((await staffPost(td, `/admin/staff/${ivo.id}/reset`)).status).to.equal(303);
    const second = await setupTokenFor('ivo@solutionstrak.example');
    expect(second).to.not.equal(first);
    expect((await supertest.agent(app).get(`/admin/setup?token=${first}`)).status).to.equal(410);
    expect((await supertest.agent(app).get(`/admin/setup?token=${second}`)).status).to.equal(200);
  });
});
