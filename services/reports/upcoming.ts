// Report: what is coming in the next 12 months, including occurrences not yet generated. For each
// active, non-hidden calendar Plan Item in the filter, the recurrence engine gives its rule's dates
// after its last generated event, up to the facility's today + 12 months; they are merged with the
// generated open events due in that window. A relative item's only next event is its open one
// (the next exists only once it is closed), shown even when overdue.
import { addMonths } from '../../lib/calendar-dates.ts';
import { cursorRows, sql } from '../../lib/unit-of-work.ts';
import type { Client } from '../../models/index.ts';
import { isOverdue } from '../events/definitions.ts';
import { calendarDates, type CalendarSchedule, type MonthEndPolicy, ScheduleError } from '../plans/recurrence.ts';
import { checkPage, facilityToday, offsetOf, REPORT_PAGE_SIZE, type ReportFilter, type ReportPage, SqlFilter } from './filters.ts';

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

interface ItemRow {
  id: string;
  activity: string;
  facilityName: string;
  assigneeName: string;
  rrule: string;
  start: string;
  monthEnd: MonthEndPolicy;
  generateFrom: string | null;
  lastScheduled: string | null;
  today: string;
}

/** The window [from, through] an item's facility looks at, narrowed by the filter's range. */
export function upcomingWindow(today: string, filter: Pick<ReportFilter, 'from' | 'to'>): { from: string; through: string } {
  const horizon = addMonths(today, UPCOMING_MONTHS);
  return { from: filter.from && filter.from > today ? filter.from : today, through: filter.to && filter.to < horizon ? filter.to : horizon };
}

/** One item's projected dates: the engine's dates in the window after its last generated event
 *  (and from its resume date). Throws the engine's ScheduleError. */
export function projectedDates(item: Pick<ItemRow, 'rrule' | 'start' | 'monthEnd' | 'generateFrom' | 'lastScheduled' | 'today'>, filter: Pick<ReportFilter, 'from' | 'to'>): string[] {
  const window = upcomingWindow(item.today, filter);
  if (window.through < window.from) return [];
  const schedule: CalendarSchedule = { kind: 'calendar', rrule: item.rrule, start: item.start, monthEnd: item.monthEnd };
  return calendarDates(schedule, window).filter((d) => (item.lastScheduled === null || d > item.lastScheduled) && (item.generateFrom === null || d >= item.generateFrom));
}

async function projections(client: Client, filter: ReportFilter, now: Date) {
  const f = new SqlFilter().where('p.client_id = app_current_client()').where(`p.schedule_kind = 'calendar'`).where('p.schedules_events').where('NOT p.hidden');
  f.scope(filter, { facility: 'p.facility_id', assignee: 'p.assignee_id', category: 'p.category' });
  const today = facilityToday(f, client, now);
  const items = await sql<ItemRow>(
    `SELECT p.id, p.activity, f.name AS "facilityName", coalesce(a.name, '—') AS "assigneeName", p.rrule, p.schedule_start::text AS start,
            p.month_end_policy AS "monthEnd", p.generate_from::text AS "generateFrom", ${today}::text AS today,
            (SELECT max(e.scheduled_date)::text FROM events e WHERE e.client_id = p.client_id AND e.plan_item_id = p.id) AS "lastScheduled"
       FROM plan_items p
       JOIN org_units f ON f.client_id = p.client_id AND f.id = p.facility_id
       LEFT JOIN users a ON a.client_id = p.client_id AND a.id = p.assignee_id
      WHERE ${f.sql}`,
    f.params,
  );
  const rows: UpcomingRow[] = [];
  const refused: UpcomingReport['refused'] = [];
  for (const item of items) {
    let dates: string[];
    try {
      dates = projectedDates(item, filter);
    } catch (error) {
      if (!(error instanceof ScheduleError)) throw error;
      refused.push({ planItemId: item.id, activity: item.activity, facilityName: item.facilityName, message: error.message });
      continue;
    }
    for (const dueDate of dates) {
      rows.push({ eventId: null, planItemId: item.id, activity: item.activity, facilityName: item.facilityName, assigneeName: item.assigneeName, dueDate, projected: true, overdue: false });
    }
  }
  rows.sort((a, b) => (a.dueDate < b.dueDate ? -1 : a.dueDate > b.dueDate ? 1 : a.activity.localeCompare(b.activity) || (a.planItemId < b.planItemId ? -1 : 1)));
  return { rows, refused, itemsProjected: items.length - refused.length };
}

