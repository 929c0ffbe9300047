// When more sign-ins wait for bcrypt than BCRYPT_QUEUE_MAX, the next is answered at once with a
// 503 (never a 500): the sign-in form again, the e-mail kept and the password not, Retry-After
// set, nothing counted against the account or the IP, and the form works once the queue has
// moved on. The ones waiting hold no database connection or transaction meanwhile.
import { expect } from 'chai';
import supertest from 'supertest';
import { BUSY_MESSAGE, BUSY_RETRY_AFTER_SECONDS, hashPassword, passwordHashingLoad } from '../../services/auth/passwords.ts';
import { postLogin } from '../support/auth-helpers.ts';
import { testEnv } from '../support/env.ts';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { csrfFrom, csrfToken, testApp } from '../support/http.ts';

const WRONG = 'Wrong-Lantern-47!';
/** A hash this slow (about a second) keeps the one bcrypt slot busy while the queue fills. */
const SLOW_COST = 14;

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('sign-in bursts: a full queue', () => {
  it('answers 503 with the sign-in form, the e-mail kept, Retry-After, nothing counted; the form then signs in', async () => {
    const client = await createClient();
    const queued = await Promise.all(Array.from({ length: 3 }, (_, i) => createUser(client, { email: `queued-${i}@acme.example` })));
    const late = await createUser(client, { email: 'late.comer@acme.example' });
    const app = testApp({ BCRYPT_CONCURRENCY: '1', BCRYPT_QUEUE_MAX: '3' });
    const queuedAgents = await Promise.all(queued.map(async (user) => {
      const agent = supertest.agent(app);
      return { user, agent, token: await csrfToken(agent, '/login') };
    }));
    const lateAgent = supertest.agent(app);
    const lateToken = await csrfToken(lateAgent, '/login');

    // The slot taken by a slow hash, then the queue filled by three sign-ins.
    const slowHash = hashPassword('Slow-Lantern-47!', SLOW_COST);
    const queuedReplies = Promise.all(queuedAgents.map(({ user, agent, token }) =>
      agent.post('/login').type('form').send({ _csrf: token, email: user.email, password: user.password }).then((r) => r)));
    await until(() => passwordHashingLoad().waiting === 3, 'three sign-ins wait');

    // Waiting for bcrypt, they hold no transaction (nor any connection busy with one).
    const inTransaction = await ownerQuery<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1 AND xact_start IS NOT NULL`, [testEnv().roles.app]);
    expect(inTransaction[0].n).to.equal(0);

    const busy = await lateAgent.post('/login').type('form').send({ _csrf: lateToken, email: late.email, password: WRONG });
    expect(busy.status).to.equal(503);
    expect(busy.headers['retry-after']).to.equal(String(BUSY_RETRY_AFTER_SECONDS));
    expect(busy.text).to.include(BUSY_MESSAGE);
    expect(busy.text).to.include(`value="${late.email}"`);
    expect(busy.text).not.to.include(WRONG);
    expect(busy.text).to.match(/<form method="post" action="\/login"/);
    expect(passwordHashingLoad().waiting, 'the refused one did not join the queue').to.equal(3);

    await slowHash;
    expect((await queuedReplies).map((r) => r.status)).to.deep.equal([303, 303, 303]);

    // The refusal checked no password, so it counted nothing: only the three successes happened.
    expect(await ownerQuery('SELECT key FROM login_throttle')).to.deep.equal([]);
    const [lateRow] = await ownerQuery<{ failed_login_count: number }>('SELECT failed_login_count FROM users WHERE id = $1', [late.id]);
    expect(lateRow.failed_login_count).to.equal(0);

    // The page it showed is a working form: its token signs in with the right password.
    const again = await lateAgent.post('/login').type('form').send({ _csrf: csrfFrom(busy.text), email: late.email, password: late.password });
    expect(again.status).to.equal(303);
    await lateAgent.get('/').expect(200);
  });

  it('refuses the staff sign-in alike with its own form, the e-mail kept', async () => {
    const app = testApp({ BCRYPT_CONCURRENCY: '1', BCRYPT_QUEUE_MAX: '0' });
    const agent = supertest.agent(app);
    const token = await csrfToken(agent, '/admin/login');
    const slowHash = hashPassword('Slow-Lantern-47!', SLOW_COST);
    await until(() => passwordHashingLoad().running === 1, 'the slow hash runs');
    const busy = await agent.post('/admin/login').type('form').send({ _csrf: token, email: 'td@vendor.example', password: WRONG });
    await slowHash;
    expect(busy.status).to.equal(503);
    expect(busy.headers['retry-after']).to.equal(String(BUSY_RETRY_AFTER_SECONDS));
    expect(busy.text).to.include(BUSY_MESSAGE);
    expect(busy.text).to.include('value="td@vendor.example"');
    expect(busy.text).not.to.include(WRONG);
  });

  it('answers a password change 503 too when the queue is full, not 500, and changes nothing', async () => {
    const client = await createClient();
    const user = await createUser(client);
    const app = testApp({ BCRYPT_CONCURRENCY: '1', BCRYPT_QUEUE_MAX: '0' });
    const agent = supertest.agent(app);
    expect((await postLogin(agent, { email: user.email, password: user.password })).status).to.equal(303);
    const [before] = await ownerQuery<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [user.id]);
    const token = await csrfToken(agent, '/account/password');

    const slowHash = hashPassword('Slow-Lantern-47!', SLOW_COST);
    await until(() => passwordHashingLoad().running === 1, 'the slow hash runs');
    const busy = await agent.post('/account/password').type('form')
      .send({ _csrf: token, currentPassword: user.password, newPassword: 'Fresh-Harbour-93?', confirmation: 'Fresh-Harbour-93?' });
    await slowHash;
    expect(busy.status).to.equal(503);
    expect(busy.headers['retry-after']).to.equal(String(BUSY_RETRY_AFTER_SECONDS));
    expect(busy.text).to.include(BUSY_MESSAGE);
    const [after] = await ownerQuery<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [user.id]);
    expect(after.password_hash).to.equal(before.password_hash);
  });
});
