// A client Administrator can require two-factor sign-in for the whole client (settings page at
// /settings/security, audited `client.require_totp`); a user without it must then enrol before
// any other page. Nobody else can change the requirement.
import { expect } from 'chai';
import supertest from 'supertest';
import { auditRows } from '../support/auth-helpers.ts';
import { type ClientRow, createClient, createUser, ownerQuery } from '../support/factories.ts';
import { signedInAgent, submitForm, testApp } from '../support/http.ts';
import { passwordHashOf } from '../support/mail-helpers.ts';
import { awayFromStepEdge, codeAt, enrol, enrolledUser, pastPassword, submitCode } from './support.ts';

async function settingsOf(client: ClientRow): Promise<Record<string, unknown>> {
  const [row] = await ownerQuery<{ settings: Record<string, unknown> }>('SELECT settings FROM clients WHERE id = $1', [client.id]);
  return row.settings;
}

const requireTotp = (client: ClientRow) => ownerQuery(`UPDATE clients SET settings = settings || '{"requireTotp": true}' WHERE id = $1`, [client.id]);

describe('client requirement of two-factor sign-in', () => {
  it('lets an Administrator require it, keeping other settings, and audits the change', async () => {
    const client = await createClient();
    await ownerQuery(`UPDATE clients SET settings = '{"levelLabels": {"facility": "Site"}}' WHERE id = $1`, [client.id]);
    const admin = await createUser(client, { rank: 'administrator' });
    const app = testApp();
    const agent = await signedInAgent(app, admin.email, admin.password);

    const page = await agent.get('/settings/security').expect(200);
    expect(page.text).to.include('Require two-factor sign-in for everyone in this organisation');
    expect(page.text).not.to.match(/name="requireTotp" value="on" checked/);
    const home = await agent.get('/').expect(200);
    expect(home.text).to.include('href="/settings/security"');

    const on = await submitForm(agent, '/settings/security', '/settings/security', { requireTotp: 'on', client_id: '00000000-0000-0000-0000-000000000000' });
    expect(on.status).to.equal(303);
    expect(on.headers.location).to.equal('/settings/security');
    expect(await settingsOf(client)).to.deep.equal({ levelLabels: { facility: 'Site' }, requireTotp: true });

    // The requirement applies to the Administrator too: enrolment comes first.
    await agent.get('/settings/security').expect(303).expect('Location', '/account/two-factor');
    await enrol(agent);
    const checked = await agent.get('/settings/security').expect(200);
    expect(checked.text).to.match(/name="requireTotp" value="on" checked/);

    // Saving the same value again writes no second audit entry; unticking turns it off.
    await submitForm(agent, '/settings/security', '/settings/security', { requireTotp: 'on' });
    const off = await submitForm(agent, '/settings/security', '/settings/security', {});
    expect(off.status).to.equal(303);
    expect(await settingsOf(client)).to.deep.equal({ levelLabels: { facility: 'Site' }, requireTotp: false });

    const entries = await auditRows('client.require_totp');
    expect(entries.map((e) => [e.client_id, e.actor_user_id, e.entity_type, e.entity_id, e.changes])).to.deep.equal([
      [client.id, admin.id, 'client', client.id, { required: [false, true] }],
      [client.id, admin.id, 'client', client.id, { required: [true, false] }],
    ]);
  });

  it('refuses every other rank with 403 and changes nothing', async () => {
    const client = await createClient();
    const app = testApp();
    for (const rank of ['executive', 'director', 'manager', 'associate'] as const) {
      const user = await createUser(client, { rank });
      const agent = await signedInAgent(app, user.email, user.password);
      await agent.get('/settings/security').expect(403);
      const home = await agent.get('/').expect(200);
      expect(home.text, rank).not.to.include('href="/settings/security"');
      const res = await submitForm(agent, '/', '/settings/security', { requireTotp: 'on' });
      expect(res.status, rank).to.equal(403);
    }
    expect(await settingsOf(client)).to.deep.equal({});
    expect(await auditRows('client.require_totp')).to.deep.equal([]);
  });

  it('refuses a value other than the checkbox\'s with 422', async () => {
    const client = await createClient();
    const admin = await createUser(client, { rank: 'administrator' });
    const agent = await signedInAgent(testApp(), admin.email, admin.password);
    const res = await submitForm(agent, '/settings/security', '/settings/security', { requireTotp: 'yes' });
    expect(res.status).to.equal(422);
    expect(await settingsOf(client)).to.deep.equal({});
  });

  it('sends a user without two-factor to enrolment from every page until they enrol', async () => {
    const client = await createClient();
    const other = await createClient();
    await requireTotp(client);
    const user = await createUser(client, { rank: 'administrator' });
    const elsewhere = await createUser(other);
    const app = testApp();
    const agent = await signedInAgent(app, user.email, user.password);

    for (const path of ['/', '/units', '/account/password', '/settings/security']) {
      await agent.get(path).expect(303).expect('Location', '/account/two-factor');
    }
    // A form elsewhere changes nothing.
    const hash = await passwordHashOf(user.id);
    const post = await submitForm(agent, '/account/two-factor', '/account/password', { currentPassword: user.password, newPassword: 'Another-Lantern-58!', confirmation: 'Another-Lantern-58!' });
    expect(post.status).to.equal(303);
    expect(post.headers.location).to.equal('/account/two-factor');
    expect(await passwordHashOf(user.id)).to.equal(hash);
    // Enrolment itself and static assets stay open.
    const page = await agent.get('/account/two-factor').expect(200);
    expect(page.text).to.include('Your organisation requires two-factor sign-in.');
    await agent.get('/css/app.css').expect(200);

    await enrol(agent);
    await agent.get('/').expect(200);
    await agent.get('/units').expect(200);

    // Users of other clients are not affected.
    await (await signedInAgent(app, elsewhere.email, elsewhere.password)).get('/').expect(200);
  });

  it('lets a user sign out while enrolment is pending', async () => {
    const client = await createClient();
    await requireTotp(client);
    const user = await createUser(client);
    const agent = await signedInAgent(testApp(), user.email, user.password);
    const out = await submitForm(agent, '/account/two-factor', '/logout', {});
    expect(out.status).to.equal(303);
    expect(out.headers.location).to.equal('/login?signed_out=1');
    await agent.get('/').expect(303).expect('Location', '/login');
  });

  it('does not stop a user who already has two-factor on', async () => {
    const client = await createClient();
    const user = await createUser(client);
    const app = testApp();
    const { secret } = await enrolledUser(app, user);
    await requireTotp(client);
    const agent = await pastPassword(app, user);
    await awayFromStepEdge();
    expect((await submitCode(agent, await codeAt(secret))).status).to.equal(303);
    await agent.get('/').expect(200);
    await supertest(app).get('/settings/security').expect(303);
  });
});
