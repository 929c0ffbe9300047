// The upcoming report's projected occurrences are the recurrence engine's own dates: for each
// active, non-hidden calendar Plan Item, its rule's dates after its last generated event up to
// today + 12 months, merged by due date with the generated open events and paginated by 50. A
// relative item shows its one open event; hidden and inactive items project nothing; a rule the
// engine refuses is listed with its message instead of failing the page.
import { expect } from 'chai';
import { addDays, addMonths } from '../../lib/calendar-dates.ts';
import { inUnitOfWork } from '../../lib/unit-of-work.ts';
import { Client } from '../../models/index.ts';
import { generateEvents } from '../../services/events/generation.ts';
import { calendarDates, type CalendarSchedule } from '../../services/plans/recurrence.ts';
import { NO_FILTER, type ReportFilter } from '../../services/reports/filters.ts';
import { type UpcomingReport, upcomingReport } from '../../services/reports/upcoming.ts';
import { testEnv } from '../support/env.ts';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { createUnit, grantScope } from '../support/hierarchy-factories.ts';
import { signedInAgent, testApp } from '../support/http.ts';
import { insertEvent, planItem, tableRows } from './report-fixture.ts';

const ZONE = 'Pacific/Auckland';
const NOW = new Date('2026-03-10T23:30:00Z'); // 2026-03-11 in Auckland, still 2026-03-10 in UTC
const TODAY = '2026-03-11';

