// Sign-in with two-factor on: a correct password alone signs nobody in; the
// code page accepts a TOTP code (±1 step) or a recovery code once; a code's step cannot be used
// twice; wrong codes count toward the same throttle and lockout as wrong passwords; the pending
// state expires after 5 minutes; only a completed sign-in gets a new session id and `auth`.
import { expect } from 'chai';
import supertest from 'supertest';
import { accountKey } from '../../services/auth/throttle.ts';
import { auditRows, sessionRowsOf, setCookies } from '../support/auth-helpers.ts';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { csrfToken, signIn, submitForm, testApp } from '../support/http.ts';
import { agePendingStates, awayFromStepEdge, codeAt, enrolledUser, pastPassword, recoveryRows, submitCode, totpColumns } from './support.ts';

const sessionCookieOf = (res: { headers: Record<string, unknown> }) => setCookies(res).find((c) => c.startsWith('plantrak.sid='))?.split(';')[0];

async function setup(env: Record<string, string> = {}) {
  const client = await createClient();
  const user = await createUser(client, { email: 'tom@acme.example', name: 'Tom Two' });
  const app = testApp(env);
  const { secret, codes } = await enrolledUser(app, user);
  return { client, user, app, secret, codes };
}

describe('sign-in with two-factor on', () => {
  it('does not sign in on the password alone, and does on the right code, with a new session id', async () => {
    const { client, user, app, secret } = await setup();
    const agent = supertest.agent(app);
    const password = await signIn(agent, user.email, user.password);
    expect(password.status).to.equal(303);
    expect(password.headers.location).to.equal('/login/two-factor');
    const pendingCookie = sessionCookieOf(password);
    expect(pendingCookie).to.be.a('string');

    // No `auth` in the session: every page still sends the visitor to sign in.
    expect(await sessionRowsOf(user.id)).to.equal(0);
    await agent.get('/').expect(303).expect('Location', '/login');
    await agent.get('/units').expect(303).expect('Location', '/login?next=%2Funits');
    const codePage = await agent.get('/login/two-factor').expect(200);
    expect(codePage.text).to.include('Enter the 6-digit code');
    expect(await auditRows('auth.login')).to.have.length(1); // the enrolling sign-in only
    const required = await auditRows('auth.second_factor_required');
    expect(required).to.have.length(1);
    expect(required[0]).to.deep.include({ client_id: client.id, actor_user_id: user.id, entity_id: user.id });

    await awayFromStepEdge();
    const done = await submitCode(agent, await codeAt(secret));
    expect(done.status).to.equal(303);
    expect(done.headers.location).to.equal('/');
    const signedInCookie = sessionCookieOf(done);
    expect(signedInCookie, 'a new session id at sign-in').to.be.a('string').and.not.equal(pendingCookie);
    expect(await sessionRowsOf(user.id)).to.equal(1);
    await agent.get('/').expect(200);
    await agent.get('/login/two-factor').expect(303).expect('Location', '/');

    const logins = await auditRows('auth.login');
    expect(logins).to.have.length(2);
    expect(logins[1]).to.deep.include({ client_id: client.id, actor_user_id: user.id, entity_id: user.id, changes: { second_factor: 'totp' } });
    expect((await totpColumns(user.id)).failed_login_count).to.equal(0);
  });

  it('goes on to the page asked for before sign-in', async () => {
    const { user, app, secret } = await setup();
    const agent = await pastPassword(app, user, '/units');
    await awayFromStepEdge();
    const done = await submitCode(agent, await codeAt(secret));
    expect(done.headers.location).to.equal('/units');
  });

  it('accepts the previous and next step, not two steps away', async () => {
    const { user, app, secret } = await setup();
    await awayFromStepEdge();
    const far = await submitCode(await pastPassword(app, user), await codeAt(secret, 2));
    expect(far.status).to.equal(401);
    // The enrolment used the previous step; the next one is still free.
    await awayFromStepEdge();
    const next = await submitCode(await pastPassword(app, user), await codeAt(secret, 1));
    expect(next.status).to.equal(303);
  });

  it('refuses a wrong code, counts it against the account and the throttle, and audits it', async () => {
    const { client, user, app } = await setup();
    const agent = await pastPassword(app, user);
    const wrong = await submitCode(agent, '000000');
    expect(wrong.status).to.equal(401);
    expect(wrong.text).to.include('That code is not correct, or it was already used.');
    expect(await sessionRowsOf(user.id)).to.equal(0);
    await agent.get('/').expect(303).expect('Location', '/login');

    expect((await totpColumns(user.id)).failed_login_count).to.equal(1);
    const [throttle] = await ownerQuery<{ failures: number }>('SELECT failures FROM login_throttle WHERE key = $1', [accountKey(user.email)]);
    expect(throttle.failures).to.equal(1);
    const failed = await auditRows('auth.second_factor_failed');
    expect(failed).to.have.length(1);
    expect(failed[0]).to.deep.include({ client_id: client.id, actor_user_id: user.id, entity_id: user.id, changes: { step: 'sign_in', reason: 'wrong_code' } });
  });

  it('locks the account after repeated wrong codes, and a correct password does not reset the count', async () => {
    const { user, app, secret } = await setup({ LOGIN_LOCKOUT_THRESHOLD: '3', LOGIN_THROTTLE_ACCOUNT_MAX: '100' });
    // Two wrong codes, each after a correct password: the count keeps growing.
    for (let i = 1; i <= 2; i++) {
      expect((await submitCode(await pastPassword(app, user), '111111')).status).to.equal(401);
      expect((await totpColumns(user.id)).failed_login_count).to.equal(i);
    }
    const agent = await pastPassword(app, user);
    expect((await totpColumns(user.id)).failed_login_count, 'the password step resets nothing').to.equal(2);
    expect((await submitCode(agent, '222222')).status).to.equal(401);
    const state = await totpColumns(user.id);
    expect(state.status).to.equal('locked');
    expect(state.failed_login_count).to.equal(3);
    expect(await auditRows('auth.lockout')).to.have.length(1);

    // Locked: even the right code does not sign in, and the password no longer gets that far.
    await awayFromStepEdge();
    const refused = await submitCode(agent, await codeAt(secret));
    expect(refused.status).to.equal(303);
    expect(refused.headers.location).to.equal('/login');
    expect(await sessionRowsOf(user.id)).to.equal(0);
    expect((await signIn(supertest.agent(app), user.email, user.password)).status).to.equal(401);
  });

  it('throttles code guesses per account like password guesses', async () => {
    const { user, app, secret } = await setup({ LOGIN_THROTTLE_ACCOUNT_MAX: '2', LOGIN_LOCKOUT_THRESHOLD: '100' });
    const agent = await pastPassword(app, user);
    expect((await submitCode(agent, '111111')).status).to.equal(401);
    expect((await submitCode(agent, '222222')).status).to.equal(401);
    await awayFromStepEdge();
    const throttled = await submitCode(agent, await codeAt(secret));
    expect(throttled.status).to.equal(429);
    expect(Number(throttled.headers['retry-after'])).to.be.greaterThan(0);
    expect(await sessionRowsOf(user.id)).to.equal(0);
  });

  it('refuses a replayed code: its time-step was spent', async () => {
    const { user, app, secret } = await setup();
    await awayFromStepEdge();
    const code = await codeAt(secret);
    expect((await submitCode(await pastPassword(app, user), code)).status).to.equal(303);
    const step = (await totpColumns(user.id)).totp_last_step;

    const replay = await submitCode(await pastPassword(app, user), code);
    expect(replay.status).to.equal(401);
    expect(await sessionRowsOf(user.id)).to.equal(1);
    expect((await totpColumns(user.id)).totp_last_step).to.equal(step);
    expect((await auditRows('auth.second_factor_failed')).map((r) => r.changes)).to.deep.equal([{ step: 'sign_in', reason: 'reused_code' }]);
  });

  it('lets only one of two simultaneous submissions of the same code through', async () => {
    const { user, app, secret } = await setup();
    const [first, second] = [await pastPassword(app, user), await pastPassword(app, user)];
    const tokens = await Promise.all([first, second].map((agent) => csrfToken(agent, '/login/two-factor')));
    await awayFromStepEdge();
    const code = await codeAt(secret);
    const results = await Promise.all([first, second].map((agent, i) => agent.post('/login/two-factor').type('form').send({ _csrf: tokens[i], code })));
    expect(results.map((r) => r.status).sort()).to.deep.equal([303, 401]);
    expect(await sessionRowsOf(user.id)).to.equal(1);
  });

  it('accepts a recovery code once (typed loosely), marks it used and audits it', async () => {
    const { user, app, codes } = await setup();
    const loose = ` ${codes[0].toUpperCase().replace(/-/g, ' ')} `;
    const agent = await pastPassword(app, user);
    const done = await submitCode(agent, loose);
    expect(done.status).to.equal(303);
    await agent.get('/').expect(200);
    expect((await recoveryRows(user.id)).filter((r) => r.used_at !== null)).to.have.length(1);

    const used = await auditRows('auth.recovery_code_used');
    expect(used).to.have.length(1);
    expect(used[0].changes).to.deep.include({ remaining: 9 });
    expect((await auditRows('auth.login')).at(-1)!.changes).to.deep.equal({ second_factor: 'recovery_code' });

    const again = await submitCode(await pastPassword(app, user), codes[0]);
    expect(again.status).to.equal(401);
    expect((await recoveryRows(user.id)).filter((r) => r.used_at !== null)).to.have.length(1);
    // Another unused one still works.
    expect((await submitCode(await pastPassword(app, user), codes[1])).status).to.equal(303);
  });

  it('lets the pending state expire after 5 minutes', async () => {
    const { user, app, secret } = await setup();
    const agent = await pastPassword(app, user);
    const token = await csrfToken(agent, '/login/two-factor');
    expect(await agePendingStates(5 * 60_000 + 1_000)).to.equal(1);
    await agent.get('/login/two-factor').expect(303).expect('Location', '/login');
    await awayFromStepEdge();
    const late = await agent.post('/login/two-factor').type('form').send({ _csrf: token, code: await codeAt(secret) });
    expect(late.status).to.equal(303);
    expect(late.headers.location).to.equal('/login');
    const signInPage = await agent.get('/login').expect(200);
    expect(signInPage.text).to.include('Your sign-in took too long. Please sign in again.');
    expect(await sessionRowsOf(user.id)).to.equal(0);
    await agent.get('/').expect(303).expect('Location', '/login');
    // Still fresh at 4 minutes.
    const fresh = await pastPassword(app, user);
    await agePendingStates(4 * 60_000);
    expect((await submitCode(fresh, await codeAt(secret, 1))).status).to.equal(303);
  });

  it('sends a visitor with no pending sign-in from the code page to the sign-in page', async () => {
    const app = testApp();
    await supertest(app).get('/login/two-factor').expect(303).expect('Location', '/login');
    const agent = supertest.agent(app);
    const res = await submitForm(agent, '/login', '/login/two-factor', { code: '123456' });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/login');
  });

  it('ends the pending sign-in when the password changes meanwhile', async () => {
    const { user, app, secret } = await setup();
    const agent = await pastPassword(app, user);
    await ownerQuery('UPDATE users SET session_epoch = session_epoch + 1 WHERE id = $1', [user.id]);
    await awayFromStepEdge();
    const res = await submitCode(agent, await codeAt(secret));
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/login');
    expect(await sessionRowsOf(user.id)).to.equal(0);
  });

  it('signs a user without two-factor in on the password, as before', async () => {
    const client = await createClient();
    const user = await createUser(client);
    const res = await signIn(supertest.agent(testApp()), user.email, user.password);
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/');
    expect(await sessionRowsOf(user.id)).to.equal(1);
  });
});
