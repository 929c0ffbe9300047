// Management Plans: creating, editing, deactivating, hiding and deleting Plan Items, and
// reading a facility's (or a roll-up's) plan table and open events. Every change is audited with
// before/after values in the same unit of work. Row-level security already hides items outside
// the actor's scope; the checks here turn every refusal into a message against its field.
import { Op } from 'sequelize';
import { compareDates, todayIn } from '../../lib/calendar-dates.ts';
import { type FieldErrors, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { idMatch, idParam } from '../../lib/id-match.ts';
import { sql } from '../../lib/unit-of-work.ts';
import { type Client, OrgUnit, PlanItem } from '../../models/index.ts';
import type { ChecklistItem, Requirement } from '../../models/plan-item.ts';
import { audit } from '../audit/entries.ts';
import { generateForItems } from '../events/generation.ts';
import { checkSensitiveData } from '../sensitive-data.ts';
import { checkRule, nextCalendarDates, relativeNext, type Schedule, ScheduleError } from './recurrence.ts';
import { describeSchedule } from './schedule-words.ts';
import type { UnitRow } from '../organisation/hierarchy.ts';
import { guardedWrite } from '../organisation/unit-admin.ts';
import { UUID_PATTERN as UUID } from '../../lib/uuid.ts';

export const ACTIVITY_MAX = 200;
export const LONG_TEXT_MAX = 10000;
export const REFERENCE_MAX = 500;
export const CATEGORY_MAX = 100;
export const CHECKLIST_LABEL_MAX = 200;
export const PREVIEW_COUNT = 12;


/** What the form gives the service once its fields have the right shapes. */
export interface PlanItemInput {
  activity: string;
  description: string | null;
  additionalInformation: string | null;
  regulatoryReference: string | null;
  category: string | null;
  assigneeId: string;
  requirement: Requirement;
  checklist: ChecklistItem[];
  schedule: Schedule;
  leadTimeDays: number;
  /** The user ticked "yes, the first due date is in the past". */
  confirmPastStart: boolean;
  /** The user ticked "this is not health information — save anyway" (DESIGN.md §8.6). */
  confirmSensitive?: boolean;
  /** Edit only: when the assignee changes, the item's open events go to the new one too. */
  moveOpenEvents?: boolean;
}

export interface AssigneeChoice {
  id: string;
  name: string;
  rank: string;
}

/** The facility's zone, else the client's: "today" and "overdue" are decided there. */
export const zoneOf = (facility: Pick<UnitRow, 'timeZone'>, client: Client): string => facility.timeZone ?? client.timeZone;

/** A Plan Item the actor's scope covers; 404 for a malformed id, another client's or an out-of-scope item. */
export async function findPlanItemInScope(id: string): Promise<PlanItem> {
  const item = UUID.test(id) ? await PlanItem.findByPk(id) : null;
  if (!item) throw new NotFoundError();
  return item;
}

/**
 * Active users of the client whose scope covers every one of the distinct `facilityIds` (a scope
 * node at or above each, the whole client, or the Administrator rank), by name; `placeholder`
 * binds idParam(facilityIds) (lib/id-match.ts). Who holds a scope node above the facilities is
 * found first, from their ancestors, so only those users' rows are read, never a test of every
 * user of the client.
 */
export const USERS_COVERING_SQL = (placeholder: string, facilityIds: readonly string[]) => `WITH RECURSIVE up AS (
       SELECT id AS facility_id, id AS unit_id, parent_id FROM org_units WHERE ${idMatch('id', facilityIds, placeholder)}
       UNION ALL
       SELECT up.facility_id, o.id, o.parent_id FROM org_units o JOIN up ON o.id = up.parent_id
     ),
     covering AS (
       SELECT s.user_id FROM user_scopes s JOIN up ON s.org_unit_id = up.unit_id
        WHERE s.client_id = app_current_client()
        GROUP BY s.user_id HAVING count(DISTINCT up.facility_id) = ${facilityIds.length === 1 ? '1' : `cardinality(${placeholder}::uuid[])`}
       UNION
       SELECT s.user_id FROM user_scopes s WHERE s.client_id = app_current_client() AND s.org_unit_id IS NULL
     )
     SELECT u.id, u.name, u.rank FROM users u
      WHERE u.client_id = app_current_client() AND u.status = 'active'
        AND (u.rank = 'administrator' OR u.id IN (SELECT user_id FROM covering))
      ORDER BY lower(u.name), u.id`;

/** Distinct facility ids, as USERS_COVERING_SQL counts them. */
export const distinctIds = (ids: string[]): string[] => [...new Set(ids.map((id) => id.toLowerCase()))];

/** Active users of the client whose scope covers the facility, by name (USERS_COVERING_SQL). */
export async function assigneeChoices(facility: Pick<UnitRow, 'id'>): Promise<AssigneeChoice[]> {
  return sql<AssigneeChoice>(USERS_COVERING_SQL('$1', [facility.id]), [idParam([facility.id])]);
}

/** The next 12 due dates a schedule gives (relative: assuming each event is completed on its due date).
 *  Throws ScheduleError (its message is for the user) for a rule too costly to expand. */
export function previewDates(schedule: Schedule, from: string): string[] {
  if (schedule.kind === 'calendar') return nextCalendarDates(schedule, PREVIEW_COUNT, from);
  const dates = [schedule.start];
  // Stops short of year 9999 (every 1000 years is a valid, if odd, relative schedule).
  while (dates.length < PREVIEW_COUNT && dates.at(-1)! < '8999-01-01') dates.push(relativeNext(schedule, dates.at(-1)!));
  return dates;
}

/** Checks that need the database or the facility's "today"; every problem against its field.
 *  Returns the schedule with its rule normalised. */
async function checkInput(facility: UnitRow, client: Client, input: PlanItemInput, before: PlanItem | null): Promise<Schedule> {
  const errors: FieldErrors = {};
  let schedule = input.schedule;
  if (schedule.kind === 'calendar') {
    const check = checkRule(schedule.rrule, schedule.start, schedule.monthEnd);
    if (check.ok) schedule = { ...schedule, rrule: check.rrule };
    else errors.rrule = check.errors.join(' ');
  }
  const startChanged = !before || before.scheduleStart !== schedule.start;
  if (startChanged && compareDates(schedule.start, todayIn(zoneOf(facility, client))) < 0 && !input.confirmPastStart) {
    errors.confirmPastStart = `The first due date ${schedule.start} is in the past; the events from then on will be created as overdue. Tick the box to confirm, or choose a later date.`;
  }
  if (!(await assigneeChoices(facility)).some((u) => u.id === input.assigneeId)) {
    errors.assigneeId = `Choose the assignee from the list: an active user whose scope covers ${facility.name}.`;
  }
  if ((input.requirement === 'checklist' || input.requirement === 'both') && input.checklist.length === 0) {
    errors.checklist = 'A checklist requirement needs at least one checklist item.';
  }
  if (Object.keys(errors).length) throw new ValidationError(errors);
  return schedule;
}

/** Asks for confirmation (a 422 on `confirmSensitive`) when the free text looks like health data;
 *  after every other check, so a warning is only counted for a save that goes ahead. */
async function checkFreeText(input: PlanItemInput): Promise<void> {
  await checkSensitiveData('plan_item', input.confirmSensitive === true, input.activity, input.description, input.additionalInformation,
    input.regulatoryReference, input.category, ...input.checklist.map((c) => c.label));
}

/** The columns an audit entry shows, by their database names. */
function snapshot(item: PlanItem): Record<string, unknown> {
  return {
    facility_id: item.facilityId,
    activity: item.activity,
    description: item.description,
    additional_information: item.additionalInformation,
    regulatory_reference: item.regulatoryReference,
    category: item.category,
    assignee_id: item.assigneeId,
    requirement: item.requirement,
    checklist: JSON.stringify(item.checklist ?? []),
    schedule_kind: item.scheduleKind,
    rrule: item.rrule,
    relative_every: item.relativeEvery,
    relative_unit: item.relativeUnit,
    schedule_start: item.scheduleStart,
    month_end_policy: item.monthEndPolicy,
    lead_time_days: item.leadTimeDays,
    schedules_events: item.schedulesEvents,
    hidden: item.hidden,
  };
}

function differences(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, [unknown, unknown]> {
  const changes: Record<string, [unknown, unknown]> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if ((before[key] ?? null) !== (after[key] ?? null)) changes[key] = [before[key] ?? null, after[key] ?? null];
  }
  return changes;
}

function attributes(input: PlanItemInput, schedule: Schedule) {
  return {
    activity: input.activity,
    description: input.description,
    additionalInformation: input.additionalInformation,
    regulatoryReference: input.regulatoryReference,
    category: input.category,
    assigneeId: input.assigneeId,
    requirement: input.requirement,
    // Only checklist and both requirements carry a checklist.
    checklist: input.requirement === 'checklist' || input.requirement === 'both' ? input.checklist : [],
    scheduleKind: schedule.kind,
    rrule: schedule.kind === 'calendar' ? schedule.rrule : null,
    relativeEvery: schedule.kind === 'relative' ? schedule.every : null,
    relativeUnit: schedule.kind === 'relative' ? schedule.unit : null,
    scheduleStart: schedule.start,
    monthEndPolicy: schedule.kind === 'calendar' ? schedule.monthEnd : 'last-day',
    leadTimeDays: input.leadTimeDays,
  };
}

/** The schedule a stored item has. */
export function scheduleOf(item: PlanItem): Schedule {
  return item.scheduleKind === 'calendar'
    ? { kind: 'calendar', rrule: item.rrule!, start: item.scheduleStart, monthEnd: item.monthEndPolicy }
    : { kind: 'relative', every: item.relativeEvery!, unit: item.relativeUnit!, start: item.scheduleStart };
}

/** Creates a Plan Item on a facility and generates its first events. */
export async function createPlanItem(client: Client, facility: UnitRow, userId: string, input: PlanItemInput): Promise<PlanItem> {
  if (facility.kind !== 'facility') throw new ValidationError({ form: 'Plan Items belong to a facility.' }, 'Plan Items belong to a facility.');
  const schedule = await checkInput(facility, client, input, null);
  await checkFreeText(input);
  const item = await guardedWrite(() =>
    PlanItem.create({ clientId: client.id, facilityId: facility.id, ...attributes(input, schedule), createdBy: userId, updatedBy: userId }),
  );
  await audit({ action: 'plan_item.create', entityType: 'plan_item', entityId: item.id, changes: differences({}, snapshot(item)) });
  await generateForItems(client.id, [item.id]);
  return item;
}

/** One copy: a source item going to one facility, with that copy's own assignee and first due date. */
export interface CopyPair {
  source: PlanItem;
  facility: UnitRow;
  assigneeId: string;
  /** This copy's first due date. */
  start: string;
  confirmPastStart: boolean;
}

/** The suffix of a copy pair's form fields (`assignee_<key>`, `start_<key>`, `confirm_<key>`). */
export const pairKey = (itemId: string, facilityId: string): string => `${itemId}_${facilityId}`;

/** The first due date a copy of `source` at `facility` is offered: a calendar item's next occurrence
 *  on or after today in that facility's zone (none when its series has ended), a relative item's start. */
export function defaultCopyStart(source: PlanItem, facility: UnitRow, client: Client): string {
  const schedule = scheduleOf(source);
  if (schedule.kind === 'relative') return schedule.start;
  try {
    return nextCalendarDates(schedule, 1, todayIn(zoneOf(facility, client)))[0] ?? '';
  } catch (error) {
    // A stored rule that can no longer be expanded offers no date; the copy's check says why.
    if (error instanceof ScheduleError) return '';
    throw error;
  }
}

/** The input that recreates `source` at another facility, with its own assignee and first due date. */
function copyInput(pair: CopyPair): PlanItemInput {
  const { source } = pair;
  return {
    activity: source.activity,
    description: source.description,
    additionalInformation: source.additionalInformation,
    regulatoryReference: source.regulatoryReference,
    category: source.category,
    assigneeId: pair.assigneeId,
    requirement: source.requirement,
    checklist: source.checklist,
    schedule: { ...scheduleOf(source), start: pair.start },
    leadTimeDays: source.leadTimeDays,
    confirmPastStart: pair.confirmPastStart,
  };
}

/**
 * Copies Plan Items to other facilities, all or nothing: every copy is checked first (errors are
 * reported per pair as `assignee_<key>` / `start_<key>` / `row_<key>`, key = pairKey(item, facility)),
 * then all are created and audited, and their events generated, in the caller's unit of work.
 */
export async function copyPlanItems(client: Client, userId: string, pairs: CopyPair[]): Promise<PlanItem[]> {
  const errors: FieldErrors = {};
  const checked: Array<{ pair: CopyPair; input: PlanItemInput; schedule: Schedule }> = [];
  for (const pair of pairs) {
    const input = copyInput(pair);
    const key = pairKey(pair.source.id, pair.facility.id);
    if (pair.facility.kind !== 'facility' || pair.facility.id === pair.source.facilityId) {
      errors[`row_${key}`] = `${pair.source.activity} cannot be copied to ${pair.facility.name}.`;
      continue;
    }
    try {
      checked.push({ pair, input, schedule: await checkInput(pair.facility, client, input, null) });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const f = error.fields;
      const row = `${pair.source.activity} at ${pair.facility.name}`;
      if (f.assigneeId) errors[`assignee_${key}`] = `${row}: ${f.assigneeId}`;
      if (f.confirmPastStart) errors[`start_${key}`] = `${row}: ${f.confirmPastStart}`;
      else if (f.rrule) errors[`start_${key}`] = `${row}: ${f.rrule}`;
      if (f.checklist) errors[`row_${key}`] = `${row}: ${f.checklist}`;
    }
  }
  if (Object.keys(errors).length) throw new ValidationError(errors);
  const copies: PlanItem[] = [];
  for (const { pair, input, schedule } of checked) {
    const copy = await guardedWrite(() =>
      PlanItem.create({ clientId: client.id, facilityId: pair.facility.id, ...attributes(input, schedule), createdBy: userId, updatedBy: userId }),
    );
    await audit({ action: 'plan_item.copy', entityType: 'plan_item', entityId: copy.id, changes: { copied_from: [null, pair.source.id], ...differences({}, snapshot(copy)) } });
    copies.push(copy);
  }
  await generateForItems(client.id, copies.map((c) => c.id));
  return copies;
}

/** Edits a Plan Item; existing events keep their dates (generation only adds later occurrences)
 *  and their assignee, unless the assignee changes with `moveOpenEvents`. */
export async function updatePlanItem(client: Client, facility: UnitRow, item: PlanItem, userId: string, input: PlanItemInput): Promise<boolean> {
  const schedule = await checkInput(facility, client, input, item);
  await checkFreeText(input);
  const before = snapshot(item);
  const previousAssignee = item.assigneeId;
  item.set(attributes(input, schedule));
  const changes = differences(before, snapshot(item));
  if (Object.keys(changes).length === 0) return false;
  item.set({ updatedBy: userId });
  await guardedWrite(() => item.save());
  await audit({ action: 'plan_item.update', entityType: 'plan_item', entityId: item.id, changes });
  // Before generation, so the count is of the events that really moved.
  if (input.moveOpenEvents && previousAssignee !== item.assigneeId) await moveOpenEvents(item, previousAssignee, item.assigneeId);
  if (item.schedulesEvents) await generateForItems(client.id, [item.id]);
  return true;
}

/** Gives the item's open events to its new assignee (closed and cancelled ones keep theirs), audited once. */
async function moveOpenEvents(item: PlanItem, from: string, to: string): Promise<number> {
  const moved = await sql<{ id: string }>(
    `UPDATE events SET assignee_id = $1, updated_at = now()
      WHERE client_id = app_current_client() AND plan_item_id = $2 AND status = 'open'
      RETURNING id`,
    [to, item.id],
  );
  if (moved.length === 0) return 0;
  const eventIds = moved.map((e) => e.id).sort();
  await audit({ action: 'events.reassigned', entityType: 'plan_item', entityId: item.id, changes: { from, to, events: moved.length, eventIds } });
  return moved.length;
}

/** Today in the item's facility: an item that resumes generates nothing before it, so the weeks
 *  it was off do not come back as overdue obligations (its rule keeps its rhythm). */
async function resumeFrom(client: Client, item: PlanItem): Promise<string> {
  const facility = await OrgUnit.findByPk(item.facilityId);
  return todayIn(facility ? zoneOf(facility, client) : client.timeZone);
}

/** Turns scheduling off ("does not schedule events") or back on; history is untouched. */
export async function setSchedulesEvents(client: Client, item: PlanItem, userId: string, on: boolean): Promise<boolean> {
  if (item.schedulesEvents === on) return false;
  const before = item.generateFrom;
  item.set({ schedulesEvents: on, updatedBy: userId, ...(on ? { generateFrom: await resumeFrom(client, item) } : {}) });
  await guardedWrite(() => item.save());
  const resumed = on ? { generate_from: [before, item.generateFrom] } : {};
  await audit({ action: on ? 'plan_item.reactivate' : 'plan_item.deactivate', entityType: 'plan_item', entityId: item.id, changes: { schedules_events: [!on, on], ...resumed } });
  if (on) await generateForItems(client.id, [item.id]);
  return true;
}

/** Hides the item from the plan table (it stays, with its events) or shows it again. */
export async function setHidden(client: Client, item: PlanItem, userId: string, hidden: boolean): Promise<boolean> {
  if (item.hidden === hidden) return false;
  const before = item.generateFrom;
  item.set({ hidden, updatedBy: userId, ...(hidden ? {} : { generateFrom: await resumeFrom(client, item) }) });
  await guardedWrite(() => item.save());
  const resumed = hidden ? {} : { generate_from: [before, item.generateFrom] };
  await audit({ action: hidden ? 'plan_item.hide' : 'plan_item.unhide', entityType: 'plan_item', entityId: item.id, changes: { hidden: [!hidden, hidden], ...resumed } });
  return true;
}

/** Open events of the item (the edit form offers to move them with a new assignee). */
export async function openEventCount(item: PlanItem): Promise<number> {
  const [row] = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE client_id = app_current_client() AND plan_item_id = $1 AND status = 'open'`, [item.id]);
  return row.n;
}

export async function eventCount(item: PlanItem): Promise<number> {
  const [row] = await sql<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE client_id = app_current_client() AND plan_item_id = $1', [item.id]);
  return row.n;
}

/** Deletes an item that never generated an event; otherwise refuses, offering deactivation. */
export async function deletePlanItem(item: PlanItem): Promise<void> {
  const events = await eventCount(item);
  if (events > 0) {
    const message = `${item.activity} has ${events} event${events === 1 ? '' : 's'} and cannot be deleted. Deactivate it (it then schedules no events) or hide it instead.`;
    throw new ValidationError({ form: message }, message);
  }
  const before = snapshot(item);
  await guardedWrite(() => item.destroy());
  await audit({ action: 'plan_item.delete', entityType: 'plan_item', entityId: item.id, changes: differences(before, {}) });
}

export interface PlanRow {
  item: PlanItem;
  facilityName: string;
  assigneeName: string;
  schedule: string;
}

/** The plan table of these facilities: by facility, then activity; hidden items only when asked. */
export async function planRows(facilities: UnitRow[], filter: { showHidden: boolean; category?: string; status?: 'active' | 'inactive' }): Promise<PlanRow[]> {
  if (facilities.length === 0) return [];
  const where: Record<string, unknown> = { facilityId: { [Op.in]: facilities.map((f) => f.id) } };
  if (!filter.showHidden) where.hidden = false;
  if (filter.category) where.category = filter.category;
  if (filter.status) where.schedulesEvents = filter.status === 'active';
  const items = await PlanItem.findAll({ where, order: [['activity', 'ASC'], ['id', 'ASC']] });
  const names = await userNames(items.map((i) => i.assigneeId));
  const facilityNames = new Map(facilities.map((f) => [f.id, f.name]));
  return items
    .map((item) => ({ item, facilityName: facilityNames.get(item.facilityId) ?? '', assigneeName: names.get(item.assigneeId) ?? '—', schedule: describeSchedule(scheduleOf(item)) }))
    .sort((a, b) => a.facilityName.localeCompare(b.facilityName));
}

/** Categories used in these facilities, for the filter. */
export async function categoriesOf(facilities: Pick<UnitRow, 'id'>[]): Promise<string[]> {
  if (facilities.length === 0) return [];
  const rows = await sql<{ category: string }>(
    `SELECT DISTINCT category FROM plan_items WHERE client_id = app_current_client() AND facility_id = ANY ($1::uuid[]) AND category IS NOT NULL ORDER BY category`,
    [facilities.map((f) => f.id)],
  );
  return rows.map((r) => r.category);
}

/** Users' names by id (deactivated users included: they still name who held an item). */
export async function userNames(ids: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await sql<{ id: string; name: string }>('SELECT id, name FROM users WHERE client_id = app_current_client() AND id = ANY ($1::uuid[])', [unique]);
  return new Map(rows.map((r) => [r.id, r.name]));
}
