// Downloads of the reports: each report's table as CSV or XLSX, with the page's filter (the same
// parser), every row rather than one page. Authorized exactly as the page; a unit outside the
// scope is a 404; a filter the page would drop with a message refuses the download instead,
// answering the report page with that message (422), so a file never silently holds more than asked.
import type { Request } from 'express';
import { type Outcome, table } from '../lib/outcomes.ts';
import { authorize } from '../policies/index.ts';
import { type ReportExportKey, reportExport } from '../services/exports/reports.ts';
import type { Actor } from '../types/actor.ts';
import type { ExportFormat } from '../types/table.ts';
import { parseReportFilter } from './report-filters.ts';
import { REPORTS, reportsController } from './reports.ts';

const PAGE_ACTIONS: Record<ReportExportKey, keyof ReturnType<typeof reportsController>> = {
  open: 'openOverdue', upcoming: 'upcoming', completed: 'completed', 'on-time': 'onTime', 'plan-summary': 'planSummary', assignments: 'assignments', documents: 'documents',
};

export function reportExportsController() {
  async function download(req: Request, actor: Actor, key: ReportExportKey, format: ExportFormat): Promise<Outcome> {
    authorize(actor.user, 'reports.view');
    const { filter, form, messages } = await parseReportFilter(req.query);
    if (messages.length) {
      const page = await reportsController()[PAGE_ACTIONS[key]](req, actor);
      return page.kind === 'view' ? { ...page, status: 422 } : page;
    }
    const title = REPORTS.find((r) => r.key === key)!.title;
    const filters = Object.fromEntries(Object.entries(form.values).filter(([, v]) => v !== ''));
    return table(reportExport(key, title, actor.client, { ...filter, page: 1 }, format, filters));
  }
  const csv = (key: ReportExportKey) => (req: Request, actor: Actor) => download(req, actor, key, 'csv');
  const xlsx = (key: ReportExportKey) => (req: Request, actor: Actor) => download(req, actor, key, 'xlsx');

  return {
    // GET /reports/open/export.csv|xlsx?… — open and overdue events, overdue first.
    openCsv: csv('open'), openXlsx: xlsx('open'),
    // GET /reports/upcoming/export.csv|xlsx?… — generated and projected occurrences.
    upcomingCsv: csv('upcoming'), upcomingXlsx: xlsx('upcoming'),
    // GET /reports/completed/export.csv|xlsx?… — every close record.
    completedCsv: csv('completed'), completedXlsx: xlsx('completed'),
    // GET /reports/on-time/export.csv|xlsx?by=… — the rate of each group.
    onTimeCsv: csv('on-time'), onTimeXlsx: xlsx('on-time'),
    // GET /reports/plan-summary/export.csv|xlsx?… — every Plan Item in summary.
    planSummaryCsv: csv('plan-summary'), planSummaryXlsx: xlsx('plan-summary'),
    // GET /reports/assignments/export.csv|xlsx?… — what each person holds.
    assignmentsCsv: csv('assignments'), assignmentsXlsx: xlsx('assignments'),
    // GET /reports/documents/export.csv|xlsx?q=… — the documents found (their metadata, never their bytes).
    documentsCsv: csv('documents'), documentsXlsx: xlsx('documents'),
  };
}
