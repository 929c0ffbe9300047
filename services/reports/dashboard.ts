// The dashboard's figures (DESIGN.md §7) over the user's scope: row-level security already
// confines facilities and events to it, so the figures of each visible facility, rolled up the
// hierarchy here, give every level's numbers. The words are services/events/definitions.ts's, in
// each facility's zone.
import { sql } from '../../lib/unit-of-work.ts';
import type { Client } from '../../models/index.ts';
import { DUE_SOON_DAYS, dueWithinSql, onTimeCountsSql, overdueSql, statusFilterSql, UPCOMING_DAYS } from '../events/definitions.ts';
import { partialDaysClosedSql, periodPartsSql } from './closed-months.ts';
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

/**
 * Each visible facility with its today ($1 the instant, $2 the client's zone), the day a year
 * before, this month and the parts of the last 12 months. Materialized, so the figures' laterals
 * compare with plain values, which row-level security lets them use as index conditions (a
 * comparison with an expression of the zone is not leakproof and would be checked row by row);
 * the today apart and first, so the zone is read once per facility, not once per use of it.
 */
const FACILITY_PERIODS = `WITH facility_today AS MATERIALIZED (
  SELECT f.id, ($1::timestamptz AT TIME ZONE coalesce(f.time_zone, $2))::date AS today
    FROM org_units f WHERE f.client_id = app_current_client() AND f.kind = 'facility'),
facility AS MATERIALIZED (
  SELECT t.id, t.today, y.year_ago, date_trunc('month', t.today::timestamp)::date AS this_month, p.*
    FROM facility_today t
   CROSS JOIN LATERAL (SELECT (t.today - interval '12 months')::date AS year_ago) y
   CROSS JOIN LATERAL (${periodPartsSql('y.year_ago + 1', 't.today')}) p)`;

/**
 * Each visible facility's figures at `now`, in its zone: open events counted live (through the
 * open-events index), closed ones over the last 12 months from the monthly counts for the months
 * the period covers whole and from the events for its partial months (services/reports/closed-months.ts).
 * One LATERAL per facility, so a narrow scope reads only its own facilities' rows.
 */
export async function facilityFigures(client: Client, now: Date = new Date()): Promise<Map<string, Figures>> {
  const today = 'f.today';
  const live = onTimeCountsSql('o', today, `o.due_date > f.year_ago AND o.due_date <= ${today}`);
  const partial = onTimeCountsSql('c', today);
  const rows = await sql<Figures & { facilityId: string }>(
    `${FACILITY_PERIODS}
     SELECT f.id AS "facilityId", o.overdue::int, o."dueSoon"::int, o.upcoming::int, m."closedThisMonth"::int,
            (o."onTime" + m."onTime" + c."onTime" - s."onTime")::int AS "onTime", (o.counted + m.counted + c.counted - s.counted)::int AS counted,
            r."recordedLate"::int
       FROM facility f
      -- Open events due by the end of the upcoming window (overdue ones however old). The status is
      -- the constant the WHERE asks for, so the scan stays index-only.
      CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE ${overdueSql('o', today)}) AS overdue,
               count(*) FILTER (WHERE ${dueWithinSql('o', today, DUE_SOON_DAYS)}) AS "dueSoon",
               count(*) FILTER (WHERE ${dueWithinSql('o', today, UPCOMING_DAYS)}) AS upcoming,
               ${live.onTime} AS "onTime", ${live.counted} AS counted
          FROM (SELECT 'open'::text AS status, e.due_date, NULL::date AS completed_on FROM events e
                 WHERE e.client_id = app_current_client() AND e.facility_id = f.id AND e.status = 'open'
                   AND e.due_date <= ${today} + ${UPCOMING_DAYS}) o) o
      -- Closed events over the last 12 months: the months' counts, plus the added days, less the taken-away ones.
      CROSS JOIN LATERAL (
        SELECT coalesce(sum(m.due_on_time) FILTER (WHERE m.month < f.months_until), 0) AS "onTime",
               coalesce(sum(m.due_closed) FILTER (WHERE m.month < f.months_until), 0) AS counted,
               coalesce(sum(m.completed) FILTER (WHERE m.month >= f.this_month), 0) AS "closedThisMonth"
          FROM closed_event_months m
         WHERE m.client_id = app_current_client() AND m.facility_id = f.id AND m.month >= f.months_from) m
      CROSS JOIN LATERAL (SELECT ${partial.onTime} AS "onTime", ${partial.counted} AS counted FROM (${partialDaysClosedSql('f', 'f', 'add')}) c) c
      CROSS JOIN LATERAL (SELECT ${partial.onTime} AS "onTime", ${partial.counted} AS counted FROM (${partialDaysClosedSql('f', 'f', 'sub')}) c) s
      CROSS JOIN LATERAL (
        SELECT count(*) AS "recordedLate" FROM events e
         WHERE e.client_id = app_current_client() AND e.facility_id = f.id AND ${statusFilterSql('e', 'recorded_late', () => today)}
           AND e.completed_on > f.year_ago) r`,
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
