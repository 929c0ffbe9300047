// One-click unsubscribe (RFC 8058): the signed link's GET page names the kind and offers a button;
// its POST, with no session, no CSRF token and even from another site, turns that kind off for that
// user as the system actor of their client, audited. Forged, malformed, expired, tampered links and
// deactivated users get a clear 4xx and change nothing. The exemption is exactly this path: every
// other POST still needs its CSRF token and a same-site origin.
import { expect } from 'chai';
import type { Express } from 'express';
import supertest from 'supertest';
import { auditRows } from '../support/auth-helpers.ts';
import { testConfig } from '../support/env.ts';
import { type ClientRow, createClient, createUser, ownerQuery, type UserRow } from '../support/factories.ts';
import { csrfToken, signedInAgent, testApp } from '../support/http.ts';
import { unsubscribeToken, UNSUBSCRIBE_DAYS } from '../../services/notifications/unsubscribe.ts';
import { optOutsOf } from './helpers.ts';

const secret = () => testConfig().sessionSecret!;
const link = (token: string) => `/notifications/unsubscribe?token=${encodeURIComponent(token)}`;
const ONE_CLICK = 'List-Unsubscribe=One-Click';

describe('one-click unsubscribe by signed link', () => {
  let app: Express;
  let client: ClientRow;
  let director: UserRow;
  let colleague: UserRow;
  before(() => {
    app = testApp();
  });
  beforeEach(async () => {
    // A few clients first, so the link's user is found in whichever client they are in.
    await createClient();
    client = await createClient({ name: 'Unsub Co' });
    await createClient();
    director = await createUser(client, { rank: 'director', name: 'Dee Director' });
    colleague = await createUser(client, { rank: 'director', name: 'Cal Colleague' });
  });

  it('shows a page naming the kind, with a button that posts the same token; the GET changes nothing', async () => {
    const token = unsubscribeToken(secret(), director.id, 'weekly_summary');
    const page = await supertest(app).get(link(token)).expect(200);
    expect(page.text).to.include('Unsubscribe from “Weekly summary”');
    expect(page.text).to.include('<form method="post" action="/notifications/unsubscribe">');
    expect(page.text).to.include(`<input type="hidden" name="token" value="${token}">`);
    expect(page.text).to.include('<button type="submit">Unsubscribe from weekly summary</button>');
    expect(await optOutsOf(director.id)).to.deep.equal([]);
    expect(await auditRows('notification.unsubscribed')).to.deep.equal([]);
  });

  it('takes the RFC 8058 POST with no session, no CSRF token, from another site; audited as the system', async () => {
    const token = unsubscribeToken(secret(), director.id, 'escalation');
    const res = await supertest(app).post(link(token)).set('Sec-Fetch-Site', 'cross-site').type('form').send(ONE_CLICK);
    expect(res.status, res.text).to.equal(200);
    expect(res.text).to.include('You will no longer receive <strong>escalations beyond the first level</strong> e-mail');
    expect(res.headers['set-cookie']).to.equal(undefined);
    expect(await optOutsOf(director.id)).to.deep.equal(['escalation']);
    expect(await optOutsOf(colleague.id)).to.deep.equal([]);
    const [entry] = await auditRows('notification.unsubscribed');
    expect(entry).to.include({ client_id: client.id, actor_kind: 'system', actor_user_id: director.id, entity_type: 'user', entity_id: director.id });
    expect(entry!.changes).to.deep.equal({ kind: 'escalation', via: 'one-click link', optOuts: [[], ['escalation']] });

    // Again: the same answer, nothing more changed or audited; the other kind keeps its order.
    const again = await supertest(app).post(link(token)).type('form').send(ONE_CLICK).expect(200);
    expect(again.text).to.include('You were already unsubscribed');
    expect(await auditRows('notification.unsubscribed')).to.have.length(1);
    await supertest(app).post('/notifications/unsubscribe').type('form').send({ token: unsubscribeToken(secret(), director.id, 'weekly_summary') }).expect(200);
    expect(await optOutsOf(director.id)).to.deep.equal(['weekly_summary', 'escalation']);
  });

  it('takes the page\'s button (token in the body) from a signed-in browser too', async () => {
    const agent = await signedInAgent(app, director.email, director.password);
    const token = unsubscribeToken(secret(), director.id, 'weekly_summary');
    await agent.get(link(token)).expect(200);
    await agent.post('/notifications/unsubscribe').type('form').send({ token, 'List-Unsubscribe': 'One-Click' }).expect(200);
    expect(await optOutsOf(director.id)).to.deep.equal(['weekly_summary']);
    // The preferences page shows it off.
    const prefs = await agent.get('/account/notifications').expect(200);
    expect(prefs.text).to.match(/name="receiveWeeklySummary" value="on">/);
  });

  async function expectRefused(path: string, status: number, message: RegExp) {
    const answers = { GET: await supertest(app).get(path), POST: await supertest(app).post(path).type('form').send(ONE_CLICK) };
    for (const [verb, res] of Object.entries(answers)) {
      expect(res.status, `${verb} ${path}`).to.equal(status);
      expect(res.text).to.include('Unsubscribe link not valid').and.match(message);
    }
    expect(await optOutsOf(director.id)).to.deep.equal([]);
    expect(await optOutsOf(colleague.id)).to.deep.equal([]);
    expect(await auditRows('notification.unsubscribed')).to.deep.equal([]);
  }

  it('refuses a link signed with another key (forged) with 403', async () => {
    await expectRefused(link(unsubscribeToken('another-secret-of-at-least-32-characters', director.id, 'weekly_summary')), 403, /not issued by PlanTRAK or has been altered/);
  });

  it('refuses another user\'s link with the user id swapped (tampered) with 403', async () => {
    const [, kind, expires, signature] = unsubscribeToken(secret(), director.id, 'weekly_summary').split('.');
    await expectRefused(link([colleague.id, kind, expires, signature].join('.')), 403, /has been altered/);
    const [user, , expires2, signature2] = unsubscribeToken(secret(), director.id, 'weekly_summary').split('.');
    await expectRefused(link([user, 'escalation', expires2, signature2].join('.')), 403, /has been altered/);
  });

  it('refuses an expired link with 400', async () => {
    const issued = new Date(Date.now() - (UNSUBSCRIBE_DAYS * 86_400 + 60) * 1000);
    await expectRefused(link(unsubscribeToken(secret(), director.id, 'weekly_summary', issued)), 400, /has expired/);
  });

  it('refuses malformed links with 400', async () => {
    for (const token of ['', 'abc', `${director.id}.reminder.9999999999.sig`, 'x'.repeat(301)]) {
      await expectRefused(link(token), 400, /incomplete or damaged/);
    }
    await expectRefused('/notifications/unsubscribe', 400, /incomplete or damaged/);
    await expectRefused(`/notifications/unsubscribe?token=a&token=b`, 400, /incomplete or damaged/);
  });

  it('refuses the link of a deactivated user with 403, and of no user with 400', async () => {
    await ownerQuery(`UPDATE users SET status = 'deactivated' WHERE id = $1`, [director.id]);
    await expectRefused(link(unsubscribeToken(secret(), director.id, 'weekly_summary')), 403, /has been deactivated/);
    await expectRefused(link(unsubscribeToken(secret(), '00000000-0000-4000-8000-000000000000', 'weekly_summary')), 400, /belongs to no account/);
  });

  it('exempts exactly this path: other POSTs without a CSRF token, or from another site, are still refused', async () => {
    const agent = await signedInAgent(app, director.email, director.password);
    const noToken = await agent.post('/account/notifications').type('form').send({ digestHour: '3' });
    expect(noToken.status).to.equal(403);
    expect(noToken.text).to.include('This form has expired or did not come from PlanTRAK.');
    const token = await csrfToken(agent, '/account/notifications');
    const crossSite = await agent.post('/account/notifications').set('Sec-Fetch-Site', 'cross-site').type('form').send({ _csrf: token, digestHour: '3' });
    expect(crossSite.status).to.equal(403);
    expect(crossSite.text).to.include('Forms sent from another site are refused.');
    // Another spelling of the path, or a path below it, meets the checks too.
    const unsubscribe = unsubscribeToken(secret(), director.id, 'weekly_summary');
    for (const path of ['/notifications/unsubscribe/', '/Notifications/Unsubscribe', '/notifications/unsubscribe/x']) {
      const res = await supertest(app).post(`${path}?token=${encodeURIComponent(unsubscribe)}`).type('form').send(ONE_CLICK);
      expect(res.status, path).to.equal(403);
    }
    await supertest(app).post('/logout').type('form').send({}).expect(403);
    const [row] = await ownerQuery<{ digest_hour: number }>('SELECT digest_hour FROM users WHERE id = $1', [director.id]);
    expect(row!.digest_hour).to.equal(7);
    expect(await optOutsOf(director.id)).to.deep.equal([]);
  });
});
