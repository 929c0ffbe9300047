// Error pages (DESIGN.md §10 rule 5): a friendly 404, and a 500 that shows the request id and,
// outside development, no stack trace. The 500 is a real one: the runtime role's database
// connection is refused (a wrong password, as after a botched credential rotation) while the
// session store still works, so the sign-in page renders and the sign-in itself fails.
import { expect } from 'chai';
import supertest from 'supertest';
import { buildApp } from '../../app.ts';
import type { Env } from '../../config/index.ts';
import { type Database, openDatabase } from '../../models/index.ts';
import { cspDirectives } from '../support/auth-helpers.ts';
import { testConfig, testEnv } from '../support/env.ts';
import { csrfToken, testApp } from '../support/http.ts';

const UNEXPECTED = 'An unexpected error stopped this request. Nothing was saved. If it happens again, quote the reference below.';

describe('error pages', () => {
  describe('404', () => {
    it('renders a friendly page with a way home', async () => {
      const res = await supertest(testApp()).get('/nope').expect(404);
      expect(res.headers['content-type']).to.match(/^text\/html/);
      expect(res.text).to.include('<title>Not found · PlanTRAK</title>');
      expect(res.text).to.include('<h1>Not found</h1>');
      expect(res.text).to.include('That page does not exist, or you do not have access to it.');
      expect(res.text).to.include('<a href="/">Go to the home page</a>');
    });

    it('answers JSON to a client that asks for it', async () => {
      const res = await supertest(testApp()).get('/nope').set('Accept', 'application/json').expect(404);
      expect(res.body).to.deep.equal({ error: 'That page does not exist, or you do not have access to it.', requestId: res.headers['x-request-id'] });
    });

    it('answers a POST to an unknown path with 404 after the CSRF check, not 500', async () => {
      const agent = supertest.agent(testApp());
      const token = await csrfToken(agent, '/login');
      await agent.post('/nope').type('form').send({ _csrf: token }).expect(404);
    });
  });

  describe('500', () => {
    const opened: Database[] = [];
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((db) => db.close()));
    });

    /** An app whose runtime-role connection is refused; the session store still works. */
    function appWithBrokenDatabase(overrides: Env) {
      const { urls } = testEnv();
      const wrong = new URL(urls.app);
      wrong.password = 'not-the-password';
      const db = openDatabase({ app: wrong.toString(), session: urls.session }, 2);
      opened.push(db);
      const config = testConfig(overrides);
      return buildApp({ config, db, sessionSecret: config.sessionSecret! });
    }

    async function failingSignIn(overrides: Env, accept?: string) {
      const agent = supertest.agent(appWithBrokenDatabase(overrides));
      const token = await csrfToken(agent, '/login');
      const req = agent.post('/login').type('form').send({ _csrf: token, email: 'ava@acme.example', password: 'Quartz-Lantern-47!' });
      return accept ? req.set('Accept', accept) : req;
    }

    it('in production shows the request id and no stack trace or error detail', async () => {
      const res = await failingSignIn({ NODE_ENV: 'production', BCRYPT_COST: '10' });
      expect(res.status).to.equal(500);
      const requestId = res.headers['x-request-id'];
      expect(requestId).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(res.text).to.include('<title>Something went wrong · PlanTRAK</title>');
      expect(res.text).to.include(UNEXPECTED);
      expect(res.text).to.include(`Reference: <code>${requestId}</code>`);
      expect(res.text).not.to.include('class="stack"');
      expect(res.text).not.to.match(/\bat [\w.<>]+ \(|node_modules|\.ts:\d+/);
      expect(res.text).not.to.match(/password authentication|Sequelize|plantrak_test/i);
      // Still a PlanTRAK page with the strict headers.
      expect(cspDirectives(res.headers['content-security-policy']).get('script-src')).to.deep.equal(["'self'"]);
      expect(res.headers['cache-control']).to.equal('no-store');
    });

    it('in production answers JSON with only the message and the request id', async () => {
      const res = await failingSignIn({ NODE_ENV: 'production', BCRYPT_COST: '10' }, 'application/json');
      expect(res.status).to.equal(500);
      expect(res.body).to.deep.equal({ error: UNEXPECTED, requestId: res.headers['x-request-id'] });
    });

    it('in development shows the stack trace to the developer', async () => {
      const res = await failingSignIn({ NODE_ENV: 'development', BCRYPT_COST: '10' });
      expect(res.status).to.equal(500);
      expect(res.text).to.include(`Reference: <code>${res.headers['x-request-id']}</code>`);
      expect(res.text).to.include('<pre class="stack">');
      expect(res.text).to.match(/password authentication failed/);
    });

    it('in test mode, like production, shows no stack trace', async () => {
      const res = await failingSignIn({});
      expect(res.status).to.equal(500);
      expect(res.text).not.to.include('class="stack"');
    });
  });
});
