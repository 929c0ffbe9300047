// What PlanTRAK means by on time, late, overdue, recorded late, due soon, upcoming and the on-time
// rate (DESIGN.md §5). Pages, mail and reports all take these from here, so a number on a report
// and a badge on a page can never disagree. Dates are 'YYYY-MM-DD' in the facility's time zone.
import { compareDates, daysBetween } from '../../lib/calendar-dates.ts';

/** Due within this many days of today (inclusive): "due soon". */
export const DUE_SOON_DAYS = 7;
/** Due within this many days of today (inclusive): "upcoming". */
export const UPCOMING_DAYS = 30;
/** A close entered more than this many days after its completion date is "recorded late". */
export const RECORDED_LATE_AFTER_DAYS = 7;

/** Open and today (facility zone) is after the due date. Closing on the due date is on time. */
export const isOverdue = (today: string, dueDate: string): boolean => compareDates(today, dueDate) > 0;

/** Completed after the due date. */
export const isLate = (completedOn: string, dueDate: string): boolean => compareDates(completedOn, dueDate) > 0;

/** The close was entered (`enteredOn`, the facility's date when it was recorded) more than
 *  RECORDED_LATE_AFTER_DAYS after the completion date it claims. */
export const isRecordedLate = (completedOn: string, enteredOn: string): boolean => daysBetween(completedOn, enteredOn) > RECORDED_LATE_AFTER_DAYS;

/** Open and due between today and today + `days` (inclusive), not overdue. */
export const isDueWithin = (today: string, dueDate: string, days: number): boolean =>
  !isOverdue(today, dueDate) && daysBetween(today, dueDate) <= days;

/** isOverdue as an SQL condition over events `e`, with `today` the facility's date. */
export const overdueSql = (e: string, today: string): string => `(${e}.status = 'open' AND ${today} > ${e}.due_date)`;

export type DisplayStatus = 'open' | 'overdue' | 'closed' | 'closed late' | 'cancelled';

export function displayStatus(event: { status: 'open' | 'closed' | 'cancelled'; late: boolean; dueDate: string }, today: string): DisplayStatus {
  if (event.status === 'cancelled') return 'cancelled';
  if (event.status === 'closed') return event.late ? 'closed late' : 'closed';
  return isOverdue(today, event.dueDate) ? 'overdue' : 'open';
}

/** Closed on or before its due date (not late), as an SQL condition over events `e`. */
export const closedOnTimeSql = (e: string): string => `(${e}.status = 'closed' AND ${e}.completed_on <= ${e}.due_date)`;

/** What the on-time rate counts (closed, or open past its due date) as an SQL condition over events `e`. */
export const countedForRateSql = (e: string, today: string): string => `(${e}.status = 'closed' OR ${overdueSql(e, today)})`;

/**
 * The on-time rate's two counts as SQL aggregates over events `e` (the same rule as onTimeRate),
 * with `today` the facility's date and `period` the condition that puts an event's due date in
 * the period.
 */
export function onTimeCountsSql(e: string, today: string, period = 'true'): { onTime: string; counted: string } {
  return {
    onTime: `count(*) FILTER (WHERE (${period}) AND ${closedOnTimeSql(e)})`,
    counted: `count(*) FILTER (WHERE (${period}) AND ${countedForRateSql(e, today)})`,
  };
}

export interface RateInput {
  status: 'open' | 'closed' | 'cancelled';
  dueDate: string;
  /** Set when closed. */
  completedOn?: string | null;
  /** Today in the event's facility zone. */
  today: string;
}

/**
 * The on-time rate over events due in a period: completed on time ÷ counted, where an open event
 * already past its due date counts as missed, and cancelled and not-yet-due open events are left
 * out. `rate` is null when nothing counts (no division by zero on an empty period).
 */
export function onTimeRate(events: Iterable<RateInput>): { onTime: number; counted: number; rate: number | null } {
  let onTime = 0;
  let counted = 0;
  for (const e of events) {
    if (e.status === 'cancelled') continue;
    if (e.status === 'open') {
      if (isOverdue(e.today, e.dueDate)) counted += 1;
      continue;
    }
    counted += 1;
    if (e.completedOn && !isLate(e.completedOn, e.dueDate)) onTime += 1;
  }
  return { onTime, counted, rate: counted ? onTime / counted : null };
}

/**
 * The statuses an events list can be filtered by, as they appear in URLs (`?status=due_soon`).
 * open, closed, cancelled: the stored state (closed counts on time and late alike); overdue, due
 * soon and upcoming: open ones by the rules above; closed late: closed after the due date;
 * recorded late: closed, with the close entered more than RECORDED_LATE_AFTER_DAYS after its
 * completion date; all: everything.
 */
export const STATUS_FILTERS = ['open', 'overdue', 'due_soon', 'upcoming', 'closed', 'closed_late', 'recorded_late', 'cancelled', 'all'] as const;
export type StatusFilter = (typeof STATUS_FILTERS)[number];
export const isStatusFilter = (value: unknown): value is StatusFilter => (STATUS_FILTERS as readonly unknown[]).includes(value);

/** The words for each status filter on a page. */
export const STATUS_FILTER_NAMES: Record<StatusFilter, string> = {
  open: 'Open',
  overdue: 'Overdue',
  due_soon: `Due soon (${DUE_SOON_DAYS} days)`,
  upcoming: `Upcoming (${UPCOMING_DAYS} days)`,
  closed: 'Closed',
  closed_late: 'Closed late',
  recorded_late: 'Recorded late',
  cancelled: 'Cancelled',
  all: 'All',
};

/** The status filters whose events are all open (the ones a bulk reassignment may act on). */
export const OPEN_STATUS_FILTERS: readonly StatusFilter[] = ['open', 'overdue', 'due_soon', 'upcoming'];

/** Open and due between today and today + `days` (the same rule as isDueWithin). */
export const dueWithinSql = (e: string, today: string, days: number): string =>
  `(${e}.status = 'open' AND ${e}.due_date BETWEEN ${today} AND ${today} + ${Math.trunc(days)})`;

/** Days an open event is overdue in its facility's zone, NULL when it is not overdue. */
export const daysOverdueSql = (e: string, today: string): string => `CASE WHEN ${overdueSql(e, today)} THEN ${today} - ${e}.due_date END`;

/** A status filter as a SQL condition over events `e`; `today` (the facility's date) is asked
 *  for only by the filters that need it, so a query has no unused parameter. */
export function statusFilterSql(e: string, status: StatusFilter, today: () => string): string {
  switch (status) {
    case 'open': return `${e}.status = 'open'`;
    case 'overdue': return overdueSql(e, today());
    case 'due_soon': return dueWithinSql(e, today(), DUE_SOON_DAYS);
    case 'upcoming': return dueWithinSql(e, today(), UPCOMING_DAYS);
    case 'closed': return `${e}.status = 'closed'`;
    case 'closed_late': return `(${e}.status = 'closed' AND ${e}.late)`;
    case 'recorded_late': return `(${e}.status = 'closed' AND ${e}.recorded_late)`;
    case 'cancelled': return `${e}.status = 'cancelled'`;
    case 'all': return 'true';
  }
}
