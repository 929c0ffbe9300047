// The calendar feed as a calendar application sees it (RFC 5545, parsed by ical.js rather than the
// library that wrote it): all-day entries of the user's open events in the window, with UIDs that
// stay and SEQUENCEs that move with the due date; made, reset and revoked from the account page,
// audited, and usable without a session.
import { expect } from 'chai';
import { addDays } from '../../lib/calendar-dates.ts';
import { auditRows } from '../support/auth-helpers.ts';
import { ownerQuery } from '../support/factories.ts';
import { signedInAgent, testApp } from '../support/http.ts';
import { feedWorld, fetchFeed, issueFeed, revokeFeed } from './feed-world.ts';

describe('calendar feed', () => {
  it('lists the user’s open events in the window as all-day entries, parsed by an independent parser', async () => {
    const w = await feedWorld();
    const app = testApp();
    const agent = await signedInAgent(app, w.associate.email, w.associate.password);
    const path = await issueFeed(agent, 'mine');
    expect(path).to.match(/^\/calendar\/feed\/[A-Za-z0-9_-]{43}\.ics$/);
    const token = path.slice('/calendar/feed/'.length, -'.ics'.length);
    // Only the token's hash is kept.
    const stored = await ownerQuery<{ token_sha256: string }>('SELECT token_sha256 FROM calendar_feeds WHERE user_id = $1', [w.associate.id]);
    expect(stored).to.have.length(1);
    expect(stored[0]!.token_sha256).to.match(/^[0-9a-f]{64}$/).and.not.include(token);
    expect((await auditRows('calendar.feed_created')).map((a) => a.entity_type)).to.deep.equal(['calendar_feed']);

    const feed = await fetchFeed(app, path);
    expect(feed.status).to.equal(200);
    expect(feed.type).to.equal('text/calendar; charset=utf-8');
    // Not the old, closed, someone else's or another client's: the one open event in the window.
    expect(feed.events.map((e) => e.uid)).to.deep.equal([`${w.soon}@plantrak`]);
    const [entry] = feed.events;
    expect(entry!.start.isDate, 'DTSTART is a date').to.equal(true);
    expect(entry!.start.toString()).to.equal(addDays(w.today, 5));
    expect(entry!.end.isDate, 'DTEND is a date').to.equal(true);
    expect(entry!.end.toString()).to.equal(addDays(w.today, 6));
    expect(entry!.summary).to.equal('Stormwater outfall inspection — Springfield Plant');
    // Commas and semicolons survive escaping; the link opens the event.
    expect(entry!.description).to.include('Key at the gatehouse; wear boots, gloves; outfall 3 floods.').and.include('Facility: Springfield Plant');
    expect(entry!.url).to.match(new RegExp(`/events/${w.soon}$`));
    expect(entry!.sequence).to.equal(0);
    // Lines are folded at 75 octets.
    expect(feed.text.split('\r\n').every((line) => Buffer.byteLength(line) <= 75)).to.equal(true);
  });

  it('keeps each UID across requests and raises SEQUENCE and LAST-MODIFIED when the due date or assignee changes; closed events leave', async () => {
    const w = await feedWorld();
    const app = testApp();
    const agent = await signedInAgent(app, w.director.email, w.director.password);
    const path = await issueFeed(agent, 'scope');
    // Made an hour ago, so that a change now shows in LAST-MODIFIED (whole seconds).
    await ownerQuery(`UPDATE events SET created_at = now() - interval '1 hour'`);
    const first = await fetchFeed(app, path);
    // The Director's scope (the Central region): Springfield and Joliet, not Oakland, not another client's.
    expect(first.events.map((e) => e.uid).sort()).to.deep.equal([`${w.soon}@plantrak`, `${w.joliets}@plantrak`].sort());
    const again = await fetchFeed(app, path);
    expect(again.events.map((e) => [e.uid, e.sequence])).to.deep.equal(first.events.map((e) => [e.uid, e.sequence]));

    await ownerQuery('UPDATE events SET due_date = due_date + 2 WHERE id = $1', [w.soon]);
    await ownerQuery('UPDATE events SET activity = activity WHERE id = $1', [w.joliets]);
    const moved = await fetchFeed(app, path);
    const soon = moved.events.find((e) => e.uid === `${w.soon}@plantrak`)!;
    expect(soon.sequence).to.equal(1);
    expect(soon.start.toString()).to.equal(addDays(w.today, 7));
    expect(soon.lastModified).to.not.equal(first.events.find((e) => e.uid === soon.uid)!.lastModified);
    // Nothing a calendar shows changed for Joliet's: its sequence stays.
    expect(moved.events.find((e) => e.uid === `${w.joliets}@plantrak`)!.sequence).to.equal(0);
    await ownerQuery('UPDATE events SET assignee_id = $2 WHERE id = $1', [w.soon, w.director.id]);
    expect((await fetchFeed(app, path)).events.find((e) => e.uid === `${w.soon}@plantrak`)!.sequence).to.equal(2);

    await ownerQuery(`UPDATE events SET status = 'cancelled', cancel_reason = 'Permit withdrawn' WHERE id = $1`, [w.joliets]);
    expect((await fetchFeed(app, path)).events.map((e) => e.uid)).to.deep.equal([`${w.soon}@plantrak`]);
  });

  it('stops answering at once when revoked or reset (404, no detail), and works without a session', async () => {
    const w = await feedWorld();
    const app = testApp();
    const agent = await signedInAgent(app, w.associate.email, w.associate.password);
    const first = await issueFeed(agent, 'mine');
    expect((await fetchFeed(app, first)).status).to.equal(200);
    const second = await issueFeed(agent, 'mine');
    expect(second).to.not.equal(first);
    expect((await auditRows('calendar.feed_reset'))).to.have.length(1);
    const old = await fetchFeed(app, first);
    expect(old.status).to.equal(404);
    expect(old.text).to.not.include('calendar').and.not.include('revoked');
    expect((await fetchFeed(app, second)).status).to.equal(200);

    const revoked = await revokeFeed(agent, 'mine');
    expect(revoked.status).to.equal(303);
    expect((await fetchFeed(app, second)).status).to.equal(404);
    expect(await auditRows('calendar.feed_revoked')).to.have.length(1);
    expect(await ownerQuery('SELECT 1 FROM calendar_feeds WHERE user_id = $1', [w.associate.id])).to.deep.equal([]);
    // Made again, then the user is deactivated: the feed is dead too.
    const third = await issueFeed(agent, 'mine');
    await ownerQuery(`UPDATE users SET status = 'deactivated' WHERE id = $1`, [w.associate.id]);
    expect((await fetchFeed(app, third)).status).to.equal(404);
  });

  it('refuses a bad form with a message, and leaves a token out of what it keeps in the session', async () => {
    const w = await feedWorld();
    const app = testApp();
    const agent = await signedInAgent(app, w.associate.email, w.associate.password);
    const page = await agent.get('/account/calendar');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const bad = await agent.post('/account/calendar').type('form').send({ _csrf: csrf, kind: 'everyone', action: 'issue' });
    expect(bad.status).to.equal(422);
    expect(bad.text).to.include('Choose which feed.');
    expect(await ownerQuery('SELECT 1 FROM calendar_feeds')).to.deep.equal([]);
    const path = await issueFeed(agent, 'mine');
    const token = path.slice('/calendar/feed/'.length, -'.ics'.length);
    const sessions = await ownerQuery<{ sess: unknown }>('SELECT sess FROM session');
    expect(JSON.stringify(sessions)).to.not.include(token);
    // The account page after that shows the feed, never its URL again.
    const later = await agent.get('/account/calendar');
    expect(later.text).to.include('Active since').and.not.include(token);
  });
});
