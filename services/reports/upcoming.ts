// Report: what is coming in the next 12 months, including occurrences not yet generated. For each
// active, non-hidden calendar Plan Item in the filter, the recurrence engine gives its rule's dates
// after its last generated event, up to the facility's today + 12 months; they are merged with the
// generated open events due in that window. A relative item's only next event is its open one
// (the next exists only once it is closed), shown even when overdue.
import { addDays, addMonths } from '../../lib/calendar-dates.ts';
import { cursorRows, sql } from '../../lib/unit-of-work.ts';
import type { Client } from '../../models/index.ts';
import { isOverdue } from '../events/definitions.ts';
import { calendarDates, type CalendarSchedule, type MonthEndPolicy, ScheduleError } from '../plans/recurrence.ts';
import { checkPage, countsOpenFromPeople, facilityToday, offsetOf, openFromPeopleSql, REPORT_PAGE_SIZE, type ReportFilter, type ReportPage, SqlFilter } from './filters.ts';

/** How far ahead the report looks, in months from each facility's today. */
export const UPCOMING_MONTHS = 12;

export interface UpcomingRow {
  /** Set for a generated event; projected occurrences have none yet. */
  eventId: string | null;
  planItemId: string;
  activity: string;
  facilityName: string;
  assigneeName: string;
  dueDate: string;
  projected: boolean;
  overdue: boolean;
}

export interface UpcomingReport extends ReportPage<UpcomingRow> {
  generated: number;
  projected: number;
  /** Calendar items whose dates were projected. */
  itemsProjected: number;
  /** Items the engine refused to expand, with its message. */
  refused: Array<{ planItemId: string; activity: string; facilityName: string; message: string }>;
}

/** Items with one schedule, resume date and facility today (so one expansion), each with the
 *  scheduled date of its last generated event (null: none yet). */
interface ScheduleGroup {
  rrule: string;
  start: string;
  monthEnd: MonthEndPolicy;
  generateFrom: string | null;
  today: string;
  itemIds: string[];
  lastScheduled: Array<string | null>;
}

/** What a row shows of an item. */
interface ItemNames {
  id: string;
  activity: string;
  facilityName: string;
  assigneeName: string;
}

/** The window [from, through] an item's facility looks at, narrowed by the filter's range. */
export function upcomingWindow(today: string, filter: Pick<ReportFilter, 'from' | 'to'>): { from: string; through: string } {
  const horizon = addMonths(today, UPCOMING_MONTHS);
  return { from: filter.from && filter.from > today ? filter.from : today, through: filter.to && filter.to < horizon ? filter.to : horizon };
}

/** How many expansions the process keeps: a few thousand schedules of a few hundred dates each. */
const KEPT_EXPANSIONS = 2_000;
const keptExpansions = new Map<string, string[] | ScheduleError>();

/**
 * The engine's dates of schedules in windows. Many items share a rule, a start and a window
 * (presets, copied items, one zone per client), and a window moves only with a facility's day, so
 * the dates (a pure function of those) are kept for the process, the oldest let go first once
 * there are too many. A refusal is kept too.
 */
function expansion(schedule: CalendarSchedule, window: { from: string; through: string }): string[] {
  const key = `${schedule.rrule}|${schedule.start}|${schedule.monthEnd}|${window.from}|${window.through}`;
  let dates = keptExpansions.get(key);
  if (dates === undefined) {
    try {
      dates = calendarDates(schedule, window);
    } catch (error) {
      if (!(error instanceof ScheduleError)) throw error;
      dates = error;
    }
    if (keptExpansions.size >= KEPT_EXPANSIONS) keptExpansions.delete(keptExpansions.keys().next().value!);
    keptExpansions.set(key, dates);
  }
  if (dates instanceof ScheduleError) throw dates;
  return dates;
}

/** A schedule's dates in its window from the resume date (ascending). Throws ScheduleError. */
function windowDates(group: Pick<ScheduleGroup, 'rrule' | 'start' | 'monthEnd' | 'generateFrom' | 'today'>, filter: Pick<ReportFilter, 'from' | 'to'>): string[] {
  const window = upcomingWindow(group.today, filter);
  if (window.through < window.from) return [];
  const schedule: CalendarSchedule = { kind: 'calendar', rrule: group.rrule, start: group.start, monthEnd: group.monthEnd };
  const dates = expansion(schedule, window);
  return group.generateFrom === null ? dates : dates.slice(firstAfter(dates, addDays(group.generateFrom, -1)));
}