function generatedFilter(client: Client, filter: ReportFilter, now: Date) {
  const f = new SqlFilter().where('e.client_id = app_current_client()').where(`e.status = 'open'`);
  f.scope(filter, { facility: 'e.facility_id', assignee: 'e.assignee_id', category: 'p.category' }).range(filter, 'e.due_date');
  const today = facilityToday(f, client, now);
  // Due from today through the horizon; a relative item's one open event whenever it is due.
  f.where(`e.due_date <= (${today} + interval '${UPCOMING_MONTHS} months')::date`).where(`(p.schedule_kind = 'relative' OR e.due_date >= ${today})`);
  return { f, today };
}

const GENERATED_FROM = `FROM events e
  JOIN org_units f ON f.client_id = e.client_id AND f.id = e.facility_id
  JOIN plan_items p ON p.client_id = e.client_id AND p.id = e.plan_item_id`;

export async function upcomingReport(client: Client, filter: ReportFilter, now: Date = new Date()): Promise<UpcomingReport> {
  const projected = await projections(client, filter, now);
  const counted = generatedFilter(client, filter, now);
  const [{ generated }] = (await sql<{ generated: number }>(`SELECT count(*)::int AS generated ${GENERATED_FROM} WHERE ${counted.f.sql}`, counted.f.params)) as [{ generated: number }];
  const total = generated + projected.rows.length;
  const pages = checkPage(filter.page, total);
  // The first offset + 50 of the merged list come from the first offset + 50 of each list.
  const reach = offsetOf(filter.page) + REPORT_PAGE_SIZE;
  const { f, today } = generatedFilter(client, filter, now);
  const events = await sql<Omit<UpcomingRow, 'projected' | 'overdue'> & { today: string }>(
    `SELECT e.id AS "eventId", e.plan_item_id AS "planItemId", e.activity, f.name AS "facilityName", coalesce(a.name, '—') AS "assigneeName",
            e.due_date::text AS "dueDate", ${today}::text AS today
       ${GENERATED_FROM}
       LEFT JOIN users a ON a.client_id = e.client_id AND a.id = e.assignee_id
      WHERE ${f.sql}
      ORDER BY e.due_date, e.activity, e.id
      LIMIT ${reach}`,
    f.params,
  );
  const merged: UpcomingRow[] = [];
  let i = 0;
  let j = 0;
  const generatedRows = events.map(({ today: t, ...r }) => ({ ...r, projected: false, overdue: isOverdue(t, r.dueDate) }));
  // By due date; on one date the generated events come before the projected ones.
  while (merged.length < reach && (i < generatedRows.length || j < projected.rows.length)) {
    const g = generatedRows[i];
    const p = projected.rows[j];
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
    projected: projected.rows.length,
    itemsProjected: projected.itemsProjected,
    refused: projected.refused,
  };
}

/** Every row of the report, in its order (its download): the projected occurrences worked out
 *  first, as the page does, then merged with the generated events read from a cursor. */
export async function* upcomingRows(client: Client, filter: ReportFilter, now: Date = new Date()): AsyncGenerator<UpcomingRow> {
  const projected = (await projections(client, filter, now)).rows;
  const { f, today } = generatedFilter(client, filter, now);
  const events = cursorRows<Omit<UpcomingRow, 'projected' | 'overdue'> & { today: string }>(
    `SELECT e.id AS "eventId", e.plan_item_id AS "planItemId", e.activity, f.name AS "facilityName", coalesce(a.name, '—') AS "assigneeName",
            e.due_date::text AS "dueDate", ${today}::text AS today
       ${GENERATED_FROM}
       LEFT JOIN users a ON a.client_id = e.client_id AND a.id = e.assignee_id
      WHERE ${f.sql}
      ORDER BY e.due_date, e.activity, e.id`,
    f.params,
  );
  let j = 0;
  // By due date; on one date the generated events come before the projected ones.
  for await (const { today: t, ...r } of events) {
    while (j < projected.length && projected[j]!.dueDate < r.dueDate) yield projected[j++]!;
    yield { ...r, projected: false, overdue: isOverdue(t, r.dueDate) };
  }
  while (j < projected.length) yield projected[j++]!;
}
