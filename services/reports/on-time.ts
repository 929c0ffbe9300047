// Report: on-time performance by facility, division, region or assignee over a period (by due
// date; the last 12 months unless a range is chosen), with the monthly trend by due month. The
// counting is services/events/definitions.ts's onTimeCountsSql, in each facility's zone: cells per
// facility, assignee and due month (from the closed events' monthly counts and the events at the
// period's ends, or event by event when a category narrows them), summed by facility, by assignee
// and by month, and rolled up the hierarchy here, as the dashboard does.
import { sql } from '../../lib/unit-of-work.ts';
import type { Client } from '../../models/index.ts';
import { onTimeCountsSql, overdueSql } from '../events/definitions.ts';
import { hierarchyTree, type TreeNode } from '../organisation/hierarchy.ts';
import { monthsSql, partialDaysClosedSql, periodPartsSql } from './closed-months.ts';
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

/** A query of cells: per facility, assignee and due month (facility_id, assignee_id, month as a
 *  date), the events of the period they stand for and the counts on_time, counted and missed;
 *  with its parameters. */
interface CellsQuery {
  sql: string;
  params: unknown[];
}

/** The cells summed by facility, by assignee or by month (one of the three set). */
interface Sums {
  facilityId: string | null;
  assigneeId: string | null;
  assigneeName: string | null;
  month: string | null;
  onTime: number;
  counted: number;
  missed: number;
}

