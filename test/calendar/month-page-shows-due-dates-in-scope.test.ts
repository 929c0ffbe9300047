// The month calendar: each day's events as row-level security lets the user see them (their own
// by default for an Associate, their scope's for others), cancelled ones left out, a busy day cut
// to its first few with a link to the rest, and bad input answered with a message, never a 500.
import { expect } from 'chai';
import { ownerQuery } from '../support/factories.ts';
import { signedInAgent, testApp } from '../support/http.ts';
import { eventOf, feedWorld } from './feed-world.ts';

const cellOf = (html: string, date: string) => {
  const long = `${new Date(`${date}T00:00:00Z`).toLocaleString('en', { weekday: 'long', timeZone: 'UTC' })} ${date}`;
  const start = html.indexOf(`<span class="day-long">${long}</span>`);
  expect(start, `the cell of ${date}`).to.be.greaterThan(-1);
  return html.slice(start, html.indexOf('</td>', start));
};

describe('month calendar page', () => {
  it('shows the scope’s events by due date, the user’s own for an Associate, never cancelled or another client’s', async () => {
    const w = await feedWorld();
    await eventOf(w.client, w.springfield, w.associate, 'Springfield March check', '2027-03-10');
    await eventOf(w.client, w.joliet, w.director, 'Joliet March check', '2027-03-10');
    await eventOf(w.client, w.oakland, w.admin, 'Oakland March check', '2027-03-10');
    const cancelled = await eventOf(w.client, w.springfield, w.associate, 'Cancelled March check', '2027-03-11');
    await ownerQuery(`UPDATE events SET status = 'cancelled', cancel_reason = 'Not needed' WHERE id = $1`, [cancelled]);
    const app = testApp();

    const director = await signedInAgent(app, w.director.email, w.director.password);
    const page = await director.get('/calendar?month=2027-03');
    expect(page.status).to.equal(200);
    expect(page.text).to.include('Calendar: March 2027');
    const tenth = cellOf(page.text, '2027-03-10');
    expect(tenth).to.include('Springfield March check').and.include('Joliet March check').and.not.include('Oakland March check');
    expect(page.text).to.not.include('Cancelled March check').and.not.include('Foreign inspection');
    expect(page.text).to.include('2 events due this month in your scope');
    // Weeks start on Monday: March 2027 begins on a Monday.
    expect(page.text.indexOf('Monday 2027-03-01')).to.be.greaterThan(-1).and.lessThan(page.text.indexOf('Tuesday 2027-03-02'));
    expect(page.text).to.not.include('Sunday 2027-02-28');

    const mine = await director.get('/calendar?month=2027-03&who=mine');
    expect(mine.text).to.include('Joliet March check').and.not.include('Springfield March check');
    const underJoliet = await director.get(`/calendar?month=2027-03&who=scope&unit=${w.joliet.id}`);
    expect(underJoliet.text).to.include('Joliet March check').and.not.include('Springfield March check');

    const associate = await signedInAgent(app, w.associate.email, w.associate.password);
    const own = await associate.get('/calendar?month=2027-03');
    expect(own.text).to.include('Springfield March check').and.not.include('Joliet March check');
    const scope = await associate.get('/calendar?month=2027-03&who=scope');
    expect(scope.text).to.include('Springfield March check').and.not.include('Joliet March check');
  });

  it('cuts a busy day to its first events with a link to the rest', async () => {
    const w = await feedWorld();
    for (let i = 1; i <= 6; i += 1) await eventOf(w.client, w.springfield, w.associate, `Busy check ${i}`, '2027-03-15');
    const app = testApp();
    const associate = await signedInAgent(app, w.associate.email, w.associate.password);
    const cell = cellOf((await associate.get('/calendar?month=2027-03')).text, '2027-03-15');
    expect(cell.match(/class="cal-event/g)).to.have.length(4);
    expect(cell).to.include('+2 more').and.include('href="/events?from=2027-03-15&amp;to=2027-03-15&amp;status=all&amp;show=all"');
  });

  it('answers a bad month or place with a message and this month, and a place outside the scope with 404', async () => {
    const w = await feedWorld();
    const app = testApp();
    const associate = await signedInAgent(app, w.associate.email, w.associate.password);
    for (const query of ['month=2027-13', 'month=March', 'who=all', 'month=2027-3']) {
      const res = await associate.get(`/calendar?${query}`);
      expect(res.status, query).to.equal(422);
      expect(res.text, query).to.include('flash-error');
    }
    expect((await associate.get(`/calendar?unit=${w.oakland.id}`)).status).to.equal(404);
    expect((await associate.get('/calendar?unit=not-a-unit')).status).to.equal(422);
  });
});
