// The recurrence engine (DESIGN.md §4): schedules, rule validation, expansion, presets and
// plain-words descriptions (schedule-words.ts). Pure: no database, no HTTP, no clock (callers pass dates).
//
// Dates are 'YYYY-MM-DD' calendar dates. Expansion counts whole days (day numbers), never
// instants, so no time zone or DST change can move a due date. The
// facility's zone matters only for deciding what "today" is (lib/calendar-dates.ts todayIn).
//
// Expansion is this module's own (RFC 5545 for the accepted subset, on plain day numbers, with the
// month-end policy applied per month), under a deterministic work budget (EXPANSION_BUDGET), so a
// rule is either expanded exactly and quickly or refused with a message for the user.
// Occurrences are always computed from the schedule's start, never from a previous occurrence.
import {
  addDays,
  addMonths,
  addYears,
  daysInMonth,
  fromBasic,
  isLeapYear,
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
export type Freq = 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'YEARLY';
const FREQS: readonly Freq[] = ['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'];
/** A rule with no end is searched this far ahead for "the next dates" before giving up. */
const SEARCH_HORIZON_YEARS = 400;

/** Parsed rule parts; exported for schedule-words.ts, which describes and reads schedules in words. */
export type ByDay = { n: number | null; day: Weekday };
export type Rule = {
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
function formatRule(rule: Rule): string {
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
  if (rule.count !== undefined) out.push(`COUNT=${rule.count}`);
  if (rule.until !== undefined) out.push(`UNTIL=${toBasic(rule.until)}`);
  return out.join(';');
}

/**
 * A rule this module refuses to use: not in the accepted subset, or needing more work than the
 * expansion budget allows. Its message is meant for the user and names no library internals.
 */
export class ScheduleError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleError';
  }
}

/**
 * The work one operation (a check, a preview, one item's generation) may spend expanding a rule,
 * in steps: one per recurrence period visited and one per candidate date examined in it. It is a
 * count, not a clock, so a rule is refused the same way on every machine. 400 years of a daily
 * rule (the longest search for "the next date") is about 300,000 steps.
 */
export const EXPANSION_BUDGET = 600_000;
export interface ExpansionWork {
  /** Steps allowed. */
  readonly limit: number;
  /** Steps spent so far (one per period visited and per candidate date examined). */
  used: number;
}
export const expansionWork = (limit: number = EXPANSION_BUDGET): ExpansionWork => ({ limit, used: 0 });

/**
 * Validate a rule against the accepted subset for a schedule starting on `start`, under the
 * item's own month-end policy (a rule that gives dates only by moving to the last day of the
 * month is no rule under "skip"). Returns the normalised text, or one message per problem (for a
 * 422 form). Never throws for any text.
 */
export function checkRule(rrule: string, start: string, monthEnd: MonthEndPolicy = 'last-day', work: ExpansionWork = expansionWork()): RuleCheck {
  const { rule, errors } = parseRule(rrule, start);
  if (!rule) return { ok: false, errors };
  if (monthEnd !== 'last-day' && monthEnd !== 'skip') return { ok: false, errors: ['Choose what happens in a month without the chosen day.'] };
  const text = formatRule(rule);
  try {
    if (nextDates(rule, start, monthEnd, 1, start, work).length === 0) {
      let message = rule.until
        ? `The rule produces no due date between the start (${start}) and UNTIL (${rule.until}).`
        : `The rule never produces a due date on or after the start (${start}).`;
      if (monthEnd === 'skip' && nextDates(rule, start, 'last-day', 1, start, expansionWork()).length > 0) {
        message += ' Its months never have the chosen day, and the month-end policy is to skip such months; choose "Use the last day of the month" or another day.';
      }
      return { ok: false, errors: [message] };
    }
  } catch (e) {
    if (e instanceof ScheduleError) return { ok: false, errors: [e.message] };
    throw e;
  }
  return { ok: true, rrule: text };
}

/**
 * Parse a stored schedule for expansion. Unlike checkRule, an UNTIL before the start is not an
 * error here (a start moved past UNTIL by an edit simply means the series has ended: no dates).
 */
