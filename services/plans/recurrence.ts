// The recurrence engine (DESIGN.md §4): schedules, rule validation, expansion, presets and
// plain-words descriptions. Pure: no database, no HTTP, no clock (callers pass dates).
//
// Dates are 'YYYY-MM-DD' calendar dates. Expansion runs in "floating" UTC — every occurrence is
// midnight UTC of its calendar date — so no time zone or DST change can move a due date. The
// facility's zone matters only for deciding what "today" is (lib/calendar-dates.ts todayIn).
//
// Expansion itself is done by rrule-temporal (RFC 5545); this module only validates the subset we
// accept, rewrites rules for the month-end policy, and merges/filters the library's output.
// Occurrences are always computed from the schedule's start, never from a previous occurrence.
import { RRuleTemporal } from 'rrule-temporal';
import { showDate } from '../../lib/display-dates.ts';
import {
  addDays,
  addMonths,
  addYears,
  daysInMonth,
  fromBasic,
  fromUtcMs,
  isValidDate,
  isoWeekday,
  toBasic,
} from '../../lib/calendar-dates.ts';

export type MonthEndPolicy = 'last-day' | 'skip';
export type RelativeUnit = 'day' | 'week' | 'month' | 'year';
export type Schedule =
  | { kind: 'calendar'; rrule: string; start: string; monthEnd: MonthEndPolicy } // start = first possible due date, 'YYYY-MM-DD'
  | { kind: 'relative'; every: number; unit: RelativeUnit; start: string }; // start = first due date
export type RuleCheck = { ok: true; rrule: string } | { ok: false; errors: string[] };
export type CalendarSchedule = Extract<Schedule, { kind: 'calendar' }>;
export type RelativeSchedule = Extract<Schedule, { kind: 'relative' }>;

export type Weekday = 'MO' | 'TU' | 'WE' | 'TH' | 'FR' | 'SA' | 'SU';
export const WEEKDAYS: readonly Weekday[] = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];

/** Form presets; each compiles to the rule subset with compilePreset. */
export type Preset =
  | { kind: 'every-n-days'; every: number }
  | { kind: 'every-n-weeks'; every: number; weekdays: Weekday[] }
  | { kind: 'monthly-on-day'; day: number } // 1..31
  | { kind: 'monthly-last-day' }
  | { kind: 'monthly-nth-weekday'; nth: 1 | 2 | 3 | 4 | -1; weekday: Weekday } // -1 = last
  | { kind: 'quarterly'; day: number } // every 3 months from the start's month
  | { kind: 'semi-annually'; day: number } // every 6 months from the start's month
  | { kind: 'annually'; month: number; day: number }
  | { kind: 'specific-months'; months: number[]; day: number }
  | { kind: 'one-time' };

export const MAX_INTERVAL = 1000;
export const MAX_COUNT = 1000;
export const MAX_RELATIVE_EVERY = 1000;
const ALLOWED_PARTS = ['FREQ', 'INTERVAL', 'BYDAY', 'BYMONTHDAY', 'BYMONTH', 'BYSETPOS', 'COUNT', 'UNTIL'] as const;
type Freq = 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'YEARLY';
const FREQS: readonly Freq[] = ['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'];
/** A rule with no end is searched this far ahead for "the next dates" before giving up. */
const SEARCH_HORIZON_YEARS = 400;
/** Library safety cap on recurrence periods per expansion (a daily rule for ~550 years). */
const MAX_PERIODS = 200_000;

type ByDay = { n: number | null; day: Weekday };
type Rule = {
  freq: Freq;
  interval: number;
  byDay: ByDay[];
  byMonthDay: number[];
  byMonth: number[];
  bySetPos: number[];
  count?: number;
  until?: string; // 'YYYY-MM-DD', inclusive
};

// ---------------------------------------------------------------------------------------------
// Parsing and validation

const INT_RE = /^[+-]?\d{1,6}$/;

function parseIntList(name: string, raw: string, errors: string[]): number[] | null {
  const items = raw.split(',');
  const out: number[] = [];
  for (const item of items) {
    if (!INT_RE.test(item)) {
      errors.push(`${name} must be a comma-separated list of whole numbers (got "${raw}").`);
      return null;
    }
    out.push(Number(item));
  }
  return out;
}

