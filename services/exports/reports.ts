// The reports as files: every row of a report's table, in the page's order, with its filter.
// Event-level reports read from a cursor (each report's own query, beside it); the on-time and
// assignments reports are rolled up in memory by the report itself, so their files walk its pages.
import type { Client } from '../../models/index.ts';
import type { CellValue, ExportFormat, StreamedTable, TableColumn } from '../../types/table.ts';
import { type AssignmentRow, assignmentsReport } from '../reports/assignments.ts';
import { completedRows } from '../reports/completed.ts';
import { documentRows } from '../reports/documents.ts';
import type { ReportFilter, ReportPage } from '../reports/filters.ts';
import { onTimeReport, type PerformanceRow } from '../reports/on-time.ts';
import { openOverdueRows } from '../reports/open-overdue.ts';
import { planSummaryRows } from '../reports/plan-summary.ts';
import { upcomingRows } from '../reports/upcoming.ts';
import { tableDownload } from './tables.ts';

export const REPORT_EXPORT_KEYS = ['open', 'upcoming', 'completed', 'on-time', 'plan-summary', 'assignments', 'documents'] as const;
export type ReportExportKey = (typeof REPORT_EXPORT_KEYS)[number];

const yesNo = (value: boolean): string => (value ? 'Yes' : 'No');
/** 0.875 → 87.5 (the page's percentage); nothing counted → empty. */
const percent = (rate: number | null): number | null => (rate === null ? null : Math.round(rate * 1000) / 10);

interface ReportTable {
  columns: TableColumn[];
  rows: (client: Client, filter: ReportFilter) => AsyncIterable<CellValue[]>;
}

/** Every page of a report computed in memory, page by page, as rows. */
async function* pagesOf<T>(run: (page: number) => Promise<ReportPage<T>>, cells: (row: T) => CellValue[]): AsyncGenerator<CellValue[]> {
  for (let page = 1, pages = 1; page <= pages; page += 1) {
    const result = await run(page);
    pages = result.pages;
    for (const row of result.rows) yield cells(row);
  }
}

async function* mapped<T>(rows: AsyncIterable<T>, cells: (row: T) => CellValue[]): AsyncGenerator<CellValue[]> {
  for await (const row of rows) yield cells(row);
}

const GROUP_HEADERS: Record<ReportFilter['by'], string> = { facility: 'Facility', division: 'Division', region: 'Region', assignee: 'Assignee' };