export function mustParse(schedule: CalendarSchedule): Rule {
  if (!isValidDate(schedule.start)) throw new ScheduleError(`Invalid schedule start "${schedule.start}"`);
  const { rule, errors } = parseRule(schedule.rrule, null);
  if (!rule) throw new ScheduleError(`Invalid schedule rule "${schedule.rrule}": ${errors.join(' ')}`);
  if (schedule.monthEnd !== 'last-day' && schedule.monthEnd !== 'skip') {
    throw new ScheduleError(`Invalid month-end policy: ${String(schedule.monthEnd)}`);
  }
  return rule;
}

// ---------------------------------------------------------------------------------------------
// Expansion
//
// RFC 5545 for the accepted subset, on day numbers (days since 1970-01-01; Monday = weekday 0).
// The k-th period of the rule (a day, a Monday-to-Sunday week, a month or a year, INTERVAL apart,
// the first one holding the start) is expanded on its own: its candidate dates are every day of
// the period (of the chosen months, or only the chosen month days) that passes every BY* part,
// BYSETPOS then picks from them, and dates before the start are dropped (and not counted by
// COUNT). An ordinal BYDAY counts within the month for MONTHLY, and for YEARLY within each
// BYMONTH month, else within the whole year (so 53SA is the 53rd Saturday of the year, which most
// years lack, and -5FR with BYMONTHDAY=28 is a 28th that is the year's fifth-to-last Friday).

export const MONTH_NAMES = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
];

/** 400 Gregorian years are exactly 146,097 days. */
const DAYS_PER_400_YEARS = 146_097;
/** No date after 9999-12-31 can be written YYYY-MM-DD. */
const LAST_DAY = dayNumber(9999, 12, 31);

/** Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil). */
function dayNumber(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * DAYS_PER_400_YEARS + doe - 719_468;
}

function dayNumberOf(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return dayNumber(y, m, d);
}

/** Monday = 0 … Sunday = 6. */
const weekdayOf = (dn: number): number => (((dn + 3) % 7) + 7) % 7;

