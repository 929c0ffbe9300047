// Management Plans (issue 4): thin actions over services/plan-items.ts. The add/edit form is a
// strict allowlist: client_id, facility_id, next_due_date, created_by or any other unexpected
// field is refused with a 422, so tampering is visible and nothing changes. The form's Preview
// button posts the same form with intent=preview and re-renders it with the next 12 due dates.
import type { Request } from 'express';
import { z } from 'zod';
import { compareDates, isValidDate, todayIn } from '../lib/calendar-dates.ts';
import { type FieldErrors, NotFoundError, ValidationError } from '../lib/errors.ts';
import { parseForm } from '../lib/forms.ts';
import { type Actor, type Outcome, redirect, view } from '../middleware/action.ts';
import { type OrgUnit, PlanItem } from '../models/index.ts';
import { CHECKLIST_ITEM_TYPES, type ChecklistItem, MONTH_END_POLICIES, type MonthEndPolicy, RELATIVE_UNITS, REQUIREMENTS, type RelativeUnit, type Requirement } from '../models/plan-item.ts';
import { authorize, can } from '../policies/index.ts';
import { usersCovering } from '../services/reassignment.ts';
import { openEventsTable } from './reassignments.ts';
import { ancestorsOf, facilitiesInScope, facilitiesUnder, findUnitInScope, levelLabels } from '../services/hierarchy.ts';
import {
  ACTIVITY_MAX,
  assigneeChoices,
  CATEGORY_MAX,
  CHECKLIST_LABEL_MAX,
  categoriesOf,
  type CopyPair,
  copyPlanItems,
  createPlanItem,
  defaultCopyStart,
  deletePlanItem,
  eventCount,
  findPlanItemInScope,
  openEventCount,
  LONG_TEXT_MAX,
  pairKey,
  type PlanItemInput,
  planRows,
  previewDates,
  REFERENCE_MAX,
  scheduleOf,
  setHidden,
  setSchedulesEvents,
  updatePlanItem,
  zoneOf,
} from '../services/plan-items.ts';
import { checkRule, compilePreset, describeSchedule, formatLongDate, type Preset, presetFromRule, type Schedule, ScheduleError, WEEKDAYS, type Weekday } from '../services/recurrence.ts';
import { UUID_PATTERN as UUID } from '../lib/uuid.ts';

/** Rows of the checklist editor (blank rows are ignored). */
export const CHECKLIST_ROWS = 10;

export const SCHEDULE_MODES = [
  'monthly-last-day', 'monthly-on-day', 'monthly-nth-weekday', 'every-n-days', 'every-n-weeks', 'quarterly',
  'semi-annually', 'annually', 'specific-months', 'one-time', 'advanced', 'relative',
] as const;
type ScheduleMode = (typeof SCHEDULE_MODES)[number];

// PostgreSQL text and jsonb cannot hold a NUL character: refused here rather than failing there.
const single = z.string({ error: 'Enter a single value.' }).max(20000, 'This value is too long.')
  .refine((v) => !v.includes('\u0000'), 'This value cannot contain a NUL character.').optional();
const multiple = z.union([z.string().max(10), z.array(z.string().max(10)).max(12)], { error: 'Choose from the list.' }).optional();

const checklistShape = Object.fromEntries(
  Array.from({ length: CHECKLIST_ROWS }, (_, i) => i + 1).flatMap((n) => [[`item${n}Key`, single], [`item${n}Label`, single], [`item${n}Type`, single], [`item${n}Required`, single]]),
);

/** Every field the form has; anything else is refused. csurf reads _csrf before us. */
const planItemForm = z.strictObject({
  _csrf: single,
  intent: z.enum(['save', 'preview'], { error: 'Use the Save or Preview button.' }).optional(),
  activity: single, description: single, additionalInformation: single, regulatoryReference: single, category: single,
  assigneeId: single, requirement: single, ...checklistShape,
  scheduleMode: single, every: single, weekdays: multiple, day: single, nth: single, weekday: single, month: single, months: multiple,
  rrule: single, relativeEvery: single, relativeUnit: single, scheduleStart: single, monthEndPolicy: single,
  leadTimeDays: single, confirmPastStart: single, moveOpenEvents: single, confirmSensitive: single,
}, {
  error: (issue) => (issue.code === 'unrecognized_keys' ? `This form does not accept the field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}. Nothing was saved.` : undefined),
});
type PlanItemForm = z.infer<typeof planItemForm>;

