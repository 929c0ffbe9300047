// Invitations end to end: the form, the transactional outbox delivered over real SMTP, accepting
// the link (password rule, single use, expiry), resending, and duplicate e-mails that answer
// exactly like success while changing nothing (no account enumeration).
import { expect } from 'chai';
import supertest from 'supertest';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { signedInAgent, signIn, submitForm, testApp, type Agent } from '../support/http.ts';
import { outboxRows, passwordHashOf, smtpDelivery } from '../support/mail-helpers.ts';
import { decodeBody, smtpForSuite } from '../support/smtp.ts';
import { buildWorld, changeCounts, follow, post, scopeOf, userAudits, type World } from './helpers.ts';

const INVITE_LINK = /http:\/\/plantrak\.test\/invite\/accept\?token=([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/;
const NEW_PASSWORD = 'Harbour-Violet-93#';

describe('user invitations', () => {
  const smtp = smtpForSuite();

  let world: World;
  let app: ReturnType<typeof testApp>;
  let admin: Agent;
  beforeEach(async () => {
    world = await buildWorld();
    app = testApp();
    admin = await signedInAgent(app, world.admin.email, world.admin.password);
  });

  /** Delivers the outbox over SMTP and returns the invitation token mailed to `email`. */
  async function deliveredInviteToken(email: string): Promise<string> {
    const { delivery, transport } = smtpDelivery(smtp);
    try {
      await delivery.deliverDue();
    } finally {
      transport.close();
    }
    const mails = smtp.received.filter((m) => m.to.includes(email));
    expect(mails, `mail to ${email}`).to.have.length(1);
    const match = INVITE_LINK.exec(decodeBody(mails[0].raw));
    expect(match, 'invitation link').to.not.equal(null);
    smtp.received.length = 0;
    return match![1];
  }

  const invite = (agent: Agent, fields: Record<string, string | string[]>) => post(agent, '/users/invite', fields, '/users/invite');

  it('invites a user who accepts, sets a password and signs in with the rank and scope given', async () => {
    const form = await admin.get('/users/invite').expect(200);
    expect(form.text).to.include('Whole organisation');
    expect(form.text).to.include(world.southPlant.id);

    const res = await invite(admin, { name: 'Ivy Invitee', email: 'Ivy@Acme.example', rank: 'manager', scope: [world.lakePlant.id, world.hillPlant.id] });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/users');
    const list = await follow(admin, res);
    expect(list.text).to.include('Invitation sent to ivy@acme.example.');
    expect(list.text).to.include('Ivy Invitee');

    const [ivy] = await ownerQuery<{ id: string; client_id: string; status: string; rank: string; password_hash: string | null }>(
      `SELECT id, client_id, status, rank, password_hash FROM users WHERE email = 'ivy@acme.example'`,
    );
    expect(ivy).to.include({ client_id: world.client.id, status: 'invited', rank: 'manager', password_hash: null });
    expect(await scopeOf(ivy.id)).to.deep.equal([world.lakePlant.id, world.hillPlant.id].sort());
    const tokens = await ownerQuery<{ purpose: string; days: number }>(
      `SELECT purpose, round(extract(epoch FROM expires_at - now()) / 86400)::int AS days FROM password_reset_tokens WHERE user_id = $1`,
      [ivy.id],
    );
    expect(tokens).to.deep.equal([{ purpose: 'invite', days: 7 }]);
    const [queued] = await outboxRows();
    expect(queued).to.include({ to_address: 'ivy@acme.example', kind: 'user.invite', sensitive: true, client_id: world.client.id });

    const token = await deliveredInviteToken('ivy@acme.example');
    const visitor = supertest.agent(app);
    const page = await visitor.get(`/invite/accept?token=${token}`).expect(200);
    expect(page.text).to.include('Welcome to PlanTRAK');
    expect(page.text).to.include('Ivy Invitee');

    // The password rule applies; a weak one changes nothing.
    const weak = await submitForm(visitor, `/invite/accept?token=${token}`, '/invite/accept', { token, password: 'password', confirmation: 'password' });
    expect(weak.status).to.equal(422);
    expect((await ownerQuery<{ status: string }>('SELECT status FROM users WHERE id = $1', [ivy.id]))[0].status).to.equal('invited');

    const done = await submitForm(visitor, `/invite/accept?token=${token}`, '/invite/accept', { token, password: NEW_PASSWORD, confirmation: NEW_PASSWORD });
    expect(done.status).to.equal(303);
    expect(done.headers.location).to.equal('/login');
    expect((await visitor.get('/login')).text).to.include('Your password is set.');
    expect((await ownerQuery<{ status: string }>('SELECT status FROM users WHERE id = $1', [ivy.id]))[0].status).to.equal('active');

    // Signed in, Ivy is a Manager who sees exactly her two facilities.
    const ivyAgent = await signedInAgent(app, 'ivy@acme.example', NEW_PASSWORD);
    expect((await ivyAgent.get('/').expect(200)).text).to.include('<dd>Manager</dd>');
    const units = await ivyAgent.get('/units').expect(200);
    expect(units.text).to.include('Lake Plant');
    expect(units.text).to.include('Hill Plant');
    expect(units.text).to.not.include('South Plant');
    await ivyAgent.get('/users').expect(403);

    // The link is spent.
    const again = await visitor.get(`/invite/accept?token=${token}`);
    expect(again.status).to.equal(410);
    expect(again.text).to.include('ask your administrator to resend');

    const [invited] = await userAudits('user.invite');
    expect(invited).to.deep.include({ actor_user_id: world.admin.id, entity_id: ivy.id, client_id: world.client.id });
    expect(invited.changes).to.deep.include({ rank: [null, 'manager'], status: [null, 'invited'], scope: [[], [world.lakePlant.id, world.hillPlant.id].sort()] });
    const [accepted] = await userAudits('user.invite_accepted');
    expect(accepted).to.deep.include({ actor_user_id: ivy.id, entity_id: ivy.id });
    expect(accepted.changes).to.deep.include({ status: ['invited', 'active'] });
  });

  it('refuses an expired invitation with a 410 that says to ask for a resend, and changes nothing', async () => {
    await invite(admin, { name: 'Eve Expired', email: 'eve@acme.example', rank: 'associate', scope: [world.lakePlant.id] });
    const token = await deliveredInviteToken('eve@acme.example');
    await ownerQuery(`UPDATE password_reset_tokens SET expires_at = now() - interval '1 minute'`);

    const visitor = supertest.agent(app);
    const page = await visitor.get(`/invite/accept?token=${token}`);
    expect(page.status).to.equal(410);
    expect(page.text).to.include('This invitation no longer works');
    expect(page.text).to.include('ask your administrator to resend');
    const submit = await submitForm(visitor, '/login', '/invite/accept', { token, password: NEW_PASSWORD, confirmation: NEW_PASSWORD });
    expect(submit.status).to.equal(410);
    const [eve] = await ownerQuery<{ status: string; password_hash: string | null }>(`SELECT status, password_hash FROM users WHERE email = 'eve@acme.example'`);
    expect(eve).to.deep.equal({ status: 'invited', password_hash: null });
    expect(await userAudits('user.invite_accepted')).to.have.length(0);
  });

  it('resends an invitation: a new link that works, the old one dead, audited', async () => {
    await invite(admin, { name: 'Rex Resend', email: 'rex@acme.example', rank: 'associate', scope: [world.hillPlant.id] });
    const first = await deliveredInviteToken('rex@acme.example');
    const [rex] = await ownerQuery<{ id: string }>(`SELECT id FROM users WHERE email = 'rex@acme.example'`);

    const show = await admin.get(`/users/${rex.id}`).expect(200);
    expect(show.text).to.include('Resend invitation');
    const res = await post(admin, `/users/${rex.id}/resend-invite`);
    expect(res.status).to.equal(303);
    expect((await follow(admin, res)).text).to.include('A new invitation has been sent to rex@acme.example.');
    const second = await deliveredInviteToken('rex@acme.example');
    expect(second).to.not.equal(first);

    const visitor = supertest.agent(app);
    expect((await visitor.get(`/invite/accept?token=${first}`)).status).to.equal(410);
    const done = await submitForm(visitor, `/invite/accept?token=${second}`, '/invite/accept', { token: second, password: NEW_PASSWORD, confirmation: NEW_PASSWORD });
    expect(done.status).to.equal(303);
    expect((await signIn(supertest.agent(app), 'rex@acme.example', NEW_PASSWORD)).status).to.equal(303);

    const resent = await userAudits('user.invite_resent');
    expect(resent).to.have.length(1);
    expect(resent[0]).to.deep.include({ actor_user_id: world.admin.id, entity_id: rex.id });

    // Accepted now: resending is refused and sends nothing.
    const late = await post(admin, `/users/${rex.id}/resend-invite`);
    expect(late.status).to.equal(409);
    expect(await outboxRows()).to.have.length(2);
  });

  it('answers a duplicate e-mail (this or another client) exactly like success, and sends and changes nothing', async () => {
    const other = await createClient({ name: 'Other Co' });
    const outsider = await createUser(other, { email: 'taken@other.example', name: 'Taken Elsewhere', rank: 'associate' });

    const fresh = await invite(admin, { name: 'New Person', email: 'new@acme.example', rank: 'associate', scope: [world.hillPlant.id] });
    const freshPage = await follow(admin, fresh);
    const before = await changeCounts();
    const hashBefore = await passwordHashOf(outsider.id);

    for (const email of ['taken@other.example', world.manager.email, 'new@acme.example']) {
      const dup = await invite(admin, { name: 'Someone Else', email, rank: 'director', scope: [world.north.id] });
      expect(dup.status).to.equal(fresh.status);
      expect(dup.headers.location).to.equal(fresh.headers.location);
      const page = await follow(admin, dup);
      expect(page.status).to.equal(freshPage.status);
      expect(page.text).to.include(`Invitation sent to ${email}.`);
    }
    expect(await changeCounts()).to.deep.equal(before);
    expect(await passwordHashOf(outsider.id)).to.equal(hashBefore);
    const [o] = await ownerQuery<{ name: string; rank: string; client_id: string }>('SELECT name, rank, client_id FROM users WHERE id = $1', [outsider.id]);
    expect(o).to.deep.equal({ name: 'Taken Elsewhere', rank: 'associate', client_id: other.id });
    expect(await scopeOf(world.manager.id)).to.deep.equal([world.lakePlant.id]);
    // Only the one fresh invitation ever reaches a mailbox.
    const { delivery, transport } = smtpDelivery(smtp);
    try {
      await delivery.deliverDue();
    } finally {
      transport.close();
    }
    expect(smtp.received.map((m) => m.to)).to.deep.equal([['new@acme.example']]);
  });

  it('keeps invitation and reset links apart: neither works in the other flow', async () => {
    await invite(admin, { name: 'Tess Token', email: 'tess@acme.example', rank: 'associate', scope: [world.hillPlant.id] });
    const inviteToken = await deliveredInviteToken('tess@acme.example');
    const visitor = supertest.agent(app);
    expect((await visitor.get(`/password/reset?token=${inviteToken}`)).status).to.equal(410);
    const reset = await submitForm(visitor, '/password/forgot', '/password/reset', { token: inviteToken, password: NEW_PASSWORD, confirmation: NEW_PASSWORD });
    expect(reset.status).to.equal(410);
    const [tess] = await ownerQuery<{ status: string; password_hash: string | null }>(`SELECT status, password_hash FROM users WHERE email = 'tess@acme.example'`);
    expect(tess).to.deep.equal({ status: 'invited', password_hash: null });
    expect((await ownerQuery<{ used_at: Date | null }>(`SELECT used_at FROM password_reset_tokens`))[0].used_at).to.equal(null);

    // A reset link of an active user does not open the invitation page.
    await submitForm(supertest.agent(app), '/password/forgot', '/password/forgot', { email: world.manager.email });
    const { delivery, transport } = smtpDelivery(smtp);
    try {
      await delivery.deliverDue();
    } finally {
      transport.close();
    }
    const resetMail = smtp.received.find((m) => m.to.includes(world.manager.email))!;
    const resetToken = /password\/reset\?token=([A-Za-z0-9_-]{43})/.exec(decodeBody(resetMail.raw))![1];
    expect((await visitor.get(`/invite/accept?token=${resetToken}`)).status).to.equal(410);
    const accept = await submitForm(visitor, '/login', '/invite/accept', { token: resetToken, password: NEW_PASSWORD, confirmation: NEW_PASSWORD });
    expect(accept.status).to.equal(410);
    expect(await passwordHashOf(world.manager.id)).to.not.equal(null);
    expect((await signIn(supertest.agent(app), world.manager.email, world.manager.password)).status).to.equal(303);
  });
});
