// Reassigning open events (DESIGN.md §5): one event from its page, or many selected
// events of a facility's (or a roll-up's) open-events table. A new assignee must be an active user
// whose scope covers the event's facility. Every refusal leaves everything as it was: all checks
// run before the one UPDATE. Also the narrow "does this user still hold anything anywhere in the
// client" count that guards deactivation (users page and transition tool).
import { HttpError, ValidationError } from '../../lib/errors.ts';
import { idParam } from '../../lib/id-match.ts';
import { sql } from '../../lib/unit-of-work.ts';
import type { Actor } from '../../types/actor.ts';
import type { OrgUnit } from '../../models/index.ts';
import { canReassign } from '../../policies/events.ts';
import { authorize } from '../../policies/index.ts';
import { audit, auditMany } from '../audit/entries.ts';
import { lockEventInScope, type EventRecord } from './lookups.ts';
import { OPEN_STATUS_FILTERS } from './definitions.ts';
import { type EventListQuery, lockOpenMatching } from './lists.ts';
import { facilitiesUnder } from '../organisation/hierarchy.ts';
import { type AssigneeChoice, USERS_COVERING_SQL, distinctIds } from '../plans/plan-items.ts';
import { UUID_PATTERN as UUID } from '../../lib/uuid.ts';

/** A bulk reassignment never takes more events than this at once. */
export const BULK_REASSIGN_MAX = 500;

/** Active users of the client whose scope covers every one of these facilities, by name. */
export async function usersCovering(facilityIds: string[]): Promise<AssigneeChoice[]> {
  const ids = distinctIds(facilityIds);
  return sql<AssigneeChoice>(USERS_COVERING_SQL('$1', ids), [idParam(ids)]);
}

const outsideScope = (name: string, facilities: string) =>
  `${name} is outside the facility's scope: choose an active user whose scope covers ${facilities}.`;

export interface ReassignResult {
  event: EventRecord;
  changed: boolean;
  to: AssigneeChoice;
}

/** Reassigns one open event (Director and above). 404 when invisible, 403 below Director, 409
 *  when not open, 422 for a user outside the facility's scope. */
export async function reassignEvent(actor: Actor, eventId: string, assigneeId: string): Promise<ReassignResult> {
  const event = await lockEventInScope(eventId);
  authorize(actor.user, 'events.reassign');
  if (!canReassign(actor.user, event)) throw new HttpError(409, `Only open events can be reassigned; this event is ${event.status}.`);
  const choices = UUID.test(assigneeId) ? await usersCovering([event.facilityId]) : [];
  const to = choices.find((u) => u.id === assigneeId.toLowerCase());
  if (!to) {
    const message = UUID.test(assigneeId) ? outsideScope('The chosen user', event.facilityName) : 'Choose the new assignee from the list.';
    throw new ValidationError({ assigneeId: message }, message);
  }
  if (to.id === event.assigneeId) return { event, changed: false, to };
  await sql('UPDATE events SET assignee_id = $2, updated_at = now() WHERE client_id = app_current_client() AND id = $1 RETURNING id', [event.id, to.id]);
  await audit({ action: 'event.reassigned', entityType: 'event', entityId: event.id, changes: { from: event.assigneeId, to: to.id } });
  return { event, changed: true, to };
}

interface SelectedEvent {
  id: string;
  facility_id: string;
  facility_name: string;
  status: string;
  assignee_id: string;
  activity: string;
}

/** The selected events of a unit's table, locked, all checked: 422 listing every problem when
 *  one is invisible, not open or not under the unit. */
async function lockSelection(unit: OrgUnit, eventIds: string[]): Promise<SelectedEvent[]> {
  const ids = [...new Set(eventIds.map((id) => id.toLowerCase()))];
  if (ids.length === 0) throw new ValidationError({ events: 'Select at least one event. Nothing was changed.' }, 'Select at least one event.');
  if (ids.length > BULK_REASSIGN_MAX) {
    const message = `Select at most ${BULK_REASSIGN_MAX} events at a time. Nothing was changed.`;
    throw new ValidationError({ events: message }, message);
  }
  if (ids.some((id) => !UUID.test(id))) throw new ValidationError({ events: 'One of the selected events is not valid. Nothing was changed.' }, 'One of the selected events is not valid.');
  const rows = await sql<SelectedEvent>(
    `SELECT e.id, e.facility_id, f.name AS facility_name, e.status, e.assignee_id, e.activity
       FROM events e JOIN org_units f ON f.client_id = e.client_id AND f.id = e.facility_id
      WHERE e.client_id = app_current_client() AND e.id = ANY ($1::uuid[])
      ORDER BY e.id FOR UPDATE OF e`,
    [ids],
  );
  const under = new Set((unit.kind === 'facility' ? [unit] : await facilitiesUnder(unit)).map((f) => f.id));
  const problems: string[] = [];
  const missing = ids.length - rows.length;
  if (missing > 0) problems.push(`${missing} of the selected events ${missing === 1 ? 'is' : 'are'} not visible to you.`);
  for (const row of rows) {
    if (row.status !== 'open') problems.push(`${row.activity} at ${row.facility_name} is ${row.status}; only open events can be reassigned.`);
    else if (!under.has(row.facility_id)) problems.push(`${row.activity} at ${row.facility_name} is not in ${unit.name}.`);
  }
  if (problems.length) {
    const message = `${problems.join(' ')} Nothing was changed.`;
    throw new ValidationError({ events: message }, message);
  }
  return rows;
}

/** Who the selected events may go to: users covering every selected event's facility. Also
 *  checks the selection (422 as lockSelection). */