function parseRule(text: string, start: string | null): { rule?: Rule; errors: string[] } {
  const errors: string[] = [];
  if (typeof text !== 'string' || text.trim() === '') return { errors: ['The rule is empty.'] };
  let body = text.trim().toUpperCase();
  if (body.startsWith('RRULE:')) body = body.slice('RRULE:'.length);
  if (/\s/.test(body)) return { errors: ['The rule must not contain spaces or line breaks.'] };
  if (body.endsWith(';')) body = body.slice(0, -1);

  const raw = new Map<string, string>();
  for (const part of body.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0 || eq === part.length - 1 || part.indexOf('=', eq + 1) !== -1) {
      errors.push(`"${part}" is not a NAME=VALUE part.`);
      continue;
    }
    const name = part.slice(0, eq);
    const value = part.slice(eq + 1);
    if (!(ALLOWED_PARTS as readonly string[]).includes(name)) {
      errors.push(`${name} is not supported; use only ${ALLOWED_PARTS.join(', ')}.`);
      continue;
    }
    if (raw.has(name)) {
      errors.push(`${name} appears more than once.`);
      continue;
    }
    raw.set(name, value);
  }

  const freqRaw = raw.get('FREQ');
  let freq: Freq | null = null;
  if (freqRaw === undefined) errors.push('FREQ is required (DAILY, WEEKLY, MONTHLY or YEARLY).');
  else if (!(FREQS as readonly string[]).includes(freqRaw)) {
    errors.push(`FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY (got "${freqRaw}").`);
  } else freq = freqRaw as Freq;

  let interval = 1;
  const intervalRaw = raw.get('INTERVAL');
  if (intervalRaw !== undefined) {
    if (!/^\d{1,6}$/.test(intervalRaw) || Number(intervalRaw) < 1 || Number(intervalRaw) > MAX_INTERVAL) {
      errors.push(`INTERVAL must be a whole number from 1 to ${MAX_INTERVAL} (got "${intervalRaw}").`);
    } else interval = Number(intervalRaw);
  }

  let count: number | undefined;
  const countRaw = raw.get('COUNT');
  if (countRaw !== undefined) {
    if (!/^\d{1,6}$/.test(countRaw) || Number(countRaw) < 1 || Number(countRaw) > MAX_COUNT) {
      errors.push(`COUNT must be a whole number from 1 to ${MAX_COUNT} (got "${countRaw}").`);
    } else count = Number(countRaw);
  }

  let until: string | undefined;
  const untilRaw = raw.get('UNTIL');
  if (untilRaw !== undefined) {
    const date = fromBasic(untilRaw);
    if (date === null) errors.push(`UNTIL must be a calendar date written YYYYMMDD (got "${untilRaw}").`);
    else if (start !== null && isValidDate(start) && date < start) {
      errors.push(`UNTIL (${date}) is before the start date (${start}).`);
    } else until = date;
  }
  if (countRaw !== undefined && untilRaw !== undefined) {
    errors.push('COUNT and UNTIL cannot both be given; end the series by a number of times or by a date.');
  }

  const byDay: ByDay[] = [];
  const byDayRaw = raw.get('BYDAY');
  if (byDayRaw !== undefined) {
    const seen = new Set<string>();
    for (const item of byDayRaw.split(',')) {
      const m = /^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$/.exec(item);
      if (!m) {
        errors.push(`BYDAY value "${item}" is not a weekday (MO…SU, optionally with an ordinal such as 1MO or -1FR).`);
        continue;
      }
      const n = m[1] === undefined ? null : Number(m[1]);
      if (n !== null) {
        if (freq !== null && freq !== 'MONTHLY' && freq !== 'YEARLY') {
          errors.push(`BYDAY ordinal "${item}" is only allowed with FREQ=MONTHLY or FREQ=YEARLY.`);
          continue;
        }
        const limit = freq === 'YEARLY' && raw.get('BYMONTH') === undefined ? 53 : 5;
        if (n === 0 || Math.abs(n) > limit) {
          errors.push(`BYDAY ordinal in "${item}" must be 1 to ${limit} or -1 to -${limit}.`);
          continue;
        }
      }
      const key = `${n ?? ''}${m[2]}`;
      if (seen.has(key)) continue;
      seen.add(key);
      byDay.push({ n, day: m[2] as Weekday });
    }
  }

  let byMonthDay: number[] = [];
  const bmdRaw = raw.get('BYMONTHDAY');
  if (bmdRaw !== undefined) {
    const list = parseIntList('BYMONTHDAY', bmdRaw, errors);
    if (list) {
      const bad = list.filter((d) => d === 0 || d > 31 || d < -31);
      if (bad.length) errors.push(`BYMONTHDAY must be 1 to 31 or -1 to -31 (got ${bad.join(', ')}).`);
      else byMonthDay = [...new Set(list)].sort((a, b) => a - b);
    }
    if (freq === 'WEEKLY') errors.push('BYMONTHDAY cannot be used with FREQ=WEEKLY.');
    if (freq === 'DAILY') errors.push('BYMONTHDAY cannot be used with FREQ=DAILY; use FREQ=MONTHLY for days of the month.');
  }

  let byMonth: number[] = [];
  const bmRaw = raw.get('BYMONTH');
  if (bmRaw !== undefined) {
    const list = parseIntList('BYMONTH', bmRaw, errors);
    if (list) {
      const bad = list.filter((m) => m < 1 || m > 12);
      if (bad.length) errors.push(`BYMONTH must be 1 to 12 (got ${bad.join(', ')}).`);
      else byMonth = [...new Set(list)].sort((a, b) => a - b);
    }
  }

  let bySetPos: number[] = [];
  const bspRaw = raw.get('BYSETPOS');
  if (bspRaw !== undefined) {
    const list = parseIntList('BYSETPOS', bspRaw, errors);
    if (list) {
      const bad = list.filter((p) => p === 0 || p > 366 || p < -366);
      if (bad.length) errors.push(`BYSETPOS must be 1 to 366 or -1 to -366 (got ${bad.join(', ')}).`);
      else bySetPos = [...new Set(list)].sort((a, b) => a - b);
    }
    if (bydayOrMonthPartsMissing(raw)) errors.push('BYSETPOS needs BYDAY, BYMONTHDAY or BYMONTH to choose from.');
    if (freq === 'DAILY') errors.push('BYSETPOS cannot be used with FREQ=DAILY.');
  }

  // A day of the month that no chosen month ever has is an impossible rule, whatever the policy.
  if (byMonthDay.length && byMonth.length && byMonthDay.every((d) => d > 0)) {
    const possible = byMonthDay.some((d) => byMonth.some((m) => d <= daysInMonth(2000, m)));
    if (!possible) {
      errors.push(`BYMONTHDAY=${byMonthDay.join(',')} never occurs in ${byMonth.map((m) => MONTH_NAMES[m - 1]).join(', ')}.`);
    }
  }

  if (start !== null && !isValidDate(start)) errors.push(`The start date must be a calendar date YYYY-MM-DD (got "${start}").`);

  if (errors.length || freq === null) return { errors };
  const rule: Rule = { freq, interval, byDay, byMonthDay, byMonth, bySetPos };
  if (count !== undefined) rule.count = count;
  if (until !== undefined) rule.until = until;
  return { rule, errors };
}