function dateOf(y: number, m: number, d: number): string {
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/**
 * RFC 5545 takes the parts a rule leaves out from DTSTART. Make them explicit so the month-end
 * policy applies to them too ("monthly" from 31 January means the 31st, or the last day).
 */
export function withImplicitParts(rule: Rule, start: string): Rule {
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

/** A rule ready to expand from its start. */
interface Expansion {
  rule: Rule;
  startDn: number;
  startY: number;
  startM: number;
  /** Under "last-day", a chosen day D the month lacks is its last day. Only for plain day-of-month
   *  rules (no BYDAY filter, no BYSETPOS), which are then "D, or the last day when shorter". */
  clamp: boolean;
  months: boolean[]; // index 1..12: allowed by BYMONTH (all when none)
  plain: boolean[]; // index 0..6: a weekday without ordinal in BYDAY
  ordinals: { n: number; wd: number }[];
  /** Ordinal BYDAY counts within the year (YEARLY without BYMONTH) rather than the month. */
  yearScope: boolean;
  work: ExpansionWork;
}

function prepare(rule: Rule, start: string, policy: MonthEndPolicy, work: ExpansionWork): Expansion {
  const r = withImplicitParts(rule, start);
  const [startY, startM] = start.split('-').map(Number) as [number, number];
  const months = Array.from({ length: 13 }, (_, m) => m >= 1 && (r.byMonth.length === 0 || r.byMonth.includes(m)));
  const plain = Array.from({ length: 7 }, () => false);
  const ordinals: { n: number; wd: number }[] = [];
  for (const b of r.byDay) {
    const wd = WEEKDAYS.indexOf(b.day);
    if (b.n === null) plain[wd] = true;
    else ordinals.push({ n: b.n, wd });
  }
  return {
    rule: r,
    startDn: dayNumberOf(start),
    startY,
    startM,
    clamp: policy === 'last-day' && r.byDay.length === 0 && r.bySetPos.length === 0,
    months,
    plain,
    ordinals,
    yearScope: r.freq === 'YEARLY' && r.byMonth.length === 0,
    work,
  };
}

function spend(x: Expansion, steps: number): void {
  if (x.work.used + steps > x.work.limit) {
    throw new ScheduleError(
      `Working out this rule's dates needs more than ${x.work.limit.toLocaleString('en-US')} steps, so it cannot be used; choose a simpler rule.`,
    );
  }
  x.work.used += steps;
}

/** Does day `d` of month `m` of year `y` (day number `dn`) pass BYDAY? */
function passesByDay(x: Expansion, y: number, m: number, d: number, dn: number): boolean {
  if (x.rule.byDay.length === 0) return true;
  const wd = weekdayOf(dn);
  if (x.plain[wd]) return true;
  for (const o of x.ordinals) {
    if (o.wd !== wd) continue;
    let index: number; // 0-based day within the ordinal's scope
    let length: number;
    if (x.yearScope) {
      index = dn - dayNumber(y, 1, 1);
      length = isLeapYear(y) ? 366 : 365;
    } else {
      index = d - 1;
      length = daysInMonth(y, m);
    }
    const nth = o.n > 0 ? Math.floor(index / 7) + 1 : -(Math.floor((length - 1 - index) / 7) + 1);
    if (nth === o.n) return true;
  }
  return false;
}

/** Candidate day numbers of one month (ascending), for MONTHLY and YEARLY periods. */
function monthCandidates(x: Expansion, y: number, m: number, out: number[]): void {
  const length = daysInMonth(y, m);
  const first = dayNumber(y, m, 1);
  if (x.rule.byMonthDay.length) {
    const days: number[] = [];
    for (const want of x.rule.byMonthDay) {
      const d = want > 0 ? (want <= length ? want : x.clamp ? length : 0) : length + 1 + want;
      if (d >= 1 && !days.includes(d)) days.push(d);
    }
    days.sort((a, b) => a - b);
    spend(x, days.length);
    for (const d of days) if (passesByDay(x, y, m, d, first + d - 1)) out.push(first + d - 1);
  } else {
    spend(x, length);
    for (let d = 1; d <= length; d++) if (passesByDay(x, y, m, d, first + d - 1)) out.push(first + d - 1);
  }
}

/** The candidates (before BYSETPOS, ascending) of the k-th period, or null when it starts after `lastDn`. */
function period(x: Expansion, k: number, lastDn: number): number[] | null {
  const { rule } = x;
  const days: number[] = [];
  switch (rule.freq) {
    case 'DAILY': {
      const dn = x.startDn + k * rule.interval;
      if (dn > lastDn) return null;
      spend(x, 2);
      const [y, m, d] = civil(dn);
      if (x.months[m] && passesByDay(x, y, m, d, dn)) days.push(dn);
      return days;
    }
    case 'WEEKLY': {
      const first = x.startDn - weekdayOf(x.startDn) + 7 * k * rule.interval;
      if (first > lastDn) return null;
      spend(x, 1 + 7);
      for (let dn = first; dn < first + 7; dn++) {
        const [y, m, d] = civil(dn);
        if (x.months[m] && passesByDay(x, y, m, d, dn)) days.push(dn);
      }
      return days;
    }
    case 'MONTHLY': {
      const index = x.startY * 12 + (x.startM - 1) + k * rule.interval;
      const y = Math.floor(index / 12);
      const m = index - y * 12 + 1;
      if (dayNumber(y, m, 1) > lastDn) return null;
      spend(x, 1);
      if (x.months[m]) monthCandidates(x, y, m, days);
      return days;
    }
    case 'YEARLY': {
      const y = x.startY + k * rule.interval;
      if (dayNumber(y, 1, 1) > lastDn) return null;
      spend(x, 1);
      for (let m = 1; m <= 12; m++) if (x.months[m]) monthCandidates(x, y, m, days);
      return days;
    }
  }
}

/** Proleptic Gregorian [y, m, d] of a day number (Hinnant's civil_from_days). */
function civil(dn: number): [number, number, number] {
  const z = dn + 719_468;
  const era = Math.floor(z / DAYS_PER_400_YEARS);
  const doe = z - era * DAYS_PER_400_YEARS;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

/** The first period that can hold a date on or after `fromDn` (0 for COUNT rules, which count from the start). */
function firstPeriod(x: Expansion, fromDn: number): number {
  const { rule } = x;
  if (rule.count !== undefined || fromDn <= x.startDn) return 0;
  const [fy, fm] = civil(fromDn);
  let span: number; // whole periods between the start's period and from's
  switch (rule.freq) {
    case 'DAILY': span = fromDn - x.startDn; break;
    case 'WEEKLY': span = (fromDn - weekdayOf(fromDn) - (x.startDn - weekdayOf(x.startDn))) / 7; break;
    case 'MONTHLY': span = fy * 12 + fm - (x.startY * 12 + x.startM); break;
    case 'YEARLY': span = fy - x.startY; break;
  }
  return Math.floor(span / rule.interval);
}

/**
 * The schedule's dates on or after `from` and on or before `throughDn` (and UNTIL), at most `max`
 * of them, ascending; COUNT counts from the start.
 */
function expand(rule: Rule, start: string, policy: MonthEndPolicy, from: string, throughDn: number, max: number, work: ExpansionWork): string[] {
  const x = prepare(rule, start, policy, work);
  const fromDn = Math.max(dayNumberOf(from), x.startDn);
  let lastDn = Math.min(throughDn, LAST_DAY);
  if (rule.until !== undefined) lastDn = Math.min(lastDn, dayNumberOf(rule.until));
  const out: string[] = [];
  let counted = 0;
  for (let k = firstPeriod(x, fromDn); ; k++) {
    let days = period(x, k, lastDn);
    if (days === null) return out;
    if (x.rule.bySetPos.length && days.length) {
      const picked = new Set<number>();
      for (const pos of x.rule.bySetPos) {
        const i = pos > 0 ? pos - 1 : days.length + pos;
        if (i >= 0 && i < days.length) picked.add(days[i]!);
      }
      days = [...picked].sort((a, b) => a - b);
    }
    for (const dn of days) {
      if (dn < x.startDn) continue;
      if (dn > lastDn) return out;
      counted += 1;
      if (dn >= fromDn) {
        const [y, m, d] = civil(dn);
        out.push(dateOf(y, m, d));
        if (out.length >= max) return out;
      }
      if (rule.count !== undefined && counted >= rule.count) return out;
    }
  }
}

/** Due dates of a calendar schedule inside the inclusive window, ascending, computed from the start. */
export function calendarDates(schedule: CalendarSchedule, window: { from: string; through: string }, work: ExpansionWork = expansionWork()): string[] {
  const rule = mustParse(schedule);
  if (!isValidDate(window.from) || !isValidDate(window.through)) {
    throw new ScheduleError(`Invalid window ${window.from}..${window.through}`);
  }
  if (window.through < window.from || window.through < schedule.start) return [];
  return expand(rule, schedule.start, schedule.monthEnd, window.from, dayNumberOf(window.through), Infinity, work);
}

/** The next `count` due dates on or after `onOrAfter` (fewer when COUNT/UNTIL ends the series). */
export function nextCalendarDates(schedule: CalendarSchedule, count: number, onOrAfter: string, work: ExpansionWork = expansionWork()): string[] {
  const rule = mustParse(schedule);
  if (!isValidDate(onOrAfter)) throw new ScheduleError(`Invalid date ${onOrAfter}`);
  if (!Number.isInteger(count) || count <= 0) return [];
  return nextDates(rule, schedule.start, schedule.monthEnd, count, onOrAfter, work);
}

/** Up to `count` dates on or after `onOrAfter`, searching at most SEARCH_HORIZON_YEARS past it. */
function nextDates(rule: Rule, start: string, policy: MonthEndPolicy, count: number, onOrAfter: string, work: ExpansionWork): string[] {
  const from = onOrAfter > start ? onOrAfter : start;
  const horizon = dayNumberOf(from) + (SEARCH_HORIZON_YEARS / 400) * DAYS_PER_400_YEARS;
  return expand(rule, start, policy, from, horizon, count, work);
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
