// The life cycle of an event (DESIGN.md §5): checklist answers, closing with enforced evidence,
// reopening, cancelling, and comments. Each change locks the event row first (services/events/lookups.ts),
// so two people acting on one event at once happen one after the other: the second close finds
// the event closed, and a relative-timing item gets exactly one next event.
import { compareDates, isValidDate } from '../../lib/calendar-dates.ts';
import { ConflictError, type FieldErrors, ForbiddenError, ValidationError } from '../../lib/errors.ts';
import { sql } from '../../lib/unit-of-work.ts';
import type { Client, User } from '../../models/index.ts';
import { canCancel, canComment, canReopen, canWorkEvent } from '../../policies/events.ts';
import { audit } from '../audit/entries.ts';
import { answersOf, missingRequiredAnswers, parseAnswers, saveAnswers } from './checklist.ts';
import { generateForItems } from './generation.ts';
import { isLate, isRecordedLate } from './definitions.ts';
import { earliestCompletion, type EventRecord, eventToday, findEventInScope, lockEventInScope } from './lookups.ts';
import { relativeNext } from '../plans/recurrence.ts';
import { checkSensitiveData } from '../sensitive-data.ts';

export const NOTES_MAX = 10_000;
export const REASON_MAX = 2_000;
export const COMMENT_MAX = 5_000;

/** Who works the event: what the policies and the records need of them. */
export interface EventWorker {
  user: Pick<User, 'id' | 'rank'>;
  client: Pick<Client, 'id'>;
}
type Actor = EventWorker;

/** The event locked, refusing (403) an actor who may not work it and (409) one no longer open. */
async function lockForWork(actor: Actor, eventId: string): Promise<EventRecord> {
  const event = await lockEventInScope(eventId);
  if (event.status !== 'open') throw new ConflictError(`This event is already ${event.status}; its evidence can no longer change.`);
  if (!canWorkEvent(actor.user, event)) throw new ForbiddenError('Only the assignee, or a Manager or above, may work on this event.');
  return event;
}

/** Saves checklist answers without closing (wrong types refused, nothing saved). */
export async function saveChecklist(actor: Actor, eventId: string, form: Record<string, unknown>, confirmed: boolean): Promise<EventRecord> {
  const event = await lockForWork(actor, eventId);
  const { answers, errors } = parseAnswers(event.checklist, form);
  if (Object.keys(errors).length) throw new ValidationError(errors);
  await checkSensitiveData('event.checklist', confirmed, ...textAnswers(event, answers));
  await saveAnswers(event, answers, actor.user.id);
  return event;
}

export interface CloseInput {
  completedOn: string;
  notes: string | null;
  /** The whole form: answers are read from its answer_<key> fields. */
  form: Record<string, unknown>;
  confirmSensitive: boolean;
}

export interface CloseResult {
  event: EventRecord;
  late: boolean;
  /** Entered more than RECORDED_LATE_AFTER_DAYS after the completion date. */
  recordedLate: boolean;
  /** The next event of a relative-timing item, when this close created it. */
  nextDueDate: string | null;
}

/**
 * Closes an open event. Whatever the form sent, the server requires every required checklist
 * answer and, when the item asks for one, at least one document; the completion date is today or
 * earlier in the facility's zone. The close record freezes the evidence: each answer with its
 * question, each document with its SHA-256.
 */