function bydayOrMonthPartsMissing(raw: Map<string, string>): boolean {
  return !raw.has('BYDAY') && !raw.has('BYMONTHDAY') && !raw.has('BYMONTH');
}

/** Canonical text: fixed part order, INTERVAL only when > 1, lists sorted and de-duplicated. */
function formatRule(rule: Rule, extra: { count?: number; untilUtc?: string } = {}): string {
  const out = [`FREQ=${rule.freq}`];
  if (rule.interval !== 1) out.push(`INTERVAL=${rule.interval}`);
  if (rule.byMonth.length) out.push(`BYMONTH=${rule.byMonth.join(',')}`);
  if (rule.byMonthDay.length) out.push(`BYMONTHDAY=${rule.byMonthDay.join(',')}`);
  if (rule.byDay.length) {
    const sorted = [...rule.byDay].sort(
      (a, b) => (a.n ?? 0) - (b.n ?? 0) || WEEKDAYS.indexOf(a.day) - WEEKDAYS.indexOf(b.day),
    );
    out.push(`BYDAY=${sorted.map((d) => `${d.n ?? ''}${d.day}`).join(',')}`);
  }
  if (rule.bySetPos.length) out.push(`BYSETPOS=${rule.bySetPos.join(',')}`);
  const count = extra.count ?? rule.count;
  if (count !== undefined) out.push(`COUNT=${count}`);
  if (extra.untilUtc !== undefined) out.push(`UNTIL=${extra.untilUtc}`);
  else if (rule.until !== undefined) out.push(`UNTIL=${toBasic(rule.until)}`);
  return out.join(';');
}