const actionForm = z.strictObject({ _csrf: single, confirm: z.literal('yes').optional() }, {
  error: (issue) => (issue.code === 'unrecognized_keys' ? `This form does not accept the field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}. Nothing was changed.` : undefined),
});

/** Dates outside this range are typing mistakes, and would push expansion past year 9999. */
const FIRST_START = '2000-01-01';
const LAST_START = '2199-12-31';

const KEY = /^[a-z0-9-]{1,40}$/;

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function wholeNumber(errors: FieldErrors, field: string, raw: string | undefined, label: string, min: number, max: number): number {
  const text = (raw ?? '').trim();
  const n = /^-?\d{1,6}$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    errors[field] ??= `${label} must be a whole number from ${min} to ${max}.`;
    return min;
  }
  return n;
}

/** The schedule the form describes (not yet checked against the rule subset), or field errors. */
function scheduleFrom(data: PlanItemForm, errors: FieldErrors): Schedule | undefined {
  const start = (data.scheduleStart ?? '').trim();
  if (!isValidDate(start)) errors.scheduleStart = 'Enter the first due date as a date (YYYY-MM-DD).';
  else if (start < FIRST_START || start > LAST_START) errors.scheduleStart = `The first due date must lie between ${FIRST_START} and ${LAST_START}.`;
  const mode = (data.scheduleMode ?? '') as ScheduleMode;
  if (!SCHEDULE_MODES.includes(mode)) {
    errors.scheduleMode = 'Choose how often this is due.';
    return undefined;
  }
  const monthEnd = (data.monthEndPolicy || 'last-day') as MonthEndPolicy;
  if (!MONTH_END_POLICIES.includes(monthEnd)) errors.monthEndPolicy = 'Choose what happens in a month without the chosen day.';
  if (mode === 'relative') {
    const every = wholeNumber(errors, 'relativeEvery', data.relativeEvery, 'Every', 1, 1000);
    const unit = data.relativeUnit as RelativeUnit;
    if (!RELATIVE_UNITS.includes(unit)) errors.relativeUnit = 'Choose days, weeks, months or years.';
    return errors.scheduleStart || errors.relativeEvery || errors.relativeUnit ? undefined : { kind: 'relative', every, unit, start };
  }
  let rrule = '';
  if (mode === 'advanced') {
    rrule = (data.rrule ?? '').trim();
    if (!rrule) errors.rrule = 'Enter a rule, such as FREQ=MONTHLY;BYMONTHDAY=-1.';
    else if (rrule.length > 1000) errors.rrule = 'The rule must be at most 1000 characters.';
  } else {
    const before = Object.keys(errors).length;
    const weekday = (v: string | undefined, field: string): Weekday => {
      if (!WEEKDAYS.includes(v as Weekday)) errors[field] ??= 'Choose a weekday.';
      return v as Weekday;
    };
    let preset: Preset;
    switch (mode) {
      case 'every-n-days': preset = { kind: mode, every: wholeNumber(errors, 'every', data.every, 'Every', 1, 1000) }; break;
      case 'every-n-weeks': {
        const days = list(data.weekdays);
        if (days.length === 0) errors.weekdays = 'Choose at least one weekday.';
        preset = { kind: mode, every: wholeNumber(errors, 'every', data.every, 'Every', 1, 1000), weekdays: days.map((d) => weekday(d, 'weekdays')) };
        break;
      }
      case 'monthly-on-day': case 'quarterly': case 'semi-annually':
        preset = { kind: mode, day: wholeNumber(errors, 'day', data.day, 'Day', 1, 31) }; break;
      case 'monthly-last-day': case 'one-time': preset = { kind: mode }; break;
      case 'monthly-nth-weekday': {
        const nth = wholeNumber(errors, 'nth', data.nth, 'Week', -1, 4);
        if (nth === 0) errors.nth = 'Choose the first, second, third, fourth or last week.';
        preset = { kind: mode, nth: nth as 1 | 2 | 3 | 4 | -1, weekday: weekday(data.weekday, 'weekday') };
        break;
      }
      case 'annually': preset = { kind: mode, month: wholeNumber(errors, 'month', data.month, 'Month', 1, 12), day: wholeNumber(errors, 'day', data.day, 'Day', 1, 31) }; break;
      case 'specific-months': {
        const months = list(data.months);
        if (months.length === 0) errors.months = 'Choose at least one month.';
        preset = { kind: mode, months: months.map((m) => wholeNumber(errors, 'months', m, 'Month', 1, 12)), day: wholeNumber(errors, 'day', data.day, 'Day', 1, 31) };
        break;
      }
    }
    if (Object.keys(errors).length > before) return undefined;
    try {
      rrule = compilePreset(preset!);
    } catch (error) {
      errors.scheduleMode = `This schedule is not possible: ${(error as Error).message}.`;
    }
  }
  if (!rrule || errors.scheduleStart || errors.monthEndPolicy) return undefined;
  // Checked under the item's own month-end policy: "skip" may leave a rule without any date.
  const check = checkRule(rrule, start, monthEnd);
  if (!check.ok) {
    // A preset's rule is not on the form: its problem goes against the preset (e.g. 31 February).
    if (mode === 'advanced') errors.rrule = check.errors.join(' ');
    else errors.scheduleMode = `This schedule is not possible: ${check.errors.join(' ')}`;
    return undefined;
  }
  return { kind: 'calendar', rrule: check.rrule, start, monthEnd };
}

