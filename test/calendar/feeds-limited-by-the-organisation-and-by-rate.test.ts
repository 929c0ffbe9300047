// What limits a feed beyond its token: the Administrator's switch (titles and dates only, or no
// feeds at all), the rate of fetches and of unknown tokens from one address, row-level security
// on the feeds themselves, and the request log, which never holds a token.
import { expect } from 'chai';
import supertest from 'supertest';
import { FEED_LIMITS } from '../../services/calendar/feeds.ts';
import { loggedPath } from '../../middleware/request-log.ts';
import { auditRows } from '../support/auth-helpers.ts';
import { ownerQuery } from '../support/factories.ts';
import { csrfFrom, signedInAgent, submitForm, testApp } from '../support/http.ts';
import { inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { testEnv } from '../support/env.ts';
import { feedWorld, fetchFeed, issueFeed } from './feed-world.ts';

describe('calendar feeds, as the organisation limits them', () => {
  it('titles and dates only: nothing but the activity and the date leave; off: no feed answers and none can be made', async () => {
    const w = await feedWorld();
    const app = testApp();
    const associate = await signedInAgent(app, w.associate.email, w.associate.password);
    const path = await issueFeed(associate, 'mine');
    const admin = await signedInAgent(app, w.admin.email, w.admin.password);
    // Only Administrators change it.
    expect((await associate.get('/settings/calendar')).status).to.equal(403);
    const bad = await submitForm(admin, '/settings/calendar', '/settings/calendar', { mode: 'some' });
    expect(bad.status).to.equal(422);
    expect(bad.text).to.include('Choose one of the options.');

    expect((await submitForm(admin, '/settings/calendar', '/settings/calendar', { mode: 'titles' })).status).to.equal(303);
    expect((await auditRows('calendar.settings_changed')).map((a) => a.changes)).to.deep.equal([{ before: 'full', after: 'titles' }]);
    const titles = await fetchFeed(app, path);
    expect(titles.status).to.equal(200);
    expect(titles.events.map((e) => [e.summary, e.description, e.url])).to.deep.equal([['Stormwater outfall inspection', null, null]]);
    expect(titles.text).to.not.include('Springfield').and.not.include('gatehouse');

    expect((await submitForm(admin, '/settings/calendar', '/settings/calendar', { mode: 'off' })).status).to.equal(303);
    expect((await fetchFeed(app, path)).status).to.equal(404);
    const page = await associate.get('/account/calendar');
    expect(page.text).to.include('turned calendar feeds off');
    const refused = await associate.post('/account/calendar').type('form').send({ _csrf: csrfFrom(page.text), kind: 'scope', action: 'issue' });
    expect(refused.status).to.equal(409);
    expect(await ownerQuery(`SELECT 1 FROM calendar_feeds WHERE kind = 'scope'`)).to.deep.equal([]);
  });

  it('answers 429 once an address has tried too many unknown tokens, or a feed is fetched too often', async () => {
    const w = await feedWorld();
    const app = testApp();
    const agent = await signedInAgent(app, w.associate.email, w.associate.password);
    const path = await issueFeed(agent, 'mine');
    for (let i = 0; i < FEED_LIMITS.unknownPerIp; i += 1) {
      expect((await supertest(app).get(`/calendar/feed/${'x'.repeat(40)}${String(i).padStart(3, '0')}.ics`)).status).to.equal(404);
    }
    const blocked = await supertest(app).get(`/calendar/feed/${'y'.repeat(43)}.ics`);
    expect(blocked.status).to.equal(429);
    expect(Number(blocked.headers['retry-after'])).to.be.greaterThan(0);
    // From that address even a good token waits: guessing must not be told apart from using.
    expect((await supertest(app).get(path)).status).to.equal(429);

    await ownerQuery(`DELETE FROM login_throttle`);
    const [feed] = await ownerQuery<{ id: string }>('SELECT id FROM calendar_feeds');
    await ownerQuery(`INSERT INTO login_throttle (key, window_started_at, failures) VALUES ($1, now(), $2)`, [`feed:${feed!.id}`, FEED_LIMITS.perFeed - 1]);
    expect((await supertest(app).get(path)).status).to.equal(200);
    expect((await supertest(app).get(path)).status).to.equal(429);
  });

  it('keeps each feed its user’s own under row-level security, and its token out of the request log', async () => {
    const w = await feedWorld();
    const app = testApp();
    await issueFeed(await signedInAgent(app, w.associate.email, w.associate.password), 'mine');
    await issueFeed(await signedInAgent(app, w.admin.email, w.admin.password), 'scope');
    // As the runtime role: the Administrator sees their own feed only, not the Associate's.
    const asAdmin = <T>(work: () => Promise<T>) => inUnitOfWork(testEnv().db.sequelize, { actorKind: 'user', clientId: w.client.id, userId: w.admin.id }, work);
    const seen = await asAdmin(() => sql<{ user_id: string }>('SELECT user_id FROM calendar_feeds'));
    expect(seen.map((r) => r.user_id)).to.deep.equal([w.admin.id]);
    const deleted = await asAdmin(() => sql('DELETE FROM calendar_feeds WHERE user_id = $1 RETURNING 1', [w.associate.id]));
    expect(deleted).to.deep.equal([]);
    expect(await ownerQuery('SELECT 1 FROM calendar_feeds')).to.have.length(2);

    expect(loggedPath('/calendar/feed/AbC-123_xyz.ics?x=1')).to.equal('/calendar/feed/[token]');
    expect(loggedPath('/account/calendar?x=1')).to.equal('/account/calendar');
  });
});
