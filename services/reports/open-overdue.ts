// Report: open and overdue events, overdue first (each in its facility's zone), with how many
// days each is overdue. The words are services/events/definitions.ts's.
import { daysBetween } from '../../lib/calendar-dates.ts';
import { cursorRows, sql } from '../../lib/unit-of-work.ts';
import type { Client } from '../../models/index.ts';
import { isOverdue, overdueSql } from '../events/definitions.ts';
import { checkPage, countsOpenFromPeople, facilityToday, offsetOf, openFromPeopleSql, REPORT_PAGE_SIZE, type ReportFilter, type ReportPage, SqlFilter } from './filters.ts';

export interface OpenEventRow {
  id: string;
  planItemId: string;
  activity: string;
  facilityName: string;
  assigneeName: string;
  dueDate: string;
  today: string;
  overdue: boolean;
  daysOverdue: number;
}

export interface OpenOverdueReport extends ReportPage<OpenEventRow> {
  open: number;
  overdue: number;
}

function filterOf(filter: ReportFilter) {
  const f = new SqlFilter().where(`e.client_id = app_current_client()`).where(`e.status = 'open'`);
  return f.scope(filter, { facility: 'e.facility_id', assignee: 'e.assignee_id', category: 'p.category' }).range(filter, 'e.due_date');
}

/** The events' Plan Item, only when the category filter needs it. */
const planItemOf = (filter: ReportFilter) => (filter.category ? 'JOIN plan_items p ON p.client_id = e.client_id AND p.id = e.plan_item_id' : '');

/** The facilities in scope with their today, once each (materialized: laterals and bounds read plain values). */
function facilitiesSql(f: SqlFilter, client: Client, now: Date): string {
  return `WITH facility AS MATERIALIZED (
    SELECT f.id, ${facilityToday(f, client, now)} AS today FROM org_units f WHERE f.client_id = app_current_client() AND f.kind = 'facility')`;
}

/**
 * Open and overdue events counted per facility. The status is the constant the WHERE asks for,
 * so counting stays within the open-events index. Unless dates or a category narrow them, the open
 * ones are facility_people's sums and only the overdue ones (all due before the facility's today)
 * are counted from the events.
 */
async function countsOf(client: Client, filter: ReportFilter, now: Date): Promise<{ open: number; overdue: number }> {
  const f = filterOf(filter);
  const kept = countsOpenFromPeople(filter);
  const [summary] = await sql<{ open: number; overdue: number }>(
    `${facilitiesSql(f, client, now)}
     SELECT ${kept ? openFromPeopleSql(f, filter) : 'count(*)'}::int AS open, count(*) FILTER (WHERE ${overdueSql('o', 'f.today')})::int AS overdue
       FROM facility f
      CROSS JOIN LATERAL (SELECT 'open'::text AS status, e.due_date FROM events e ${planItemOf(filter)}
                           WHERE e.facility_id = f.id AND ${f.sql} ${kept ? 'AND e.due_date < f.today' : ''}) o`,
    f.params,
  );
  return summary!;
}

/**
 * One page, overdue first (in each facility's zone), then by due date, activity and id: the
 * overdue ones and the others each read in that order through the open events' due-date index
 * (from the bounds of the facilities' todays), as many as the page reaches, then merged.
 */
async function pageOf(client: Client, filter: ReportFilter, now: Date): Promise<Array<Omit<OpenEventRow, 'overdue' | 'daysOverdue'>>> {
  const f = filterOf(filter);
  const bounds = facilitiesSql(f, client, now);
  const today = facilityToday(f, client, now);
  const half = (overdue: boolean) => `(
    SELECT e.id, e.plan_item_id, e.activity, e.facility_id, e.assignee_id, e.due_date, ${today} AS today, ${overdue} AS overdue
      FROM events e
      JOIN org_units f ON f.client_id = e.client_id AND f.id = e.facility_id
      ${planItemOf(filter)}
     WHERE ${f.sql} AND ${overdue ? `e.due_date < (SELECT max(today) FROM facility) AND ${overdueSql('e', today)}` : `e.due_date >= (SELECT min(today) FROM facility) AND NOT ${overdueSql('e', today)}`}
     ORDER BY e.due_date, e.activity, e.id
     LIMIT ${offsetOf(filter.page) + REPORT_PAGE_SIZE})`;
  return sql<Omit<OpenEventRow, 'overdue' | 'daysOverdue'>>(
    `${bounds}
     SELECT e.id, e.plan_item_id AS "planItemId", e.activity, f.name AS "facilityName", coalesce(a.name, '—') AS "assigneeName",
            e.due_date::text AS "dueDate", e.today::text AS today
       FROM (${half(true)} UNION ALL ${half(false)}) e
       JOIN org_units f ON f.client_id = app_current_client() AND f.id = e.facility_id
       LEFT JOIN users a ON a.client_id = app_current_client() AND a.id = e.assignee_id
      ORDER BY e.overdue DESC, e.due_date, e.activity, e.id
      LIMIT ${REPORT_PAGE_SIZE} OFFSET ${offsetOf(filter.page)}`,
    f.params,
  );
}

export async function openOverdueReport(client: Client, filter: ReportFilter, now: Date = new Date()): Promise<OpenOverdueReport> {
  const summary = await countsOf(client, filter, now);
  const pages = checkPage(filter.page, summary.open);
  const rows = await pageOf(client, filter, now);
  return {
    open: summary.open,
    overdue: summary.overdue,
    total: summary.open,
    page: filter.page,
    pages,
    rows: rows.map((r) => {
      const overdue = isOverdue(r.today, r.dueDate);
      return { ...r, overdue, daysOverdue: overdue ? daysBetween(r.dueDate, r.today) : 0 };
    }),
  };
}

/** Every row of the report, in its order, from a cursor (its download). */
export async function* openOverdueRows(client: Client, filter: ReportFilter, now: Date = new Date()): AsyncGenerator<OpenEventRow> {
  const f = filterOf(filter);
  const today = facilityToday(f, client, now);
  const rows = cursorRows<Omit<OpenEventRow, 'overdue' | 'daysOverdue'>>(
    `SELECT e.id, e.plan_item_id AS "planItemId", e.activity, f.name AS "facilityName", coalesce(a.name, '—') AS "assigneeName",
            e.due_date::text AS "dueDate", ${today}::text AS today
       FROM events e
       JOIN org_units f ON f.client_id = e.client_id AND f.id = e.facility_id
       ${planItemOf(filter)}
       LEFT JOIN users a ON a.client_id = e.client_id AND a.id = e.assignee_id
      WHERE ${f.sql}
      ORDER BY ${overdueSql('e', today)} DESC, e.due_date, e.activity, e.id`,
    f.params,
  );
  for await (const r of rows) {
    const overdue = isOverdue(r.today, r.dueDate);
    yield { ...r, overdue, daysOverdue: overdue ? daysBetween(r.dueDate, r.today) : 0 };
  }
}
