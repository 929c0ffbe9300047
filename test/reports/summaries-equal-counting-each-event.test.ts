// The on-time report, the completed history's counts and the open events' counts (open and
// overdue, upcoming, assignments), read from the counts the triggers keep (closed events by month,
// people by facility) and from the events at a period's ends, equal the same reports counted event
// by event, which they still are when a category narrows them. Over
// two and a half years of history in zones a day apart, every grouping, the default period and
// chosen ranges starting and ending inside months, for the whole client and for one region.
import { expect } from 'chai';
import { addDays, addMonths } from '../../lib/calendar-dates.ts';
import { ownerQuery } from '../support/factories.ts';
import { type Agent, signedInAgent, testApp } from '../support/http.ts';
import { reportFixture, tableRows } from './report-fixture.ts';

/** What a report page shows: its counts, its table and its trend. */
function shownOf(html: string) {
  return {
    counts: /<p id="report-counts">([\s\S]*?)<\/p>/.exec(html)?.[1],
    rows: tableRows(html),
    trend: /data-trend="([^"]*)"/.exec(html)?.[1],
  };
}

/** The page as the counts give it, and event by event (every item has the category asked for). */
async function bothWays(agent: Agent, path: string) {
  const join = path.includes('?') ? '&' : '?';
  const [kept, counted] = await Promise.all([agent.get(path), agent.get(`${path}${join}category=Safety`)]);
  expect(kept.status, path).to.equal(200);
  expect(counted.status, path).to.equal(200);
  return { kept: shownOf(kept.text), counted: shownOf(counted.text) };
}

describe('reports: summaries from the kept counts', function () {
  this.timeout(60_000);

  it('equal the same reports counted event by event', async () => {
    const fx = await reportFixture();
    await ownerQuery(`UPDATE plan_items SET category = 'Safety' WHERE client_id = $1`, [fx.client.id]);
    // Beta's item times its events relatively: its open ones count as upcoming however overdue.
    await ownerQuery(`UPDATE plan_items SET schedule_kind = 'relative', rrule = NULL, relative_every = 3, relative_unit = 'month' WHERE id = $1`, [fx.items.beta]);
    await ownerQuery(`UPDATE org_units SET time_zone = CASE name WHEN 'Alpha Plant' THEN 'Pacific/Auckland' WHEN 'Beta Plant' THEN 'Pacific/Honolulu' ELSE time_zone END WHERE client_id = $1`, [fx.client.id]);
    // Every day for 900 days on each item: open, cancelled, closed on time or late, some
    // with close records (late, recorded late, 0-2 documents).
    await ownerQuery(
      `INSERT INTO events (client_id, plan_item_id, facility_id, activity, scheduled_date, due_date, assignee_id, status, completed_on, late, recorded_late, closed_by, closed_at, cancel_reason)
       SELECT p.client_id, p.id, p.facility_id, p.activity, d + 5000, d, p.assignee_id, s, c, s = 'closed' AND c > d, s = 'closed' AND g % 17 = 0,
              CASE WHEN s = 'closed' THEN p.assignee_id END, CASE WHEN s = 'closed' THEN now() END, CASE WHEN s = 'cancelled' THEN 'Not needed' END
         FROM plan_items p CROSS JOIN generate_series(0, 899) g
        CROSS JOIN LATERAL (SELECT $2::date - 899 + g AS d) day
        CROSS JOIN LATERAL (SELECT CASE WHEN g % 7 = 0 OR d > $2::date - 1 THEN 'open' WHEN g % 11 = 0 THEN 'cancelled' ELSE 'closed' END AS s) st
        CROSS JOIN LATERAL (SELECT CASE WHEN st.s = 'closed' THEN least(d + (g % 4) - 1, $2::date - 1) END AS c) cc
        WHERE p.client_id = $1`,
      [fx.client.id, fx.today],
    );
    await ownerQuery(
      `INSERT INTO event_closures (client_id, event_id, facility_id, closed_by, completed_on, due_date, late, recorded_late, documents)
       SELECT e.client_id, e.id, e.facility_id, e.closed_by, e.completed_on, e.due_date, e.late, e.recorded_late,
              (SELECT coalesce(jsonb_agg(jsonb_build_object('id', gen_random_uuid())), '[]') FROM generate_series(1, extract(day FROM e.due_date)::int % 3))
         FROM events e WHERE e.client_id = $1 AND e.status = 'closed' AND e.scheduled_date > e.due_date + 4000 AND extract(doy FROM e.due_date)::int % 2 = 1`,
      [fx.client.id],
    );
    const app = testApp();
    const ranges = [`from=${addDays(addMonths(fx.today, -14), 9)}&to=${addDays(addMonths(fx.today, -2), 17)}`, `from=${addDays(fx.today, -45)}`, `to=${addDays(addMonths(fx.today, -20), 3)}`];
    for (const user of [fx.admin, fx.manager]) {
      const agent = await signedInAgent(app, user.email, user.password);
      for (const by of ['facility', 'division', 'region', 'assignee']) {
        for (const range of ['', ...ranges]) {
          const path = `/reports/on-time?by=${by}${range ? `&${range}` : ''}`;
          const { kept, counted } = await bothWays(agent, path);
          expect(kept.rows.length, path).to.be.greaterThan(0);
          expect(kept, `${user.name}: ${path}`).to.deep.equal(counted);
        }
      }
      {
        const { kept, counted } = await bothWays(agent, `/reports/on-time?assignee=${fx.ann.id}`);
        expect(kept.rows.length).to.be.greaterThan(0);
        expect(kept, `${user.name}: on time of one assignee`).to.deep.equal(counted);
      }
      for (const path of ['/reports/completed', `/reports/completed?assignee=${fx.ann.id}`, `/reports/completed?node=${fx.north.id}`]) {
        const { kept, counted } = await bothWays(agent, path);
        expect(kept.counts, path).to.match(/<strong>\d{2,}<\/strong> close records/);
        expect(kept, `${user.name}: ${path}`).to.deep.equal(counted);
      }
      // Open events: facility_people's sums with the overdue ones counted, against counting each.
      for (const report of ['open', 'upcoming', 'assignments']) {
        for (const narrowing of ['', `?assignee=${fx.bob.id}`, `?node=${fx.north.id}`]) {
          const path = `/reports/${report}${narrowing}`;
          const { kept, counted } = await bothWays(agent, path);
          expect(kept.counts, path).to.match(/<strong>[1-9]\d*<\/strong>/);
          expect(kept, `${user.name}: ${path}`).to.deep.equal(counted);
        }
      }
    }
  });
});
