// The Reports area (DESIGN.md §7): an index and one page per report, for Managers and above, over
// the user's scope (row-level security), each filtered through the one parser beside this file.
import type { Request } from 'express';
import { type Outcome, view } from '../lib/outcomes.ts';
import { authorize } from '../policies/index.ts';
import { levelLabels } from '../services/organisation/hierarchy.ts';
import { assignmentsReport } from '../services/reports/assignments.ts';
import { completedReport } from '../services/reports/completed.ts';
import { documentsReport } from '../services/reports/documents.ts';
import { type ReportFilter, PageOutOfRange, REPORT_PAGE_SIZE } from '../services/reports/filters.ts';
import { onTimeReport } from '../services/reports/on-time.ts';
import { openOverdueReport } from '../services/reports/open-overdue.ts';
import { planSummaryReport } from '../services/reports/plan-summary.ts';
import { UPCOMING_MONTHS, upcomingReport } from '../services/reports/upcoming.ts';
import { humanSize } from '../services/events/documents.ts';
import type { Actor } from '../types/actor.ts';
import { filterQuery, parseReportFilter } from './report-filters.ts';

/** Extra filters a report's form offers beyond node, facility, due dates, assignee and category. */
type Extra = 'by' | 'search' | 'uploader';

export interface ReportEntry {
  key: string;
  path: string;
  title: string;
  summary: string;
  extras: Extra[];
  /** What the date range applies to, in the form's words. */
  rangeLabel: string;
}

export const REPORTS: ReportEntry[] = [
  { key: 'open', path: '/reports/open', title: 'Open and overdue', summary: 'Open events, overdue first, with how many days each is overdue.', extras: [], rangeLabel: 'Due' },
  { key: 'upcoming', path: '/reports/upcoming', title: `Upcoming (${UPCOMING_MONTHS} months)`, summary: `Open events and the occurrences not yet generated, due in the next ${UPCOMING_MONTHS} months.`, extras: [], rangeLabel: 'Due' },
  { key: 'completed', path: '/reports/completed', title: 'Completed history', summary: 'Every close record: who, when, on time or late, recorded late, evidence.', extras: [], rangeLabel: 'Due' },
  { key: 'on-time', path: '/reports/on-time', title: 'On-time performance', summary: 'On-time rate by facility, division, region or assignee, with the monthly trend.', extras: ['by'], rangeLabel: 'Due' },
  { key: 'plan-summary', path: '/reports/plan-summary', title: 'Management-plan summary', summary: 'Plan Items by facility: category, requirement, schedule, assignee, next due.', extras: [], rangeLabel: 'Next due' },
  { key: 'assignments', path: '/reports/assignments', title: 'Assignments by user', summary: 'What each person holds: Plan Items, open events, overdue.', extras: [], rangeLabel: 'Due' },
  { key: 'documents', path: '/reports/documents', title: 'Document finder', summary: 'Documents by file name, facility, event, uploader and upload date.', extras: ['search', 'uploader'], rangeLabel: 'Uploaded' },
];
const entry = (key: string): ReportEntry => REPORTS.find((r) => r.key === key)!;

/** Parses the filter, runs the report (page 1 again, with a message, when the page is past the
 *  end) and renders it with its filter form. */
async function reportPage<T>(req: Request, actor: Actor, key: string, run: (filter: ReportFilter) => Promise<T>, locals: Record<string, unknown> = {}): Promise<Outcome> {
  authorize(actor.user, 'reports.view');
  const report = entry(key);
  const { filter, form, messages } = await parseReportFilter(req.query);
  let result: T;
  try {
    result = await run(filter);
  } catch (error) {
    if (!(error instanceof PageOutOfRange)) throw error;
    messages.push(`${error.message} Showing page 1.`);
    result = await run({ ...filter, page: 1 });
  }
  return view(`reports/${key}`, {
    title: report.title,
    report,
    reports: REPORTS,
    result,
    form,
    messages,
    labels: levelLabels(actor.client),
    query: filterQuery(form.values),
    pageSize: REPORT_PAGE_SIZE,
    ...locals,
  });
}

export function reportsController() {
  return {
    // GET /reports — the reports the user may run.
    async index(_req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'reports.view');
      return view('reports/index', { title: 'Reports', reports: REPORTS });
    },
    // GET /reports/open — open events, overdue first.
    openOverdue: (req: Request, actor: Actor) => reportPage(req, actor, 'open', (f) => openOverdueReport(actor.client, f)),
    // GET /reports/upcoming — the next 12 months, projected occurrences included.
    upcoming: (req: Request, actor: Actor) => reportPage(req, actor, 'upcoming', (f) => upcomingReport(actor.client, f)),
    // GET /reports/completed — close records of closed events.
    completed: (req: Request, actor: Actor) => reportPage(req, actor, 'completed', (f) => completedReport(actor.client, f)),
    // GET /reports/on-time?by=facility|division|region|assignee — on-time rates and the monthly trend.
    onTime: (req: Request, actor: Actor) => reportPage(req, actor, 'on-time', (f) => onTimeReport(actor.client, f)),
    // GET /reports/plan-summary — Plan Items in summary.
    planSummary: (req: Request, actor: Actor) => reportPage(req, actor, 'plan-summary', (f) => planSummaryReport(f)),
    // GET /reports/assignments — what each person holds.
    assignments: (req: Request, actor: Actor) => reportPage(req, actor, 'assignments', (f) => assignmentsReport(actor.client, f)),
    // GET /reports/documents?q=… — the document finder.
    documents: (req: Request, actor: Actor) => reportPage(req, actor, 'documents', (f) => documentsReport(actor.client, f), { humanSize }),
  };
}
