// The admin area's client directory: who may open it, onboarding a client with its
// first Administrator (who then accepts through the real invitation page), settings and the
// Client Representative assignment, all audited in the vendor-level log.
import { expect } from 'chai';
import supertest from 'supertest';
import { auditRows } from '../support/auth-helpers.ts';
import { createClient, createUser, ownerQuery, type ClientRow } from '../support/factories.ts';
import { type Agent, signedInAgent, signIn, submitForm, testApp } from '../support/http.ts';
import { outboxRows } from '../support/mail-helpers.ts';
import { assignRepresentative, createStaff, signedInStaffAgent, type StaffRow } from '../support/staff.ts';

const INVITE_LINK = /http:\/\/plantrak\.test\/invite\/accept\?token=([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/;
const NEW_PASSWORD = 'Harbour-Violet-93#';

const clientCount = async () => (await ownerQuery<{ n: number }>('SELECT count(*)::int AS n FROM clients'))[0].n;

describe('admin area: clients', () => {
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  const newClient = (agent: Agent, fields: Record<string, string>) => submitForm(agent, '/admin/clients/new', '/admin/clients', {
    name: 'Riverside Utilities', timeZone: 'America/Chicago', representativeId: '', adminName: 'Rita Root', adminEmail: 'rita@riverside.example', ...fields,
  });
  const saveSettings = (agent: Agent, client: ClientRow, fields: Record<string, string>, formPage = `/admin/clients/${client.id}`) =>
    submitForm(agent, formPage, `/admin/clients/${client.id}`, { name: client.name, timeZone: 'UTC', status: 'active', representativeId: '', ...fields });

  describe('access', () => {
    it('sends anonymous visitors to the staff sign-in page', async () => {
      const res = await supertest(app).get('/admin').expect(303);
      expect(res.headers.location).to.equal('/admin/login');
    });

    it('refuses client users with the staff-only message', async () => {
      const client = await createClient();
      const admin = await createUser(client, { rank: 'administrator' });
      const agent = await signedInAgent(app, admin.email, admin.password);
      const res = await agent.get('/admin').expect(403);
      expect(res.text).to.include('The admin area is for SolutionsTRAK staff only');
      await agent.get('/admin/clients/new').expect(403);
      await agent.get('/admin/outbox').expect(403);
    });
  });

  describe('dashboard', () => {
    it('lists every client; a Client Representative sees theirs first and may enter only those', async () => {
      const rep = await createStaff({ role: 'client_representative', name: 'Ray Rep' });
      const dev = await createStaff({ role: 'application_developer', name: 'Dee Dev' });
      const alpha = await createClient({ name: 'Alpha Water' });
      const zulu = await createClient({ name: 'Zulu Power', timeZone: 'Europe/Berlin' });
      await assignRepresentative(zulu, rep);

      const asRep = await signedInStaffAgent(app, rep);
      const page = await asRep.get('/admin').expect(200);
      expect(page.text).to.include('Ray Rep').and.include('Client Representative').and.include('action="/admin/logout"');
      expect(page.text.indexOf('Zulu Power')).to.be.lessThan(page.text.indexOf('Alpha Water'));
      expect(page.text).to.include(`/admin/support/new?client=${zulu.id}`);
      expect(page.text).to.not.include(`/admin/support/new?client=${alpha.id}`);
      expect(page.text).to.include(`/admin/clients/${alpha.id}`);
      expect(page.text).to.include('Europe/Berlin');
      expect(page.text).to.not.include('/admin/clients/new');
      const mine = await asRep.get('/admin?mine=1').expect(200);
      expect(mine.text).to.include('Zulu Power').and.not.include('Alpha Water');

      const asDev = await signedInStaffAgent(app, dev);
      const devPage = await asDev.get('/admin').expect(200);
      expect(devPage.text.indexOf('Alpha Water')).to.be.lessThan(devPage.text.indexOf('Zulu Power'));
      expect(devPage.text).to.include(`/admin/support/new?client=${alpha.id}`).and.include(`/admin/support/new?client=${zulu.id}`);
      expect(devPage.text).to.include('Ray Rep').and.include('/admin/clients/new');
    });
  });

  describe('creating a client', () => {
    it('creates the client, invites its first Administrator, mails the link and audits it; the Administrator accepts and signs in', async () => {
      const director = await createStaff({ role: 'technical_director', name: 'Tess Director' });
      const rep = await createStaff({ role: 'client_representative', name: 'Ray Rep' });
      const agent = await signedInStaffAgent(app, director);
      const form = await agent.get('/admin/clients/new').expect(200);
      expect(form.text).to.include('America/Chicago').and.include('Ray Rep');

      const res = await newClient(agent, { representativeId: rep.id, adminEmail: 'Rita@Riverside.example' });
      expect(res.status, res.text).to.equal(303);
      const [client] = await ownerQuery<{ id: string; name: string; time_zone: string; status: string; representative_id: string }>(
        'SELECT id, name, time_zone, status, representative_id FROM clients',
      );
      expect(client).to.include({ name: 'Riverside Utilities', time_zone: 'America/Chicago', status: 'active', representative_id: rep.id });
      expect(res.headers.location).to.equal(`/admin/clients/${client.id}`);
      const shown = await agent.get(res.headers.location).expect(200);
      expect(shown.text).to.include('An invitation was sent to rita@riverside.example');

      const users = await ownerQuery<{ id: string; client_id: string; email: string; rank: string; status: string }>('SELECT id, client_id, email, rank, status FROM users');
      expect(users).to.have.length(1);
      expect(users[0]).to.include({ client_id: client.id, email: 'rita@riverside.example', rank: 'administrator', status: 'invited' });
      const tokens = await ownerQuery<{ purpose: string; days: number }>(
        `SELECT purpose, round(extract(epoch FROM expires_at - now()) / 86400)::int AS days FROM password_reset_tokens WHERE user_id = $1`,
        [users[0].id],
      );
      expect(tokens).to.deep.equal([{ purpose: 'invite', days: 7 }]);

      const mails = await outboxRows();
      expect(mails).to.have.length(1);
      expect(mails[0]).to.include({ to_address: 'rita@riverside.example', kind: 'user.invite', sensitive: true });
      const token = INVITE_LINK.exec(mails[0].text_body ?? '')?.[1];
      expect(token, mails[0].text_body ?? '').to.be.a('string');

      const [entry] = await auditRows('client.created');
      expect(entry).to.include({ client_id: null, actor_kind: 'staff', entity_type: 'client', entity_id: client.id });
      expect(entry.changes).to.deep.include({
        name: [null, 'Riverside Utilities'],
        time_zone: [null, 'America/Chicago'],
        first_administrator_email: [null, 'rita@riverside.example'],
      });
      expect(String((entry.changes!.representative as unknown[])[1])).to.include('Ray Rep');
      const [{ staff }] = await ownerQuery<{ staff: string }>(`SELECT actor_staff_id AS staff FROM audit_log WHERE action = 'client.created'`);
      expect(staff).to.equal(director.id);

      // The invited Administrator accepts through the real page and signs in to the new client.
      const visitor = supertest.agent(app);
      const page = await visitor.get(`/invite/accept?token=${token}`).expect(200);
      expect(page.text).to.include('Rita Root');
      const accepted = await submitForm(visitor, `/invite/accept?token=${token}`, '/invite/accept', { token: token!, password: NEW_PASSWORD, confirmation: NEW_PASSWORD });
      expect(accepted.status, accepted.text).to.equal(303);
      const signedIn = await signIn(supertest.agent(app), 'rita@riverside.example', NEW_PASSWORD);
      expect(signedIn.status).to.equal(303);
      expect(signedIn.headers.location).to.not.include('/login');
    });

    it('lets an Application Developer create a client without a representative', async () => {
      const dev = await createStaff({ role: 'application_developer' });
      const res = await newClient(await signedInStaffAgent(app, dev), { name: 'Dev Made' });
      expect(res.status, res.text).to.equal(303);
      const [client] = await ownerQuery<{ name: string; representative_id: string | null }>('SELECT name, representative_id FROM clients');
      expect(client).to.deep.equal({ name: 'Dev Made', representative_id: null });
    });

    it('refuses Client Representatives (form and post), creating nothing', async () => {
      const rep = await createStaff({ role: 'client_representative' });
      const agent = await signedInStaffAgent(app, rep);
      await agent.get('/admin/clients/new').expect(403);
      const token = /name="_csrf" value="([^"]+)"/.exec((await agent.get('/admin')).text)![1];
      const res = await agent.post('/admin/clients').type('form').send({ _csrf: token, name: 'Sneaky', timeZone: 'UTC', adminName: 'X', adminEmail: 'x@sneaky.example' });
      expect(res.status).to.equal(403);
      expect(await clientCount()).to.equal(0);
    });

    it('refuses an Administrator e-mail that already has an account: 422 and nothing created', async () => {
      const existing = await createUser(await createClient({ name: 'Old Client' }), { email: 'taken@example.com' });
      const dev = await createStaff({ role: 'application_developer' });
      const agent = await signedInStaffAgent(app, dev);
      const before = await clientCount();
      const res = await newClient(agent, { name: 'Dup Co', adminEmail: existing.email.toUpperCase() });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('already has a PlanTRAK account');
      expect(res.text).to.include('value="Dup Co"');
      expect(await clientCount()).to.equal(before);
      expect(await ownerQuery(`SELECT 1 FROM clients WHERE name = 'Dup Co'`)).to.have.length(0);
      expect(await outboxRows()).to.have.length(0);
      expect(await auditRows('client.created')).to.have.length(0);
    });

    it('refuses a bad time zone, a missing name and an unknown representative with 422', async () => {
      const dev = await createStaff({ role: 'application_developer' });
      const agent = await signedInStaffAgent(app, dev);
      const badZone = await newClient(agent, { timeZone: 'Mars/Olympus_Mons' });
      expect(badZone.status).to.equal(422);
      expect(badZone.text).to.include('Choose a time zone from the list');
      expect((await newClient(agent, { name: '' })).status).to.equal(422);
      const badRep = await newClient(agent, { representativeId: dev.id });
      expect(badRep.status).to.equal(422);
      expect(badRep.text).to.include('Choose a Client Representative from the list');
      expect(await clientCount()).to.equal(0);
    });
  });

  describe('client settings', () => {
    let client: ClientRow;
    let dev: StaffRow;
    let rep: StaffRow;
    beforeEach(async () => {
      client = await createClient({ name: 'Settle Co' });
      dev = await createStaff({ role: 'application_developer', name: 'Dee Dev' });
      rep = await createStaff({ role: 'client_representative', name: 'Ray Rep' });
    });

    it('saves name, time zone, status and the representative, audited before and after', async () => {
      const agent = await signedInStaffAgent(app, dev);
      const page = await agent.get(`/admin/clients/${client.id}`).expect(200);
      expect(page.text).to.include('do not need approval').and.include('No support sessions yet');
      const res = await saveSettings(agent, client, { name: 'Settled Co', timeZone: 'Asia/Tokyo', status: 'suspended', representativeId: rep.id });
      expect(res.status, res.text).to.equal(303);
      const [row] = await ownerQuery('SELECT name, time_zone, status, representative_id FROM clients WHERE id = $1', [client.id]);
      expect(row).to.deep.equal({ name: 'Settled Co', time_zone: 'Asia/Tokyo', status: 'suspended', representative_id: rep.id });
      const [entry] = await auditRows('client.updated');
      expect(entry).to.include({ client_id: null, actor_kind: 'staff', entity_type: 'client', entity_id: client.id });
      expect(entry.changes).to.deep.equal({
        name: ['Settle Co', 'Settled Co'],
        time_zone: ['UTC', 'Asia/Tokyo'],
        status: ['active', 'suspended'],
        representative_id: [null, rep.id],
        representative: [null, 'Ray Rep'],
      });
      // Saving the same values changes nothing and writes no entry.
      const again = await saveSettings(agent, { ...client, name: 'Settled Co' }, { timeZone: 'Asia/Tokyo', status: 'suspended', representativeId: rep.id });
      expect(again.status).to.equal(303);
      expect(await auditRows('client.updated')).to.have.length(1);
    });

    it('refuses a non-representative or unknown representative and a bad time zone (422), and unknown clients (404)', async () => {
      const agent = await signedInStaffAgent(app, dev);
      expect((await saveSettings(agent, client, { representativeId: dev.id })).status).to.equal(422);
      expect((await saveSettings(agent, client, { representativeId: '00000000-0000-4000-8000-000000000000' })).status).to.equal(422);
      expect((await saveSettings(agent, client, { representativeId: 'nonsense' })).status).to.equal(422);
      expect((await saveSettings(agent, client, { timeZone: 'Nowhere/Land' })).status).to.equal(422);
      expect((await saveSettings(agent, client, { status: 'deleted' })).status).to.equal(422);
      const [row] = await ownerQuery('SELECT name, representative_id FROM clients WHERE id = $1', [client.id]);
      expect(row).to.deep.equal({ name: 'Settle Co', representative_id: null });
      expect(await auditRows('client.updated')).to.have.length(0);
      await agent.get('/admin/clients/00000000-0000-4000-8000-000000000000').expect(404);
      await agent.get('/admin/clients/not-a-uuid').expect(404);
    });

    it('lets a Client Representative view settings and recent support sessions but not change them', async () => {
      await assignRepresentative(client, rep);
      await ownerQuery(
        `INSERT INTO support_sessions (client_id, staff_id, reason, read_only, duration_minutes, status, started_at, expires_at)
         VALUES ($1, $2, 'Fix the Lake Plant schedule', true, 60, 'active', now(), now() + interval '1 hour')`,
        [client.id, rep.id],
      );
      const agent = await signedInStaffAgent(app, rep);
      const page = await agent.get(`/admin/clients/${client.id}`).expect(200);
      expect(page.text).to.include('Fix the Lake Plant schedule').and.include('Ray Rep').and.include('active');
      expect(page.text).to.not.include(`action="/admin/clients/${client.id}"`);
      expect(page.text).to.include(`/admin/support/new?client=${client.id}`);
      const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
      const res = await agent.post(`/admin/clients/${client.id}`).type('form').send({ _csrf: token, name: 'Hijacked', timeZone: 'UTC', status: 'active', representativeId: '' });
      expect(res.status).to.equal(403);
      const [row] = await ownerQuery('SELECT name FROM clients WHERE id = $1', [client.id]);
      expect(row).to.deep.equal({ name: 'Settle Co' });
    });
  });
});
