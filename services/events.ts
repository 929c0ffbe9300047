// Reading events (issue 5, DESIGN.md §5): one event as its page shows it, a user's open events,
// and the row lock every change of an event starts with. Visibility is row-level security: an
// event of another client or of a facility outside the actor's scope is simply not found (404).
import { compareDates, todayIn } from '../lib/calendar-dates.ts';
import { NotFoundError } from '../lib/errors.ts';
import { sql } from '../lib/unit-of-work.ts';
import type { Client } from '../models/index.ts';
import type { EventStatus } from '../models/event.ts';
import type { ChecklistItem, Requirement } from '../models/plan-item.ts';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What the page says: open and overdue are one stored status, told apart by the facility's today. */
export type DisplayStatus = 'open' | 'overdue' | 'closed' | 'closed late' | 'cancelled';

/** An event with what working it needs: its item's requirement and checklist, its facility's zone. */
export interface EventRecord {
  id: string;
  planItemId: string;
  facilityId: string;
  facilityName: string;
  timeZone: string;
  activity: string;
  description: string | null;
  additionalInformation: string | null;
  scheduledDate: string;
  dueDate: string;
  assigneeId: string;
  assigneeName: string;
  status: EventStatus;
  completedOn: string | null;
  closedBy: string | null;
  closedAt: Date | null;
  closingNotes: string | null;
  cancelReason: string | null;
  late: boolean;
  requirement: Requirement;
  checklist: ChecklistItem[];
  scheduleKind: 'calendar' | 'relative';
  regulatoryReference: string | null;
}

const EVENT_COLUMNS = `
  e.id, e.plan_item_id AS "planItemId", e.facility_id AS "facilityId", f.name AS "facilityName",
  coalesce(f.time_zone, c.time_zone) AS "timeZone", e.activity, e.description,
  e.additional_information AS "additionalInformation", e.scheduled_date::text AS "scheduledDate",
  e.due_date::text AS "dueDate", e.assignee_id AS "assigneeId", u.name AS "assigneeName", e.status,
  e.completed_on::text AS "completedOn", e.closed_by AS "closedBy", e.closed_at AS "closedAt",
  e.closing_notes AS "closingNotes", e.cancel_reason AS "cancelReason", e.late, p.requirement,
  p.checklist, p.schedule_kind AS "scheduleKind", p.regulatory_reference AS "regulatoryReference"`;

const EVENT_FROM = `
  FROM events e
  JOIN plan_items p ON p.client_id = e.client_id AND p.id = e.plan_item_id
  JOIN org_units f ON f.client_id = e.client_id AND f.id = e.facility_id
  JOIN clients c ON c.id = e.client_id
  JOIN users u ON u.client_id = e.client_id AND u.id = e.assignee_id`;

/** The event, if the actor may see it; 404 otherwise (a malformed id included). */
export async function findEventInScope(id: string): Promise<EventRecord> {
  const [event] = UUID.test(id) ? await sql<EventRecord>(`SELECT ${EVENT_COLUMNS} ${EVENT_FROM} WHERE e.id = $1`, [id]) : [];
  if (!event) throw new NotFoundError();
  return event;
}

/**
 * The event, locked FOR UPDATE until the unit of work ends: every change of an event or of its
 * evidence takes this lock first, so a close, an upload and a reopen of one event happen one after
 * another, never interleaved (two people closing at once: the second sees it closed).
 */
export async function lockEventInScope(id: string): Promise<EventRecord> {
  const [event] = UUID.test(id)
    ? await sql<EventRecord>(`SELECT ${EVENT_COLUMNS} ${EVENT_FROM} WHERE e.id = $1 FOR UPDATE OF e`, [id])
    : [];
  if (!event) throw new NotFoundError();
  return event;
}

/** The facility's calendar date now. */
export const eventToday = (event: Pick<EventRecord, 'timeZone'>, now: Date = new Date()): string => todayIn(event.timeZone, now);

export function displayStatus(event: Pick<EventRecord, 'status' | 'late' | 'dueDate' | 'timeZone'>, now: Date = new Date()): DisplayStatus {
  if (event.status === 'cancelled') return 'cancelled';
  if (event.status === 'closed') return event.late ? 'closed late' : 'closed';
  return compareDates(eventToday(event, now), event.dueDate) > 0 ? 'overdue' : 'open';
}

export interface MyEventRow {
  id: string;
  activity: string;
  facilityName: string;
  dueDate: string;
  status: DisplayStatus;
}

/** How far ahead "due soon" reaches on My events unless the user asks for everything. */
export const DUE_SOON_DAYS = 30;
/** A page of My events never lists more than this. */
export const MY_EVENTS_LIMIT = 500;

/**
 * The user's open events in scope: overdue first (oldest first), then by due date. Unless `all`,
 * only those due within DUE_SOON_DAYS of the facility's today. Also counts what the window hides.
 */
export async function myOpenEvents(userId: string, client: Client, options: { all?: boolean; now?: Date } = {}): Promise<{ rows: MyEventRow[]; later: number }> {
  const now = options.now ?? new Date();
  const rows = await sql<{ id: string; activity: string; facilityName: string; dueDate: string; timeZone: string; soon: boolean }>(
    `SELECT e.id, e.activity, f.name AS "facilityName", e.due_date::text AS "dueDate", coalesce(f.time_zone, $2) AS "timeZone",
            e.due_date <= (($3::timestamptz AT TIME ZONE coalesce(f.time_zone, $2))::date + $4::int) AS soon
       FROM events e JOIN org_units f ON f.client_id = e.client_id AND f.id = e.facility_id
      WHERE e.client_id = app_current_client() AND e.assignee_id = $1 AND e.status = 'open'
      ORDER BY e.due_date, e.activity, e.id`,
    [userId, client.timeZone, now.toISOString(), DUE_SOON_DAYS],
  );
  const shown = options.all ? rows : rows.filter((r) => r.soon);
  const listed = shown.slice(0, MY_EVENTS_LIMIT).map((r) => ({
    id: r.id,
    activity: r.activity,
    facilityName: r.facilityName,
    dueDate: r.dueDate,
    status: displayStatus({ status: 'open', late: false, dueDate: r.dueDate, timeZone: r.timeZone }, now),
  }));
  // Overdue first: due dates ascend already, but facilities' todays differ by zone.
  listed.sort((a, b) => Number(b.status === 'overdue') - Number(a.status === 'overdue'));
  return { rows: listed, later: rows.length - listed.length };
}
