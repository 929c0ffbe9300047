// The statements one request to each main page sends to PostgreSQL, all of them: the session
// read (and write, when there is one), the unit of work's START TRANSACTION, context and COMMIT,
// and the page's own reads. Each page has a budget here so the count cannot silently grow;
// bench/pages.ts shows what the count costs under load. (Before the session deadline was written
// in steps, the user and client read in one statement, the scope taken from the unit of work's
// opening statement and breadcrumbs read in one: 12, 12, 16, 14, 14, 16 and 14; before START
// TRANSACTION went with the context, a list page's count with its rows, a list's and a report's
// filter choices in one statement and the event page's parts in one: 9, 9, 11, 9, 9, 14 and 10;
// before the signed-in user was read in the opening round trip: 8, 8, 8, 8, 8, 6 and 8; before a
// facility's list read who may take its events with its filter choices, that list's was 7.)
import { expect } from 'chai';
import { statementsDuring } from '../support/statements.ts';
import { day, event, item, listWorld } from '../event-lists/list-world.ts';

describe('statements per request of the main pages', () => {
  it('each main page sends at most its budget of statements, session and transaction included', async () => {
    const w = await listWorld();
    const itemId = await item(w, w.plantOne, w.alice, { activity: 'Boiler test', category: 'Safety' });
    const eventId = await event(w, itemId, { due: day(-3) });
    await event(w, itemId, { due: day(10) });
    const director = await w.as(w.director);
    const budgets: Array<[string, string, number]> = [
      ['dashboard', '/', 6],
      ['My events', '/events', 6],
      ['a facility’s Open events', `/units/${w.plantOne.id}/events?status=open`, 6],
      ['a region roll-up', `/units/${w.north.id}`, 6],
      ['a Plan Item', `/plan-items/${itemId}`, 7],
      ['an event', `/events/${eventId}`, 5],
      ['a report', '/reports/open', 7],
    ];
    const counts: string[] = [];
    for (const [label, path, budget] of budgets) {
      // The first request warms the pools (a new connection sends set-up statements of its own).
      expect((await director.get(path)).status, label).to.equal(200);
      let status = 0;
      const statements = await statementsDuring(async () => void (status = (await director.get(path)).status));
      expect(status, label).to.equal(200);
      counts.push(`${label}: ${statements.length}\n  ${statements.map((s) => s.text.slice(0, 100)).join('\n  ')}`);
      expect(statements.length, `${label} (${path}):\n  ${statements.map((s) => s.text.slice(0, 120)).join('\n  ')}`).to.be.at.most(budget);
    }
    if (process.env.SHOW_STATEMENTS) console.log(counts.join('\n'));
  });
});
