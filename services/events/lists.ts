// Lists of events: one query behind every events table (a facility's or a roll-up's, My events, a
// Plan Item's), filtered by status, place, person or item, so filters, sorting and exports extend
// this one list rather than copy it. Visibility is row-level security; the status a row shows
// (overdue, closed late, …) follows services/events/definitions.ts in each facility's zone.
import { todayIn } from '../../lib/calendar-dates.ts';
import { sql } from '../../lib/unit-of-work.ts';
import type { Client } from '../../models/index.ts';
import { type DisplayStatus, displayStatus, UPCOMING_DAYS } from './definitions.ts';
import { staffNameOf } from './lookups.ts';

export const LIST_STATUSES = ['open', 'closed', 'cancelled', 'all'] as const;
export type ListStatus = (typeof LIST_STATUSES)[number];
export const isListStatus = (value: unknown): value is ListStatus => (LIST_STATUSES as readonly unknown[]).includes(value);

/** A list never shows more rows than this; `total` says how many matched. */
export const EVENT_LIST_LIMIT = 500;

export interface EventListQuery {
  status: ListStatus;
  facilityIds?: string[];
  assigneeId?: string;
  planItemId?: string;
  /** Open events only: those due no later than this many days after the facility's today. */
  dueWithinDays?: number;
  limit?: number;
  now?: Date;
}

export interface EventListRow {
  id: string;
  planItemId: string;
  activity: string;
  facilityId: string;
  facilityName: string;
  dueDate: string;
  assigneeName: string;
  status: DisplayStatus;
  overdue: boolean;
  completedOn: string | null;
  closedByName: string | null;
  closedAt: Date | null;
  recordedLate: boolean;
  cancelReason: string | null;
}

interface Row extends Omit<EventListRow, 'status' | 'overdue'> {
  stored: 'open' | 'closed' | 'cancelled';
  late: boolean;
  timeZone: string;
  total: number;
}

/** A query's WHERE clause and parameters; the client's zone and the facility's today are
 *  parameters only when a clause uses them (PostgreSQL must know every parameter's type). */
function filterOf(client: Client, query: EventListQuery, now: Date) {
  const params: unknown[] = [];
  const param = (value: unknown) => `$${params.push(value)}`;
  let zone: string | undefined;
  let instant: string | undefined;
  const zoneOf = () => (zone ??= `coalesce(f.time_zone, ${param(client.timeZone)}::text)`);
  const localToday = () => `((${(instant ??= `${param(now.toISOString())}::timestamptz`)} AT TIME ZONE ${zoneOf()})::date)`;
  const where = ['e.client_id = app_current_client()'];
  if (query.status !== 'all') where.push(`e.status = ${param(query.status)}`);
  if (query.facilityIds) where.push(`e.facility_id = ANY (${param(query.facilityIds)}::uuid[])`);
  if (query.assigneeId) where.push(`e.assignee_id = ${param(query.assigneeId)}`);
  if (query.planItemId) where.push(`e.plan_item_id = ${param(query.planItemId)}`);
  if (query.dueWithinDays !== undefined) where.push(`e.due_date <= ${localToday()} + ${param(query.dueWithinDays)}::int`);
  return { params, param, zoneOf, localToday, where: where.join(' AND ') };
}

const ORDER: Record<ListStatus, (localToday: () => string) => string> = {
  open: (localToday) => `e.due_date < ${localToday()} DESC, e.due_date, e.activity, e.id`,
  closed: () => 'e.completed_on DESC, e.closed_at DESC, e.id',
  cancelled: () => 'e.due_date DESC, e.activity, e.id',
  all: () => 'e.due_date DESC, e.activity, e.id',
};

/**
 * The events matching `query`. Open events come overdue first (each in its facility's zone), then
 * by due date; closed ones most recently completed first; cancelled and all by due date, newest
 * first. `total` counts every match, beyond the limit too.
 */
export async function eventList(client: Client, query: EventListQuery): Promise<{ rows: EventListRow[]; total: number }> {
  const now = query.now ?? new Date();
  const { params, param, zoneOf, localToday, where } = filterOf(client, query, now);
  const order = ORDER[query.status](localToday);
  const rows = await sql<Row>(
    `SELECT e.id, e.plan_item_id AS "planItemId", e.activity, e.facility_id AS "facilityId", f.name AS "facilityName",
            ${zoneOf()} AS "timeZone", e.due_date::text AS "dueDate", coalesce(a.name, '—') AS "assigneeName",
            e.status AS stored, e.late, e.recorded_late AS "recordedLate", e.completed_on::text AS "completedOn", e.closed_at AS "closedAt",
            coalesce(c.name, ${staffNameOf('e.closed_by_staff_id')}) AS "closedByName", e.cancel_reason AS "cancelReason",
            count(*) OVER ()::int AS total
       FROM events e
       JOIN org_units f ON f.client_id = e.client_id AND f.id = e.facility_id
       LEFT JOIN users a ON a.client_id = e.client_id AND a.id = e.assignee_id
       LEFT JOIN users c ON c.client_id = e.client_id AND c.id = e.closed_by
      WHERE ${where}
      ORDER BY ${order}
      LIMIT ${param(query.limit ?? EVENT_LIST_LIMIT)}`,
    params,
  );
  const total = rows[0]?.total ?? 0;
  return {
    total,
    rows: rows.map(({ stored, late, timeZone, total: _, ...r }) => {
      const status = displayStatus({ status: stored, late, dueDate: r.dueDate }, todayIn(timeZone, now));
      return { ...r, status, overdue: status === 'overdue' };
    }),
  };
}

/** How many events match `query`. */
export async function countEvents(client: Client, query: EventListQuery): Promise<number> {
  const { params, where } = filterOf(client, query, query.now ?? new Date());
  const [row] = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM events e JOIN org_units f ON f.client_id = e.client_id AND f.id = e.facility_id WHERE ${where}`, params);
  return row!.n;
}

/** How far ahead My events reaches unless the user asks for everything: the upcoming window. */
export const MY_EVENTS_DAYS = UPCOMING_DAYS;

/**
 * The user's events in scope. Open ones: overdue first, then by due date, and unless `all` only
 * those due within MY_EVENTS_DAYS of the facility's today; `later` counts what that window hides.
 */
export async function myEvents(userId: string, client: Client, options: { status?: ListStatus; all?: boolean; now?: Date } = {}): Promise<{ rows: EventListRow[]; total: number; later: number }> {
  const status = options.status ?? 'open';
  const windowed = status === 'open' && !options.all;
  const list = await eventList(client, { status, assigneeId: userId, dueWithinDays: windowed ? MY_EVENTS_DAYS : undefined, now: options.now });
  const later = windowed ? (await countEvents(client, { status, assigneeId: userId, now: options.now })) - list.total : 0;
  return { ...list, later };
}