async function setUp() {
  const client = await createClient({ name: 'Projection Co', timeZone: 'UTC' });
  const facility = await createUnit(client, { name: 'Kauri Works', timeZone: ZONE });
  const admin = await createUser(client, { name: 'Ada Admin', rank: 'administrator' });
  await grantScope(admin, null);
  const rules: Record<string, CalendarSchedule> = {
    monthEnd: { kind: 'calendar', rrule: 'FREQ=MONTHLY;BYMONTHDAY=31', start: '2026-01-31', monthEnd: 'last-day' },
    fortnightly: { kind: 'calendar', rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH', start: '2026-02-02', monthEnd: 'last-day' },
    lastFriday: { kind: 'calendar', rrule: 'FREQ=MONTHLY;BYDAY=-1FR', start: '2025-11-28', monthEnd: 'skip' },
  };
  const ids: Record<string, string> = {};
  for (const [name, rule] of Object.entries(rules)) {
    ids[name] = await planItem(client.id, facility.id, admin.id, { activity: `Rule ${name}`, rrule: rule.rrule, start: rule.start, active: true });
    await ownerQuery('UPDATE plan_items SET month_end_policy = $2 WHERE id = $1', [ids[name], rule.monthEnd]);
  }
  const hidden = await planItem(client.id, facility.id, admin.id, { activity: 'Hidden rule', rrule: 'FREQ=DAILY', start: '2026-03-01', active: true });
  await ownerQuery('UPDATE plan_items SET hidden = true WHERE id = $1', [hidden]);
  await planItem(client.id, facility.id, admin.id, { activity: 'Inactive rule', rrule: 'FREQ=DAILY', start: '2026-03-01', active: false });
  await generateEvents(testEnv().db.sequelize, { clientIds: [client.id], now: NOW });
  // A relative item: its one open event, here already overdue.
  const relative = await planItem(client.id, facility.id, admin.id, { activity: 'Relative check', start: '2026-03-01', kind: 'relative', active: true });
  await insertEvent(client.id, relative, facility.id, admin.id, { activity: 'Relative check', due: '2026-03-01', status: 'open' });
  // A stored rule outside the engine's subset: refused, with its message.
  const broken = await planItem(client.id, facility.id, admin.id, { activity: 'Broken rule', rrule: 'FREQ=DAILY', start: '2026-03-01', active: true });
  await ownerQuery(`UPDATE plan_items SET rrule = 'FREQ=SECONDLY' WHERE id = $1`, [broken]);
  // The fortnightly rule again on an item with nothing generated yet, and a month-end rule
  // resuming in 45 days: the same schedules, other dates.
  const twin = await planItem(client.id, facility.id, admin.id, { activity: 'Twin of fortnightly', rrule: rules.fortnightly!.rrule, start: rules.fortnightly!.start, active: true });
  const resumed = await planItem(client.id, facility.id, admin.id, { activity: 'Resumed month end', rrule: rules.monthEnd!.rrule, start: rules.monthEnd!.start, active: true });
  await ownerQuery('UPDATE plan_items SET generate_from = $2 WHERE id = $1', [resumed, addDays(TODAY, 45)]);
  return { client, facility, admin, rules, ids, relative, twin, resumed };
}

const run = (clientId: string, userId: string, filter: Partial<ReportFilter> = {}): Promise<UpcomingReport> =>
  inUnitOfWork(testEnv().db.sequelize, { actorKind: 'user', clientId, userId }, async () => upcomingReport((await Client.findByPk(clientId))!, { ...NO_FILTER, ...filter }, NOW));

async function lastScheduled(itemId: string): Promise<string> {
  const [row] = await ownerQuery<{ last: string }>('SELECT max(scheduled_date)::text AS last FROM events WHERE plan_item_id = $1', [itemId]);
  return row!.last;
}

describe('reports: upcoming occurrences', () => {
  it('projects exactly the engine’s dates after each item’s last generated event, up to the facility’s today + 12 months', async () => {
    const fx = await setUp();
    const pages: UpcomingReport[] = [await run(fx.client.id, fx.admin.id)];
    while (pages.at(-1)!.page < pages.at(-1)!.pages) pages.push(await run(fx.client.id, fx.admin.id, { page: pages.length + 1 }));
    const rows = pages.flatMap((p) => p.rows);
    expect(rows.length).to.equal(pages[0]!.total);
    expect(pages.slice(0, -1).every((p) => p.rows.length === 50)).to.equal(true);
    // Merged by due date across pages.
    expect(rows.map((r) => r.dueDate)).to.deep.equal(rows.map((r) => r.dueDate).sort());

    const horizon = addMonths(TODAY, 12);
    for (const [name, rule] of Object.entries(fx.rules)) {
      const after = await lastScheduled(fx.ids[name]!);
      const engine = calendarDates(rule, { from: TODAY, through: horizon }).filter((d) => d > after);
      expect(engine.length, name).to.be.greaterThan(0);
      const projected = rows.filter((r) => r.projected && r.planItemId === fx.ids[name]).map((r) => r.dueDate);
      expect(projected, name).to.deep.equal(engine);
      // The generated open ones in the window are there too, and none twice.
      const generated = await ownerQuery<{ due: string }>(`SELECT due_date::text AS due FROM events WHERE plan_item_id = $1 AND status = 'open' AND due_date >= $2 ORDER BY due_date`, [fx.ids[name], TODAY]);
      expect(rows.filter((r) => !r.projected && r.planItemId === fx.ids[name]).map((r) => r.dueDate), name).to.deep.equal(generated.map((g) => g.due));
      expect(new Set([...projected, ...generated.map((g) => g.due)]).size, name).to.equal(projected.length + generated.length);
    }
    const window = { from: TODAY, through: horizon };
    expect(rows.filter((r) => r.planItemId === fx.twin).map((r) => r.dueDate)).to.deep.equal(calendarDates(fx.rules.fortnightly!, window));
    expect(rows.filter((r) => r.planItemId === fx.resumed).map((r) => r.dueDate)).to.deep.equal(calendarDates(fx.rules.monthEnd!, window).filter((d) => d >= addDays(TODAY, 45)));
    expect(rows.filter((r) => r.activity.startsWith('Hidden') || r.activity.startsWith('Inactive'))).to.deep.equal([]);
    const relative = rows.filter((r) => r.planItemId === fx.relative);
    expect(relative.map((r) => [r.dueDate, r.projected, r.overdue])).to.deep.equal([['2026-03-01', false, true]]);
    expect(pages[0]!.refused.map((r) => r.activity)).to.deep.equal(['Broken rule']);
    expect(pages[0]!.refused[0]!.message).to.match(/FREQ=SECONDLY/);
    expect(pages[0]!.projected).to.equal(rows.filter((r) => r.projected).length);
  });

  it('narrows the window to the chosen due dates, and shows the page with links to items and events', async () => {
    const fx = await setUp();
    const from = addDays(TODAY, 60);
    const to = addDays(TODAY, 120);
    const report = await run(fx.client.id, fx.admin.id, { from, to });
    const engine = calendarDates(fx.rules.fortnightly!, { from, through: to });
    expect(report.rows.filter((r) => r.planItemId === fx.ids.fortnightly).map((r) => r.dueDate)).to.deep.equal(engine);
    expect(report.rows.every((r) => r.dueDate >= from && r.dueDate <= to)).to.equal(true);

    const agent = await signedInAgent(testApp(), fx.admin.email, fx.admin.password);
    const page = await agent.get('/reports/upcoming').expect(200);
    expect(page.text).to.include(`href="/plan-items/${fx.ids.monthEnd}"`).and.include('Projected').and.include('Broken rule');
    expect(tableRows(page.text).length).to.equal(50);
    expect(page.text).to.include('rel="next"');
  });
});