/**
 * Validate a rule against the accepted subset for a schedule starting on `start`.
 * Returns the normalised text, or one message per problem (for a 422 form).
 */
export function checkRule(rrule: string, start: string): RuleCheck {
  const { rule, errors } = parseRule(rrule, start);
  if (!rule) return { ok: false, errors };
  const text = formatRule(rule);
  // Backstop: the library's own strict RFC 5545 checks, then "does it ever produce a date?".
  try {
    if (nextDates(rule, start, 'last-day', 1, start).length === 0) {
      return {
        ok: false,
        errors: [
          rule.until
            ? `The rule produces no due date between the start (${start}) and UNTIL (${rule.until}).`
            : `The rule never produces a due date on or after the start (${start}).`,
        ],
      };
    }
  } catch (e) {
    return { ok: false, errors: [`The rule cannot be used: ${(e as Error).message}.`] };
  }
  return { ok: true, rrule: text };
}

/**
 * Parse a stored schedule for expansion. Unlike checkRule, an UNTIL before the start is not an
 * error here (a start moved past UNTIL by an edit simply means the series has ended: no dates).
 */
function mustParse(schedule: CalendarSchedule): Rule {
  if (!isValidDate(schedule.start)) throw new RangeError(`Invalid schedule start "${schedule.start}"`);
  const { rule, errors } = parseRule(schedule.rrule, null);
  if (!rule) throw new RangeError(`Invalid schedule rule "${schedule.rrule}": ${errors.join(' ')}`);
  if (schedule.monthEnd !== 'last-day' && schedule.monthEnd !== 'skip') {
    throw new RangeError(`Invalid month-end policy: ${String(schedule.monthEnd)}`);
  }
  return rule;
}

// ---------------------------------------------------------------------------------------------
// Expansion

const MONTH_NAMES = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
];

/**
 * RFC 5545 takes the parts a rule leaves out from DTSTART. Make them explicit so the month-end
 * policy applies to them too ("monthly" from 31 January means the 31st, or the last day).
 */
function withImplicitParts(rule: Rule, start: string): Rule {
  const [, m, d] = start.split('-').map(Number) as [number, number, number];
  const r: Rule = { ...rule };
  if (r.freq === 'WEEKLY' && r.byDay.length === 0) {
    r.byDay = [{ n: null, day: WEEKDAYS[isoWeekday(start) - 1]! }];
  }
  if (r.freq === 'MONTHLY' && r.byDay.length === 0 && r.byMonthDay.length === 0) r.byMonthDay = [d];
  if (r.freq === 'YEARLY' && r.byDay.length === 0 && r.byMonthDay.length === 0) {
    r.byMonthDay = [d];
    if (r.byMonth.length === 0) r.byMonth = [m];
  }
  return r;
}

/**
 * The rules whose union is the schedule. Under 'last-day', each chosen day D >= 29 becomes
 * "BYMONTHDAY=D,-1;BYSETPOS=1" (the earlier of day D and the month's last day, i.e. D or the last
 * day when the month is shorter). BYSETPOS selects within a whole FREQ period, so a YEARLY rule is
 * split per month and a rule with several days per day. A rule that already has BYSETPOS or
 * combines BYDAY with BYMONTHDAY (a filter such as "Friday the 13th") is expanded as written.
 */
