// Sign-out tells the browser to drop the site's cookies and storage (client users and staff), and
// behind TLS the session cookie carries the __Host- prefix: Secure, Path=/, no Domain, so no
// sibling subdomain can set or shadow it.
import { expect } from 'chai';
import supertest from 'supertest';
import { cookieAttributes, cookiePair, setCookies } from '../support/auth-helpers.ts';
import { createClient, createUser } from '../support/factories.ts';
import { signedInAgent, submitForm, testApp } from '../support/http.ts';
import { signedInStaffAgent, createStaff } from '../support/staff.ts';

const CLEAR_SITE_DATA = '"cookies", "storage"';
const HTTPS = { 'X-Forwarded-Proto': 'https' };

describe('sign-out and the session cookie', () => {
  it('a client user’s sign-out answers with Clear-Site-Data', async () => {
    const user = await createUser(await createClient());
    const agent = await signedInAgent(testApp(), user.email, user.password);
    const res = await submitForm(agent, '/', '/logout', {});
    expect(res.status).to.equal(303);
    expect(res.headers['clear-site-data']).to.equal(CLEAR_SITE_DATA);
    // Only sign-out clears the site: an ordinary page does not.
    expect((await agent.get('/login')).headers['clear-site-data']).to.equal(undefined);
  });

  it('a staff member’s sign-out answers with Clear-Site-Data, at /admin/logout and /logout', async () => {
    const staff = await createStaff();
    const app = testApp();
    for (const action of ['/admin/logout', '/logout']) {
      const agent = await signedInStaffAgent(app, staff);
      const res = await submitForm(agent, '/admin', action, {});
      expect(res.status, action).to.equal(303);
      expect(res.headers.location, action).to.equal('/admin/login?signed_out=1');
      expect(res.headers['clear-site-data'], action).to.equal(CLEAR_SITE_DATA);
    }
  });

  it('behind TLS is __Host-plantrak.sid: Secure, Path=/, no Domain, and carries a sign-in', async () => {
    const user = await createUser(await createClient());
    const app = testApp({ TRUST_PROXY: '1' });
    const page = await supertest(app).get('/login').set(HTTPS).expect(200);
    const [cookie] = setCookies(page);
    expect(cookie).to.match(/^__Host-plantrak\.sid=s%3A/);
    const attributes = cookieAttributes(cookie);
    expect(attributes).to.include({ secure: true, path: '/', httponly: true, samesite: 'Lax' });
    expect(attributes).not.to.have.property('domain');

    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    const signedIn = await supertest(app).post('/login').set(HTTPS).set('Cookie', cookiePair(cookie))
      .type('form').send({ _csrf: token, email: user.email, password: user.password });
    expect(signedIn.status).to.equal(303);
    const [session] = setCookies(signedIn);
    expect(session).to.match(/^__Host-plantrak\.sid=/);
    expect(cookieAttributes(session)).to.include({ secure: true, path: '/' });
    await supertest(app).get('/').set(HTTPS).set('Cookie', cookiePair(session)).expect(200);
    // The unprefixed name means nothing there: a cookie planted under it is not a session.
    const planted = cookiePair(session).replace(/^__Host-/, '');
    await supertest(app).get('/').set(HTTPS).set('Cookie', planted).expect(303).expect('Location', '/login');
  });

  it('over plain HTTP (no TLS proxy) keeps the bare name, without Secure', async () => {
    const [cookie] = setCookies(await supertest(testApp()).get('/login').expect(200));
    expect(cookie).to.match(/^plantrak\.sid=/);
    expect(cookieAttributes(cookie)).not.to.have.property('secure');
  });
});
