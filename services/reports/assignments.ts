// Report: assignments by user: what each person holds in the filter: Plan Items (hidden ones left
// out), open events, and how many of those are overdue (in each facility's zone).
import { sql } from '../../lib/unit-of-work.ts';
import type { Client } from '../../models/index.ts';
import { overdueSql } from '../events/definitions.ts';
import { checkPage, countsOpenFromPeople, facilityToday, offsetOf, REPORT_PAGE_SIZE, type ReportFilter, type ReportPage, SqlFilter } from './filters.ts';

export interface AssignmentRow {
  userId: string;
  name: string;
  status: string;
  planItems: number;
  openEvents: number;
  overdue: number;
}

export interface AssignmentsReport extends ReportPage<AssignmentRow> {
  planItems: number;
  openEvents: number;
  overdue: number;
}

/**
 * Each person's open events and how many are overdue, read facility by facility (the facility CTE
 * holds each one's today, so the due date bounds the open events' facility index, which carries
 * the assignee). Unless dates or a category narrow them, the open ones are facility_people's sums
 * and only those due before the facility's today are read from the events.
 */
function openEventsSql(filter: ReportFilter, f: SqlFilter): string {
  const item = filter.category ? 'JOIN plan_items p ON p.client_id = e.client_id AND p.id = e.plan_item_id' : '';
  const perFacility = (where: string) => `FROM facility f CROSS JOIN LATERAL (
       SELECT e.assignee_id, 'open'::text AS status, e.due_date FROM events e ${item} WHERE e.facility_id = f.id AND ${f.sql} ${where}) o`;
  if (!countsOpenFromPeople(filter)) {
    return `SELECT o.assignee_id, 0, count(*)::int, count(*) FILTER (WHERE ${overdueSql('o', 'f.today')})::int ${perFacility('')} GROUP BY o.assignee_id`;
  }
  const w = f.sibling().where('w.client_id = app_current_client()').scope(filter, { facility: 'w.facility_id', assignee: 'w.person_id' });
  return `SELECT w.person_id, 0, sum(w.open_events)::int, 0 FROM facility_people w WHERE ${w.sql} GROUP BY w.person_id HAVING sum(w.open_events) > 0
          UNION ALL SELECT o.assignee_id, 0, 0, count(*)::int ${perFacility('AND e.due_date < f.today')} GROUP BY o.assignee_id`;
}

export async function assignmentsReport(client: Client, filter: ReportFilter, now: Date = new Date()): Promise<AssignmentsReport> {
  const f = new SqlFilter();
  f.where('p.client_id = app_current_client()').where('NOT p.hidden').scope(filter, { facility: 'p.facility_id', assignee: 'p.assignee_id', category: 'p.category' }).range(filter, 'p.next_due_date');
  const itemsSql = f.sql;
  // One statement: the events' clauses number their parameters after the items'.
  const eventsFilter = f.sibling();
  eventsFilter.where('e.client_id = app_current_client()').where(`e.status = 'open'`).scope(filter, { facility: 'e.facility_id', assignee: 'e.assignee_id', category: 'p.category' }).range(filter, 'e.due_date');
  const today = facilityToday(eventsFilter, client, now, 'u');
  const rows = await sql<AssignmentRow & { total: number; sumItems: number; sumOpen: number; sumOverdue: number }>(
    `WITH facility AS MATERIALIZED (SELECT u.id, ${today} AS today FROM org_units u WHERE u.client_id = app_current_client() AND u.kind = 'facility'),
     held AS (
       SELECT p.assignee_id AS user_id, count(*)::int AS plan_items, 0 AS open_events, 0 AS overdue FROM plan_items p WHERE ${itemsSql} GROUP BY p.assignee_id
       UNION ALL ${openEventsSql(filter, eventsFilter)}),
     per_user AS (SELECT user_id, sum(plan_items)::int AS plan_items, sum(open_events)::int AS open_events, sum(overdue)::int AS overdue FROM held GROUP BY user_id)
     SELECT u.id AS "userId", u.name, u.status, h.plan_items AS "planItems", h.open_events AS "openEvents", h.overdue,
            count(*) OVER ()::int AS total, (sum(h.plan_items) OVER ())::int AS "sumItems", (sum(h.open_events) OVER ())::int AS "sumOpen", (sum(h.overdue) OVER ())::int AS "sumOverdue"
       FROM per_user h JOIN users u ON u.client_id = app_current_client() AND u.id = h.user_id
      ORDER BY h.overdue DESC, h.open_events DESC, lower(u.name), u.id`,
    eventsFilter.params,
  );
  const total = rows[0]?.total ?? 0;
  const pages = checkPage(filter.page, total);
  const page = rows.slice(offsetOf(filter.page), offsetOf(filter.page) + REPORT_PAGE_SIZE).map(({ total: _t, sumItems: _i, sumOpen: _o, sumOverdue: _v, ...r }) => r);
  return { rows: page, total, page: filter.page, pages, planItems: rows[0]?.sumItems ?? 0, openEvents: rows[0]?.sumOpen ?? 0, overdue: rows[0]?.sumOverdue ?? 0 };
}
