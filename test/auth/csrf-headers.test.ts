// CSRF (csurf in session mode plus refusal of cross-site Sec-Fetch-Site) and the security headers
// every response carries (DESIGN.md §8.3).
import { expect } from 'chai';
import supertest from 'supertest';
import { auditCount, cspDirectives, postLogin } from '../support/auth-helpers.ts';
import { createClient, createUser, ownerQuery, type UserRow } from '../support/factories.ts';
import { csrfToken, signedInAgent, testApp } from '../support/http.ts';

const FORBIDDEN = 'This form has expired or did not come from PlanTRAK. Go back, reload the page and try again.';
const CROSS_SITE = 'Forms sent from another site are refused.';

async function activeUser(): Promise<UserRow> {
  return createUser(await createClient());
}

/** Nothing of a sign-in happened: no audit entry, no counters, no login time, not signed in. */
async function expectNoSignIn(user: UserRow, agent: ReturnType<typeof supertest.agent>) {
  expect(await auditCount()).to.equal(0);
  expect(await ownerQuery('SELECT key FROM login_throttle')).to.deep.equal([]);
  const [row] = await ownerQuery<{ last_login_at: Date | null }>('SELECT last_login_at FROM users WHERE id = $1', [user.id]);
  expect(row.last_login_at).to.equal(null);
  await agent.get('/').expect(303).expect('Location', '/login');
}

