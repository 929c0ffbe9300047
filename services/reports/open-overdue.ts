// Report: open and overdue events, overdue first (each in its facility's zone), with how many
// days each is overdue. The words are services/events/definitions.ts's.
import { daysBetween } from '../../lib/calendar-dates.ts';
import { cursorRows, sql } from '../../lib/unit-of-work.ts';
import type { Client } from '../../models/index.ts';
import { isOverdue, overdueSql } from '../events/definitions.ts';
import { checkPage, facilityToday, offsetOf, REPORT_PAGE_SIZE, type ReportFilter, type ReportPage, SqlFilter } from './filters.ts';

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

function filterOf(client: Client, filter: ReportFilter, now: Date) {
  const f = new SqlFilter().where(`e.client_id = app_current_client()`).where(`e.status = 'open'`);
  f.scope(filter, { facility: 'e.facility_id', assignee: 'e.assignee_id', category: 'p.category' }).range(filter, 'e.due_date');
  return { f, today: facilityToday(f, client, now) };
}

const FROM = `FROM events e
  JOIN org_units f ON f.client_id = e.client_id AND f.id = e.facility_id
  JOIN plan_items p ON p.client_id = e.client_id AND p.id = e.plan_item_id`;

export async function openOverdueReport(client: Client, filter: ReportFilter, now: Date = new Date()): Promise<OpenOverdueReport> {
  const counts = filterOf(client, filter, now);
  const [summary] = await sql<{ open: number; overdue: number }>(
    `SELECT count(*)::int AS open, count(*) FILTER (WHERE ${overdueSql('e', counts.today)})::int AS overdue ${FROM} WHERE ${counts.f.sql}`,
    counts.f.params,
  );
  const pages = checkPage(filter.page, summary!.open);
  const { f, today } = filterOf(client, filter, now);
  const rows = await sql<Omit<OpenEventRow, 'overdue' | 'daysOverdue'>>(
    `SELECT e.id, e.plan_item_id AS "planItemId", e.activity, f.name AS "facilityName", coalesce(a.name, '—') AS "assigneeName",
            e.due_date::text AS "dueDate", ${today}::text AS today
       ${FROM}
       LEFT JOIN users a ON a.client_id = e.client_id AND a.id = e.assignee_id
      WHERE ${f.sql}
      ORDER BY ${overdueSql('e', today)} DESC, e.due_date, e.activity, e.id
      LIMIT ${REPORT_PAGE_SIZE} OFFSET ${offsetOf(filter.page)}`,
    f.params,
  );
  return {
    open: summary!.open,
    overdue: summary!.overdue,
    total: summary!.open,
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
  const { f, today } = filterOf(client, filter, now);
  const rows = cursorRows<Omit<OpenEventRow, 'overdue' | 'daysOverdue'>>(
    `SELECT e.id, e.plan_item_id AS "planItemId", e.activity, f.name AS "facilityName", coalesce(a.name, '—') AS "assigneeName",
            e.due_date::text AS "dueDate", ${today}::text AS today
       ${FROM}
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
