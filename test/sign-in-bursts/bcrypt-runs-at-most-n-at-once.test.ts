// Many sign-ins at once: at most BCRYPT_CONCURRENCY bcrypt comparisons run at the same time
// (counted in bcrypt's own native work, not by the app), every sign-in still gets its right
// answer, and the wrong passwords and unknown e-mails among them count toward the throttle and
// the accounts' failures as they do one at a time.
import { expect } from 'chai';
import bcrypt from 'bcrypt';
import supertest from 'supertest';
import { accountKey, ipKey } from '../../services/auth/throttle.ts';
import { watchBcryptWork } from '../support/bcrypt-work.ts';
import { createClient, createUser, ownerQuery, VALID_PASSWORD } from '../support/factories.ts';
import { csrfToken, testApp } from '../support/http.ts';

const WRONG = 'Wrong-Lantern-47!';
/** Slow enough (tens of ms a comparison) that unbounded comparisons would overlap. */
const COST = 10;

interface Attempt {
  email: string;
  password: string;
  expect: number;
}

/** Every sign-in form loaded first, then all posted at once while bcrypt's native work is watched:
 *  the answers' statuses, and how many comparisons started and ran at most at the same time. */
async function signInTogether(app: Parameters<typeof supertest.agent>[0], attempts: Attempt[]) {
  const ready = await Promise.all(attempts.map(async (attempt) => {
    const agent = supertest.agent(app);
    return { attempt, agent, token: await csrfToken(agent, '/login') };
  }));
  const work = watchBcryptWork();
  try {
    const replies = await Promise.all(ready.map(({ attempt, agent, token }) =>
      agent.post('/login').type('form').send({ _csrf: token, email: attempt.email, password: attempt.password })));
    return { statuses: replies.map((r) => r.status), started: work.started, most: work.most };
  } finally {
    work.stop();
  }
}

describe('sign-in bursts: bcrypt at most N at once', () => {
  it('runs no more than BCRYPT_CONCURRENCY comparisons at once across 24 simultaneous sign-ins, each answered rightly', async () => {
    const client = await createClient();
    const users = await Promise.all(Array.from({ length: 18 }, (_, i) => createUser(client, { email: `burst-${i}@acme.example` })));
    // Hashes at a real (if low) cost, so each comparison takes long enough to overlap others.
    await ownerQuery('UPDATE users SET password_hash = $1 WHERE client_id = $2', [await bcrypt.hash(VALID_PASSWORD, COST), client.id]);
    const app = testApp({ BCRYPT_CONCURRENCY: '2', BCRYPT_COST: String(COST) });

    const right = users.slice(0, 12).map((u) => ({ email: u.email, password: VALID_PASSWORD, expect: 303 }));
    const wrong = users.slice(12).map((u) => ({ email: u.email, password: WRONG, expect: 401 }));
    const unknown = Array.from({ length: 6 }, (_, i) => ({ email: `nobody-${i}@acme.example`, password: WRONG, expect: 401 }));
    const attempts = [...right, ...wrong, ...unknown];
    const work = await signInTogether(app, attempts);

    expect(work.statuses).to.deep.equal(attempts.map((a) => a.expect));
    expect(work.started, 'a comparison for every sign-in').to.be.at.least(attempts.length);
    expect(work.most).to.equal(2);

    const [ip] = await ownerQuery<{ failures: number }>('SELECT failures FROM login_throttle WHERE key LIKE $1', [`${ipKey('')}%`]);
    expect(ip?.failures, 'wrong passwords and unknown e-mails count against the IP').to.equal(wrong.length + unknown.length);
    const accounts = await ownerQuery<{ key: string; failures: number }>('SELECT key, failures FROM login_throttle WHERE key = ANY($1)', [attempts.map((a) => accountKey(a.email))]);
    expect(accounts.map((a) => a.key).sort()).to.deep.equal([...wrong, ...unknown].map((a) => accountKey(a.email)).sort());
    expect(accounts.every((a) => a.failures === 1)).to.equal(true);
    const failed = await ownerQuery<{ email: string; failed_login_count: number }>(
      'SELECT email, failed_login_count FROM users WHERE client_id = $1 AND failed_login_count > 0 ORDER BY email', [client.id]);
    expect(failed).to.deep.equal(wrong.map((w) => ({ email: w.email, failed_login_count: 1 })).sort((a, b) => a.email.localeCompare(b.email)));
  });

  it('runs one at a time with BCRYPT_CONCURRENCY=1, unknown e-mails (the dummy comparison) included', async () => {
    const client = await createClient();
    const users = await Promise.all(Array.from({ length: 6 }, (_, i) => createUser(client, { email: `one-${i}@acme.example` })));
    await ownerQuery('UPDATE users SET password_hash = $1 WHERE client_id = $2', [await bcrypt.hash(VALID_PASSWORD, COST), client.id]);
    const app = testApp({ BCRYPT_CONCURRENCY: '1', BCRYPT_COST: String(COST) });
    const attempts = [
      ...users.map((u) => ({ email: u.email, password: VALID_PASSWORD, expect: 303 })),
      ...Array.from({ length: 6 }, (_, i) => ({ email: `unknown-${i}@acme.example`, password: VALID_PASSWORD, expect: 401 })),
    ];
    const work = await signInTogether(app, attempts);
    expect(work.statuses).to.deep.equal(attempts.map((a) => a.expect));
    expect(work.started).to.be.at.least(attempts.length);
    expect(work.most).to.equal(1);
  });
});
