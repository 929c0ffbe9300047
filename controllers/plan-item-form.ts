// The Plan Item form (add and edit): a strict allowlist — client_id, facility_id, next_due_date,
// created_by or any other unexpected field is refused with a 422, so tampering is visible and
// nothing changes — parsed into the plans service's input, and a stored item turned back into
// form values.
import { z } from 'zod';
import { isValidDate } from '../lib/calendar-dates.ts';
import type { FieldErrors } from '../lib/errors.ts';
import { UUID_PATTERN as UUID } from '../lib/uuid.ts';
import type { PlanItem } from '../models/index.ts';
import { CHECKLIST_ITEM_TYPES, type ChecklistItem, MONTH_END_POLICIES, type MonthEndPolicy, RELATIVE_UNITS, REQUIREMENTS, type RelativeUnit, type Requirement } from '../models/plan-item.ts';
import { ACTIVITY_MAX, CATEGORY_MAX, CHECKLIST_LABEL_MAX, LONG_TEXT_MAX, type PlanItemInput, REFERENCE_MAX } from '../services/plans/plan-items.ts';
import { checkRule, compilePreset, type Preset, presetFromRule, type Schedule, WEEKDAYS, type Weekday } from '../services/plans/recurrence.ts';

/** Rows of the checklist editor (blank rows are ignored). */
export const CHECKLIST_ROWS = 10;

export const SCHEDULE_MODES = [
  'monthly-last-day', 'monthly-on-day', 'monthly-nth-weekday', 'every-n-days', 'every-n-weeks', 'quarterly',
  'semi-annually', 'annually', 'specific-months', 'one-time', 'advanced', 'relative',
] as const;
type ScheduleMode = (typeof SCHEDULE_MODES)[number];

// PostgreSQL text and jsonb cannot hold a NUL character: refused here rather than failing there.
// The cap is only a backstop above every field's own limit (checked below with the field's name
// and limit in the message); the body parser's 100 kB bounds it anyway.
export const single = z.string({ error: 'Enter a single value.' }).max(100_000, 'This value is too long.')
  .refine((v) => !v.includes('\u0000'), 'This value cannot contain a NUL character.').optional();
const multiple = z.union([z.string().max(10), z.array(z.string().max(10)).max(12)], { error: 'Choose from the list.' }).optional();

const checklistShape = Object.fromEntries(
  Array.from({ length: CHECKLIST_ROWS }, (_, i) => i + 1).flatMap((n) => [[`item${n}Key`, single], [`item${n}Label`, single], [`item${n}Type`, single], [`item${n}Required`, single]]),
);

/** Every field the form has; anything else is refused. csurf reads _csrf before us. */
export const planItemForm = z.strictObject({
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

export const actionForm = z.strictObject({ _csrf: single, confirm: z.literal('yes').optional() }, {
  error: (issue) => (issue.code === 'unrecognized_keys' ? `This form does not accept the field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}. Nothing was changed.` : undefined),
});

/** Dates outside this range are typing mistakes, and would push expansion past year 9999. */
export const FIRST_START = '2000-01-01';
export const LAST_START = '2199-12-31';

const KEY = /^[a-z0-9-]{1,40}$/;

export const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

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
export function scheduleFrom(data: PlanItemForm, errors: FieldErrors): Schedule | undefined {
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
export function inputFrom(data: PlanItemForm): { input?: PlanItemInput; errors: FieldErrors } {
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

export type Values = Record<string, string | string[]>;

/** The raw form, echoed back into it (strings and the two multi-selects only). */
export function echoOf(body: unknown): Values {
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
export function valuesOf(item: PlanItem): Values {
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
