// The dashboard's figures over years of history equal a direct count, with events on every edge
// of each facility's periods in two zones a day apart: the day that leaves the last 12 months and
// the one still in it, the ends of the partial months at either end of that year, today and
// tomorrow, and completions either side of the first of this month.
import { expect } from 'chai';
import { addDays, addMonths, todayIn } from '../../lib/calendar-dates.ts';
import { testEnv } from '../support/env.ts';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { signedInAgent, testApp } from '../support/http.ts';
import { createUnit, grantScope, type UnitRow } from '../support/hierarchy-factories.ts';
import { countedDirectly, expectedFigures, shown } from './direct-counts.ts';

const monthStart = (date: string) => `${date.slice(0, 7)}-01`;

/** The due dates around each edge of the facility's periods (its own today). */
function edgeDates(today: string): string[] {
  const yearAgo = addMonths(today, -12);
  const nextMonth = addMonths(monthStart(yearAgo), 1);
  const dates = [yearAgo, nextMonth, monthStart(today), today].flatMap((d) => [addDays(d, -1), d, addDays(d, 1)]);
  return [...new Set([...dates, addDays(yearAgo, -400), addDays(today, 5), addDays(today, 25), addDays(today, 40)])].sort();
}

async function seedFacility(clientId: string, facility: UnitRow, assigneeId: string): Promise<number> {
  const today = todayIn(facility.time_zone!);
  const [item] = await ownerQuery<{ id: string }>(
    `INSERT INTO plan_items (client_id, facility_id, activity, assignee_id, schedule_kind, rrule, schedule_start, schedules_events)
     VALUES ($1, $2, 'Edge check', $3, 'calendar', 'FREQ=DAILY', DATE '2020-01-01', false) RETURNING id`,
    [clientId, facility.id, assigneeId],
  );
  // Each edge date four times over (scheduled dates apart): open, cancelled, closed on time and
  // closed late; completions capped at today; some recorded late.
  const { rowCount } = await testEnv().owner.query(
    `INSERT INTO events (client_id, plan_item_id, facility_id, activity, scheduled_date, due_date, assignee_id, status, completed_on, late,
                         recorded_late, closed_by, closed_at, cancel_reason)
     SELECT $1, $2, $3, 'Edge check', d + k * 1000, d, $4, s, c, s = 'closed' AND c > d, s = 'closed' AND k = 3,
            CASE WHEN s = 'closed' THEN $4::uuid END, CASE WHEN s = 'closed' THEN now() END, CASE WHEN s = 'cancelled' THEN 'Not needed' END
       FROM unnest($5::date[]) AS t(d)
      CROSS JOIN generate_series(0, 3) k
      CROSS JOIN LATERAL (SELECT CASE k WHEN 0 THEN 'open' WHEN 1 THEN 'cancelled' ELSE 'closed' END AS s) st
      CROSS JOIN LATERAL (SELECT CASE WHEN st.s <> 'closed' THEN NULL WHEN k = 2 THEN least(d, $6::date) ELSE least(d + 3, $6::date) END AS c) cc`,
    [clientId, item!.id, facility.id, assigneeId, edgeDates(today), today],
  );
  // Old work completed either side of this month's first day, and recorded-late closes either
  // side of the day a year ago.
  const yearAgo = addMonths(today, -12);
  await testEnv().owner.query(
    `INSERT INTO events (client_id, plan_item_id, facility_id, activity, scheduled_date, due_date, assignee_id, status, completed_on, late,
                         recorded_late, closed_by, closed_at)
     SELECT $1, $2, $3, 'Edge check', d + 5000 + n::int, d, $4, 'closed', c, c > d, r, $4, now()
       FROM unnest($5::date[], $6::date[], $7::boolean[]) WITH ORDINALITY AS t(d, c, r, n)`,
    [clientId, item!.id, facility.id, assigneeId,
      [addDays(monthStart(today), -20), addDays(monthStart(today), -20), addDays(yearAgo, -30), addDays(yearAgo, -30), addDays(yearAgo, -30)],
      [addDays(monthStart(today), -1), monthStart(today), addDays(yearAgo, -1), yearAgo, addDays(yearAgo, 1)],
      [false, false, true, true, true]],
  );
  return rowCount ?? 0;
}

describe('dashboard: the figures at the edges of the year', function () {
  this.timeout(60_000);

  it('equal a direct count for the whole client and for one facility, in zones a day apart', async () => {
    const client = await createClient({ timeZone: 'UTC' });
    const region = await createUnit(client, { kind: 'region', name: 'Pacific Rim' });
    const auckland = await createUnit(client, { name: 'Auckland Works', timeZone: 'Pacific/Auckland', parent: region });
    const honolulu = await createUnit(client, { name: 'Honolulu Yard', timeZone: 'Pacific/Honolulu', parent: region });
    const admin = await createUser(client, { name: 'Ada Admin', rank: 'administrator' });
    await grantScope(admin, null);
    const manager = await createUser(client, { name: 'Manny Manager', rank: 'manager' });
    await grantScope(manager, honolulu);
    expect(await seedFacility(client.id, auckland, manager.id)).to.be.greaterThan(50);
    await seedFacility(client.id, honolulu, manager.id);

    const app = testApp();
    for (const user of [admin, manager]) {
      const agent = await signedInAgent(app, user.email, user.password);
      const page = await agent.get('/');
      expect(page.status).to.equal(200);
      const direct = await countedDirectly(client.id, user.id);
      expect(direct.counted, 'the rate counts something').to.be.greaterThan(10);
      expect(direct.recordedLate).to.be.greaterThan(0);
      expect(direct.closedThisMonth).to.be.greaterThan(0);
      expect(shown(page.text), user.name).to.deep.equal(expectedFigures(direct));
    }
  });
});
