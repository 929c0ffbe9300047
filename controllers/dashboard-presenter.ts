// The dashboard as the page shows it: each figure with the link to the list behind it, the
// on-time rate in words, and the drill-down and breadcrumb links.
import type { LevelLabels } from '../services/organisation/hierarchy.ts';
import { type Dashboard, type Figures, onTimeRate } from '../services/reports/dashboard.ts';

/** The figures a row shows, in order, with the status of the events list each links to. */
export const FIGURE_COLUMNS: Array<{ key: keyof Figures | 'rate'; label: string; status?: string }> = [
  { key: 'overdue', label: 'Overdue', status: 'overdue' },
  { key: 'dueSoon', label: 'Due soon (7 days)', status: 'due_soon' },
  { key: 'upcoming', label: 'Upcoming (30 days)', status: 'upcoming' },
  { key: 'closedThisMonth', label: 'Closed this month', status: 'closed_this_month' },
  { key: 'rate', label: 'On time, last 12 months' },
  { key: 'recordedLate', label: 'Recorded late', status: 'recorded_late' },
];

/** The events list of a unit behind a figure. */
export const figureHref = (unitId: string, status: string) => `/units/${unitId}/events?status=${status}`;

export function rateText(f: Figures): string {
  const rate = onTimeRate(f);
  return rate === null ? '—' : `${Math.round(rate * 1000) / 10}% (${f.onTime} of ${f.counted})`;
}

export function dashboardView(board: Dashboard, labels: LevelLabels) {
  const cells = (unitId: string | null, f: Figures) =>
    FIGURE_COLUMNS.map((c) => ({
      label: c.label,
      text: c.key === 'rate' ? rateText(f) : String(f[c.key]),
      href: unitId && c.status ? figureHref(unitId, c.status) : null,
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
