// Lockout after repeated wrong passwords, and throttling per account (hashed e-mail) and per IP
// (DESIGN.md §8.3). Throttling must answer alike for known and unknown accounts.
import { expect } from 'chai';
import supertest from 'supertest';
import { accountKey } from '../../services/auth/throttle.ts';
import { auditRows, normalisePage, postLogin } from '../support/auth-helpers.ts';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { testApp } from '../support/http.ts';

const REFUSED = 'Incorrect e-mail or password, or the account cannot sign in.';
const THROTTLED = 'Too many failed sign-in attempts. Try again in 15 minutes, or reset your password.';
const WRONG = 'Wrong-Lantern-47!';

interface UserState {
  status: string;
  failed_login_count: number;
  locked_at: Date | null;
}

async function userState(id: string): Promise<UserState> {
  const [row] = await ownerQuery<UserState>('SELECT status, failed_login_count, locked_at FROM users WHERE id = $1', [id]);
  return row;
}

async function throttleFailures(key: string): Promise<number | undefined> {
  const [row] = await ownerQuery<{ failures: number }>('SELECT failures FROM login_throttle WHERE key = $1', [key]);
  return row?.failures;
}

describe('lockout', () => {
  it('locks the account at the threshold, audits it, e-mails the user, and then refuses the right password', async () => {
    const client = await createClient();
    const user = await createUser(client, { name: 'Lee Locked', email: 'lee@acme.example' });
    const app = testApp({ LOGIN_LOCKOUT_THRESHOLD: '3', LOGIN_THROTTLE_ACCOUNT_MAX: '100' });

    for (let attempt = 1; attempt <= 2; attempt++) {
      expect((await postLogin(supertest.agent(app), { email: user.email, password: WRONG })).status).to.equal(401);
    }
    expect(await userState(user.id)).to.deep.include({ status: 'active', failed_login_count: 2, locked_at: null });
    expect(await auditRows('auth.lockout')).to.deep.equal([]);

    const third = await postLogin(supertest.agent(app), { email: user.email, password: WRONG });
    expect(third.status).to.equal(401);
    expect(third.text).to.include(REFUSED);

    const state = await userState(user.id);
    expect(state).to.deep.include({ status: 'locked', failed_login_count: 3 });
    expect(state.locked_at).to.be.instanceOf(Date);

    const lockouts = await auditRows('auth.lockout');
    expect(lockouts).to.have.length(1);
    expect(lockouts[0]).to.deep.include({
      client_id: client.id,
      actor_user_id: user.id,
      entity_type: 'user',
      entity_id: user.id,
      changes: { status: ['active', 'locked'], failed_attempts: 3 },
      request_id: third.headers['x-request-id'],
    });

    const mail = await ownerQuery<{ client_id: string; to_address: string; kind: string; subject: string; text_body: string; status: string }>(
      'SELECT client_id, to_address, kind, subject, text_body, status FROM mail_outbox');
    expect(mail).to.have.length(1);
    expect(mail[0]).to.deep.include({
      client_id: client.id,
      to_address: 'lee@acme.example',
      kind: 'auth.lockout',
      subject: 'Your PlanTRAK account has been locked',
      status: 'pending',
    });
    expect(mail[0].text_body).to.include('Hello Lee Locked,');
    expect(mail[0].text_body).to.include('locked after 3 failed sign-in attempts');
    expect(mail[0].text_body).to.include('http://plantrak.test/password/forgot');

    // The right password no longer works, and the answer is the generic refusal.
    const agent = supertest.agent(app);
    const right = await postLogin(agent, { email: user.email, password: user.password });
    expect(right.status).to.equal(401);
    expect(right.text).to.include(REFUSED);
    await agent.get('/').expect(303).expect('Location', '/login');
    expect(await auditRows('auth.login')).to.deep.equal([]);
    expect((await auditRows('auth.login_failed')).at(-1)!.changes).to.deep.equal({ reason: 'account_not_active' });

    // Locking happens once: no second audit entry or e-mail for further attempts.
    await postLogin(supertest.agent(app), { email: user.email, password: WRONG });
    expect(await auditRows('auth.lockout')).to.have.length(1);
    expect(await ownerQuery('SELECT id FROM mail_outbox')).to.have.length(1);
  });

  it('starts counting again after a successful sign-in', async () => {
    const client = await createClient();
    const user = await createUser(client);
    const app = testApp({ LOGIN_LOCKOUT_THRESHOLD: '3', LOGIN_THROTTLE_ACCOUNT_MAX: '100' });
    for (let attempt = 1; attempt <= 2; attempt++) await postLogin(supertest.agent(app), { email: user.email, password: WRONG });
    expect(await throttleFailures(accountKey(user.email))).to.equal(2);

    expect((await postLogin(supertest.agent(app), { email: user.email, password: user.password })).status).to.equal(303);
    expect(await userState(user.id)).to.deep.include({ status: 'active', failed_login_count: 0 });
    expect(await throttleFailures(accountKey(user.email))).to.equal(undefined);

    for (let attempt = 1; attempt <= 2; attempt++) await postLogin(supertest.agent(app), { email: user.email, password: WRONG });
    expect(await userState(user.id)).to.deep.include({ status: 'active', failed_login_count: 2 });
  });
});

