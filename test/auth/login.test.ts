// Sign-in (DESIGN.md §8.3, §8.5): one generic refusal that reveals nothing about the account,
// audit entries for success and failure, inactive accounts and suspended clients refused,
// allowlisted input, and no open redirect after sign-in.
import { expect } from 'chai';
import supertest from 'supertest';
import { auditCount, auditRows, normalisePage, postLogin } from '../support/auth-helpers.ts';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { csrfToken, signIn, testApp } from '../support/http.ts';

const REFUSED = 'Incorrect e-mail or password, or the account cannot sign in. Check both and try again, or reset your password.';

describe('sign-in', () => {
  describe('a refusal reveals nothing about the account', () => {
    it('answers unknown e-mail, wrong password and locked account with the same 401 page', async () => {
      const client = await createClient();
      const active = await createUser(client, { email: 'ava@acme.example' });
      const locked = await createUser(client, { email: 'lou@acme.example', status: 'locked' });
      const app = testApp();

      const attempts = [
        { email: 'nobody@acme.example', password: 'Quartz-Lantern-47!' },
        { email: active.email, password: 'Wrong-Lantern-47!' },
        { email: locked.email, password: locked.password },
      ];
      const pages: string[] = [];
      for (const attempt of attempts) {
        const res = await postLogin(supertest.agent(app), attempt);
        expect(res.status, attempt.email).to.equal(401);
        expect(res.text).to.include(REFUSED);
        pages.push(normalisePage(res.text, attempt.email));
      }
      expect(pages[1]).to.equal(pages[0]);
      expect(pages[2]).to.equal(pages[0]);
      // The page echoes the e-mail (so the user can correct it) but never the password.
      for (const attempt of attempts) expect(pages.join('')).not.to.include(attempt.password);
    });

    it('refuses a deactivated user, an invited user and a user of a suspended client with the same page', async () => {
      const client = await createClient();
      const suspended = await createClient({ status: 'suspended' });
      const deactivated = await createUser(client, { status: 'deactivated' });
      const invited = await createUser(client, { status: 'invited' });
      const ofSuspended = await createUser(suspended, { status: 'active' });
      const app = testApp();

      const reference = await postLogin(supertest.agent(app), { email: 'nobody@acme.example', password: 'Quartz-Lantern-47!' });
      for (const user of [deactivated, invited, ofSuspended]) {
        const agent = supertest.agent(app);
        const res = await postLogin(agent, { email: user.email, password: user.password });
        expect(res.status, user.status).to.equal(401);
        expect(normalisePage(res.text, user.email)).to.equal(normalisePage(reference.text, 'nobody@acme.example'));
        await agent.get('/').expect(303).expect('Location', '/login');
      }
      const failures = await auditRows('auth.login_failed');
      expect(failures.slice(1).map((r) => [r.actor_user_id, r.changes])).to.deep.equal([
        [deactivated.id, { reason: 'account_not_active' }],
        [invited.id, { reason: 'account_not_active' }],
        [ofSuspended.id, { reason: 'account_not_active' }],
      ]);
      expect(await auditRows('auth.login')).to.deep.equal([]);
    });
  });

  describe('audit', () => {
    it('records a successful sign-in with the IP, user agent, request id and user', async () => {
      const client = await createClient();
      const user = await createUser(client);
      const agent = supertest.agent(testApp());
      const res = await postLogin(agent, { email: user.email, password: user.password }, { 'User-Agent': 'AuthTest/1.0' });
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.equal('/');

      const rows = await auditRows('auth.login');
      expect(rows).to.have.length(1);
      expect(rows[0]).to.deep.include({
        client_id: client.id,
        actor_kind: 'user',
        actor_user_id: user.id,
        entity_type: 'user',
        entity_id: user.id,
        user_agent: 'AuthTest/1.0',
        request_id: res.headers['x-request-id'],
      });
      expect(rows[0].ip).to.be.oneOf(['127.0.0.1', '::ffff:127.0.0.1']);
      expect(res.headers['x-request-id']).to.match(/^[0-9a-f-]{36}$/);
      const [row] = await ownerQuery<{ last_login_at: Date | null; failed_login_count: number }>(
        'SELECT last_login_at, failed_login_count FROM users WHERE id = $1', [user.id]);
      expect(row.last_login_at).to.be.instanceOf(Date);
      expect(Date.now() - row.last_login_at!.getTime()).to.be.below(60_000);
    });

    it('records the client address from X-Forwarded-For behind a trusted proxy', async () => {
      const client = await createClient();
      const user = await createUser(client);
      const agent = supertest.agent(testApp({ TRUST_PROXY: '1' }));
      const res = await postLogin(agent, { email: user.email, password: user.password }, { 'X-Forwarded-For': '203.0.113.7' });
      expect(res.status).to.equal(303);
      const [row] = await auditRows('auth.login');
      expect(row.ip).to.equal('203.0.113.7');
    });

    it('records a failed sign-in: unknown e-mail without a client, wrong password against the account', async () => {
      const client = await createClient();
      const user = await createUser(client);
      const app = testApp();
      const unknown = await postLogin(supertest.agent(app), { email: 'nobody@acme.example', password: 'Quartz-Lantern-47!' });
      const wrong = await postLogin(supertest.agent(app), { email: user.email, password: 'Wrong-Lantern-47!' });
      expect([unknown.status, wrong.status]).to.deep.equal([401, 401]);

      const rows = await auditRows('auth.login_failed');
      expect(rows).to.have.length(2);
      expect(rows[0]).to.deep.include({
        client_id: null,
        actor_kind: 'anonymous',
        actor_user_id: null,
        entity_id: null,
        changes: { reason: 'unknown_account' },
        request_id: unknown.headers['x-request-id'],
      });
      expect(rows[1]).to.deep.include({
        client_id: client.id,
        actor_kind: 'anonymous',
        actor_user_id: user.id,
        entity_type: 'user',
        entity_id: user.id,
        changes: { reason: 'wrong_password' },
        request_id: wrong.headers['x-request-id'],
      });
      const [row] = await ownerQuery<{ failed_login_count: number }>('SELECT failed_login_count FROM users WHERE id = $1', [user.id]);
      expect(row.failed_login_count).to.equal(1);
      // The password tried is never stored.
      const [dump] = await ownerQuery<{ text: string }>('SELECT string_agg(audit_log::text, \' \') AS text FROM audit_log');
      expect(dump.text).not.to.include('Wrong-Lantern-47!');
    });

    // X-Forwarded-For is whatever the proxy (or, with TRUST_PROXY=true, the client) wrote; a value
    // that is not a bare address (some proxies append the port) must not break sign-in.
    // A port appended by the proxy is dropped; anything that is not an address is recorded as NULL.
    const cases: Array<[trust: string, forwarded: string, recorded: string | null]> = [
      ['1', '198.51.100.7:5678', '198.51.100.7'],
      ['true', 'not-an-address', null],
    ];
    for (const [trust, forwarded, recorded] of cases) {
      it(`signs in when TRUST_PROXY=${trust} and X-Forwarded-For is "${forwarded}"`, async () => {
        const client = await createClient();
        const user = await createUser(client);
        const app = testApp({ TRUST_PROXY: trust });
        const failed = await postLogin(supertest.agent(app), { email: user.email, password: 'Wrong-Lantern-47!' }, { 'X-Forwarded-For': forwarded });
        expect(failed.status).to.equal(401);
        const ok = await postLogin(supertest.agent(app), { email: user.email, password: user.password }, { 'X-Forwarded-For': forwarded });
        expect(ok.status).to.equal(303);
        expect((await auditRows('auth.login_failed')).map((r) => r.ip)).to.deep.equal([recorded]);
        expect((await auditRows('auth.login')).map((r) => r.request_id)).to.deep.equal([ok.headers['x-request-id']]);
      });
    }
  });

  describe('input', () => {
    async function post(body: string) {
      const agent = supertest.agent(testApp());
      const token = await csrfToken(agent, '/login');
      return agent.post('/login').type('form').send(`_csrf=${encodeURIComponent(token)}&${body}`);
    }

    it('answers a repeated e-mail field with 422 and a message, not a 500', async () => {
      const client = await createClient();
      const user = await createUser(client);
      const res = await post(`email=${encodeURIComponent(user.email)}&email=other%40acme.example&password=${encodeURIComponent(user.password)}`);
      expect(res.status).to.equal(422);
      expect(res.text).to.include('<small id="email-error" class="field-error">Enter your e-mail address.</small>');
    });

    it('answers an over-long e-mail with 422 and a message', async () => {
      const res = await post(`email=${'a'.repeat(250)}%40acme.example&password=x`);
      expect(res.status).to.equal(422);
      expect(res.text).to.include('<small id="email-error" class="field-error">That e-mail address is too long.</small>');
    });

    it('answers a malformed e-mail, a repeated password and an over-long password with 422', async () => {
      const malformed = await post('email=not-an-address&password=x');
      expect(malformed.status).to.equal(422);
      expect(malformed.text).to.include('Enter a valid e-mail address, like name@example.com.');
      const repeated = await post('email=ava%40acme.example&password=a&password=b');
      expect(repeated.status).to.equal(422);
      expect(repeated.text).to.include('<small id="password-error" class="field-error">Password is required.</small>');
      const long = await post(`email=ava%40acme.example&password=${'A'.repeat(1025)}`);
      expect(long.status).to.equal(422);
      expect(long.text).to.include('<small id="password-error" class="field-error">Password is too long.</small>');
    });

    it('refuses invalid input before any account lookup: no audit entry, no throttle count', async () => {
      await post(`email=${'a'.repeat(250)}%40acme.example&password=x`);
      expect(await auditCount()).to.equal(0);
      expect(await ownerQuery('SELECT * FROM login_throttle')).to.deep.equal([]);
    });

    it('answers a form with too many fields with 413, not a 500', async () => {
      // Over app.ts's parameterLimit (600, room for the bulk reassignment form).
      const fields = Array.from({ length: 650 }, (_, i) => `f${i}=x`).join('&');
      const res = await post(`email=ava%40acme.example&password=x&${fields}`);
      expect(res.status).to.equal(413);
      expect(res.text).to.include('The form was too large.');
    });
  });

  describe('where sign-in leads', () => {
    async function landing(next: string | string[]) {
      const client = await createClient();
      const user = await createUser(client);
      const agent = supertest.agent(testApp());
      const token = await csrfToken(agent, '/login');
      const res = await agent.post('/login').type('form').send({ _csrf: token, email: user.email, password: user.password, next });
      expect(res.status).to.equal(303);
      return res.headers.location;
    }

    it('honours a local path', async () => {
      expect(await landing('/account/password')).to.equal('/account/password');
    });

    for (const evil of ['//evil.example', 'https://evil.example', '/\\evil.example', '\\\\evil.example', 'javascript:alert(1)', '///evil.example']) {
      it(`goes home instead of to ${evil}`, async () => {
        expect(await landing(evil)).to.equal('/');
      });
    }

    it('goes home when next is repeated', async () => {
      expect(await landing(['/account/password', '//evil.example'])).to.equal('/');
    });

    it('carries next from the sign-in page into the form only when it is local', async () => {
      const app = testApp();
      const local = await supertest(app).get('/login?next=%2Faccount%2Fpassword').expect(200);
      expect(local.text).to.include('<input type="hidden" name="next" value="/account/password">');
      const foreign = await supertest(app).get('/login?next=%2F%2Fevil.example').expect(200);
      expect(foreign.text).to.include('<input type="hidden" name="next" value="/">');
    });

    it('sends a signed-out visitor of a page to sign-in and back to that page', async () => {
      const client = await createClient();
      const user = await createUser(client);
      const agent = supertest.agent(testApp());
      const res = await agent.get('/account/password').expect(303);
      expect(res.headers.location).to.equal('/login?next=%2Faccount%2Fpassword');
      const form = await agent.get(res.headers.location).expect(200);
      expect(form.text).to.include('<input type="hidden" name="next" value="/account/password">');
      const token = /name="_csrf" value="([^"]+)"/.exec(form.text)![1];
      const done = await agent.post('/login').type('form').send({ _csrf: token, email: user.email, password: user.password, next: '/account/password' });
      expect(done.headers.location).to.equal('/account/password');
      await agent.get('/account/password').expect(200);
    });
  });

  it('sends a signed-in user who opens the sign-in page home', async () => {
    const client = await createClient();
    const user = await createUser(client);
    const agent = supertest.agent(testApp());
    await signIn(agent, user.email, user.password);
    await agent.get('/login').expect(303).expect('Location', '/');
  });
});