describe('CSRF', () => {
  it('refuses a sign-in without a token with 403, changing nothing', async () => {
    const user = await activeUser();
    const agent = supertest.agent(testApp());
    await agent.get('/login').expect(200);
    const res = await agent.post('/login').type('form').send({ email: user.email, password: user.password });
    expect(res.status).to.equal(403);
    expect(res.text).to.include(FORBIDDEN);
    await expectNoSignIn(user, agent);
  });

  it('refuses a sign-in with a wrong token with 403, changing nothing', async () => {
    const user = await activeUser();
    const agent = supertest.agent(testApp());
    await csrfToken(agent, '/login');
    const res = await agent.post('/login').type('form').send({ _csrf: 'wrong-token', email: user.email, password: user.password });
    expect(res.status).to.equal(403);
    expect(res.text).to.include(FORBIDDEN);
    await expectNoSignIn(user, agent);
  });

  it("refuses another session's token", async () => {
    const user = await activeUser();
    const app = testApp();
    const theirs = await csrfToken(supertest.agent(app), '/login');
    const agent = supertest.agent(app);
    await agent.get('/login').expect(200);
    const res = await agent.post('/login').type('form').send({ _csrf: theirs, email: user.email, password: user.password });
    expect(res.status).to.equal(403);
    await expectNoSignIn(user, agent);
  });

  it('refuses a token sent without the session it belongs to', async () => {
    const user = await activeUser();
    const app = testApp();
    const token = await csrfToken(supertest.agent(app), '/login');
    const res = await supertest(app).post('/login').type('form').send({ _csrf: token, email: user.email, password: user.password });
    expect(res.status).to.equal(403);
  });

  it('accepts the token in the X-CSRF-Token header too (csurf session mode)', async () => {
    const user = await activeUser();
    const agent = supertest.agent(testApp());
    const token = await csrfToken(agent, '/login');
    const res = await agent.post('/login').set('X-CSRF-Token', token).type('form').send({ email: user.email, password: user.password });
    expect(res.status).to.equal(303);
  });

  for (const site of ['cross-site', 'same-site']) {
    it(`refuses a POST marked Sec-Fetch-Site: ${site} even with a valid token`, async () => {
      const user = await activeUser();
      const agent = supertest.agent(testApp());
      const res = await postLogin(agent, { email: user.email, password: user.password }, { 'Sec-Fetch-Site': site });
      expect(res.status).to.equal(403);
      expect(res.text).to.include(CROSS_SITE);
      await expectNoSignIn(user, agent);
    });
  }

  for (const site of ['same-origin', 'none']) {
    it(`accepts a POST marked Sec-Fetch-Site: ${site}`, async () => {
      const user = await activeUser();
      const res = await postLogin(supertest.agent(testApp()), { email: user.email, password: user.password }, { 'Sec-Fetch-Site': site });
      expect(res.status).to.equal(303);
    });
  }

  it('lets a cross-site GET through (navigation from a link), since GET changes nothing', async () => {
    await supertest(testApp()).get('/login').set('Sec-Fetch-Site', 'cross-site').expect(200);
  });

  it('protects signed-in forms: change password without a token is refused', async () => {
    const user = await activeUser();
    const agent = await signedInAgent(testApp(), user.email, user.password);
    const res = await agent.post('/account/password').type('form')
      .send({ currentPassword: user.password, newPassword: 'Amber-Fjord-Piston-92', confirmation: 'Amber-Fjord-Piston-92' });
    expect(res.status).to.equal(403);
    const [row] = await ownerQuery<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'auth.password_changed'`);
    expect(row.n).to.equal(0);
  });
});

describe('security headers', () => {
  function expectSecurityHeaders(res: supertest.Response, what: string) {
    const csp = cspDirectives(res.headers['content-security-policy']);
    expect(csp.get('script-src'), what).to.deep.equal(["'self'"]);
    expect(csp.get('style-src'), what).to.deep.equal(["'self'"]);
    expect(csp.get('default-src'), what).to.deep.equal(["'self'"]);
    expect(csp.get('object-src'), what).to.deep.equal(["'none'"]);
    expect(csp.get('base-uri'), what).to.deep.equal(["'none'"]);
    expect(csp.get('form-action'), what).to.deep.equal(["'self'"]);
    expect(res.headers['content-security-policy'], what).not.to.match(/unsafe-inline|unsafe-eval|\*/);
    expect(csp.get('frame-ancestors'), what).to.deep.equal(["'none'"]);
    expect(res.headers['x-frame-options'], what).to.equal('DENY');
    expect(res.headers['x-content-type-options'], what).to.equal('nosniff');
    expect(res.headers['referrer-policy'], what).to.equal('same-origin');
    expect(res.headers['cache-control'], what).to.equal('no-store');
    expect(res.headers, what).not.to.have.property('x-powered-by');
  }

  /** Pages keep to the policy: no inline script, inline style or event-handler attribute. */
  function expectNoInlineCode(html: string, what: string) {
    expect(html, what).not.to.match(/<script(?![^>]*\ssrc=)[^>]*>/i);
    expect(html, what).not.to.match(/<style[\s>]/i);
    expect(html, what).not.to.match(/\sstyle\s*=/i);
    expect(html, what).not.to.match(/\son[a-z]+\s*=/i);
  }

  it('are on a page', async () => {
    const res = await supertest(testApp()).get('/login').expect(200);
    expectSecurityHeaders(res, 'GET /login');
    expectNoInlineCode(res.text, 'GET /login');
  });

  it('are on a signed-in page', async () => {
    const user = await activeUser();
    const agent = await signedInAgent(testApp(), user.email, user.password);
    for (const path of ['/', '/account/password']) {
      const res = await agent.get(path).expect(200);
      expectSecurityHeaders(res, path);
      expectNoInlineCode(res.text, path);
    }
  });

  it('are on a 404', async () => {
    const res = await supertest(testApp()).get('/nope').expect(404);
    expectSecurityHeaders(res, 'GET /nope');
    expectNoInlineCode(res.text, 'GET /nope');
  });

  it('are on an error response (the 403 CSRF page)', async () => {
    const res = await supertest(testApp()).post('/login').type('form').send({ email: 'a@acme.example', password: 'x' }).expect(403);
    expectSecurityHeaders(res, 'POST /login without token');
    expectNoInlineCode(res.text, 'POST /login without token');
  });

  it('are on a redirect and on the throttled sign-in page', async () => {
    const app = testApp({ LOGIN_THROTTLE_ACCOUNT_MAX: '1' });
    expectSecurityHeaders(await supertest(app).get('/').expect(303), 'GET / signed out');
    await postLogin(supertest.agent(app), { email: 'nobody@acme.example', password: 'x' });
    const throttled = await postLogin(supertest.agent(app), { email: 'nobody@acme.example', password: 'x' });
    expect(throttled.status).to.equal(429);
    expectSecurityHeaders(throttled, 'POST /login throttled');
  });

  it('let static assets be cached, since they hold no client data', async () => {
    const res = await supertest(testApp()).get('/css/app.css').expect(200);
    expect(res.headers['cache-control']).not.to.equal('no-store');
    expect(res.headers['x-content-type-options']).to.equal('nosniff');
    expect(res.headers).not.to.have.property('set-cookie');
  });
});
