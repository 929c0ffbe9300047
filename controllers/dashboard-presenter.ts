// The dashboard as the page shows it: each figure with the link to the list behind it, the
// on-time rate in words, and the drill-down and breadcrumb links.
import { addMonths } from '../lib/calendar-dates.ts';
import type { LevelLabels } from '../services/organisation/hierarchy.ts';
import { type Dashboard, type Figures, onTimeRate } from '../services/reports/dashboard.ts';
import { type EventListFilters, eventListHref } from './event-list-query.ts';

/** The figures a row shows, in order, with the filters of the events list behind each (given
 *  the client's today). */
export const FIGURE_COLUMNS: Array<{ key: keyof Figures | 'rate'; label: string; list?: (today: string) => EventListFilters }> = [
  { key: 'overdue', label: 'Overdue', list: () => ({ status: 'overdue' }) },
  { key: 'dueSoon', label: 'Due soon (7 days)', list: () => ({ status: 'due_soon' }) },
  { key: 'upcoming', label: 'Upcoming (30 days)', list: () => ({ status: 'upcoming' }) },
  { key: 'closedThisMonth', label: 'Closed this month', list: (today) => ({ status: 'closed', completedFrom: `${today.slice(0, 7)}-01` }) },
  { key: 'rate', label: 'On time, last 12 months' },
  { key: 'recordedLate', label: 'Recorded late', list: (today) => ({ status: 'recorded_late', completedFrom: addMonths(today, -12) }) },
];

export function rateText(f: Figures): string {
  const rate = onTimeRate(f);
  return rate === null ? '—' : `${Math.round(rate * 1000) / 10}% (${f.onTime} of ${f.counted})`;
}

export function dashboardView(board: Dashboard, labels: LevelLabels, today: string) {
  const cells = (unitId: string | null, f: Figures) =>
    FIGURE_COLUMNS.map((c) => ({
      label: c.label,
      text: c.key === 'rate' ? rateText(f) : String(f[c.key]),
      href: unitId && c.list ? eventListHref(`/units/${unitId}/events`, c.list(today)) : null,
      alarm: c.key === 'overdue' && f.overdue > 0,
    }));
  return {
    heading: board.at ? board.at.unit.name : 'Your scope',
    path: board.path.map((n) => ({ name: n.unit.name, href: `/?unit=${n.unit.id}` })),
    totals: cells(board.at?.unit.id ?? null, board.totals),
    columns: FIGURE_COLUMNS.map((c) => c.label),
    rows: board.rows.map((r) => ({
      name: r.node.unit.name,
      kind: labels[r.node.unit.kind],
      href: r.drillable ? `/?unit=${r.node.unit.id}` : `/units/${r.node.unit.id}/events`,
      cells: cells(r.node.unit.id, r.figures),
      inScope: r.node.inScope || r.drillable,
    })),
  };
}