export async function closeEvent(actor: Actor, eventId: string, input: CloseInput, now: Date = new Date()): Promise<CloseResult> {
  const event = await lockForWork(actor, eventId);
  const today = eventToday(event, now);
  const errors: FieldErrors = {};
  if (!isValidDate(input.completedOn)) errors.completedOn = 'Enter the completion date as a real date (YYYY-MM-DD).';
  else if (compareDates(input.completedOn, today) > 0) errors.completedOn = `The completion date cannot be in the future (today is ${today} at ${event.facilityName}).`;
  else {
    const earliest = await earliestCompletion(event);
    if (compareDates(input.completedOn, earliest) < 0) errors.completedOn = `The completion date cannot be before ${earliest}, the earliest date this occurrence's work can count for.`;
  }
  if ((input.notes?.length ?? 0) > NOTES_MAX) errors.closingNotes = `Closing notes must be at most ${NOTES_MAX} characters.`;

  const parsed = parseAnswers(event.checklist, input.form);
  Object.assign(errors, parsed.errors);
  const stored = await answersOf(event.id);
  const merged = { ...stored, ...parsed.answers };
  const answers = Object.fromEntries(Object.entries(merged).filter((e): e is [string, string] => e[1] !== null));
  if (event.requirement === 'checklist' || event.requirement === 'both') {
    // A wrongly typed answer keeps its own message rather than "must be answered".
    for (const [field, message] of Object.entries(missingRequiredAnswers(event.checklist, answers))) errors[field] ??= message;
  }
  const documents = await sql<{ id: string; file_name: string; size_bytes: number; sha256: string }>(
    'SELECT id, file_name, size_bytes, sha256 FROM documents WHERE client_id = app_current_client() AND event_id = $1 ORDER BY uploaded_at, id',
    [event.id],
  );
  if ((event.requirement === 'document' || event.requirement === 'both') && documents.length === 0) {
    errors.documents = 'This event needs at least one document as evidence: upload it before closing.';
  }
  if (Object.keys(errors).length) throw new ValidationError(errors, 'The event was not closed. Please correct the highlighted fields.');
  await checkSensitiveData('event.close', input.confirmSensitive, input.notes, ...textAnswers(event, parsed.answers));

  await saveAnswers(event, parsed.answers, actor.user.id);
  const late = isLate(input.completedOn, event.dueDate);
  // Backdating within the allowed window stays possible; entering it long after is marked.
  const recordedLate = isRecordedLate(input.completedOn, today);
  await sql(
    `UPDATE events SET status = 'closed', completed_on = $2, closed_by = $3, closed_by_staff_id = app_current_staff(), closed_at = now(), closing_notes = $4, late = $5,
                       recorded_late = $6, updated_at = now()
      WHERE client_id = app_current_client() AND id = $1`,
    [event.id, input.completedOn, actor.user.id, input.notes, late, recordedLate],
  );
  const checklist = event.checklist.map((c) => ({ key: c.key, label: c.label, type: c.type, required: c.required, value: answers[c.key] ?? null }));
  const evidence = documents.map((d) => ({ id: d.id, fileName: d.file_name, sizeBytes: d.size_bytes, sha256: d.sha256 }));
  await sql(
    `INSERT INTO event_closures (client_id, event_id, facility_id, closed_by, completed_on, due_date, late, recorded_late, notes, checklist, documents)
     VALUES (app_current_client(), $1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb)`,
    [event.id, event.facilityId, actor.user.id, input.completedOn, event.dueDate, late, recordedLate, input.notes, JSON.stringify(checklist), JSON.stringify(evidence)],
  );
  const nextDueDate = await continueRelativeItem(event, input.completedOn);
  await generateForItems(actor.client.id, [event.planItemId], now);
  await audit({
    action: 'event.closed',
    entityType: 'event',
    entityId: event.id,
    changes: { completedOn: input.completedOn, dueDate: event.dueDate, late, recordedLate, documents: evidence.map((d) => ({ id: d.id, sha256: d.sha256 })), answered: Object.keys(answers).length, nextDueDate },
  });
  return { event, late, recordedLate, nextDueDate };
}

/**
 * A relative-timing item's next event, `every` units after `from`, created once: not when the
 * item no longer schedules events, and not when the item has an event scheduled or created after
 * this one (a reopened and re-closed event keeps the successor it had, even one dated before it
 * after an early completion). The caller holds the event's lock.
 */
async function continueRelativeItem(event: EventRecord, from: string): Promise<string | null> {
  if (event.scheduleKind !== 'relative') return null;
  const [item] = await sql<{ every: number; unit: 'day' | 'week' | 'month' | 'year'; active: boolean; later: boolean }>(
    `SELECT p.relative_every AS every, p.relative_unit AS unit, p.schedules_events AND NOT p.hidden AS active,
            EXISTS (SELECT 1 FROM events e, events this
                     WHERE e.client_id = p.client_id AND e.plan_item_id = p.id AND e.id <> $2
                       AND this.client_id = p.client_id AND this.id = $2
                       AND (e.scheduled_date > this.scheduled_date OR e.created_at > this.created_at)) AS later
       FROM plan_items p WHERE p.client_id = app_current_client() AND p.id = $1`,
    [event.planItemId, event.id],
  );
  if (!item || !item.active || item.later) return null;
  const next = relativeNext({ kind: 'relative', every: item.every, unit: item.unit, start: from }, from);
  const [created] = await sql<{ due_date: string }>(
    `INSERT INTO events (client_id, plan_item_id, facility_id, activity, description, additional_information, scheduled_date, due_date, assignee_id)
     SELECT p.client_id, p.id, p.facility_id, p.activity, p.description, p.additional_information, $2::date, $2::date, p.assignee_id
       FROM plan_items p WHERE p.client_id = app_current_client() AND p.id = $1
     ON CONFLICT ON CONSTRAINT events_occurrence_key DO NOTHING
     RETURNING due_date::text AS due_date`,
    [event.planItemId, next],
  );
  return created?.due_date ?? null;
}