function optional(errors: FieldErrors, field: string, raw: string | undefined, label: string, max: number): string | null {
  const value = (raw ?? '').trim();
  if (value.length > max) errors[field] = `${label} must be at most ${max} characters.`;
  return value || null;
}

function checklistFrom(data: PlanItemForm, errors: FieldErrors): ChecklistItem[] {
  const items: ChecklistItem[] = [];
  const record = data as Record<string, string | undefined>;
  for (let n = 1; n <= CHECKLIST_ROWS; n++) {
    const label = (record[`item${n}Label`] ?? '').trim();
    if (!label) continue;
    if (label.length > CHECKLIST_LABEL_MAX) errors[`item${n}Label`] = `Checklist item ${n} must be at most ${CHECKLIST_LABEL_MAX} characters.`;
    const type = (record[`item${n}Type`] || 'check') as ChecklistItem['type'];
    if (!CHECKLIST_ITEM_TYPES.includes(type)) errors[`item${n}Type`] = `Choose the answer type of checklist item ${n} from the list.`;
    const given = (record[`item${n}Key`] ?? '').trim();
    if (given && !KEY.test(given)) errors[`item${n}Label`] ??= 'This checklist item was tampered with; reload the form.';
    const key = given || `item-${crypto.randomUUID().slice(0, 8)}`;
    if (items.some((i) => i.key === key)) errors[`item${n}Label`] ??= 'This checklist item was tampered with; reload the form.';
    items.push({ key, label, type, required: record[`item${n}Required`] === '1' });
  }
  return items;
}

/** The service's input from a parsed form, or every field's problem. */
function inputFrom(data: PlanItemForm): { input?: PlanItemInput; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const activity = (data.activity ?? '').trim();
  if (!activity) errors.activity = 'Activity is required.';
  else if (activity.length > ACTIVITY_MAX) errors.activity = `Activity must be at most ${ACTIVITY_MAX} characters.`;
  const description = optional(errors, 'description', data.description, 'Description', LONG_TEXT_MAX);
  const additionalInformation = optional(errors, 'additionalInformation', data.additionalInformation, 'Additional information', LONG_TEXT_MAX);
  const regulatoryReference = optional(errors, 'regulatoryReference', data.regulatoryReference, 'Regulatory reference', REFERENCE_MAX);
  const category = optional(errors, 'category', data.category, 'Category', CATEGORY_MAX);
  const assigneeId = (data.assigneeId ?? '').trim();
  if (!UUID.test(assigneeId)) errors.assigneeId = 'Choose the assignee from the list.';
  const requirement = (data.requirement || 'none') as Requirement;
  if (!REQUIREMENTS.includes(requirement)) errors.requirement = 'Choose a requirement from the list.';
  const checklist = checklistFrom(data, errors);
  const leadTimeDays = (data.leadTimeDays ?? '').trim() === '' ? 30 : wholeNumber(errors, 'leadTimeDays', data.leadTimeDays, 'Lead time', 0, 366);
  const schedule = scheduleFrom(data, errors);
  if (Object.keys(errors).length || !schedule) return { errors };
  return {
    errors,
    input: {
      activity, description, additionalInformation, regulatoryReference, category, assigneeId, requirement, checklist, schedule, leadTimeDays,
      confirmPastStart: data.confirmPastStart === '1', moveOpenEvents: data.moveOpenEvents === '1', confirmSensitive: data.confirmSensitive === '1',
    },
  };
}