function variants(rule: Rule, policy: MonthEndPolicy): Rule[] {
  if (policy === 'skip' || rule.bySetPos.length || rule.byDay.length || !rule.byMonthDay.some((d) => d >= 29)) {
    return [rule];
  }
  const months: (number | null)[] =
    rule.freq === 'YEARLY' ? (rule.byMonth.length ? rule.byMonth : [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) : [null];
  const out: Rule[] = [];
  for (const m of months) {
    for (const d of rule.byMonthDay) {
      out.push({
        ...rule,
        byMonth: m === null ? rule.byMonth : [m],
        byMonthDay: d >= 29 ? [-1, d] : [d],
        bySetPos: d >= 29 ? [1] : [],
      });
    }
  }
  return out;
}

/** One library expansion: dates from `start` through min(UNTIL, through), or the first COUNT. */
function expandOne(rule: Rule, start: string, through: string | null): string[] {
  let untilUtc: string | undefined;
  if (rule.count === undefined) {
    const end = rule.until !== undefined && (through === null || rule.until < through) ? rule.until : through;
    if (end === null) throw new Error('internal: unbounded expansion');
    if (end < start) return [];
    untilUtc = `${toBasic(end)}T000000Z`;
  }
  const text = `DTSTART;TZID=UTC:${toBasic(start)}T000000\nRRULE:${formatRule(rule, untilUtc ? { untilUtc } : {})}`;
  const lib = new RRuleTemporal({ rruleString: text, strict: true, maxIterations: MAX_PERIODS, cache: false });
  // epochMilliseconds is several times faster than toPlainDate() in the bundled polyfill. Every
  // occurrence must be exactly midnight UTC; anything else would mean a shifted date, so refuse it.
  return lib.all().map((z) => {
    const ms = z.epochMilliseconds;
    if (ms % 86_400_000 !== 0) throw new Error(`internal: occurrence ${z.toString()} is not a floating date`);
    return fromUtcMs(ms);
  });
}

/** All dates of the schedule from its start through `through` (COUNT/UNTIL applied), ascending. */
function expand(rule: Rule, start: string, policy: MonthEndPolicy, through: string): string[] {
  const parts = variants(withImplicitParts(rule, start), policy);
  let dates: string[];
  if (parts.length === 1) dates = expandOne(parts[0]!, start, through);
  else {
    // The first COUNT dates of a union are among the first COUNT of each member, so giving every
    // member the same COUNT and cutting the merged list is exact.
    const merged = new Set<string>();
    for (const p of parts) for (const d of expandOne(p, start, through)) merged.add(d);
    dates = [...merged].sort();
    if (rule.count !== undefined) dates = dates.slice(0, rule.count);
  }
  return dates.filter((d) => d >= start && d <= through);
}

/** Due dates of a calendar schedule inside the inclusive window, ascending, computed from the start. */
export function calendarDates(schedule: CalendarSchedule, window: { from: string; through: string }): string[] {
  const rule = mustParse(schedule);
  if (!isValidDate(window.from) || !isValidDate(window.through)) {
    throw new RangeError(`Invalid window ${window.from}..${window.through}`);
  }
  if (window.through < window.from || window.through < schedule.start) return [];
  return expand(rule, schedule.start, schedule.monthEnd, window.through).filter((d) => d >= window.from);
}

/** The next `count` due dates on or after `onOrAfter` (fewer when COUNT/UNTIL ends the series). */
export function nextCalendarDates(schedule: CalendarSchedule, count: number, onOrAfter: string): string[] {
  const rule = mustParse(schedule);
  if (!isValidDate(onOrAfter)) throw new RangeError(`Invalid date ${onOrAfter}`);
  if (!Number.isInteger(count) || count <= 0) return [];
  return nextDates(rule, schedule.start, schedule.monthEnd, count, onOrAfter);
}

/** Search windows of growing length (first a guess from FREQ/INTERVAL, then ×4) until `count` dates are found or the series ends. */
function nextDates(rule: Rule, start: string, policy: MonthEndPolicy, count: number, onOrAfter: string): string[] {
  const from = onOrAfter > start ? onOrAfter : start;
  const limit = addYears(from, SEARCH_HORIZON_YEARS);
  const monthsPerStep = { DAILY: 1 / 28, WEEKLY: 7 / 28, MONTHLY: 1, YEARLY: 12 }[rule.freq];
  let spanMonths = Math.max(1, Math.ceil(count * rule.interval * monthsPerStep) + 1);
  for (;;) {
    const guess = addMonths(from, Math.min(spanMonths, SEARCH_HORIZON_YEARS * 12));
    const through = rule.count !== undefined ? limit : guess;
    const dates = expand(rule, start, policy, through).filter((d) => d >= from);
    const ended = rule.count !== undefined || (rule.until !== undefined && rule.until <= through);
    if (dates.length >= count || ended || through >= limit) return dates.slice(0, count);
    spanMonths *= 4;
  }
}

/** The due date `every` units after a completion; month/year steps clamp to the month's last day. */
export function relativeNext(schedule: RelativeSchedule, completedOn: string): string {
  const { every, unit } = schedule;
  if (!Number.isInteger(every) || every < 1 || every > MAX_RELATIVE_EVERY) {
    throw new RangeError(`Relative schedule "every" must be 1..${MAX_RELATIVE_EVERY} (got ${every})`);
  }
  if (!isValidDate(completedOn)) throw new RangeError(`Invalid completion date ${completedOn}`);
  switch (unit) {
    case 'day':
      return addDays(completedOn, every);
    case 'week':
      return addDays(completedOn, every * 7);
    case 'month':
      return addMonths(completedOn, every);
    case 'year':
      return addYears(completedOn, every);
    default:
      throw new RangeError(`Unknown relative unit ${String(unit)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Presets

function checkInt(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${name} must be a whole number from ${min} to ${max} (got ${v})`);
  return v;
}

function checkWeekday(v: string): Weekday {
  if (!(WEEKDAYS as readonly string[]).includes(v)) throw new RangeError(`Unknown weekday ${v}`);
  return v as Weekday;
}

/** RRULE text for a form preset (already in normalised form; throws RangeError for bad values). */
export function compilePreset(preset: Preset): string {
  switch (preset.kind) {
    case 'every-n-days': {
      const n = checkInt('Every', preset.every, 1, MAX_INTERVAL);
      return n === 1 ? 'FREQ=DAILY' : `FREQ=DAILY;INTERVAL=${n}`;
    }
    case 'every-n-weeks': {
      const n = checkInt('Every', preset.every, 1, MAX_INTERVAL);
      if (!preset.weekdays.length) throw new RangeError('Choose at least one weekday');
      const days = WEEKDAYS.filter((d) => preset.weekdays.map(checkWeekday).includes(d));
      return `FREQ=WEEKLY${n === 1 ? '' : `;INTERVAL=${n}`};BYDAY=${days.join(',')}`;
    }
    case 'monthly-on-day':
      return `FREQ=MONTHLY;BYMONTHDAY=${checkInt('Day', preset.day, 1, 31)}`;
    case 'monthly-last-day':
      return 'FREQ=MONTHLY;BYMONTHDAY=-1';
    case 'monthly-nth-weekday': {
      if (![1, 2, 3, 4, -1].includes(preset.nth)) throw new RangeError(`Week must be 1-4 or -1 (last), got ${preset.nth}`);
      return `FREQ=MONTHLY;BYDAY=${preset.nth}${checkWeekday(preset.weekday)}`;
    }
    case 'quarterly':
      return `FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=${checkInt('Day', preset.day, 1, 31)}`;
    case 'semi-annually':
      return `FREQ=MONTHLY;INTERVAL=6;BYMONTHDAY=${checkInt('Day', preset.day, 1, 31)}`;
    case 'annually': {
      const month = checkInt('Month', preset.month, 1, 12);
      const day = checkInt('Day', preset.day, 1, daysInMonth(2000, month));
      return `FREQ=YEARLY;BYMONTH=${month};BYMONTHDAY=${day}`;
    }
    case 'specific-months': {
      if (!preset.months.length) throw new RangeError('Choose at least one month');
      const months = [...new Set(preset.months.map((m) => checkInt('Month', m, 1, 12)))].sort((a, b) => a - b);
      return `FREQ=YEARLY;BYMONTH=${months.join(',')};BYMONTHDAY=${checkInt('Day', preset.day, 1, 31)}`;
    }
    case 'one-time':
      return 'FREQ=DAILY;COUNT=1';
    default: {
      const never: never = preset;
      throw new RangeError(`Unknown preset ${JSON.stringify(never)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Plain words

const DAY_NAMES: Record<Weekday, string> = {
  MO: 'Monday', TU: 'Tuesday', WE: 'Wednesday', TH: 'Thursday', FR: 'Friday', SA: 'Saturday', SU: 'Sunday',
};

function ordinal(n: number): string {
  const mod100 = n % 100;
  const suffix = mod100 >= 11 && mod100 <= 13 ? 'th' : n % 10 === 1 ? 'st' : n % 10 === 2 ? 'nd' : n % 10 === 3 ? 'rd' : 'th';
  return `${n}${suffix}`;
}

function nthWord(n: number): string {
  const words: Record<number, string> = { 1: 'first', 2: 'second', 3: 'third', 4: 'fourth', 5: 'fifth', [-1]: 'last', [-2]: 'second to last' };
  return words[n] ?? (n > 0 ? ordinal(n) : `${ordinal(-n)} to last`);
}

function list(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function monthDayWords(d: number): string {
  if (d === -1) return 'the last day';
  if (d < 0) return `the ${nthWord(d)} day`;
  return `the ${ordinal(d)}`;
}

function byDayWords(byDay: ByDay[]): string {
  return list(byDay.map((b) => (b.n === null ? DAY_NAMES[b.day] : `the ${nthWord(b.n)} ${DAY_NAMES[b.day]}`)));
}

function cadence(freq: Freq, interval: number): string {
  const unit = { DAILY: 'day', WEEKLY: 'week', MONTHLY: 'month', YEARLY: 'year' }[freq];
  if (interval === 1) return { DAILY: 'Daily', WEEKLY: 'Weekly', MONTHLY: 'Monthly', YEARLY: 'Annually' }[freq];
  if (freq === 'MONTHLY' && interval === 3) return 'Quarterly';
  if (freq === 'MONTHLY' && interval === 6) return 'Semi-annually';
  if (freq === 'MONTHLY' && interval === 12) return 'Annually';
  return `Every ${interval} ${unit}s`;
}

/** Plain-words description, e.g. "Monthly on the last day", "Every 2 weeks on Tuesday and Thursday". */
export function describeSchedule(schedule: Schedule): string {
  if (schedule.kind === 'relative') {
    const { every, unit } = schedule;
    return every === 1 ? `Every ${unit} after completion` : `Every ${every} ${unit}s after completion`;
  }
  const rule = mustParse(schedule);
  if (rule.count === 1) {
    const first = nextCalendarDates(schedule, 1, schedule.start)[0];
    return first ? `One time on ${showDate(first)}` : 'One time (no date)';
  }
  const r = withImplicitParts(rule, schedule.start);
  let text = cadence(r.freq, r.interval);
  const months = r.byMonth.map((m) => MONTH_NAMES[m - 1]!);

  if (r.bySetPos.length) {
    // Uncommon advanced rules: say what is chosen without pretending to more precision.
    const what = r.byDay.length ? byDayWords(r.byDay) : r.byMonthDay.length ? `day ${r.byMonthDay.join(', ')}` : 'the month';
    text += `, occurrence ${list(r.bySetPos.map((p) => nthWord(p)))} of ${what}`;
    if (months.length) text += ` in ${list(months)}`;
  } else if (r.freq === 'YEARLY' && r.byMonthDay.length === 1 && r.byMonthDay[0]! > 0 && months.length === 1 && !r.byDay.length) {
    text += ` on ${r.byMonthDay[0]} ${months[0]}`; // "Annually on 29 February"
  } else {
    const on: string[] = [];
    if (r.byMonthDay.length) on.push(list(r.byMonthDay.map(monthDayWords)));
    if (r.byDay.length) on.push(byDayWords(r.byDay));
    if (on.length) text += ` on ${on.join(' that is a ')}`;
    if (months.length) text += r.byMonthDay.length && !r.byDay.length ? ` of ${list(months)}` : ` in ${list(months)}`;
  }

  const late = r.byMonthDay.filter((d) => d >= 29);
  if (late.length && schedule.monthEnd === 'skip' && !r.bySetPos.length) {
    text +=
      r.freq === 'YEARLY' && months.length === 1 && months[0] === 'February' && late.includes(29)
        ? ', only in leap years'
        : `, skipping months without a ${ordinal(Math.max(...late))}`;
  }
  if (rule.count !== undefined) text += `, ${rule.count} times`;
  if (rule.until !== undefined) text += `, until ${showDate(rule.until)}`;
  return text;
}

// ---------------------------------------------------------------------------------------------
// Presets back from rules

const NTH_WEEKS: readonly number[] = [1, 2, 3, 4, -1];

/** One day of the month (1..31) and nothing else, or null. */
function singleDay(r: Rule): number | null {
  if (r.byDay.length || r.byMonthDay.length !== 1) return null;
  const d = r.byMonthDay[0]!;
  return d >= 1 && d <= 31 ? d : null;
}

function monthlyPreset(r: Rule): Preset | null {
  if (r.byMonth.length) return null;
  if (r.interval === 1 && !r.byDay.length && r.byMonthDay.length === 1 && r.byMonthDay[0] === -1) return { kind: 'monthly-last-day' };
  if (r.interval === 1 && r.byDay.length === 1 && !r.byMonthDay.length) {
    const { n, day } = r.byDay[0]!;
    return n !== null && NTH_WEEKS.includes(n) ? { kind: 'monthly-nth-weekday', nth: n as 1 | 2 | 3 | 4 | -1, weekday: day } : null;
  }
  const day = singleDay(r);
  if (day === null) return null;
  const kind = ({ 1: 'monthly-on-day', 3: 'quarterly', 6: 'semi-annually' } as const)[r.interval as 1 | 3 | 6];
  return kind ? { kind, day } : null;
}

function yearlyPreset(r: Rule): Preset | null {
  const day = singleDay(r);
  if (r.interval !== 1 || day === null || !r.byMonth.length) return null;
  // One month and a day it has is "annually"; compilePreset gives specific-months the same rule then.
  if (r.byMonth.length === 1 && day <= daysInMonth(2000, r.byMonth[0]!)) return { kind: 'annually', month: r.byMonth[0]!, day };
  return { kind: 'specific-months', months: [...r.byMonth], day };
}

/**
 * The form preset a stored rule is (the inverse of compilePreset), or null when no preset says
 * exactly this rule (BYSETPOS, COUNT or UNTIL other than "one time", other intervals, …); the
 * form then shows the rule in the advanced field. Parts the rule leaves to its start (a weekly
 * rule without BYDAY) are read from `start`, as expansion does.
 */
export function presetFromRule(rrule: string, start: string): Preset | null {
  const { rule } = parseRule(rrule, null);
  if (!rule || !isValidDate(start) || rule.bySetPos.length) return null;
  const bare = !rule.byDay.length && !rule.byMonthDay.length && !rule.byMonth.length;
  if (rule.count === 1 && rule.until === undefined && rule.freq === 'DAILY' && rule.interval === 1 && bare) return { kind: 'one-time' };
  if (rule.count !== undefined || rule.until !== undefined) return null;
  const r = withImplicitParts(rule, start);
  switch (r.freq) {
    case 'DAILY':
      return bare ? { kind: 'every-n-days', every: r.interval } : null;
    case 'WEEKLY':
      if (r.byMonthDay.length || r.byMonth.length || r.byDay.some((d) => d.n !== null)) return null;
      return { kind: 'every-n-weeks', every: r.interval, weekdays: WEEKDAYS.filter((w) => r.byDay.some((d) => d.day === w)) };
    case 'MONTHLY':
      return monthlyPreset(r);
    case 'YEARLY':
      return yearlyPreset(r);
  }
}
