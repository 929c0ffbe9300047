// Report: on-time performance by facility, division, region or assignee over a period (by due
// date; the last 12 months unless a range is chosen), with the monthly trend by due month. The
// counting is services/events/definitions.ts's onTimeCountsSql, in each facility's zone; one
// aggregate per facility, assignee and month is rolled up here, as the dashboard does.
import { sql } from '../../lib/unit-of-work.ts';
import type { Client } from '../../models/index.ts';
import { onTimeCountsSql, overdueSql } from '../events/definitions.ts';
import { hierarchyTree, type TreeNode } from '../organisation/hierarchy.ts';
import { checkPage, facilityToday, offsetOf, type PerformanceGrouping, REPORT_PAGE_SIZE, type ReportFilter, type ReportPage, SqlFilter } from './filters.ts';

export interface Performance {
  onTime: number;
  /** Events that count: closed, or open past their due date. */
  counted: number;
  /** Open past their due date (missed so far). */
  missed: number;
  /** Closed after their due date. */
  late: number;
  rate: number | null;
}

export interface PerformanceRow extends Performance {
  key: string;
  name: string;
}

export interface MonthRow extends Performance {
  /** 'YYYY-MM', the due month. */
  month: string;
}

export interface OnTimeReport extends ReportPage<PerformanceRow> {
  by: PerformanceGrouping;
  totals: Performance;
  months: MonthRow[];
  /** True when no range was chosen: the 12 months to each facility's today. */
  defaultPeriod: boolean;
}

interface Cell {
  facilityId: string;
  assigneeId: string | null;
  assigneeName: string | null;
  month: string;
  onTime: number;
  counted: number;
  missed: number;
}

const withRate = (p: Omit<Performance, 'rate' | 'late'>): Performance => ({ ...p, late: p.counted - p.onTime - p.missed, rate: p.counted ? p.onTime / p.counted : null });
const sum = (cells: Iterable<Pick<Cell, 'onTime' | 'counted' | 'missed'>>) => {
  const t = { onTime: 0, counted: 0, missed: 0 };
  for (const c of cells) {
    t.onTime += c.onTime;
    t.counted += c.counted;
    t.missed += c.missed;
  }
  return withRate(t);
};

/** Each month from `first` to `last` ('YYYY-MM'), inclusive. */
function monthsBetween(first: string, last: string): string[] {
  const out: string[] = [];
  let [y, m] = first.split('-').map(Number) as [number, number];
  for (let key = first; key <= last && out.length < 1200; ) {
    out.push(key);
    m += 1;
    if (m > 12) {
      m = 1;
      y += 1;
    }
    key = `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}`;
  }
  return out;
}

/** The region and division above each facility in the visible tree. */
function placesOfFacilities(tree: TreeNode[]): Map<string, { name: string; region?: TreeNode; division?: TreeNode }> {
  const out = new Map<string, { name: string; region?: TreeNode; division?: TreeNode }>();
  const walk = (nodes: TreeNode[], region?: TreeNode, division?: TreeNode) => {
    for (const n of nodes) {
      if (n.unit.kind === 'facility') out.set(n.unit.id, { name: n.unit.name, region, division });
      walk(n.children, n.unit.kind === 'region' ? n : region, n.unit.kind === 'division' ? n : division);
    }
  };
  walk(tree);
  return out;
}

export async function onTimeReport(client: Client, filter: ReportFilter, now: Date = new Date()): Promise<OnTimeReport> {
  const f = new SqlFilter().where('e.client_id = app_current_client()');
  f.scope(filter, { facility: 'e.facility_id', assignee: 'e.assignee_id', category: 'p.category' });
  const today = facilityToday(f, client, now);
  const defaultPeriod = !filter.from && !filter.to;
  if (defaultPeriod) f.where(`e.due_date > (${today} - interval '12 months')::date AND e.due_date <= ${today}`);
  else f.range(filter, 'e.due_date');
  const counts = onTimeCountsSql('e', today);
  const cells = await sql<Cell>(
    `SELECT e.facility_id AS "facilityId", e.assignee_id AS "assigneeId", min(a.name) AS "assigneeName", to_char(e.due_date, 'YYYY-MM') AS month,
            (${counts.onTime})::int AS "onTime", (${counts.counted})::int AS counted, count(*) FILTER (WHERE ${overdueSql('e', today)})::int AS missed
       FROM events e
       JOIN org_units f ON f.client_id = e.client_id AND f.id = e.facility_id
       JOIN plan_items p ON p.client_id = e.client_id AND p.id = e.plan_item_id
       LEFT JOIN users a ON a.client_id = e.client_id AND a.id = e.assignee_id
      WHERE ${f.sql}
      GROUP BY e.facility_id, e.assignee_id, to_char(e.due_date, 'YYYY-MM')`,
    f.params,
  );

  const places = placesOfFacilities(await hierarchyTree({ includeInactive: true }));
  const groupOf = (c: Cell): { key: string; name: string } => {
    const place = places.get(c.facilityId);
    switch (filter.by) {
      case 'assignee':
        return { key: c.assigneeId ?? '', name: c.assigneeName ?? '—' };
      case 'region':
        return place?.region ? { key: place.region.unit.id, name: place.region.unit.name } : { key: '', name: 'No region' };
      case 'division':
        return place?.division ? { key: place.division.unit.id, name: place.division.unit.name } : { key: '', name: 'No division' };
      default:
        return { key: c.facilityId, name: place?.name ?? '—' };
    }
  };
  const groups = new Map<string, { name: string; cells: Cell[] }>();
  const byMonth = new Map<string, Cell[]>();
  for (const c of cells) {
    const g = groupOf(c);
    (groups.get(g.key) ?? groups.set(g.key, { name: g.name, cells: [] }).get(g.key)!).cells.push(c);
    (byMonth.get(c.month) ?? byMonth.set(c.month, []).get(c.month)!).push(c);
  }
  const all = [...groups.entries()].map(([key, g]) => ({ key, name: g.name, ...sum(g.cells) }));
  // Lowest rate first (the ones to look at), those with nothing counted last, then by name.
  all.sort((a, b) => (a.rate ?? 2) - (b.rate ?? 2) || a.name.localeCompare(b.name));
  const pages = checkPage(filter.page, all.length);
  const keys = [...byMonth.keys()].sort();
  const months = keys.length ? monthsBetween(keys[0]!, keys.at(-1)!).map((month) => ({ month, ...sum(byMonth.get(month) ?? []) })) : [];
  return {
    by: filter.by,
    rows: all.slice(offsetOf(filter.page), offsetOf(filter.page) + REPORT_PAGE_SIZE),
    total: all.length,
    page: filter.page,
    pages,
    totals: sum(cells),
    months,
    defaultPeriod,
  };
}