describe('throttling', () => {
  it('throttles an account after LOGIN_THROTTLE_ACCOUNT_MAX failures, even with the right password', async () => {
    const client = await createClient();
    const user = await createUser(client);
    const app = testApp({ LOGIN_THROTTLE_ACCOUNT_MAX: '2' });

    for (let attempt = 1; attempt <= 2; attempt++) {
      expect((await postLogin(supertest.agent(app), { email: user.email, password: WRONG })).status).to.equal(401);
    }
    const agent = supertest.agent(app);
    const third = await postLogin(agent, { email: user.email, password: user.password });
    expect(third.status).to.equal(429);
    expect(third.text).to.include(THROTTLED);
    expect(Number(third.headers['retry-after'])).to.be.within(1, 15 * 60);
    await agent.get('/').expect(303).expect('Location', '/login');

    expect(await auditRows('auth.login')).to.deep.equal([]);
    const throttled = await auditRows('auth.login_throttled');
    expect(throttled).to.have.length(1);
    expect(throttled[0]).to.deep.include({ client_id: null, actor_user_id: null, request_id: third.headers['x-request-id'] });
    // A throttled attempt is not a failure: the counters stay where they were.
    expect(await throttleFailures(accountKey(user.email))).to.equal(2);
    expect(await userState(user.id)).to.deep.include({ failed_login_count: 2 });
  });

  it('throttles an unknown e-mail exactly like a known one, so throttling reveals nothing', async () => {
    const client = await createClient();
    const user = await createUser(client);
    const app = testApp({ LOGIN_THROTTLE_ACCOUNT_MAX: '2' });
    const unknown = 'nobody@acme.example';

    const answers: Record<string, { statuses: number[]; page: string }> = {};
    for (const email of [user.email, unknown]) {
      const statuses: number[] = [];
      let page = '';
      for (let attempt = 1; attempt <= 3; attempt++) {
        const res = await postLogin(supertest.agent(app), { email, password: WRONG });
        statuses.push(res.status);
        page = normalisePage(res.text, email);
      }
      answers[email] = { statuses, page };
    }
    expect(answers[user.email].statuses).to.deep.equal([401, 401, 429]);
    expect(answers[unknown].statuses).to.deep.equal([401, 401, 429]);
    expect(answers[unknown].page).to.equal(answers[user.email].page);
    expect(answers[unknown].page).to.include(THROTTLED);
    expect(await throttleFailures(accountKey(unknown))).to.equal(2);
  });

  it('keys the account counter on the e-mail whatever its case or the address it comes from', async () => {
    const client = await createClient();
    const user = await createUser(client, { email: 'kim@acme.example' });
    const app = testApp({ LOGIN_THROTTLE_ACCOUNT_MAX: '2', TRUST_PROXY: '1' });
    await postLogin(supertest.agent(app), { email: 'kim@acme.example', password: WRONG }, { 'X-Forwarded-For': '203.0.113.1' });
    await postLogin(supertest.agent(app), { email: 'KIM@Acme.Example', password: WRONG }, { 'X-Forwarded-For': '203.0.113.2' });
    const res = await postLogin(supertest.agent(app), { email: user.email, password: user.password }, { 'X-Forwarded-For': '203.0.113.3' });
    expect(res.status).to.equal(429);
  });

  it('throttles an IP after LOGIN_THROTTLE_IP_MAX failures across different e-mails, and only that IP', async () => {
    const client = await createClient();
    const user = await createUser(client);
    const app = testApp({ LOGIN_THROTTLE_IP_MAX: '3', TRUST_PROXY: '1' });
    const attacker = { 'X-Forwarded-For': '198.51.100.20' };

    const statuses: number[] = [];
    for (const email of ['a@acme.example', 'b@acme.example', 'c@acme.example', 'd@acme.example']) {
      statuses.push((await postLogin(supertest.agent(app), { email, password: WRONG }, attacker)).status);
    }
    expect(statuses).to.deep.equal([401, 401, 401, 429]);
    expect(await throttleFailures('ip:198.51.100.20')).to.equal(3);

    // The real user, from that IP, is throttled too (the account itself has no failures)…
    const blocked = await postLogin(supertest.agent(app), { email: user.email, password: user.password }, attacker);
    expect(blocked.status).to.equal(429);
    expect(blocked.text).to.include(THROTTLED);
    // …but signs in from another address.
    const elsewhere = await postLogin(supertest.agent(app), { email: user.email, password: user.password }, { 'X-Forwarded-For': '198.51.100.21' });
    expect(elsewhere.status).to.equal(303);
  });

  it('forgets failures once the window has passed', async () => {
    const client = await createClient();
    const user = await createUser(client);
    const app = testApp({ LOGIN_THROTTLE_ACCOUNT_MAX: '2', LOGIN_THROTTLE_WINDOW_MINUTES: '5' });
    for (let attempt = 1; attempt <= 2; attempt++) await postLogin(supertest.agent(app), { email: user.email, password: WRONG });
    const throttled = await postLogin(supertest.agent(app), { email: user.email, password: user.password });
    expect(throttled.status).to.equal(429);
    expect(throttled.text).to.include('Try again in 5 minutes');

    await ownerQuery(`UPDATE login_throttle SET window_started_at = now() - interval '6 minutes'`);
    expect((await postLogin(supertest.agent(app), { email: user.email, password: user.password })).status).to.equal(303);
  });
});
