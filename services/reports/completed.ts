// Report: completed history. Each close record (event_closures) of the closed events in the
// filter: who closed it and when (in the facility's zone), on time or late, recorded late, and the
// evidence it froze (the documents the record lists). A reopened and closed-again event shows
// each of its close records.
import { cursorRows, sql } from '../../lib/unit-of-work.ts';
import type { Client } from '../../models/index.ts';
import { staffNameOf } from '../events/lookups.ts';
import { checkPage, offsetOf, REPORT_PAGE_SIZE, type ReportFilter, type ReportPage, SqlFilter } from './filters.ts';

export interface ClosureReportRow {
  closureId: string;
  eventId: string;
  activity: string;
  facilityName: string;
  timeZone: string;
  dueDate: string;
  completedOn: string;
  closedByName: string | null;
  closedAt: Date;
  late: boolean;
  recordedLate: boolean;
  evidence: number;
}

export interface CompletedReport extends ReportPage<ClosureReportRow> {
  onTime: number;
  late: number;
  recordedLate: number;
  evidence: number;
}

function filterOf(filter: ReportFilter) {
  const f = new SqlFilter().where('k.client_id = app_current_client()').where(`e.status = 'closed'`);
  f.scope(filter, { facility: 'k.facility_id', assignee: 'e.assignee_id', category: 'p.category' }).range(filter, 'k.due_date');
  return f;
}

/** The close records with their event and facility, and the Plan Item only when the category filter needs it. */
const fromOf = (filter: ReportFilter) => `FROM event_closures k
  JOIN events e ON e.client_id = k.client_id AND e.id = k.event_id
  JOIN org_units f ON f.client_id = e.client_id AND f.id = e.facility_id
  ${filter.category ? 'JOIN plan_items p ON p.client_id = e.client_id AND p.id = e.plan_item_id' : ''}`;

type Summary = Pick<CompletedReport, 'total' | 'onTime' | 'late' | 'recordedLate' | 'evidence'>;

/** The counts over every close record in the filter, read record by record. */
async function countedSummary(filter: ReportFilter): Promise<Summary> {
  const f = filterOf(filter);
  const [summary] = await sql<Summary>(
    `SELECT count(*)::int AS total, count(*) FILTER (WHERE NOT k.late)::int AS "onTime", count(*) FILTER (WHERE k.late)::int AS late,
            count(*) FILTER (WHERE k.recorded_late)::int AS "recordedLate", coalesce(sum(jsonb_array_length(k.documents)), 0)::int AS evidence
       ${fromOf(filter)} WHERE ${f.sql}`,
    f.params,
  );
  return summary!;
}

/** The same counts from facility_people (which counts each person's close records of closed
 *  events per facility), when no date range or category narrows them. */
async function peopleSummary(filter: ReportFilter): Promise<Summary> {
  const f = new SqlFilter().where('w.client_id = app_current_client()').scope(filter, { facility: 'w.facility_id', assignee: 'w.person_id' });
  const [summary] = await sql<Summary>(
    `SELECT coalesce(sum(w.records), 0)::int AS total, coalesce(sum(w.records - w.records_late), 0)::int AS "onTime",
            coalesce(sum(w.records_late), 0)::int AS late, coalesce(sum(w.records_recorded_late), 0)::int AS "recordedLate",
            coalesce(sum(w.records_documents), 0)::int AS evidence
       FROM facility_people w WHERE ${f.sql}`,
    f.params,
  );
  return summary!;
}

export async function completedReport(client: Client, filter: ReportFilter): Promise<CompletedReport> {
  const summary = filter.category || filter.from || filter.to ? await countedSummary(filter) : await peopleSummary(filter);
  const pages = checkPage(filter.page, summary.total);
  const f = filterOf(filter);
  const zone = `coalesce(f.time_zone, ${f.param(client.timeZone)}::text)`;
  const rows = await sql<ClosureReportRow>(
    `SELECT k.id AS "closureId", e.id AS "eventId", e.activity, f.name AS "facilityName", ${zone} AS "timeZone",
            k.due_date::text AS "dueDate", k.completed_on::text AS "completedOn", coalesce(u.name, ${staffNameOf('k.closed_by_staff_id')}) AS "closedByName",
            k.closed_at AS "closedAt", k.late, k.recorded_late AS "recordedLate", jsonb_array_length(k.documents)::int AS evidence
       ${fromOf(filter)}
       LEFT JOIN users u ON u.client_id = k.client_id AND u.id = k.closed_by
      WHERE ${f.sql}
      ORDER BY k.closed_at DESC, k.id
      LIMIT ${REPORT_PAGE_SIZE} OFFSET ${offsetOf(filter.page)}`,
    f.params,
  );
  return { rows, page: filter.page, pages, ...summary };
}

/** Every close record of the report, in its order, from a cursor (its download); `closedLocal`
 *  is the close's time in the facility's zone. */
export function completedRows(client: Client, filter: ReportFilter): AsyncGenerator<ClosureReportRow & { closedLocal: string }> {
  const f = filterOf(filter);
  const zone = `coalesce(f.time_zone, ${f.param(client.timeZone)}::text)`;
  return cursorRows<ClosureReportRow & { closedLocal: string }>(
    `SELECT k.id AS "closureId", e.id AS "eventId", e.activity, f.name AS "facilityName", ${zone} AS "timeZone",
            k.due_date::text AS "dueDate", k.completed_on::text AS "completedOn", coalesce(u.name, ${staffNameOf('k.closed_by_staff_id')}) AS "closedByName",
            k.closed_at AS "closedAt", to_char(k.closed_at AT TIME ZONE ${zone}, 'YYYY-MM-DD HH24:MI') AS "closedLocal",
            k.late, k.recorded_late AS "recordedLate", jsonb_array_length(k.documents)::int AS evidence
       ${fromOf(filter)}
       LEFT JOIN users u ON u.client_id = k.client_id AND u.id = k.closed_by
      WHERE ${f.sql}
      ORDER BY k.closed_at DESC, k.id`,
    f.params,
  );
}