const TABLES: Record<ReportExportKey, (filter: ReportFilter) => ReportTable> = {
  open: () => ({
    columns: [
      { header: 'Due date', width: 12, type: 'date' }, { header: 'Days overdue', width: 13, type: 'number' }, { header: 'Facility', width: 28 },
      { header: 'Activity', width: 40 }, { header: 'Assignee', width: 24 }, { header: 'Status', width: 10 }, { header: 'Event id', width: 38 },
    ],
    rows: (client, filter) => mapped(openOverdueRows(client, filter), (r) => [r.dueDate, r.overdue ? r.daysOverdue : null, r.facilityName, r.activity, r.assigneeName, r.overdue ? 'Overdue' : 'Open', r.id]),
  }),
  upcoming: () => ({
    columns: [
      { header: 'Due date', width: 12, type: 'date' }, { header: 'Facility', width: 28 }, { header: 'Activity', width: 40 }, { header: 'Assignee', width: 24 },
      { header: 'Kind', width: 12 }, { header: 'Overdue', width: 9 }, { header: 'Event id', width: 38 }, { header: 'Plan Item id', width: 38 },
    ],
    rows: (client, filter) => mapped(upcomingRows(client, filter), (r) => [r.dueDate, r.facilityName, r.activity, r.assigneeName, r.projected ? 'Projected' : 'Generated', yesNo(r.overdue), r.eventId, r.planItemId]),
  }),
  completed: () => ({
    columns: [
      { header: 'Closed at', width: 17, type: 'datetime' }, { header: 'Time zone', width: 20 }, { header: 'Due date', width: 12, type: 'date' },
      { header: 'Completed', width: 12, type: 'date' }, { header: 'Facility', width: 28 }, { header: 'Activity', width: 40 }, { header: 'Closed by', width: 24 },
      { header: 'On time', width: 9 }, { header: 'Recorded late', width: 14 }, { header: 'Evidence', width: 10, type: 'number' },
      { header: 'Event id', width: 38 }, { header: 'Close record id', width: 38 },
    ],
    rows: (client, filter) => mapped(completedRows(client, filter), (r) => [
      r.closedLocal, r.timeZone, r.dueDate, r.completedOn, r.facilityName, r.activity, r.closedByName, r.late ? 'Late' : 'On time', yesNo(r.recordedLate), r.evidence, r.eventId, r.closureId,
    ]),
  }),
  'on-time': (filter) => ({
    columns: [
      { header: GROUP_HEADERS[filter.by], width: 30 }, { header: 'On time', width: 9, type: 'number' }, { header: 'Closed late', width: 12, type: 'number' },
      { header: 'Open past due', width: 14, type: 'number' }, { header: 'Counted', width: 9, type: 'number' }, { header: 'Rate (%)', width: 9, type: 'number' },
    ],
    rows: (client, f) => pagesOf((page) => onTimeReport(client, { ...f, page }), (r: PerformanceRow) => [r.name, r.onTime, r.late, r.missed, r.counted, percent(r.rate)]),
  }),
  'plan-summary': () => ({
    columns: [
      { header: 'Facility', width: 28 }, { header: 'Activity', width: 40 }, { header: 'Category', width: 18 }, { header: 'Requirement', width: 12 },
      { header: 'Schedule', width: 40 }, { header: 'Assignee', width: 24 }, { header: 'Next due', width: 12, type: 'date' }, { header: 'Schedules events', width: 16 },
      { header: 'Plan Item id', width: 38 },
    ],
    rows: (_client, filter) => mapped(planSummaryRows(filter), (r) => [r.facilityName, r.activity, r.category, r.requirement, r.schedule, r.assigneeName, r.nextDueDate, yesNo(r.active), r.id]),
  }),
  assignments: () => ({
    columns: [
      { header: 'User', width: 28 }, { header: 'Status', width: 12 }, { header: 'Plan Items', width: 11, type: 'number' },
      { header: 'Open events', width: 12, type: 'number' }, { header: 'Overdue', width: 9, type: 'number' }, { header: 'User id', width: 38 },
    ],
    rows: (client, f) => pagesOf((page) => assignmentsReport(client, { ...f, page }), (r: AssignmentRow) => [r.name, r.status, r.planItems, r.openEvents, r.overdue, r.userId]),
  }),
  documents: () => ({
    columns: [
      { header: 'Uploaded at', width: 17, type: 'datetime' }, { header: 'Time zone', width: 20 }, { header: 'File name', width: 36 }, { header: 'Size (bytes)', width: 12, type: 'number' },
      { header: 'Facility', width: 28 }, { header: 'Activity', width: 40 }, { header: 'Event due', width: 12, type: 'date' }, { header: 'Uploaded by', width: 24 },
      { header: 'Document id', width: 38 }, { header: 'Event id', width: 38 },
    ],
    rows: (client, filter) => mapped(documentRows(client, filter), (r) => [
      r.uploadedLocal, r.timeZone, r.fileName, Number(r.sizeBytes), r.facilityName, r.activity, r.dueDate, r.uploadedByName, r.id, r.eventId,
    ]),
  }),
};

/** A report as a streamed file. `title` names it; `filters` are the query's, for the audit entry. */
export function reportExport(key: ReportExportKey, title: string, client: Client, filter: ReportFilter, format: ExportFormat, filters: object): StreamedTable {
  const report = TABLES[key](filter);
  return tableDownload(client, format, {
    what: [`report-${key}`],
    sheetName: title,
    columns: report.columns,
    rows: () => report.rows(client, filter),
    action: 'report.exported',
    entityType: 'report',
    filters: { report: key, ...filters },
  });
}
