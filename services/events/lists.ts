// Lists of events: one query behind every events table (a facility's or a roll-up's, My events, a
// Plan Item's), filtered by status, place, person, item, due and completion dates, category and a
// text search, sorted by any column and paged, so filters, sorting and exports extend this one list
// rather than copy it. Visibility is row-level security; the status a row shows (overdue, closed
// late, …) and every status filter follow services/events/definitions.ts in each facility's zone.
import { daysBetween, todayIn } from '../../lib/calendar-dates.ts';
import { idMatch, idParam } from '../../lib/id-match.ts';
import { cursorBatches, sql } from '../../lib/unit-of-work.ts';
import type { Client } from '../../models/index.ts';
import {
  daysOverdueSql, type DisplayStatus, displayStatus, isStatusFilter, isOverdue, overdueSql, STATUS_FILTERS, type StatusFilter, statusFilterSql, UPCOMING_DAYS,
} from './definitions.ts';
import { staffNameOf } from './lookups.ts';
import { type AssigneeChoice, USERS_COVERING_SQL } from '../plans/plan-items.ts';

export const LIST_STATUSES = STATUS_FILTERS;
export type ListStatus = StatusFilter;
export const isListStatus = isStatusFilter;

/** A list never shows more rows than this; `total` says how many matched. */
export const EVENT_LIST_LIMIT = 500;
/** Rows per page of a paged list (eventPage). */
export const EVENT_PAGE_SIZE = 50;