export async function bulkChoices(unit: OrgUnit, eventIds: string[]): Promise<AssigneeChoice[]> {
  const rows = await lockSelection(unit, eventIds);
  return usersCovering(rows.map((r) => r.facility_id));
}

export interface BulkResult {
  selected: number;
  changed: string[];
  to: AssigneeChoice;
}

/**
 * Reassigns the selected open events of a unit's table to one user, all or nothing: every event
 * must be visible, open and under the unit, and the user must cover each one's facility; then one
 * UPDATE moves them, and each moved event gets its own 'event.reassigned' audit entry (the same
 * entry a single reassignment writes, so each event's history reads alike whichever way it moved).
 */
export async function bulkReassign(actor: Actor, unit: OrgUnit, eventIds: string[], assigneeId: string): Promise<BulkResult> {
  authorize(actor.user, 'events.reassign');
  const rows = await lockSelection(unit, eventIds);
  return moveAll(rows, assigneeId, 'selected');
}

/** The checked, locked events to one user covering every one's facility, in one UPDATE, each
 *  moved event audited as a single reassignment is; refused (422) before any change otherwise. */
async function moveAll(rows: SelectedEvent[], assigneeId: string, which: 'selected' | 'matching'): Promise<BulkResult> {
  const facilityIds = [...new Set(rows.map((r) => r.facility_id))];
  const to = UUID.test(assigneeId) ? (await usersCovering(facilityIds)).find((u) => u.id === assigneeId.toLowerCase()) : undefined;
  if (!to) {
    if (!UUID.test(assigneeId)) throw new ValidationError({ assigneeId: 'Choose the new assignee from the list.' }, 'Choose the new assignee from the list. Nothing was changed.');
    const names = [...new Set(rows.map((r) => r.facility_name))].sort().join(', ');
    const message = `${outsideScope('The chosen user', `every ${which} event's facility (${names})`)} Nothing was changed.`;
    throw new ValidationError({ assigneeId: message }, message);
  }
  const moving = rows.filter((r) => r.assignee_id !== to.id);
  if (moving.length) {
    await sql(
      `UPDATE events SET assignee_id = $2, updated_at = now()
        WHERE client_id = app_current_client() AND id = ANY ($1::uuid[]) AND status = 'open' RETURNING id`,
      [moving.map((r) => r.id), to.id],
    );
    await auditMany(moving.map((row) => ({ action: 'event.reassigned', entityType: 'event', entityId: row.id, changes: { from: row.assignee_id, to: to.id } })));
  }
  return { selected: rows.length, changed: moving.map((r) => r.id), to };
}

/** Refuses "reassign all matching" with one message, nothing changed. */
const refuseMatching = (message: string): never => {
  throw new ValidationError({ events: `${message} Nothing was changed.` }, `${message} Nothing was changed.`);
};

/**
 * Reassigns every open event of a unit's list that matches `query` at this moment ("select all N
 * matching"), all or nothing, with bulkReassign's checks: the list must be an open view, the
 * events are confined to the unit's facilities (and row-level security to the actor's scope),
 * locked, and must number exactly `expected` (the count the user confirmed) and at most
 * BULK_REASSIGN_MAX; the new assignee must cover every one's facility; each moved event is audited.
 */
export async function bulkReassignMatching(actor: Actor, unit: OrgUnit, query: EventListQuery, expected: number, assigneeId: string): Promise<BulkResult> {
  authorize(actor.user, 'events.reassign');
  if (!OPEN_STATUS_FILTERS.includes(query.status)) refuseMatching('Only open events can be reassigned: show the open events first.');
  const under = new Set((unit.kind === 'facility' ? [unit] : await facilitiesUnder(unit)).map((f) => f.id));
  const facilityIds = (query.facilityIds ?? [...under]).filter((id) => under.has(id));
  const rows = await lockOpenMatching(actor.client, { ...query, facilityIds, limit: undefined, offset: undefined }, BULK_REASSIGN_MAX + 1);
  if (rows.length > BULK_REASSIGN_MAX) refuseMatching(`More than ${BULK_REASSIGN_MAX} events match these filters; at most ${BULK_REASSIGN_MAX} can be reassigned at once. Narrow the filters.`);
  if (rows.length === 0) refuseMatching('No open event matches these filters any more.');
  if (rows.length !== expected) {
    refuseMatching(`${rows.length} event${rows.length === 1 ? ' matches' : 's match'} these filters now, not the ${expected} you confirmed: the list changed in the meantime. Check it and confirm the new count.`);
  }
  return moveAll(rows, assigneeId, 'matching');
}

export interface HeldCounts {
  planItems: number;
  openEvents: number;
}

/**
 * What a user still holds anywhere in the client: Plan Items that are not hidden, and open
 * events. Deactivation must count facilities outside the actor's scope too, which row-level
 * security hides from the actor, so a security-definer function returns the two counts only.
 * Runs in the caller's unit of work (deactivation asks again after locking the user's row).
 */
export async function heldAnywhere(userId: string): Promise<HeldCounts> {
  if (!UUID.test(userId)) return { planItems: 0, openEvents: 0 };
  const [row] = await sql<HeldCounts>('SELECT plan_items AS "planItems", open_events AS "openEvents" FROM user_holdings($1)', [userId]);
  return row!;
}

export const describeHeld = (held: HeldCounts): string =>
  [
    held.planItems ? `${held.planItems} Plan Item${held.planItems === 1 ? '' : 's'}` : '',
    held.openEvents ? `${held.openEvents} open event${held.openEvents === 1 ? '' : 's'}` : '',
  ].filter(Boolean).join(' and ');
