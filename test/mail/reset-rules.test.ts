// The reset link's rules: expiry, unlocking a locked account, ending sessions, the password
// rule and the confirmation — each with a link that really arrived by SMTP.
import { expect } from 'chai';
import type { Express } from 'express';
import supertest from 'supertest';
import { createClient, createUser, ownerQuery, type UserRow } from '../support/factories.ts';
import { csrfToken, signedInAgent, signIn, submitForm, testApp } from '../support/http.ts';
import { passwordHashOf, resetLinkFor } from '../support/mail-helpers.ts';
import { smtpForSuite } from '../support/smtp.ts';

const NEW_PASSWORD = 'Copper-Meadow-58&';

describe('password reset rules', () => {
  const smtp = smtpForSuite();

  let app: Express;
  let user: UserRow;
  beforeEach(async () => {
    smtp.received.length = 0;
    app = testApp();
    user = await createUser(await createClient(), { email: 'lee.link@acme.example', name: 'Lee Link' });
  });

  const submitReset = (token: string, password: string, confirmation = password) =>
    submitForm(supertest.agent(app), `/password/reset?token=${token}`, '/password/reset', { token, password, confirmation });

  it('sends at most five links an hour to one address, answering the same page every time', async () => {
    const pages: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await submitForm(supertest.agent(app), '/password/forgot', '/password/forgot', { email: user.email });
      expect(res.status).to.equal(200);
      pages.push(res.text.replace(/name="_csrf" value="[^"]+"/g, ''));
    }
    expect(new Set(pages).size).to.equal(1);
    const [{ count }] = await ownerQuery<{ count: string }>('SELECT count(*) FROM password_reset_tokens WHERE user_id = $1', [user.id]);
    expect(Number(count)).to.equal(5);
    const throttled = await ownerQuery(`SELECT 1 FROM audit_log WHERE action = 'auth.password_reset_throttled'`);
    expect(throttled).to.have.length(1);
  });

  it('refuses an expired link with 410 and changes nothing', async () => {
    const token = await resetLinkFor(app, smtp, user.email);
    expect((await supertest(app).get(`/password/reset?token=${token}`)).status).to.equal(200);
    await ownerQuery(`UPDATE password_reset_tokens SET expires_at = now() - interval '1 second'`);
    const hash = await passwordHashOf(user.id);

    const shown = await supertest(app).get(`/password/reset?token=${token}`);
    expect(shown.status).to.equal(410);
    expect(shown.text).to.include('This link no longer works');
    // The form page itself is gone, so submit with a CSRF token from another page.
    const posted = await submitForm(supertest.agent(app), '/password/forgot', '/password/reset', { token, password: NEW_PASSWORD, confirmation: NEW_PASSWORD });
    expect(posted.status).to.equal(410);
    expect(await passwordHashOf(user.id)).to.equal(hash);
    const [row] = await ownerQuery<{ used_at: Date | null }>('SELECT used_at FROM password_reset_tokens');
    expect(row.used_at).to.equal(null);
  });

  it('unlocks a locked account and records auth.unlock', async () => {
    await ownerQuery(`UPDATE users SET status = 'locked', failed_login_count = 10, locked_at = now() WHERE id = $1`, [user.id]);
    expect((await signIn(supertest.agent(app), user.email, user.password)).status).to.equal(401);

    const token = await resetLinkFor(app, smtp, user.email);
    const res = await submitReset(token, NEW_PASSWORD);
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/login');

    const [after] = await ownerQuery<{ status: string; failed_login_count: number; locked_at: Date | null }>(
      'SELECT status, failed_login_count, locked_at FROM users WHERE id = $1',
      [user.id],
    );
    expect(after).to.deep.equal({ status: 'active', failed_login_count: 0, locked_at: null });
    const unlock = await ownerQuery<{ entity_id: string; actor_user_id: string; changes: unknown }>(
      `SELECT entity_id, actor_user_id, changes FROM audit_log WHERE action = 'auth.unlock'`,
    );
    expect(unlock).to.deep.equal([{ entity_id: user.id, actor_user_id: user.id, changes: { status: ['locked', 'active'] } }]);
    expect((await signIn(supertest.agent(app), user.email, NEW_PASSWORD)).status).to.equal(303);
  });

  it('signs out every existing session of the user', async () => {
    const browser = await signedInAgent(app, user.email, user.password);
    const other = await createUser(await createClient(), { email: 'other@elsewhere.example' });
    const bystander = await signedInAgent(app, other.email, other.password);
    expect((await browser.get('/')).status).to.equal(200);
    const sessionsOf = async (id: string) =>
      (await ownerQuery<{ n: number }>(`SELECT count(*)::int AS n FROM session WHERE sess -> 'auth' ->> 'userId' = $1`, [id]))[0].n;
    expect(await sessionsOf(user.id)).to.equal(1);

    const token = await resetLinkFor(app, smtp, user.email);
    expect((await submitReset(token, NEW_PASSWORD)).status).to.equal(303);

    expect(await sessionsOf(user.id)).to.equal(0);
    const home = await browser.get('/');
    expect(home.status).to.equal(303);
    expect(home.headers.location).to.equal('/login');
    // Another user's session is untouched.
    expect(await sessionsOf(other.id)).to.equal(1);
    expect((await bystander.get('/')).status).to.equal(200);
  });

  it('refuses a weak password with 422 and the rule, and the link stays usable', async () => {
    const token = await resetLinkFor(app, smtp, user.email);
    const hash = await passwordHashOf(user.id);

    const weak = await submitReset(token, 'lowercaseonly');
    expect(weak.status).to.equal(422);
    expect(weak.text).to.include('Add an upper-case letter.');
    expect(weak.text).to.include('Add a digit.');
    expect(weak.text).to.include(`name="token" value="${token}"`);
    const common = await submitReset(token, 'Password1!');
    expect(common.status).to.equal(422);
    expect(common.text).to.include('This password is too common or easy to guess.');
    expect(await passwordHashOf(user.id)).to.equal(hash);

    expect((await supertest(app).get(`/password/reset?token=${token}`)).status).to.equal(200);
    const ok = await submitReset(token, NEW_PASSWORD);
    expect(ok.status).to.equal(303);
    expect(await passwordHashOf(user.id)).to.not.equal(hash);
  });

  it('refuses a mismatched confirmation with 422, and the link stays usable', async () => {
    const token = await resetLinkFor(app, smtp, user.email);
    const hash = await passwordHashOf(user.id);

    const res = await submitReset(token, NEW_PASSWORD, `${NEW_PASSWORD}x`);
    expect(res.status).to.equal(422);
    expect(res.text).to.include('The two new passwords do not match.');
    expect(await passwordHashOf(user.id)).to.equal(hash);
    const [row] = await ownerQuery<{ used_at: Date | null }>('SELECT used_at FROM password_reset_tokens');
    expect(row.used_at).to.equal(null);

    expect((await submitReset(token, NEW_PASSWORD)).status).to.equal(303);
    expect((await signIn(supertest.agent(app), user.email, NEW_PASSWORD)).status).to.equal(303);
  });

  it('lets only one of two simultaneous submissions of a link succeed', async () => {
    const token = await resetLinkFor(app, smtp, user.email);
    const linkPath = `/password/reset?token=${token}`;
    const [a, b] = [supertest.agent(app), supertest.agent(app)];
    const [tokenA, tokenB] = await Promise.all([csrfToken(a, linkPath), csrfToken(b, linkPath)]);
    const results = await Promise.all([
      a.post('/password/reset').type('form').send({ _csrf: tokenA, token, password: NEW_PASSWORD, confirmation: NEW_PASSWORD }),
      b.post('/password/reset').type('form').send({ _csrf: tokenB, token, password: 'Second-Winner-44%', confirmation: 'Second-Winner-44%' }),
    ]);
    expect(results.map((r) => r.status).sort()).to.deep.equal([303, 410]);
    const winner = results[0].status === 303 ? NEW_PASSWORD : 'Second-Winner-44%';
    expect((await signIn(supertest.agent(app), user.email, winner)).status).to.equal(303);
    const resets = await ownerQuery(`SELECT id FROM audit_log WHERE action = 'auth.password_reset'`);
    expect(resets).to.have.length(1);
  });

  it('a new link and an older one: using either spends both', async () => {
    const first = await resetLinkFor(app, smtp, user.email);
    const second = await resetLinkFor(app, smtp, user.email);
    expect(second).to.not.equal(first);
    expect((await submitReset(second, NEW_PASSWORD)).status).to.equal(303);
    expect((await supertest(app).get(`/password/reset?token=${first}`)).status).to.equal(410);
    const rows = await ownerQuery<{ used: boolean }>('SELECT used_at IS NOT NULL AS used FROM password_reset_tokens');
    expect(rows).to.deep.equal([{ used: true }, { used: true }]);
  });

  it('sends no link to a deactivated account', async () => {
    await ownerQuery(`UPDATE users SET status = 'deactivated' WHERE id = $1`, [user.id]);
    const res = await submitForm(supertest.agent(app), '/password/forgot', '/password/forgot', { email: user.email });
    expect(res.status).to.equal(200);
    expect(res.text).to.include('<h1>Check your e-mail</h1>');
    expect(await ownerQuery('SELECT id FROM mail_outbox')).to.deep.equal([]);
    expect(await ownerQuery('SELECT id FROM password_reset_tokens')).to.deep.equal([]);
  });
});
