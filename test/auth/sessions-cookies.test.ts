// Sessions (DESIGN.md §8.3): a new id at sign-in, logout that destroys the server session, the
// cookie's flags, and the idle and absolute time limits.
import { expect } from 'chai';
import supertest from 'supertest';
import {
  auditRows, cookieAttributes, cookiePair, postLogin, sessionRowExists, sessionRowsOf, setCookies, sidOf,
} from '../support/auth-helpers.ts';
import { createClient, createUser, ownerQuery, type UserRow } from '../support/factories.ts';
import { sessionCookie, signedInAgent, submitForm, testApp } from '../support/http.ts';

async function activeUser(): Promise<UserRow> {
  return createUser(await createClient());
}

describe('sessions', () => {
  describe('sign-in', () => {
    it('gives the session a new id at sign-in and ends the pre-login one', async () => {
      const user = await activeUser();
      const app = testApp();
      const agent = supertest.agent(app);
      const before = sessionCookie(await agent.get('/login'));
      expect(before, 'the sign-in page starts a session for its CSRF secret').to.be.a('string');

      const res = await postLogin(agent, { email: user.email, password: user.password });
      expect(res.status).to.equal(303);
      const after = sessionCookie(res);
      expect(after).to.be.a('string');
      expect(sidOf(after!)).not.to.equal(sidOf(before!));
      expect(await sessionRowExists(sidOf(before!))).to.equal(false);
      expect(await sessionRowExists(sidOf(after!))).to.equal(true);

      // A cookie planted before sign-in (session fixation) does not become signed in.
      await supertest(app).get('/').set('Cookie', cookiePair(before!)).expect(303).expect('Location', '/login');
      await supertest(app).get('/').set('Cookie', cookiePair(after!)).expect(200);
    });
  });

  describe('logout', () => {
    it('is a POST: GET /logout does not exist', async () => {
      const user = await activeUser();
      const app = testApp();
      const agent = await signedInAgent(app, user.email, user.password);
      await agent.get('/logout').expect(404);
      await agent.get('/').expect(200);
    });

    it('needs the CSRF token', async () => {
      const user = await activeUser();
      const agent = await signedInAgent(testApp(), user.email, user.password);
      await agent.post('/logout').type('form').send({}).expect(403);
      await agent.post('/logout').type('form').send({ _csrf: 'not-the-token' }).expect(403);
      await agent.get('/').expect(200);
      expect(await auditRows('auth.logout')).to.deep.equal([]);
    });

    it('destroys the server session, so the old cookie is dead', async () => {
      const user = await activeUser();
      const app = testApp();
      const agent = supertest.agent(app);
      const signedIn = await postLogin(agent, { email: user.email, password: user.password });
      const cookie = cookiePair(sessionCookie(signedIn)!);
      expect(await sessionRowsOf(user.id)).to.equal(1);

      const res = await submitForm(agent, '/', '/logout', {});
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.equal('/login?signed_out=1');
      const page = await agent.get(res.headers.location).expect(200);
      expect(page.text).to.include('You have signed out.');

      expect(await sessionRowsOf(user.id)).to.equal(0);
      expect(await sessionRowExists(sidOf(cookie))).to.equal(false);
      // Replaying the cookie from before the logout, as a thief would, gets nowhere.
      await supertest(app).get('/').set('Cookie', cookie).expect(303).expect('Location', '/login');
      await supertest(app).get('/account/password').set('Cookie', cookie).expect(303);

      const [entry] = await auditRows('auth.logout');
      expect(entry).to.deep.include({ action: 'auth.logout', actor_user_id: user.id, entity_id: user.id, request_id: res.headers['x-request-id'] });
    });
  });

  describe('cookie', () => {
    it('is HttpOnly, SameSite=Lax, Path=/ and not Secure over plain HTTP', async () => {
      const res = await supertest(testApp()).get('/login').expect(200);
      const cookies = setCookies(res);
      expect(cookies).to.have.length(1);
      expect(cookies[0]).to.match(/^plantrak\.sid=s%3A/);
      const attributes = cookieAttributes(cookies[0]);
      expect(attributes).to.include({ httponly: true, samesite: 'Lax', path: '/' });
      expect(attributes).not.to.have.property('secure');
      expect(attributes).not.to.have.property('domain');
    });

    it('is Secure behind a trusted TLS proxy', async () => {
      const user = await activeUser();
      const app = testApp({ TRUST_PROXY: '1' });
      const page = await supertest(app).get('/login').set('X-Forwarded-Proto', 'https').expect(200);
      expect(cookieAttributes(sessionCookie(page)!)).to.include({ secure: true, httponly: true, samesite: 'Lax', path: '/' });

      // The signed-in cookie too.
      const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
      const res = await supertest(app).post('/login').set('Cookie', cookiePair(sessionCookie(page)!)).set('X-Forwarded-Proto', 'https')
        .type('form').send({ _csrf: token, email: user.email, password: user.password });
      expect(res.status).to.equal(303);
      expect(cookieAttributes(sessionCookie(res)!)).to.include({ secure: true, httponly: true, samesite: 'Lax' });
    });

    it('is not Secure when X-Forwarded-Proto comes from an untrusted client', async () => {
      const res = await supertest(testApp({ TRUST_PROXY: 'false' })).get('/login').set('X-Forwarded-Proto', 'https').expect(200);
      expect(cookieAttributes(sessionCookie(res)!)).not.to.have.property('secure');
    });

    it('expires after SESSION_IDLE_MINUTES, pushed forward by every request', async () => {
      const user = await activeUser();
      const app = testApp({ SESSION_IDLE_MINUTES: '17' });
      const agent = supertest.agent(app);
      const res = await postLogin(agent, { email: user.email, password: user.password });
      const expires = Date.parse(cookieAttributes(sessionCookie(res)!).expires as string);
      const expected = Date.now() + 17 * 60_000;
      expect(Math.abs(expires - expected)).to.be.below(5_000);

      const [row] = await ownerQuery<{ seconds: number }>(
        `SELECT extract(epoch FROM expire - localtimestamp)::int AS seconds FROM session WHERE sess->'auth'->>'userId' = $1`, [user.id]);
      expect(row.seconds).to.be.within(17 * 60 - 5, 17 * 60 + 1);

      // Rolling: a later request sets the cookie again with a fresh deadline.
      await ownerQuery(`UPDATE session SET expire = localtimestamp + interval '1 minute' WHERE sess->'auth'->>'userId' = $1`, [user.id]);
      const later = await agent.get('/').expect(200);
      expect(Math.abs(Date.parse(cookieAttributes(sessionCookie(later)!).expires as string) - (Date.now() + 17 * 60_000))).to.be.below(5_000);
      const [renewed] = await ownerQuery<{ seconds: number }>(
        `SELECT extract(epoch FROM expire - localtimestamp)::int AS seconds FROM session WHERE sess->'auth'->>'userId' = $1`, [user.id]);
      expect(renewed.seconds).to.be.within(17 * 60 - 5, 17 * 60 + 1);
    });

    it('writes the row’s deadline only when it would move by more than a minute (the cookie rolls every time)', async () => {
      const user = await activeUser();
      const app = testApp({ SESSION_IDLE_MINUTES: '17' });
      const agent = await signedInAgent(app, user.email, user.password);
      // The first page after sign-in saves the session whole (what sign-in left in it).
      await agent.get('/').expect(200);
      const deadline = async () => (await ownerQuery<{ at: string }>(
        `SELECT expire::text AS at FROM session WHERE sess->'auth'->>'userId' = $1`, [user.id]))[0]!.at;
      // 30 seconds ago: the next request would move it by about 30 s, so the row is left alone.
      await ownerQuery(`UPDATE session SET expire = localtimestamp + interval '17 minutes' - interval '30 seconds' WHERE sess->'auth'->>'userId' = $1`, [user.id]);
      const before = await deadline();
      const res = await agent.get('/').expect(200);
      expect(Math.abs(Date.parse(cookieAttributes(sessionCookie(res)!).expires as string) - (Date.now() + 17 * 60_000))).to.be.below(5_000);
      expect(await deadline()).to.equal(before);
      // 90 seconds ago: written.
      await ownerQuery(`UPDATE session SET expire = localtimestamp + interval '17 minutes' - interval '90 seconds' WHERE sess->'auth'->>'userId' = $1`, [user.id]);
      const stale = await deadline();
      await agent.get('/').expect(200);
      const [renewed] = await ownerQuery<{ seconds: number }>(
        `SELECT extract(epoch FROM expire - localtimestamp)::int AS seconds FROM session WHERE sess->'auth'->>'userId' = $1`, [user.id]);
      expect(await deadline()).not.to.equal(stale);
      expect(renewed.seconds).to.be.within(17 * 60 - 5, 17 * 60 + 1);
    });

    it('is refused once the idle deadline has passed', async () => {
      const user = await activeUser();
      const app = testApp({ SESSION_IDLE_MINUTES: '17' });
      const agent = await signedInAgent(app, user.email, user.password);
      await agent.get('/').expect(200);
      await ownerQuery(`UPDATE session SET expire = localtimestamp - interval '1 second' WHERE sess->'auth'->>'userId' = $1`, [user.id]);
      await agent.get('/').expect(303).expect('Location', '/login');
    });
  });

  describe('absolute limit', () => {
    async function ageSession(userId: string, hours: number): Promise<void> {
      const signedInAt = Date.now() - hours * 3_600_000;
      const rows = await ownerQuery(
        `UPDATE session SET sess = jsonb_set(sess::jsonb, '{auth,signedInAt}', to_jsonb($2::bigint))::json
          WHERE sess->'auth'->>'userId' = $1 RETURNING sid`,
        [userId, signedInAt],
      );
      expect(rows).to.have.length(1);
    }

    it('keeps a session younger than SESSION_ABSOLUTE_HOURS, however active', async () => {
      const user = await activeUser();
      const agent = await signedInAgent(testApp({ SESSION_ABSOLUTE_HOURS: '1' }), user.email, user.password);
      await ageSession(user.id, 0.9);
      await agent.get('/').expect(200);
    });

    it('signs out a session older than SESSION_ABSOLUTE_HOURS with a message', async () => {
      const user = await activeUser();
      const agent = await signedInAgent(testApp({ SESSION_ABSOLUTE_HOURS: '1' }), user.email, user.password);
      await agent.get('/').expect(200);
      await ageSession(user.id, 2);

      const res = await agent.get('/account/password').expect(303);
      expect(res.headers.location).to.equal('/login?next=%2Faccount%2Fpassword');
      const page = await agent.get(res.headers.location).expect(200);
      expect(page.text).to.include('Your session reached its time limit. Please sign in again.');
      const again = await agent.get('/login').expect(200);
      expect(again.text, 'the message shows once').not.to.include('Your session reached its time limit.');
      expect(await sessionRowsOf(user.id)).to.equal(0);
      await agent.get('/').expect(303).expect('Location', '/login');
    });

    it('refuses a state change from an expired session', async () => {
      const user = await activeUser();
      const app = testApp({ SESSION_ABSOLUTE_HOURS: '1' });
      const agent = await signedInAgent(app, user.email, user.password);
      const form = await agent.get('/account/password').expect(200);
      const token = /name="_csrf" value="([^"]+)"/.exec(form.text)![1];
      await ageSession(user.id, 2);
      const res = await agent.post('/account/password').type('form')
        .send({ _csrf: token, currentPassword: user.password, newPassword: 'Amber-Fjord-Piston-92', confirmation: 'Amber-Fjord-Piston-92' });
      expect(res.status).to.equal(401);
      expect(await auditRows('auth.password_changed')).to.deep.equal([]);
    });
  });
});