type Values = Record<string, string | string[]>;

/** The raw form, echoed back into it (strings and the two multi-selects only). */
function echoOf(body: unknown): Values {
  const source = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const values: Values = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === '_csrf') continue;
    if (typeof value === 'string') values[key] = value;
    else if (Array.isArray(value) && (key === 'weekdays' || key === 'months')) values[key] = value.filter((v): v is string => typeof v === 'string');
  }
  return values;
}

/** A preset's own fields, as the form names them. */
function presetValues(preset: Preset): Values {
  switch (preset.kind) {
    case 'every-n-days': return { every: String(preset.every) };
    case 'every-n-weeks': return { every: String(preset.every), weekdays: preset.weekdays };
    case 'monthly-on-day': case 'quarterly': case 'semi-annually': return { day: String(preset.day) };
    case 'monthly-nth-weekday': return { nth: String(preset.nth), weekday: preset.weekday };
    case 'annually': return { month: String(preset.month), day: String(preset.day) };
    case 'specific-months': return { months: preset.months.map(String), day: String(preset.day) };
    default: return {};
  }
}

/** A stored item as form values: its rule opens as the preset that writes it, else in the
 *  advanced field (which always holds the exact rule, for anyone switching to it). */
function valuesOf(item: PlanItem): Values {
  const preset = item.scheduleKind === 'calendar' ? presetFromRule(item.rrule!, item.scheduleStart) : null;
  const values: Values = {
    activity: item.activity, description: item.description ?? '', additionalInformation: item.additionalInformation ?? '',
    regulatoryReference: item.regulatoryReference ?? '', category: item.category ?? '', assigneeId: item.assigneeId,
    requirement: item.requirement, scheduleStart: item.scheduleStart, monthEndPolicy: item.monthEndPolicy,
    leadTimeDays: String(item.leadTimeDays),
    scheduleMode: item.scheduleKind === 'relative' ? 'relative' : preset?.kind ?? 'advanced',
    rrule: item.rrule ?? '', relativeEvery: item.relativeEvery ? String(item.relativeEvery) : '', relativeUnit: item.relativeUnit ?? '',
    // Ticked until the user unticks it; it applies only when the assignee changes.
    moveOpenEvents: '1',
    ...(preset ? presetValues(preset) : {}),
  };
  item.checklist.forEach((c, i) => {
    values[`item${i + 1}Key`] = c.key;
    values[`item${i + 1}Label`] = c.label;
    values[`item${i + 1}Type`] = c.type;
    values[`item${i + 1}Required`] = c.required ? '1' : '';
  });
  return values;
}

/** Runs a service call; a ValidationError becomes the form's errors instead of an error page. */
async function attempt(work: () => Promise<unknown>): Promise<FieldErrors | undefined> {
  try {
    await work();
    return undefined;
  } catch (error) {
    if (error instanceof ValidationError) return { ...error.fields, form: error.fields.form ?? error.message };
    throw error;
  }
}

/** The facility a plan page names; regions and divisions have no items of their own (404). */
async function facilityInScope(id: string): Promise<OrgUnit> {
  const unit = await findUnitInScope(id);
  if (unit.kind !== 'facility') throw new NotFoundError();
  return unit;
}

/** At most this many copies (selected items × target facilities) in one go. */
export const COPY_PAIRS_MAX = 200;

const strings = (v: unknown): string[] => [...new Set(list(v as string | string[] | undefined).filter((x): x is string => typeof x === 'string'))];

/** The copy form's fields: the step-1 selection (items, targets) and, for each (item, facility)
 *  pair of that selection, an assignee, a first due date and the past-date confirmation. Any other
 *  field, including a pair outside the selection, is refused. */
