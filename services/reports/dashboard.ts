// The dashboard's figures (DESIGN.md §7) over the user's scope: row-level security already
// confines events to it, so one aggregate per facility, rolled up the hierarchy here, gives
// every level's numbers. The words are services/events/definitions.ts's, in each facility's zone.
import { sql } from '../../lib/unit-of-work.ts';
import type { Client } from '../../models/index.ts';
import { DUE_SOON_DAYS, onTimeCountsSql, UPCOMING_DAYS } from '../events/definitions.ts';
import { hierarchyTree, type TreeNode } from '../organisation/hierarchy.ts';

export interface Figures {
  overdue: number;
  dueSoon: number;
  upcoming: number;
  closedThisMonth: number;
  /** Events due in the last 12 months completed on time, and those that count (on-time rate). */
  onTime: number;
  counted: number;
  /** Closes of the last 12 months entered more than 7 days after their completion date. */
  recordedLate: number;
}

export const NO_FIGURES: Figures = { overdue: 0, dueSoon: 0, upcoming: 0, closedThisMonth: 0, onTime: 0, counted: 0, recordedLate: 0 };

const add = (a: Figures, b: Figures): Figures => ({
  overdue: a.overdue + b.overdue,
  dueSoon: a.dueSoon + b.dueSoon,
  upcoming: a.upcoming + b.upcoming,
  closedThisMonth: a.closedThisMonth + b.closedThisMonth,
  onTime: a.onTime + b.onTime,
  counted: a.counted + b.counted,
  recordedLate: a.recordedLate + b.recordedLate,
});

export const onTimeRate = (f: Figures): number | null => (f.counted ? f.onTime / f.counted : null);

/** Each visible facility's figures at `now`. */
export async function facilityFigures(client: Client, now: Date = new Date()): Promise<Map<string, Figures>> {
  const today = 't.today';
  const yearAgo = `${today} - interval '12 months'`;
  const rate = onTimeCountsSql('e', today, `e.due_date > ${yearAgo} AND e.due_date <= ${today}`);
  const rows = await sql<Figures & { facilityId: string }>(
    `SELECT e.facility_id AS "facilityId",
            count(*) FILTER (WHERE e.status = 'open' AND ${today} > e.due_date)::int AS overdue,
            count(*) FILTER (WHERE e.status = 'open' AND e.due_date BETWEEN ${today} AND ${today} + ${DUE_SOON_DAYS})::int AS "dueSoon",
            count(*) FILTER (WHERE e.status = 'open' AND e.due_date BETWEEN ${today} AND ${today} + ${UPCOMING_DAYS})::int AS upcoming,
            count(*) FILTER (WHERE e.status = 'closed' AND e.completed_on >= date_trunc('month', ${today}))::int AS "closedThisMonth",
            (${rate.onTime})::int AS "onTime",
            (${rate.counted})::int AS counted,
            count(*) FILTER (WHERE e.status = 'closed' AND e.recorded_late AND e.completed_on > ${yearAgo})::int AS "recordedLate"
       FROM events e
       JOIN org_units f ON f.client_id = e.client_id AND f.id = e.facility_id
       CROSS JOIN LATERAL (SELECT ($1::timestamptz AT TIME ZONE coalesce(f.time_zone, $2))::date AS today) t
      WHERE e.client_id = app_current_client()
        AND (e.status = 'open' OR e.due_date > ${yearAgo} OR e.completed_on > ${yearAgo})
      GROUP BY e.facility_id`,
    [now.toISOString(), client.timeZone],
  );
  return new Map(rows.map(({ facilityId, ...f }) => [facilityId, f]));
}

export interface DashboardRow {
  node: TreeNode;
  figures: Figures;
  /** Units below it to drill into. */
  drillable: boolean;
}

export interface Dashboard {
  totals: Figures;
  /** The level shown: the children of `at`, or the scope's own top level. */
  at: TreeNode | null;
  /** The path from the top to `at`, for breadcrumbs. */
  path: TreeNode[];
  rows: DashboardRow[];
}

/** Worst first: most overdue, then the lowest on-time rate, then by name. */
const worstFirst = (a: DashboardRow, b: DashboardRow) =>
  b.figures.overdue - a.figures.overdue || (onTimeRate(a.figures) ?? 1) - (onTimeRate(b.figures) ?? 1) || a.node.unit.name.localeCompare(b.node.unit.name);

/**
 * The dashboard at `unitId` (its children's rows), or at the scope's top: the first level with
 * more than one unit, so a Manager of two facilities sees the two, a Director of one region its
 * divisions. Returns null when `unitId` names no visible unit.
 */
export async function dashboard(client: Client, unitId: string | undefined, now: Date = new Date()): Promise<Dashboard | null> {
  const figures = await facilityFigures(client, now);
  const tree = await hierarchyTree();
  const sums = new Map<string, Figures>();
  const sum = (node: TreeNode): Figures => {
    const own = node.unit.kind === 'facility' && node.inScope ? figures.get(node.unit.id) ?? NO_FIGURES : NO_FIGURES;
    const total = node.children.reduce((acc, child) => add(acc, sum(child)), own);
    sums.set(node.unit.id, total);
    return total;
  };
  const totals = tree.reduce((acc, root) => add(acc, sum(root)), NO_FIGURES);
  const row = (node: TreeNode): DashboardRow => ({ node, figures: sums.get(node.unit.id)!, drillable: node.children.length > 0 });

  const path: TreeNode[] = [];
  let level = tree;
  let at: TreeNode | null = null;
  if (unitId) {
    const find = (nodes: TreeNode[], trail: TreeNode[]): TreeNode[] | null => {
      for (const n of nodes) {
        if (n.unit.id === unitId) return [...trail, n];
        const found = find(n.children, [...trail, n]);
        if (found) return found;
      }
      return null;
    };
    const trail = find(tree, []);
    if (!trail) return null;
    path.push(...trail);
    at = trail.at(-1)!;
    level = at.children;
  } else {
    while (level.length === 1 && level[0]!.children.length > 0) {
      path.push(level[0]!);
      at = level[0]!;
      level = level[0]!.children;
    }
  }
  return { totals: at ? sums.get(at.unit.id)! : totals, at, path, rows: level.map(row).sort(worstFirst) };
}