function requiredReason(reason: string, what: string): string {
  const text = reason.trim();
  if (!text) throw new ValidationError({ reason: `Give a reason for ${what} this event.` });
  if (text.length > REASON_MAX) throw new ValidationError({ reason: `The reason must be at most ${REASON_MAX} characters.` });
  return text;
}

/** Reopens a closed or cancelled event (Manager and above, with a reason); its close records stay. */
export async function reopenEvent(actor: Actor, eventId: string, reason: string, confirmed: boolean, now: Date = new Date()): Promise<EventRecord> {
  const event = await lockEventInScope(eventId);
  if (!canReopen(actor.user, event)) {
    if (event.status === 'open') throw new ConflictError('This event is already open.');
    throw new ForbiddenError('Only a Manager or above may reopen an event.');
  }
  const why = requiredReason(reason, 'reopening');
  await checkSensitiveData('event.reopen', confirmed, why);
  await sql(
    `UPDATE events SET status = 'open', completed_on = NULL, closed_by = NULL, closed_by_staff_id = NULL, closed_at = NULL, closing_notes = NULL, late = false, recorded_late = false,
                       cancel_reason = NULL, updated_at = now()
      WHERE client_id = app_current_client() AND id = $1`,
    [event.id],
  );
  await generateForItems(actor.client.id, [event.planItemId], now);
  await audit({ action: 'event.reopened', entityType: 'event', entityId: event.id, changes: { from: event.status, reason: why } });
  return event;
}

/**
 * Cancels an open event with a reason. A relative-timing item carries on from the cancelled
 * event's due date, so cancelling one occurrence never silently ends the obligation.
 */
export async function cancelEvent(actor: Actor, eventId: string, reason: string, confirmed: boolean, now: Date = new Date()): Promise<{ event: EventRecord; nextDueDate: string | null }> {
  const event = await lockEventInScope(eventId);
  if (!canCancel(actor.user, event)) {
    if (event.status !== 'open') throw new ConflictError(`This event is already ${event.status}.`);
    throw new ForbiddenError('Only a Manager or above may cancel an event.');
  }
  const why = requiredReason(reason, 'cancelling');
  await checkSensitiveData('event.cancel', confirmed, why);
  await sql(`UPDATE events SET status = 'cancelled', cancel_reason = $2, updated_at = now() WHERE client_id = app_current_client() AND id = $1`, [event.id, why]);
  const nextDueDate = await continueRelativeItem(event, event.dueDate);
  await generateForItems(actor.client.id, [event.planItemId], now);
  await audit({ action: 'event.cancelled', entityType: 'event', entityId: event.id, changes: { reason: why, nextDueDate } });
  return { event, nextDueDate };
}

/** Adds a comment to the event's append-only thread. */
export async function addComment(actor: Actor, eventId: string, body: string, confirmed: boolean): Promise<void> {
  const event = await findEventInScope(eventId);
  if (!canComment(actor.user, event)) throw new ForbiddenError();
  const text = body.trim();
  if (!text) throw new ValidationError({ body: 'Write a comment first.' });
  if (text.length > COMMENT_MAX) throw new ValidationError({ body: `A comment must be at most ${COMMENT_MAX} characters.` });
  await checkSensitiveData('event.comment', confirmed, text);
  const [comment] = await sql<{ id: string }>(
    `INSERT INTO event_comments (client_id, event_id, facility_id, author_id, body) VALUES (app_current_client(), $1, $2, $3, $4) RETURNING id`,
    [event.id, event.facilityId, actor.user.id, text],
  );
  await audit({ action: 'event.commented', entityType: 'event', entityId: event.id, changes: { commentId: comment!.id } });
}

/** Free-text answers among those given (the ones that can carry health data). */
function textAnswers(event: EventRecord, answers: Record<string, string | null>): string[] {
  return event.checklist.filter((c) => c.type === 'text' && answers[c.key]).map((c) => answers[c.key]!);
}