function copyForm(keys: string[]) {
  const perPair = Object.fromEntries(keys.flatMap((k) => [[`assignee_${k}`, single], [`start_${k}`, single], [`confirm_${k}`, single]]));
  const ids = z.union([z.string().max(40), z.array(z.string().max(40)).max(COPY_PAIRS_MAX)], { error: 'Choose from the list.' }).optional();
  return z.strictObject({ _csrf: single, items: ids, targets: ids, ...perPair }, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `This form does not accept the field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}. Nothing was copied.` : undefined),
  });
}

export function planItemsController() {
  /** The source facility's items named by the request (others are ignored), by activity. */
  async function selectedItems(facility: OrgUnit, ids: string[]): Promise<PlanItem[]> {
    const valid = ids.filter((id) => UUID.test(id));
    if (valid.length === 0) return [];
    return PlanItem.findAll({ where: { id: valid, facilityId: facility.id }, order: [['activity', 'ASC'], ['id', 'ASC']] });
  }

  /** Facilities in the actor's scope other than the source: the only copy targets. */
  async function copyCandidates(facility: OrgUnit): Promise<OrgUnit[]> {
    return (await facilitiesInScope()).filter((f) => f.id !== facility.id);
  }

  /** The step-1 selection resolved: items of the source facility and target facilities in scope;
   *  anything else named is an error (the whole selection must resolve). */
  async function resolveSelection(facility: OrgUnit, rawItems: string[], rawTargets: string[]) {
    const errors: FieldErrors = {};
    const items = await selectedItems(facility, rawItems);
    if (rawItems.length === 0) errors.items = 'Choose at least one Plan Item to copy.';
    else if (items.length !== rawItems.length) errors.items = `Choose Plan Items of ${facility.name} to copy.`;
    const candidates = await copyCandidates(facility);
    const targets = candidates.filter((f) => rawTargets.includes(f.id));
    if (rawTargets.length === 0) errors.targets = 'Choose at least one facility to copy to.';
    else if (targets.length !== rawTargets.length) errors.targets = 'Choose the facilities from the list.';
    if (rawItems.length * rawTargets.length > COPY_PAIRS_MAX) errors.form = `At most ${COPY_PAIRS_MAX} copies can be made at once; choose fewer items or facilities.`;
    return { items, targets, errors };
  }

  /** Step 1: choose the items and the target facilities (a GET form). */
  async function choosePage(actor: Actor, facility: OrgUnit, values: Values, errors: FieldErrors, status = 200): Promise<Outcome> {
    return view('plans/copy', {
      title: `Copy Plan Items from ${facility.name}`,
      step: 'choose',
      facility,
      ancestors: await ancestorsOf(facility),
      items: await PlanItem.findAll({ where: { facilityId: facility.id }, order: [['activity', 'ASC'], ['id', 'ASC']] }),
      targets: await copyCandidates(facility),
      pairs: [],
      assignees: {},
      labels: levelLabels(actor.client),
      values,
      errors,
    }, status);
  }

  /** Step 2: one row per (item, facility) pair, each with its own assignee and first due date. */
  async function pairsPage(actor: Actor, facility: OrgUnit, items: PlanItem[], targets: OrgUnit[], values: Values, errors: FieldErrors, status = 200): Promise<Outcome> {
    const assignees = Object.fromEntries(await Promise.all(targets.map(async (f) => [f.id, await assigneeChoices(f)] as const)));
    const pairs = targets.flatMap((f) => items.map((item) => ({ key: pairKey(item.id, f.id), item, facility: f, today: todayIn(zoneOf(f, actor.client)) })));
    return view('plans/copy', {
      title: `Copy Plan Items from ${facility.name}`,
      step: 'pairs',
      facility,
      ancestors: await ancestorsOf(facility),
      items,
      targets,
      pairs,
      assignees,
      labels: levelLabels(actor.client),
      values,
      errors,
    }, status);
  }

  interface FormPage {
    facility: OrgUnit;
    item?: PlanItem;
    values: Values;
    errors: FieldErrors;
    preview?: { dates: string[]; description: string; relative: boolean };
  }

  async function formPage(actor: Actor, page: FormPage, status = 200): Promise<Outcome> {
    const { facility, item } = page;
    return view('plans/form', {
      title: item ? `Edit ${item.activity}` : 'New Plan Item',
      facility,
      item: item ?? null,
      events: item ? await eventCount(item) : 0,
      openEvents: item ? await openEventCount(item) : 0,
      ancestors: await ancestorsOf(facility),
      assignees: await assigneeChoices(facility),
      today: todayIn(zoneOf(facility, actor.client)),
      labels: levelLabels(actor.client),
      values: page.values,
      errors: page.errors,
      preview: page.preview ?? null,
      current: item ? describeSchedule(scheduleOf(item)) : null,
      checklistRows: CHECKLIST_ROWS,
      formatLongDate,
    }, status);
  }

  /** Handles the shared form: a preview re-renders it, a save calls `save`. */
  async function submit(req: Request, actor: Actor, facility: OrgUnit, item: PlanItem | undefined, save: (input: PlanItemInput) => Promise<Outcome>): Promise<Outcome> {
    // Every field is on the form, so what was posted is what is shown again (an unticked box stays unticked).
    const values = echoOf(req.body);
    const form = parseForm(planItemForm, req.body);
    if (!form.ok) return formPage(actor, { facility, item, values, errors: { form: form.errors.form ?? 'Please correct the highlighted fields.', ...form.errors } }, 422);
    if (form.data.intent === 'preview') {
      const errors: FieldErrors = {};
      const schedule = scheduleFrom(form.data, errors);
      if (!schedule) return formPage(actor, { facility, item, values, errors: { form: 'The schedule cannot be previewed yet; please correct it.', ...errors } }, 422);
      const today = todayIn(zoneOf(facility, actor.client));
      // A new item's dates run from its first due date (past ones become overdue events); an
      // edited item's remaining dates run from today.
      const from = item && compareDates(today, schedule.start) > 0 ? today : schedule.start;
      let preview: NonNullable<FormPage['preview']>;
      try {
        preview = { dates: previewDates(schedule, from), description: describeSchedule(schedule), relative: schedule.kind === 'relative' };
      } catch (error) {
        // A rule whose next dates cannot be worked out within the expansion budget.
        if (!(error instanceof ScheduleError)) throw error;
        const field = form.data.scheduleMode === 'advanced' ? 'rrule' : 'scheduleMode';
        return formPage(actor, { facility, item, values, errors: { form: 'The schedule cannot be previewed; please correct it.', [field]: error.message } }, 422);
      }
      return formPage(actor, { facility, item, values, errors: {}, preview });
    }
    const { input, errors } = inputFrom(form.data);
    if (!input) return formPage(actor, { facility, item, values, errors: { form: 'Please correct the highlighted fields. Nothing was saved.', ...errors } }, 422);
    if (item && input.assigneeId !== item.assigneeId && !can(actor.user, 'plans.assign')) {
      return formPage(actor, { facility, item, values, errors: { form: 'Nothing was saved.', assigneeId: 'Only Directors and above may change the assignee.' } }, 422);
    }
    let outcome: Outcome | undefined;
    const refused = await attempt(async () => { outcome = await save(input); });
    if (refused) return formPage(actor, { facility, item, values, errors: { ...refused, form: 'Please correct the highlighted fields. Nothing was saved.' } }, 422);
    return outcome!;
  }

  /** A plan item and its facility, both within scope; 404 otherwise. */
  async function loadItem(req: Request): Promise<{ item: PlanItem; facility: OrgUnit }> {
    const item = await findPlanItemInScope(String(req.params.id));
    return { item, facility: await facilityInScope(item.facilityId) };
  }

  async function simpleAction(req: Request): Promise<void> {
    const form = parseForm(actionForm, req.body);
    if (!form.ok) throw new ValidationError(form.errors, form.errors.form ?? 'Please use the buttons on the Plan Item page.');
  }

  return {
    // GET /units/:id/plan — a facility's Management Plan, or the roll-up of a region or division.
    async index(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.view');
      const unit = await findUnitInScope(String(req.params.id));
      const facilities = unit.kind === 'facility' ? [unit] : await facilitiesUnder(unit);
      const showHidden = req.query.hidden === '1';
      const category = typeof req.query.category === 'string' && req.query.category.length <= CATEGORY_MAX ? req.query.category : '';
      const status = req.query.status === 'active' || req.query.status === 'inactive' ? req.query.status : undefined;
      return view('plans/index', {
        title: `Management plan: ${unit.name}`,
        unit,
        ancestors: await ancestorsOf(unit),
        rows: await planRows(facilities, { showHidden, category: category || undefined, status }),
        categories: await categoriesOf(facilities),
        filter: { showHidden, category, status: status ?? '' },
        labels: levelLabels(actor.client),
      });
    },

    // GET /units/:id/plan/new
    async new(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.create');
      const facility = await facilityInScope(String(req.params.id));
      const today = todayIn(zoneOf(facility, actor.client));
      return formPage(actor, { facility, values: { scheduleMode: 'monthly-last-day', scheduleStart: today, monthEndPolicy: 'last-day', leadTimeDays: '30', requirement: 'none' }, errors: {} });
    },

    // POST /units/:id/plan — create (or, with intent=preview, show the next 12 due dates).
    async create(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.create');
      const facility = await facilityInScope(String(req.params.id));
      return submit(req, actor, facility, undefined, async (input) => {
        const item = await createPlanItem(actor.client, facility, actor.user.id, input);
        return redirect(`/units/${facility.id}/plan`, { kind: 'success', message: `${item.activity} was added to the Management Plan.` });
      });
    },

    // GET /plan-items/:id/edit
    async edit(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.edit');
      const { item, facility } = await loadItem(req);
      return formPage(actor, { facility, item, values: valuesOf(item), errors: {} });
    },

    // POST /plan-items/:id — save (or, with intent=preview, show the next 12 due dates).
    async update(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.edit');
      const { item, facility } = await loadItem(req);
      return submit(req, actor, facility, item, async (input) => {
        const changed = await updatePlanItem(actor.client, facility, item, actor.user.id, input);
        return redirect(`/units/${facility.id}/plan`, changed ? { kind: 'success', message: `${item.activity} was saved.` } : { kind: 'info', message: 'Nothing was changed.' });
      });
    },

    // POST /plan-items/:id/deactivate — "does not schedule events"; existing events stay.
    async deactivate(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.edit');
      const { item } = await loadItem(req);
      await simpleAction(req);
      const changed = await setSchedulesEvents(actor.client, item, actor.user.id, false);
      return redirect(`/plan-items/${item.id}/edit`, { kind: changed ? 'success' : 'info', message: changed ? `${item.activity} no longer schedules events.` : `${item.activity} already does not schedule events.` });
    },

    // POST /plan-items/:id/reactivate
    async reactivate(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.edit');
      const { item } = await loadItem(req);
      await simpleAction(req);
      const changed = await setSchedulesEvents(actor.client, item, actor.user.id, true);
      return redirect(`/plan-items/${item.id}/edit`, { kind: changed ? 'success' : 'info', message: changed ? `${item.activity} schedules events again.` : `${item.activity} already schedules events.` });
    },

    // POST /plan-items/:id/hide — leaves the plan table (shown again with "show hidden").
    async hide(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.edit');
      const { item, facility } = await loadItem(req);
      await simpleAction(req);
      const changed = await setHidden(actor.client, item, actor.user.id, true);
      return redirect(`/units/${facility.id}/plan`, { kind: changed ? 'success' : 'info', message: changed ? `${item.activity} was hidden from the plan table.` : `${item.activity} was already hidden.` });
    },

    // POST /plan-items/:id/unhide
    async unhide(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.edit');
      const { item, facility } = await loadItem(req);
      await simpleAction(req);
      const changed = await setHidden(actor.client, item, actor.user.id, false);
      return redirect(`/units/${facility.id}/plan`, { kind: changed ? 'success' : 'info', message: changed ? `${item.activity} is shown in the plan table again.` : `${item.activity} was not hidden.` });
    },

    // POST /plan-items/:id/delete — only an item that never generated an event.
    async destroy(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.create');
      const { item, facility } = await loadItem(req);
      await simpleAction(req);
      await deletePlanItem(item);
      return redirect(`/units/${facility.id}/plan`, { kind: 'success', message: `${item.activity} was deleted.` });
    },

    // GET /units/:id/plan/copy?items=… — step 1: choose the items and the target facilities.
    // GET /units/:id/plan/copy?step=pairs&items=…&targets=… — step 2: each copy's assignee and first due date.
    async copyForm(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.create');
      const facility = await facilityInScope(String(req.params.id));
      const rawItems = strings(req.query.items);
      const rawTargets = strings(req.query.targets);
      const selection: Values = { items: rawItems, targets: rawTargets };
      if (req.query.step !== 'pairs') return choosePage(actor, facility, selection, {});
      const { items, targets, errors } = await resolveSelection(facility, rawItems, rawTargets);
      if (Object.keys(errors).length) return choosePage(actor, facility, selection, { form: errors.form ?? 'Please correct the highlighted fields.', ...errors }, 422);
      const values: Values = { ...selection };
      for (const f of targets) {
        const choices = await assigneeChoices(f);
        for (const item of items) {
          const key = pairKey(item.id, f.id);
          // The source's assignee when they also cover the target; otherwise the user chooses.
          values[`assignee_${key}`] = choices.some((u) => u.id === item.assigneeId) ? item.assigneeId : '';
          values[`start_${key}`] = defaultCopyStart(item, f, actor.client);
        }
      }
      return pairsPage(actor, facility, items, targets, values, {});
    },

    // POST /units/:id/plan/copy — every pair of the selection, all copies or none.
    async copy(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.create');
      const facility = await facilityInScope(String(req.params.id));
      const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
      const rawItems = strings(body.items);
      const rawTargets = strings(body.targets);
      const values = echoOf(req.body);
      values.items = rawItems;
      values.targets = rawTargets;
      const { items, targets, errors: selectionErrors } = await resolveSelection(facility, rawItems, rawTargets);
      // Pair fields are allowed only for the posted selection (well-formed ids, within the limit).
      const keys = rawItems.length * rawTargets.length > COPY_PAIRS_MAX
        ? []
        : rawTargets.filter((t) => UUID.test(t)).flatMap((t) => rawItems.filter((i) => UUID.test(i)).map((i) => pairKey(i, t)));
      const form = parseForm(copyForm(keys), req.body);
      const refuse = (errors: FieldErrors) =>
        pairsPage(actor, facility, items, targets, values, { ...errors, form: errors.form ?? 'Please correct the highlighted rows. Nothing was copied.' }, 422);
      if (!form.ok) return refuse({ ...selectionErrors, ...form.errors });
      const errors: FieldErrors = { ...selectionErrors };
      const record = form.data as Record<string, string | undefined>;
      const pairs: CopyPair[] = [];
      for (const target of targets) {
        for (const item of items) {
          const key = pairKey(item.id, target.id);
          const row = `${item.activity} at ${target.name}`;
          const assigneeId = (record[`assignee_${key}`] ?? '').trim();
          if (!UUID.test(assigneeId)) errors[`assignee_${key}`] = `${row}: choose the assignee.`;
          const start = (record[`start_${key}`] ?? '').trim();
          if (!isValidDate(start)) errors[`start_${key}`] = `${row}: enter the first due date as a date (YYYY-MM-DD).`;
          else if (start < FIRST_START || start > LAST_START) errors[`start_${key}`] = `${row}: the first due date must lie between ${FIRST_START} and ${LAST_START}.`;
          pairs.push({ source: item, facility: target, assigneeId, start, confirmPastStart: record[`confirm_${key}`] === '1' });
        }
      }
      if (Object.keys(errors).length) return refuse(errors);
      let copies: PlanItem[] = [];
      const refused = await attempt(async () => { copies = await copyPlanItems(actor.client, actor.user.id, pairs); });
      if (refused) return refuse({ ...refused, form: 'Please correct the highlighted rows. Nothing was copied.' });
      return redirect(`/units/${facility.id}/plan`, { kind: 'success', message: `${copies.length} cop${copies.length === 1 ? 'y was' : 'ies were'} created at ${targets.map((t) => t.name).join(', ')}.` });
    },

    // GET /units/:id/events — open events of a facility, or the roll-up of a region or division.
    async events(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.view');
      const unit = await findUnitInScope(String(req.params.id));
      // On a facility's table the people who may take its events are known at once; a roll-up
      // asks for them once rows are ticked (they must cover every selected event's facility).
      const offerChoices = unit.kind === 'facility' && can(actor.user, 'events.reassign');
      return openEventsTable(actor, unit, { selected: [], choices: offerChoices ? await usersCovering([unit.id]) : undefined });
    },
  };
}