const withRate = (p: Omit<Performance, 'rate' | 'late'>): Performance => ({ ...p, late: p.counted - p.onTime - p.missed, rate: p.counted ? p.onTime / p.counted : null });
const sum = (cells: Iterable<Pick<Sums, 'onTime' | 'counted' | 'missed'>>) => {
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

/** The cells counted event by event (a category filter needs each event's Plan Item). */
function countedCellsQuery(client: Client, filter: ReportFilter, now: Date): CellsQuery {
  const f = new SqlFilter().where('e.client_id = app_current_client()');
  f.scope(filter, { facility: 'e.facility_id', assignee: 'e.assignee_id', category: 'p.category' });
  const today = facilityToday(f, client, now);
  if (!filter.from && !filter.to) f.where(`e.due_date > (${today} - interval '12 months')::date AND e.due_date <= ${today}`);
  else f.range(filter, 'e.due_date');
  const counts = onTimeCountsSql('e', today);
  return {
    sql: `SELECT e.facility_id, e.assignee_id, date_trunc('month', e.due_date::timestamp)::date AS month, count(*) AS events,
                 ${counts.onTime} AS on_time, ${counts.counted} AS counted, count(*) FILTER (WHERE ${overdueSql('e', today)}) AS missed
            FROM events e
            JOIN org_units f ON f.client_id = e.client_id AND f.id = e.facility_id
            JOIN plan_items p ON p.client_id = e.client_id AND p.id = e.plan_item_id
           WHERE ${f.sql}
           GROUP BY e.facility_id, e.assignee_id, date_trunc('month', e.due_date::timestamp)`,
    params: f.params,
  };
}

/**
 * The same cells per facility (in its zone): closed events from the monthly counts for the months
 * the period covers whole and from the events for its partial months (services/reports/closed-months.ts),
 * open and cancelled ones counted live through their partial indexes (they make a cell even when
 * nothing in it counts, as they do event by event). The facilities' periods are materialized so
 * that the laterals compare with plain values, which row-level security lets them use as index
 * conditions.
 */
function monthlyCellsQuery(client: Client, filter: ReportFilter, now: Date): CellsQuery {
  const f = new SqlFilter();
  const today = facilityToday(f, client, now);
  // The last 12 months to each facility's today, or the chosen due dates (an open end unbounded).
  const defaultPeriod = !filter.from && !filter.to;
  const first = defaultPeriod ? `(t.today - interval '12 months')::date + 1` : filter.from ? `${f.param(filter.from)}::date` : `'-infinity'::date`;
  const last = defaultPeriod ? 't.today' : filter.to ? `${f.param(filter.to)}::date` : `'infinity'::date`;
  const facilities = f.sibling();
  facilities.where('f.client_id = app_current_client()').where(`f.kind = 'facility'`).scope(filter, { facility: 'f.id' });
  const assignee = (column: string) => (filter.assigneeId ? `${column} = ${facilities.param(filter.assigneeId)}::uuid` : 'true');
  // Per assignee only when the report needs them (grouped or filtered by one): the months' counts
  // per facility are a few rows a facility, per assignee several times as many.
  const perAssignee = filter.by === 'assignee' || filter.assigneeId !== undefined;
  const who = (column: string) => (perAssignee ? column : 'NULL::uuid');
  const closed = onTimeCountsSql('c', 'f.today');
  const live = onTimeCountsSql('o', 'f.today');
  // Open or cancelled events of the period, through their partial index; the status is the
  // constant the WHERE asks for (and the assignee read only when needed), so the scan can stay
  // within the index.
  const liveEvents = (status: 'open' | 'cancelled') =>
    `SELECT f.id, ${who('o.assignee_id')}, date_trunc('month', o.due_date::timestamp)::date, count(*), ${live.onTime}, ${live.counted}, count(*) FILTER (WHERE ${overdueSql('o', 'f.today')})
       FROM facility f
      CROSS JOIN LATERAL (
        SELECT '${status}'::text AS status, e.due_date, NULL::date AS completed_on${perAssignee ? ', e.assignee_id' : ''} FROM events e
         WHERE e.client_id = app_current_client() AND e.facility_id = f.id AND e.status = '${status}'
           AND e.due_date >= f.first_due AND e.due_date < f.after_due AND ${assignee('e.assignee_id')}) o
      GROUP BY f.id, ${who('o.assignee_id')}, date_trunc('month', o.due_date::timestamp)`;
  // The closed events of the days the months' counts leave out (sign 1) or count beyond the period (−1).
  const partialDays = (side: 'add' | 'sub', sign: number) =>
    `SELECT f.id, ${who('c.assignee_id')}, date_trunc('month', c.due_date::timestamp)::date, ${sign} * count(*), ${sign} * ${closed.onTime}, ${sign} * ${closed.counted}, 0
       FROM facility f CROSS JOIN LATERAL (${partialDaysClosedSql('f', 'f', side, assignee('e.assignee_id'))}) c
      GROUP BY f.id, ${who('c.assignee_id')}, date_trunc('month', c.due_date::timestamp)`;
  const months = perAssignee ? 'closed_event_assignee_months' : 'closed_event_months';
  return {
    sql: `WITH facility_today AS MATERIALIZED (SELECT f.id, ${today} AS today FROM org_units f WHERE ${facilities.sql}),
     facility AS MATERIALIZED (SELECT t.id, t.today, p.* FROM facility_today t CROSS JOIN LATERAL (${periodPartsSql(first, last)}) p),
     cells AS (
       SELECT f.id AS facility_id, ${who('m.assignee_id')} AS assignee_id, m.month, m.due_closed AS events, m.due_on_time AS on_time, m.due_closed AS counted, 0 AS missed
         FROM facility f CROSS JOIN LATERAL (${monthsSql(months, 'f', 'f', `m.due_closed > 0 AND ${assignee('m.assignee_id')}`)}) m
       UNION ALL ${partialDays('add', 1)}
       UNION ALL ${partialDays('sub', -1)}
       UNION ALL ${liveEvents('open')}
       UNION ALL ${liveEvents('cancelled')})
     SELECT * FROM cells`,
    params: facilities.params,
  };
}

/**
 * The cells summed by due month and by facility (or, grouping by assignee, by assignee), in one
 * pass. A sum stands for events of the period only when it counts some (a partial month read as
 * the whole month less its days outside the period may leave a cell of none).
 */
function sumsOf(q: CellsQuery, by: PerformanceGrouping): Promise<Sums[]> {
  const assignee = by === 'assignee';
  const key = assignee ? 'c.assignee_id' : 'c.facility_id';
  return sql<Sums>(
    `WITH cells AS (${q.sql})
     SELECT ${assignee ? 'NULL::uuid' : `CASE WHEN grouping(c.month) = 1 THEN ${key} END`} AS "facilityId",
            ${assignee ? `CASE WHEN grouping(c.month) = 1 THEN ${key} END` : 'NULL::uuid'} AS "assigneeId",
            ${assignee ? 'min(a.name)' : 'NULL::text'} AS "assigneeName",
            CASE WHEN grouping(c.month) = 0 THEN to_char(c.month, 'YYYY-MM') END AS month,
            sum(c.on_time)::int AS "onTime", sum(c.counted)::int AS counted, sum(c.missed)::int AS missed
       FROM cells c ${assignee ? 'LEFT JOIN users a ON a.client_id = app_current_client() AND a.id = c.assignee_id' : ''}
      GROUP BY GROUPING SETS ((${key}), (c.month))
     HAVING sum(c.events) > 0`,
    q.params,
  );
}

export async function onTimeReport(client: Client, filter: ReportFilter, now: Date = new Date()): Promise<OnTimeReport> {
  const defaultPeriod = !filter.from && !filter.to;
  const sums = await sumsOf(filter.category ? countedCellsQuery(client, filter, now) : monthlyCellsQuery(client, filter, now), filter.by);
  const places = placesOfFacilities(await hierarchyTree({ includeInactive: true }));
  const groupOf = (c: Sums): { key: string; name: string } => {
    const place = places.get(c.facilityId!);
    switch (filter.by) {
      case 'assignee':
        return { key: c.assigneeId ?? '', name: c.assigneeName ?? '—' };
      case 'region':
        return place?.region ? { key: place.region.unit.id, name: place.region.unit.name } : { key: '', name: 'No region' };
      case 'division':
        return place?.division ? { key: place.division.unit.id, name: place.division.unit.name } : { key: '', name: 'No division' };
      default:
        return { key: c.facilityId!, name: place?.name ?? '—' };
    }
  };
  // By assignee from the assignees' sums; by facility, division or region from the facilities'.
  const grouped = filter.by === 'assignee' ? (c: Sums) => c.assigneeId !== null : (c: Sums) => c.facilityId !== null;
  const groups = new Map<string, { name: string; cells: Sums[] }>();
  const byMonth = new Map<string, Sums>();
  for (const c of sums) {
    if (c.month) byMonth.set(c.month, c);
    if (!grouped(c)) continue;
    const g = groupOf(c);
    (groups.get(g.key) ?? groups.set(g.key, { name: g.name, cells: [] }).get(g.key)!).cells.push(c);
  }
  const all = [...groups.entries()].map(([key, g]) => ({ key, name: g.name, ...sum(g.cells) }));
  // Lowest rate first (the ones to look at), those with nothing counted last, then by name.
  all.sort((a, b) => (a.rate ?? 2) - (b.rate ?? 2) || a.name.localeCompare(b.name));
  const pages = checkPage(filter.page, all.length);
  const keys = [...byMonth.keys()].sort();
  const months = keys.length ? monthsBetween(keys[0]!, keys.at(-1)!).map((month) => ({ month, ...sum(byMonth.has(month) ? [byMonth.get(month)!] : []) })) : [];
  return {
    by: filter.by,
    rows: all.slice(offsetOf(filter.page), offsetOf(filter.page) + REPORT_PAGE_SIZE),
    total: all.length,
    page: filter.page,
    pages,
    totals: sum(byMonth.values()),
    months,
    defaultPeriod,
  };
}