export const SORT_KEYS = ['due', 'activity', 'facility', 'assignee', 'completed', 'overdue'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortDirection = 'asc' | 'desc';
/** The direction a column sorts in when first chosen: most recent and most overdue first. */
export const DEFAULT_DIRECTION: Record<SortKey, SortDirection> = { due: 'asc', activity: 'asc', facility: 'asc', assignee: 'asc', completed: 'desc', overdue: 'desc' };

/** A search's words: split on white space, each kept only when it has a letter or a digit
 *  (a search of only punctuation has none). */
export const searchTerms = (text: string): string[] => text.split(/\s+/).filter((t) => /[\p{L}\p{N}]/u.test(t)).slice(0, 10);
const likePattern = (term: string) => `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export interface EventListQuery {
  status: ListStatus;
  facilityIds?: string[];
  assigneeId?: string;
  planItemId?: string;
  /** Open events only: those due no later than this many days after the facility's today. */
  dueWithinDays?: number;
  /** Due dates from and to (inclusive), 'YYYY-MM-DD'. */
  dueFrom?: string;
  dueTo?: string;
  /** Completion dates from and to (inclusive); an event not completed does not match either. */
  completedFrom?: string;
  completedTo?: string;
  /** The Plan Item's category, exactly. */
  category?: string;
  /** Every word must appear (any case) in the activity, the description or the Plan Item's
   *  regulatory reference. */
  search?: string;
  sort?: SortKey;
  direction?: SortDirection;
  limit?: number;
  offset?: number;
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
  /** Days past the due date in the facility's zone, for open overdue events; null otherwise. */
  daysOverdue: number | null;
  completedOn: string | null;
  closedByName: string | null;
  closedAt: Date | null;
  recordedLate: boolean;
  cancelReason: string | null;
}

/** A download's row: the list's row without what no file shows (the Plan Item's and facility's
 *  ids, the instant of the close), so a million rows do not parse them for nothing. */
export type EventDownloadRow = Omit<EventListRow, 'planItemId' | 'facilityId' | 'closedAt'>;

interface Row extends Omit<EventListRow, 'status' | 'overdue' | 'daysOverdue'> {
  stored: 'open' | 'closed' | 'cancelled';
  late: boolean;
  timeZone: string;
  total?: number;
  later?: number;
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
  if (query.status !== 'all') where.push(statusFilterSql('e', query.status, localToday));
  if (query.facilityIds) where.push(idMatch('e.facility_id', query.facilityIds, param(idParam(query.facilityIds))));
  if (query.assigneeId) where.push(`e.assignee_id = ${param(query.assigneeId)}::uuid`);
  if (query.planItemId) where.push(`e.plan_item_id = ${param(query.planItemId)}::uuid`);
  // The window's end, kept apart so that what lies beyond it can be counted too (myEvents).
  const windowEnd = query.dueWithinDays === undefined ? undefined : `${localToday()} + ${param(query.dueWithinDays)}::int`;
  const windowAt = windowEnd ? where.push(`e.due_date <= ${windowEnd}`) - 1 : -1;
  if (query.dueFrom) where.push(`e.due_date >= ${param(query.dueFrom)}::date`);
  if (query.dueTo) where.push(`e.due_date <= ${param(query.dueTo)}::date`);
  if (query.completedFrom) where.push(`e.completed_on >= ${param(query.completedFrom)}::date`);
  if (query.completedTo) where.push(`e.completed_on <= ${param(query.completedTo)}::date`);
  if (query.category) {
    where.push(`EXISTS (SELECT 1 FROM plan_items p WHERE p.client_id = e.client_id AND p.id = e.plan_item_id AND p.category = ${param(query.category)}::text)`);
  }
  for (const term of searchTerms(query.search ?? '')) {
    const like = `${param(likePattern(term))}::text`;
    where.push(`(e.activity ILIKE ${like} OR e.description ILIKE ${like}
      OR EXISTS (SELECT 1 FROM plan_items p WHERE p.client_id = e.client_id AND p.id = e.plan_item_id AND p.regulatory_reference ILIKE ${like}))`);
  }
  const beyondWindow = windowEnd ? where.map((clause, i) => (i === windowAt ? `e.due_date > ${windowEnd}` : clause)).join(' AND ') : undefined;
  return { params, param, zoneOf, localToday, where: where.join(' AND '), beyondWindow };
}

const DEFAULT_ORDER: Record<ListStatus, (localToday: () => string) => string> = {
  open: (localToday) => `${overdueSql('e', localToday())} DESC, e.due_date, e.activity, e.id`,
  overdue: () => 'e.due_date, e.activity, e.id',
  due_soon: () => 'e.due_date, e.activity, e.id',
  upcoming: () => 'e.due_date, e.activity, e.id',
  closed: () => 'e.completed_on DESC, e.closed_at DESC, e.id',
  closed_late: () => 'e.completed_on DESC, e.closed_at DESC, e.id',
  recorded_late: () => 'e.completed_on DESC, e.closed_at DESC, e.id',
  cancelled: () => 'e.due_date DESC, e.activity, e.id',
  all: () => 'e.due_date DESC, e.activity, e.id',
};

/** ORDER BY for a chosen column; ties by due date then id, so pages never overlap. */
function orderOf(query: EventListQuery, localToday: () => string, assigneeName: string): string {
  if (!query.sort) return DEFAULT_ORDER[query.status](localToday);
  const dir = (query.direction ?? DEFAULT_DIRECTION[query.sort]) === 'desc' ? 'DESC' : 'ASC';
  // Functions, so only the chosen column's SQL (and its parameters) is built.
  const column: Record<SortKey, () => string> = {
    due: () => `e.due_date ${dir}, lower(e.activity) ${dir}`,
    activity: () => `lower(e.activity) ${dir}, e.due_date`,
    facility: () => `lower(f.name) ${dir}, e.due_date`,
    assignee: () => `lower(${assigneeName}) ${dir} NULLS LAST, e.due_date`,
    completed: () => `e.completed_on ${dir} NULLS LAST, e.closed_at ${dir} NULLS LAST, e.due_date`,
    overdue: () => `${daysOverdueSql('e', localToday())} ${dir} NULLS LAST, e.due_date`,
  };
  return `${column[query.sort]()}, e.id`;
}

/**
 * The events matching `query`. Unless sorted by a column: open events come overdue first (each in
 * its facility's zone), then by due date; overdue, due soon and upcoming by due date; closed ones
 * most recently completed first; cancelled and all by due date, newest first. `total` counts
 * every match, beyond the limit too (but 0 when `offset` is past the last match: eventPage counts);
 * with `later`, `later` counts what the due-within window leaves out, in the same statement (0
 * otherwise).
 */
export async function eventList(client: Client, query: EventListQuery, options: { later?: boolean } = {}): Promise<{ rows: EventListRow[]; total: number; later: number }> {
  const now = query.now ?? new Date();
  const later = options.later === true && query.dueWithinDays !== undefined;
  const { text, params } = listSql(client, query, now, { limit: query.limit ?? EVENT_LIST_LIMIT, offset: query.offset ?? 0, later });
  const rows = await sql<Row>(text, params);
  // With `later` there is always a row, for the count: an empty list's is all NULL but it.
  const listed = later ? rows.filter((row) => row.id !== null) : rows;
  return { total: listed[0]?.total ?? 0, rows: listed.map((row) => shapeRow(row, now)), later: later ? rows[0]!.later! : 0 };
}

/** Every event matching `query`, in the list's order, read from a cursor batch by batch (a
 *  download): no limit, no count. No other query may run in the unit of work until it is read. */
export async function* eventBatches(client: Client, query: EventListQuery, batchSize?: number): AsyncGenerator<EventDownloadRow[]> {
  const now = query.now ?? new Date();
  const { text, params } = listSql(client, query, now, null);
  // Each zone's today once, not once a row.
  const todays = new Map<string, string>();
  const todayOf = (zone: string) => todays.get(zone) ?? todays.set(zone, todayIn(zone, now)).get(zone)!;
  for await (const batch of cursorBatches<DownloadRow>(text, params, batchSize)) yield batch.map((row) => shapeDownloadRow(row, todayOf(row.timeZone)));
}

/** The statement eventBatches reads (a download's, for a benchmark's same-rows baseline). */
export const eventRowsSql = (client: Client, query: EventListQuery): { text: string; params: unknown[] } => listSql(client, query, query.now ?? new Date(), null);

/** The list's statement: a page of it (with the count of every match), or all of it. A page with
 *  `later` is one row of the count beyond its due-within window joined to its rows, in order. */
function listSql(client: Client, query: EventListQuery, now: Date, page: { limit: number; offset: number; later?: boolean } | null) {
  const { params, param, zoneOf, localToday, where, beyondWindow } = filterOf(client, query, now);
  const later = page?.later === true && beyondWindow !== undefined;
  // A page looks up the users of the rows it shows only (subqueries, which PostgreSQL runs after
  // the sort and limit); a download joins them once for all its rows, and so does a page sorted
  // by assignee (the sort reads every match's name).
  const joinAssignees = !page || query.sort === 'assignee';
  const nameOf = (column: string) => `(SELECT u.name FROM users u WHERE u.client_id = e.client_id AND u.id = ${column})`;
  const assigneeName = joinAssignees ? 'a.name' : nameOf('e.assignee_id');
  const closedByName = page ? nameOf('e.closed_by') : 'c.name';
  const order = orderOf(query, localToday, assigneeName);
  // The same rows, filters and order either way; a download (no page) reads only the columns a
  // file shows.
  const text = `SELECT e.id, ${page ? 'e.plan_item_id AS "planItemId", ' : ''}e.activity, ${page ? 'e.facility_id AS "facilityId", ' : ''}f.name AS "facilityName",
            ${zoneOf()} AS "timeZone", e.due_date::text AS "dueDate", coalesce(${assigneeName}, '—') AS "assigneeName",
            e.status AS stored, e.late, e.recorded_late AS "recordedLate", e.completed_on::text AS "completedOn", ${page ? 'e.closed_at AS "closedAt", ' : ''}
            coalesce(${closedByName}, ${staffNameOf('e.closed_by_staff_id')}) AS "closedByName", e.cancel_reason AS "cancelReason"
            ${page ? ', count(*) OVER ()::int AS total' : ''}${later ? `, row_number() OVER (ORDER BY ${order}) AS ordinal` : ''}
       FROM events e
       JOIN org_units f ON f.client_id = e.client_id AND f.id = e.facility_id
       ${joinAssignees ? 'LEFT JOIN users a ON a.client_id = e.client_id AND a.id = e.assignee_id' : ''}
       ${page ? '' : 'LEFT JOIN users c ON c.client_id = e.client_id AND c.id = e.closed_by'}
      WHERE ${where}
      ORDER BY ${order}
      ${page ? `LIMIT ${param(page.limit)}::int OFFSET ${param(page.offset)}::int` : ''}`;
  // The count's own events and facilities (the same aliases, so the same clauses).
  if (later) return { text: `SELECT l.*, b.n AS later FROM (${countSql(beyondWindow!)}) b LEFT JOIN (${text}) l ON true ORDER BY l.ordinal`, params };
  return { text, params };
}

type DownloadRow = Omit<Row, 'planItemId' | 'facilityId' | 'closedAt'>;

/** shapeRow for a download's row, with its facility's today. */
function shapeDownloadRow(row: DownloadRow, today: string): EventDownloadRow {
  const status = displayStatus({ status: row.stored, late: row.late, dueDate: row.dueDate }, today);
  const overdue = status === 'overdue';
  // Field by field rather than by rest and spread: a download shapes a million of these.
  return {
    id: row.id, activity: row.activity, facilityName: row.facilityName, dueDate: row.dueDate, assigneeName: row.assigneeName, status, overdue,
    daysOverdue: overdue && isOverdue(today, row.dueDate) ? daysBetween(row.dueDate, today) : null,
    completedOn: row.completedOn, closedByName: row.closedByName, recordedLate: row.recordedLate, cancelReason: row.cancelReason,
  };
}

function shapeRow(row: Row, now: Date): EventListRow {
  const today = todayIn(row.timeZone, now);
  const status = displayStatus({ status: row.stored, late: row.late, dueDate: row.dueDate }, today);
  const overdue = status === 'overdue';
  return {
    id: row.id, planItemId: row.planItemId, activity: row.activity, facilityId: row.facilityId, facilityName: row.facilityName, dueDate: row.dueDate,
    assigneeName: row.assigneeName, status, overdue, daysOverdue: overdue && isOverdue(today, row.dueDate) ? daysBetween(row.dueDate, today) : null,
    completedOn: row.completedOn, closedByName: row.closedByName, closedAt: row.closedAt, recordedLate: row.recordedLate, cancelReason: row.cancelReason,
  };
}

/** The count of the events (`e`, with their facilities `f`) that match `where`. */
const countSql = (where: string) => `SELECT count(*)::int AS n FROM events e JOIN org_units f ON f.client_id = e.client_id AND f.id = e.facility_id WHERE ${where}`;

/** How many events match `query`. */
export async function countEvents(client: Client, query: EventListQuery): Promise<number> {
  const { params, where } = filterOf(client, query, query.now ?? new Date());
  const [row] = await sql<{ n: number }>(countSql(where), params);
  return row!.n;
}

export interface EventPage {
  rows: EventListRow[];
  total: number;
  /** The page shown: the one asked for, or the last one when that is past the end. */
  page: number;
  pages: number;
  pageSize: number;
  /** With `later`: what the due-within window leaves out. */
  later: number;
}

/** One page of the events matching `query` (1-based); a page past the end shows the last. One
 *  statement (the page with its count, and with `later` the count beyond the due-within window)
 *  unless the page asked for is past the end. */
export async function eventPage(client: Client, query: EventListQuery, page: number, pageSize = EVENT_PAGE_SIZE, options: { later?: boolean } = {}): Promise<EventPage> {
  const now = query.now ?? new Date();
  const asked = Math.max(1, Math.trunc(page) || 1);
  const pageOf = (n: number) => eventList(client, { ...query, now, limit: pageSize, offset: (n - 1) * pageSize }, options);
  let list = await pageOf(asked);
  let shown = asked;
  if (!list.rows.length && asked > 1) {
    const total = await countEvents(client, { ...query, now });
    shown = Math.max(1, Math.ceil(total / pageSize));
    list = total ? await pageOf(shown) : { ...list, rows: [], total: 0 };
  }
  return { rows: list.rows, total: list.total, page: shown, pages: Math.max(1, Math.ceil(list.total / pageSize)), pageSize, later: list.later };
}

export interface MatchingEvent {
  id: string;
  facility_id: string;
  facility_name: string;
  status: string;
  assignee_id: string;
  activity: string;
}

/** The open events matching `query`, locked for update, by id, at most `limit` of them (ask for
 *  one more than allowed to learn that there are too many). For "reassign all matching". */
export async function lockOpenMatching(client: Client, query: EventListQuery, limit: number): Promise<MatchingEvent[]> {
  const { params, param, where } = filterOf(client, query, query.now ?? new Date());
  return sql<MatchingEvent>(
    `SELECT e.id, e.facility_id, f.name AS facility_name, e.status, e.assignee_id, e.activity
       FROM events e JOIN org_units f ON f.client_id = e.client_id AND f.id = e.facility_id
      WHERE ${where} AND e.status = 'open'
      ORDER BY e.id LIMIT ${param(limit)}::int FOR UPDATE OF e`,
    params,
  );
}

/** The facilities of the events matching `query` (who may take them all must cover each). */
export async function facilitiesMatching(client: Client, query: EventListQuery): Promise<string[]> {
  const { params, where } = filterOf(client, query, query.now ?? new Date());
  const rows = await sql<{ id: string }>(`SELECT DISTINCT e.facility_id AS id FROM events e JOIN org_units f ON f.client_id = e.client_id AND f.id = e.facility_id WHERE ${where}`, params);
  return rows.map((r) => r.id);
}

/** What a list's filters can choose from among these facilities' events: their assignees and
 *  their Plan Items' categories, by name; and, when `takersOf` names a facility, who may take its
 *  events (USERS_COVERING_SQL), for the reassignment form. One statement for all of them. */
export async function filterChoices(
  facilityIds: string[] | undefined,
  assigneeId?: string,
  options: { takersOf?: string } = {},
): Promise<{ assignees: Array<{ id: string; name: string }>; categories: string[]; takers: AssigneeChoice[] }> {
  const params: unknown[] = [];
  const param = (value: unknown) => `$${params.push(value)}`;
  const facilitiesParam = facilityIds ? param(idParam(facilityIds)) : '';
  const facilities = facilityIds ? `AND ${idMatch('e.facility_id', facilityIds, facilitiesParam)}` : '';
  const mine = assigneeId ? `AND e.assignee_id = ${param(assigneeId)}::uuid` : '';
  // A list of one person's events offers no assignee filter.
  const assignees = assigneeId ? `'[]'::json` : `(SELECT coalesce(json_agg(json_build_object('id', u.id, 'name', u.name) ORDER BY lower(u.name), u.id), '[]') FROM users u
      WHERE u.client_id = app_current_client()
        AND u.id IN (SELECT w.person_id FROM facility_people w
                      WHERE w.client_id = app_current_client() AND w.events > 0 ${facilityIds ? `AND ${idMatch('w.facility_id', facilityIds, facilitiesParam)}` : ''}))`;
  const takers = options.takersOf
    ? `(SELECT coalesce(json_agg(x), '[]') FROM (${USERS_COVERING_SQL(param(options.takersOf), [options.takersOf])}) x)`
    : `'[]'::json`;
  const [row] = await sql<{ assignees: Array<{ id: string; name: string }>; categories: string[]; takers: AssigneeChoice[] }>(
    `SELECT ${assignees} AS assignees,
            (SELECT coalesce(array_agg(DISTINCT p.category ORDER BY p.category), '{}') FROM plan_items p
              WHERE p.client_id = app_current_client() AND p.category IS NOT NULL AND btrim(p.category) <> ''
                AND EXISTS (SELECT 1 FROM events e WHERE e.client_id = p.client_id AND e.plan_item_id = p.id ${facilities} ${mine})) AS categories,
            ${takers} AS takers`,
    params,
  );
  return { assignees: row!.assignees, categories: row!.categories, takers: row!.takers };
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
  return eventList(client, { status, assigneeId: userId, dueWithinDays: windowed ? MY_EVENTS_DAYS : undefined, now: options.now }, { later: windowed });
}