/** The index of the first of ascending `dates` after `date` (0 when `date` is null). */
function firstAfter(dates: string[], date: string | null): number {
  if (date === null) return 0;
  let lo = 0;
  let hi = dates.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (dates[mid]! > date) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A group's window dates, and for each of its items the index of its first projected one. */
interface Projected {
  group: ScheduleGroup;
  dates: string[];
  firsts: number[];
}

/**
 * The projected occurrences of the active, non-hidden calendar items in the filter: their count,
 * the first `reach` of them in order, and the items the engine refused. Items are read grouped by
 * schedule, so each group is expanded once, and only the items whose dates reach the page are named.
 */
async function projections(client: Client, filter: ReportFilter, now: Date, reach: number) {
  const projected: Projected[] = [];
  const refusedIds = new Map<string, string>();
  for (const group of await scheduleGroups(client, filter, now)) {
    try {
      const dates = windowDates(group, filter);
      projected.push({ group, dates, firsts: group.lastScheduled.map((last) => firstAfter(dates, last)) });
    } catch (error) {
      if (!(error instanceof ScheduleError)) throw error;
      for (const id of group.itemIds) refusedIds.set(id, error.message);
    }
  }
  const lastDay = lastDayOfFirst(projected, reach);
  const reaching = projected.flatMap((p) => p.group.itemIds.filter((_, i) => p.dates[p.firsts[i]!] !== undefined && p.dates[p.firsts[i]!]! <= lastDay));
  const names = await itemNames([...reaching, ...refusedIds.keys()]);
  const first: UpcomingRow[] = [];
  for (const { group, dates, firsts } of projected) {
    group.itemIds.forEach((id, i) => {
      for (let k = firsts[i]!; k < dates.length && dates[k]! <= lastDay; k++) {
        const item = names.get(id)!;
        first.push({ eventId: null, planItemId: id, activity: item.activity, facilityName: item.facilityName, assigneeName: item.assigneeName, dueDate: dates[k]!, projected: true, overdue: false });
      }
    });
  }
  first.sort((a, b) => (a.dueDate < b.dueDate ? -1 : a.dueDate > b.dueDate ? 1 : a.activity.localeCompare(b.activity) || (a.planItemId < b.planItemId ? -1 : 1)));
  const refused = [...refusedIds].map(([id, message]) => ({ planItemId: id, activity: names.get(id)!.activity, facilityName: names.get(id)!.facilityName, message }));
  refused.sort((a, b) => (a.planItemId < b.planItemId ? -1 : 1));
  return {
    first: first.slice(0, reach),
    total: projected.reduce((n, p) => n + p.firsts.reduce((m, f) => m + p.dates.length - f, 0), 0),
    refused,
    itemsProjected: projected.reduce((n, p) => n + p.group.itemIds.length, 0),
  };
}

/** The items grouped by schedule, resume date and facility today (computed once per facility),
 *  each with the scheduled date of its last generated event (kept on the item, migration 0017).
 *  The two arrays are aggregated from the same rows in the same order; no order is asked of them
 *  (the rows are sorted once made), so the groups are hashed rather than sorted. */
function scheduleGroups(client: Client, filter: ReportFilter, now: Date): Promise<ScheduleGroup[]> {
  const f = new SqlFilter().where('p.client_id = app_current_client()').where(`p.schedule_kind = 'calendar'`).where('p.schedules_events').where('NOT p.hidden');
  f.scope(filter, { facility: 'p.facility_id', assignee: 'p.assignee_id', category: 'p.category' });
  const today = facilityToday(f, client, now, 'u');
  return sql<ScheduleGroup>(
    `WITH facility AS MATERIALIZED (SELECT u.id, ${today} AS today FROM org_units u WHERE u.client_id = app_current_client() AND u.kind = 'facility')
     SELECT p.rrule, p.schedule_start::text AS start, p.month_end_policy AS "monthEnd", p.generate_from::text AS "generateFrom", f.today::text AS today,
            array_agg(p.id) AS "itemIds", array_agg(p.last_scheduled_date::text) AS "lastScheduled"
       FROM plan_items p
       JOIN facility f ON f.id = p.facility_id
      WHERE ${f.sql}
      GROUP BY p.rrule, p.schedule_start, p.month_end_policy, p.generate_from, f.today`,
    f.params,
  );
}

/**
 * The day the `reach`-th projected occurrence falls on (by due date), from counts per day, so
 * only occurrences up to it are made into rows and sorted (a large client projects a few hundred
 * thousand); the last day of all when there are fewer.
 */
function lastDayOfFirst(projected: Projected[], reach: number): string {
  const perDay = new Map<string, number>();
  for (const { dates, firsts } of projected) {
    // How many of the group's items project each of its dates: those whose first is at or before it.
    const starting = new Array<number>(dates.length + 1).fill(0);
    for (const first of firsts) starting[first]! += 1;
    let projecting = 0;
    dates.forEach((d, k) => {
      projecting += starting[k]!;
      if (projecting) perDay.set(d, (perDay.get(d) ?? 0) + projecting);
    });
  }
  let lastDay = '';
  let seen = 0;
  for (const day of [...perDay.keys()].sort()) {
    lastDay = day;
    seen += perDay.get(day)!;
    if (seen >= reach) break;
  }
  return lastDay;
}

async function itemNames(ids: string[]): Promise<Map<string, ItemNames>> {
  if (ids.length === 0) return new Map();
  const rows = await sql<ItemNames>(
    `SELECT p.id, p.activity, f.name AS "facilityName", coalesce(a.name, '—') AS "assigneeName"
       FROM plan_items p
       JOIN org_units f ON f.client_id = p.client_id AND f.id = p.facility_id
       LEFT JOIN users a ON a.client_id = p.client_id AND a.id = p.assignee_id
      WHERE p.client_id = app_current_client() AND p.id = ANY ($1::uuid[])`,
    [ids],
  );
  return new Map(rows.map((r) => [r.id, r]));
}

/**
 * The first `reach` generated events of the window by due date, activity and id: those due from
 * today through the horizon, and a relative item's one open event whenever it is due, each read in
 * that order through the open events' due-date index (from the bounds of the facilities' todays),
 * then merged.
 */
function firstGenerated(client: Client, filter: ReportFilter, now: Date, reach: number) {
  const { text, params } = generatedQuery(client, filter, now, reach);
  return sql<GeneratedRow>(text, params);
}

type GeneratedRow = Omit<UpcomingRow, 'projected' | 'overdue'> & { today: string };

/** The generated events of the window in order: the first `reach`, or all of them (null). */
function generatedQuery(client: Client, filter: ReportFilter, now: Date, reach: number | null): { text: string; params: unknown[] } {
  const limit = reach === null ? '' : `LIMIT ${reach}`;
  const f = new SqlFilter().where('e.client_id = app_current_client()').where(`e.status = 'open'`);
  f.scope(filter, { facility: 'e.facility_id', assignee: 'e.assignee_id', category: 'p.category' }).range(filter, 'e.due_date');
  const bounds = facilityToday(f, client, now, 'u');
  const today = facilityToday(f, client, now);
  const item = 'JOIN plan_items p ON p.client_id = e.client_id AND p.id = e.plan_item_id';
  const half = (due: boolean) => `(
    SELECT e.id, e.plan_item_id, e.activity, e.facility_id, e.assignee_id, e.due_date, ${today} AS today
      FROM events e
      JOIN org_units f ON f.client_id = e.client_id AND f.id = e.facility_id
      ${due ? (filter.category ? item : '') : item}
     WHERE ${f.sql} AND ${due
       ? `e.due_date >= (SELECT min(today) FROM facility) AND e.due_date >= ${today} AND e.due_date <= (${today} + interval '${UPCOMING_MONTHS} months')::date`
       : `e.due_date < (SELECT max(today) FROM facility) AND e.due_date < ${today} AND p.schedule_kind = 'relative'`}
     ORDER BY e.due_date, e.activity, e.id
     ${limit})`;
  return {
    text: `WITH facility AS MATERIALIZED (SELECT u.id, ${bounds} AS today FROM org_units u WHERE u.client_id = app_current_client() AND u.kind = 'facility')
     SELECT e.id AS "eventId", e.plan_item_id AS "planItemId", e.activity, f.name AS "facilityName", coalesce(a.name, '—') AS "assigneeName",
            e.due_date::text AS "dueDate", e.today::text AS today
       FROM (${half(true)} UNION ALL ${half(false)}) e
       JOIN org_units f ON f.client_id = app_current_client() AND f.id = e.facility_id
       LEFT JOIN users a ON a.client_id = app_current_client() AND a.id = e.assignee_id
      ORDER BY e.due_date, e.activity, e.id
      ${limit}`,
    params: f.params,
  };
}

/**
 * How many generated events the window holds, per facility with its today and horizon computed
 * once (materialized, so the laterals' date bounds are index conditions): those due from today
 * through the horizon, and those due before today of relative items. Unless dates or a category
 * narrow them, all open ones are facility_people's sums, less those due before today and those
 * due after the horizon (the few at either end, counted from the open events' facility index
 * alone), plus those of the overdue that are relative items' (the relative items' index is small).
 */
async function generatedCount(client: Client, filter: ReportFilter, now: Date): Promise<number> {
  const f = new SqlFilter().where('e.client_id = app_current_client()').where(`e.status = 'open'`);
  f.scope(filter, { facility: 'e.facility_id', assignee: 'e.assignee_id', category: 'p.category' }).range(filter, 'e.due_date');
  const today = facilityToday(f, client, now, 'u');
  const item = 'JOIN plan_items p ON p.client_id = e.client_id AND p.id = e.plan_item_id';
  const perFacility = (events: string) => `(SELECT count(*) FROM facility f CROSS JOIN LATERAL (${events}) x)`;
  const relativeOverdue = perFacility(`SELECT 1 FROM events e ${item} WHERE e.facility_id = f.id AND e.due_date < f.today AND p.schedule_kind = 'relative' AND ${f.sql}`);
  const counted = countsOpenFromPeople(filter)
    ? `${openFromPeopleSql(f, filter)}
       - ${perFacility(`SELECT 1 FROM events e WHERE e.facility_id = f.id AND e.due_date < f.today AND ${f.sql}`)}
       - ${perFacility(`SELECT 1 FROM events e WHERE e.facility_id = f.id AND e.due_date > f.horizon AND ${f.sql}`)}
       + ${relativeOverdue}`
    : `${perFacility(`SELECT 1 FROM events e ${filter.category ? item : ''} WHERE e.facility_id = f.id AND e.due_date >= f.today AND e.due_date <= f.horizon AND ${f.sql}`)}
       + ${relativeOverdue}`;
  const [row] = await sql<{ generated: number }>(
    `WITH facility AS MATERIALIZED (
       SELECT u.id, t.today, (t.today + interval '${UPCOMING_MONTHS} months')::date AS horizon
         FROM org_units u CROSS JOIN LATERAL (SELECT ${today} AS today) t
        WHERE u.client_id = app_current_client() AND u.kind = 'facility')
     SELECT (${counted})::int AS generated`,
    f.params,
  );
  return row!.generated;
}

export async function upcomingReport(client: Client, filter: ReportFilter, now: Date = new Date()): Promise<UpcomingReport> {
  // The first offset + 50 of the merged list come from the first offset + 50 of each list.
  const reach = offsetOf(filter.page) + REPORT_PAGE_SIZE;
  const projected = await projections(client, filter, now, reach);
  const generated = await generatedCount(client, filter, now);
  const total = generated + projected.total;
  const pages = checkPage(filter.page, total);
  const events = await firstGenerated(client, filter, now, reach);
  const merged: UpcomingRow[] = [];
  let i = 0;
  let j = 0;
  const generatedRows = events.map(({ today: t, ...r }) => ({ ...r, projected: false, overdue: isOverdue(t, r.dueDate) }));
  // By due date; on one date the generated events come before the projected ones.
  while (merged.length < reach && (i < generatedRows.length || j < projected.first.length)) {
    const g = generatedRows[i];
    const p = projected.first[j];
    if (g && (!p || g.dueDate <= p.dueDate)) {
      merged.push(g);
      i += 1;
    } else {
      merged.push(p!);
      j += 1;
    }
  }
  return {
    rows: merged.slice(offsetOf(filter.page)),
    total,
    page: filter.page,
    pages,
    generated,
    projected: projected.total,
    itemsProjected: projected.itemsProjected,
    refused: projected.refused,
  };
}

/** Every row of the report, in its order (its download): the projected occurrences worked out
 *  first, as the page does, then merged with the generated events read from a cursor. */
export async function* upcomingRows(client: Client, filter: ReportFilter, now: Date = new Date()): AsyncGenerator<UpcomingRow> {
  const projected = (await projections(client, filter, now, Infinity)).first;
  const { text, params } = generatedQuery(client, filter, now, null);
  let j = 0;
  // By due date; on one date the generated events come before the projected ones.
  for await (const { today: t, ...r } of cursorRows<GeneratedRow>(text, params)) {
    while (j < projected.length && projected[j]!.dueDate < r.dueDate) yield projected[j++]!;
    yield { ...r, projected: false, overdue: isOverdue(t, r.dueDate) };
  }
  while (j < projected.length) yield projected[j++]!;
}
