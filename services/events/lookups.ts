// Reading events (DESIGN.md §5): one event as its page shows it, a user's open events,
// and the row lock every change of an event starts with. Visibility is row-level security: an
// event of another client or of a facility outside the actor's scope is simply not found (404).
import { todayIn } from '../../lib/calendar-dates.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { sql } from '../../lib/unit-of-work.ts';
import type { EventStatus } from '../../models/event.ts';
import type { ChecklistItem, Requirement } from '../../models/plan-item.ts';
import { UUID_PATTERN as UUID } from '../../lib/uuid.ts';
import { type DisplayStatus, displayStatus as statusOn } from './definitions.ts';

export type { DisplayStatus };

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
  recordedLate: boolean;
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
  e.closing_notes AS "closingNotes", e.cancel_reason AS "cancelReason", e.late, e.recorded_late AS "recordedLate", p.requirement,
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

/** What the page says: open and overdue are one stored status, told apart by the facility's today. */
export const displayStatus = (event: Pick<EventRecord, 'status' | 'late' | 'dueDate' | 'timeZone'>, now: Date = new Date()): DisplayStatus =>
  statusOn(event, eventToday(event, now));

/**
 * The earliest completion date an event accepts: its previous occurrence's due date, or for an
 * item's first event its schedule start (or the event's own date, if earlier) less the lead time.
 * A relative item's successor made when this event was closed early is later, not previous,
 * even when it falls due first (it was created after this one).
 * Earlier dates are typing mistakes that would record overdue work as done on time.
 */
export async function earliestCompletion(event: Pick<EventRecord, 'id' | 'planItemId' | 'scheduledDate'>): Promise<string> {
  const [row] = await sql<{ earliest: string }>(`SELECT (${EARLIEST_COMPLETION_SQL('$1', '$2', '$3')}) AS earliest`, [event.planItemId, event.id, event.scheduledDate]);
  return row!.earliest;
}

/** earliestCompletion's expression, for the Plan Item, event and scheduled date parameters given. */
export const EARLIEST_COMPLETION_SQL = (planItem: string, event: string, scheduled: string) => `coalesce(
              (SELECT prev.due_date FROM events prev, events this
                WHERE prev.client_id = app_current_client() AND prev.plan_item_id = ${planItem} AND prev.id <> ${event} AND prev.scheduled_date < ${scheduled}::date
                  AND this.client_id = prev.client_id AND this.id = ${event} AND prev.created_at <= this.created_at
                ORDER BY prev.scheduled_date DESC LIMIT 1),
              (SELECT least(p.schedule_start, ${scheduled}::date) - p.lead_time_days FROM plan_items p
                WHERE p.client_id = app_current_client() AND p.id = ${planItem}))::text`;

export interface CommentRow {
  id: string;
  authorName: string | null;
  body: string;
  createdAt: Date;
}

/** The name of the staff member in `column` (a *_staff_id), for work done in a support session. */
export const staffNameOf = (column: string) => `CASE WHEN ${column} IS NOT NULL THEN (SELECT s.name || ' (SolutionsTRAK support)' FROM staff_directory(ARRAY[${column}]) s) END`;

/** An event's ($1) comments, oldest first. */
export const EVENT_COMMENTS_SQL = `SELECT c.id, coalesce(u.name, ${staffNameOf('c.author_staff_id')}) AS "authorName", c.body, c.created_at AS "createdAt"
       FROM event_comments c LEFT JOIN users u ON u.client_id = c.client_id AND u.id = c.author_id
      WHERE c.client_id = app_current_client() AND c.event_id = $1 ORDER BY c.created_at, c.id`;

export interface ClosureRow {
  id: string;
  closedByName: string | null;
  closedAt: Date;
  completedOn: string;
  dueDate: string;
  late: boolean;
  recordedLate: boolean;
  notes: string | null;
  checklist: Array<{ key: string; label: string; type: string; required: boolean; value: string | null }>;
  documents: Array<{ id: string; fileName: string; sizeBytes: number; sha256: string }>;
}

/** Every close record of the event ($1), newest first (a reopened event keeps its earlier ones). */
export const EVENT_CLOSURES_SQL = `SELECT k.id, coalesce(u.name, ${staffNameOf('k.closed_by_staff_id')}) AS "closedByName", k.closed_at AS "closedAt", k.completed_on::text AS "completedOn", k.due_date::text AS "dueDate",
            k.late, k.recorded_late AS "recordedLate", k.notes, k.checklist, k.documents
       FROM event_closures k LEFT JOIN users u ON u.client_id = k.client_id AND u.id = k.closed_by
      WHERE k.client_id = app_current_client() AND k.event_id = $1 ORDER BY k.closed_at DESC, k.id`;

export interface HistoryRow {
  at: Date;
  actorName: string | null;
  action: string;
  changes: Record<string, unknown> | null;
}

/** A user id an audit entry's changes hold under `key`, as uuid (null when it holds none). */
const changedUser = (key: string) => `(SELECT n.name FROM users n WHERE n.client_id = a.client_id
        AND n.id = CASE WHEN a.changes->>'${key}' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN (a.changes->>'${key}')::uuid END)`;

/** The event's ($1) audit entries, oldest first: what happened to it, by whom (a reassignment
 *  names both users: fromName and toName beside their ids). */
export const EVENT_HISTORY_SQL = `SELECT a.occurred_at AS at, coalesce(u.name, ${staffNameOf('a.actor_staff_id')}) AS "actorName", a.action,
            CASE WHEN a.action = 'event.reassigned' AND jsonb_typeof(a.changes) = 'object'
                 THEN a.changes || jsonb_strip_nulls(jsonb_build_object('fromName', ${changedUser('from')}, 'toName', ${changedUser('to')}))
                 ELSE a.changes END AS changes
       FROM audit_log a LEFT JOIN users u ON u.client_id = a.client_id AND u.id = a.actor_user_id
      WHERE a.client_id = app_current_client() AND a.entity_id = $1 AND a.entity_type = 'event'
      ORDER BY a.occurred_at, a.seq`;

/** One history line in words (ids and hashes stay in the audit log's detail). */
export function historyText(row: HistoryRow): string {
  const c = (row.changes ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  switch (row.action) {
    case 'event.closed':
      return `Closed${c.late ? ' late' : ''}${c.recordedLate ? ' (recorded late)' : ''}: completed ${str(c.completedOn)} (due ${str(c.dueDate)})${Array.isArray(c.documents) && c.documents.length ? `, ${c.documents.length} document${c.documents.length === 1 ? '' : 's'} as evidence` : ''}${c.nextDueDate ? `; next event due ${str(c.nextDueDate)}` : ''}`;
    case 'event.reopened':
      return `Reopened: ${str(c.reason)}`;
    case 'event.cancelled':
      return `Cancelled: ${str(c.reason)}${c.nextDueDate ? `; next event due ${str(c.nextDueDate)}` : ''}`;
    case 'event.commented':
      return 'Commented';
    case 'event.reassigned':
      return `Reassigned${c.fromName && c.toName ? ` from ${str(c.fromName)} to ${str(c.toName)}` : ''}${c.via === 'transition' ? ' by the transition tool' : ''}`;
    case 'document.uploaded':
      return `Uploaded ${str(c.fileName)}`;
    case 'document.deleted':
      return `Removed ${str(c.fileName)}`;
    case 'document.downloaded':
      return `Downloaded ${str(c.fileName)}`;
    default:
      return row.action;
  }
}
