// Report: the document finder: documents by part of their file name, facility, event, who
// uploaded them and when (the date range is the upload date in the facility's zone). Files are
// downloaded through the authorised GET /documents/:id; nothing here reads their bytes.
import { cursorRows, sql } from '../../lib/unit-of-work.ts';
import type { Client } from '../../models/index.ts';
import { staffNameOf } from '../events/lookups.ts';
import { checkPage, offsetOf, REPORT_PAGE_SIZE, type ReportFilter, type ReportPage, SqlFilter } from './filters.ts';

export interface DocumentReportRow {
  id: string;
  fileName: string;
  sizeBytes: number;
  eventId: string;
  activity: string;
  dueDate: string;
  facilityName: string;
  timeZone: string;
  uploadedByName: string | null;
  uploadedAt: Date;
}

/** `text` as a LIKE pattern matching itself anywhere (its own % and _ taken literally). */
export const containsPattern = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

function filterOf(client: Client, filter: ReportFilter) {
  const f = new SqlFilter().where('d.client_id = app_current_client()');
  f.scope(filter, { facility: 'd.facility_id', assignee: 'e.assignee_id', category: 'p.category' });
  // The zone is a parameter only once a clause uses it (PostgreSQL must know every parameter's type).
  let zone: string | undefined;
  const zoneOf = () => (zone ??= `coalesce(f.time_zone, ${f.param(client.timeZone)}::text)`);
  if (filter.from || filter.to) f.range(filter, `(d.uploaded_at AT TIME ZONE ${zoneOf()})::date`);
  if (filter.search) f.where(`d.file_name ILIKE ${f.param(containsPattern(filter.search))}::text`);
  if (filter.uploaderId) f.where(`d.uploaded_by = ${f.param(filter.uploaderId)}::uuid`);
  return { f, zoneOf };
}

/** The documents with the tables a filter reads: the event for the assignee, its Plan Item for
 *  the category, the facility for its zone (`all` joins them all, for the page's columns). */
function fromOf(filter: ReportFilter, all = false): string {
  const event = all || filter.assigneeId || filter.category;
  return `FROM documents d
    ${event ? 'JOIN events e ON e.client_id = d.client_id AND e.id = d.event_id' : ''}
    ${all || filter.from || filter.to ? 'JOIN org_units f ON f.client_id = d.client_id AND f.id = d.facility_id' : ''}
    ${filter.category ? 'JOIN plan_items p ON p.client_id = e.client_id AND p.id = e.plan_item_id' : ''}`;
}

export async function documentsReport(client: Client, filter: ReportFilter): Promise<ReportPage<DocumentReportRow>> {
  const counts = filterOf(client, filter);
  const [summary] = await sql<{ total: number }>(`SELECT count(*)::int AS total ${fromOf(filter)} WHERE ${counts.f.sql}`, counts.f.params);
  const pages = checkPage(filter.page, summary!.total);
  const { f, zoneOf } = filterOf(client, filter);
  const rows = await sql<DocumentReportRow>(
    `SELECT d.id, d.file_name AS "fileName", d.size_bytes AS "sizeBytes", e.id AS "eventId", e.activity, e.due_date::text AS "dueDate",
            f.name AS "facilityName", ${zoneOf()} AS "timeZone", coalesce(u.name, ${staffNameOf('d.uploaded_by_staff_id')}) AS "uploadedByName",
            d.uploaded_at AS "uploadedAt"
       ${fromOf(filter, true)}
       LEFT JOIN users u ON u.client_id = d.client_id AND u.id = d.uploaded_by
      WHERE ${f.sql}
      ORDER BY d.uploaded_at DESC, d.id
      LIMIT ${REPORT_PAGE_SIZE} OFFSET ${offsetOf(filter.page)}`,
    f.params,
  );
  return { rows, total: summary!.total, page: filter.page, pages };
}

/** Every document of the report, in its order, from a cursor (its download); `uploadedLocal` is
 *  the upload's time in the facility's zone. */
export function documentRows(client: Client, filter: ReportFilter): AsyncGenerator<DocumentReportRow & { uploadedLocal: string }> {
  const { f, zoneOf } = filterOf(client, filter);
  return cursorRows<DocumentReportRow & { uploadedLocal: string }>(
    `SELECT d.id, d.file_name AS "fileName", d.size_bytes::int AS "sizeBytes", e.id AS "eventId", e.activity, e.due_date::text AS "dueDate",
            f.name AS "facilityName", ${zoneOf()} AS "timeZone", coalesce(u.name, ${staffNameOf('d.uploaded_by_staff_id')}) AS "uploadedByName",
            d.uploaded_at AS "uploadedAt", to_char(d.uploaded_at AT TIME ZONE ${zoneOf()}, 'YYYY-MM-DD HH24:MI') AS "uploadedLocal"
       ${fromOf(filter, true)}
       LEFT JOIN users u ON u.client_id = d.client_id AND u.id = d.uploaded_by
      WHERE ${f.sql}
      ORDER BY d.uploaded_at DESC, d.id`,
    f.params,
  );
}
