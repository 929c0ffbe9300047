// Schedules in plain words, both ways: describeSchedule says what a schedule does (the plan table,
// the form's preview, exports), and parseScheduleWords reads what people write in an import file
// ("Every 2 weeks on Tue and Thu", "Last Friday", "Every 90 days after completion", or an RRULE)
// back into the same schedule. One home, so every description the app shows reads back as the
// rule it describes (test/recurrence/schedule-words.test.ts proves it for every form preset).
import { isValidDate, isoWeekday } from '../../lib/calendar-dates.ts';
import { showDate } from '../../lib/display-dates.ts';
import {
  type ByDay, checkRule, type Freq, MONTH_NAMES, type MonthEndPolicy, mustParse, nextCalendarDates, type RelativeUnit,
  type Schedule, ScheduleError, type Weekday, WEEKDAYS, withImplicitParts,
} from './recurrence.ts';

// ---------------------------------------------------------------------------------------------
// Schedule to words

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
    let first: string | undefined;
    try {
      first = nextCalendarDates(schedule, 1, schedule.start)[0];
    } catch (e) {
      if (!(e instanceof ScheduleError)) throw e;
    }
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
// Words to schedule

export type WordsResult = { ok: true; schedule: Schedule } | { ok: false; error: string };

const WEEKDAY_WORDS: Record<string, Weekday> = {};
for (const [code, name] of Object.entries(DAY_NAMES) as [Weekday, string][]) {
  const lower = name.toLowerCase();
  for (const w of [lower, `${lower}s`, lower.slice(0, 3), lower.slice(0, 2)]) WEEKDAY_WORDS[w] = code;
}
Object.assign(WEEKDAY_WORDS, { tues: 'TU', wed: 'WE', weds: 'WE', thur: 'TH', thurs: 'TH' });

const MONTH_WORDS: Record<string, number> = {};
MONTH_NAMES.forEach((name, i) => {
  const lower = name.toLowerCase();
  MONTH_WORDS[lower] = i + 1;
  MONTH_WORDS[lower.slice(0, 3)] = i + 1;
});
MONTH_WORDS.sept = 9;

const NTH_WORDS: Record<string, number> = { first: 1, '1st': 1, second: 2, '2nd': 2, third: 3, '3rd': 3, fourth: 4, '4th': 4, fifth: 5, '5th': 5, last: -1 };
const UNIT_WORDS: Record<string, RelativeUnit> = { day: 'day', week: 'week', month: 'month', year: 'year' };
const EXAMPLES = '"Daily", "Weekly on Monday", "Every 2 weeks on Tue and Thu", "Monthly on the 15th", "Last day of each month", "First Monday of the month", "Quarterly", "Annually on 29 Feb", "January, April, July and October on the 1st", "Every 90 days after completion", "Once", or an RRULE such as FREQ=MONTHLY;BYMONTHDAY=-1';

class WordsError extends Error {}
const fail = (message: string): never => {
  throw new WordsError(message);
};

/** The items of "a, b and c" / "a & b" / "a/b". */
const items = (text: string): string[] => text.split(/\s*(?:,|\band\b|&|\/|\+)\s*/).map((t) => t.trim()).filter(Boolean);

function weekdays(text: string): Weekday[] {
  const days = items(text).map((w) => WEEKDAY_WORDS[w.replace(/\.$/, '')] ?? fail(`"${w}" is not a weekday.`));
  return WEEKDAYS.filter((d) => days.includes(d));
}

function months(text: string): number[] {
  const list = items(text).map((w) => MONTH_WORDS[w.replace(/\.$/, '')] ?? fail(`"${w}" is not a month.`));
  return [...new Set(list)].sort((a, b) => a - b);
}

/** "15th", "15", "the 15th", "the last day" → 15 / -1. */
function monthDay(text: string): number {
  const t = text.replace(/^the\s+/, '').replace(/\s+day$/, (m) => (/^last/.test(text.replace(/^the\s+/, '')) ? m : ''));
  if (/^last( day)?$/.test(t)) return -1;
  const m = /^(\d{1,2})(?:st|nd|rd|th)?$/.exec(t);
  if (!m) return fail(`"${text}" is not a day of the month (write e.g. "the 15th" or "the last day").`);
  const d = Number(m[1]);
  if (d < 1 || d > 31) fail(`${d} is not a day of the month (1 to 31).`);
  return d;
}

/** "first Monday", "the last Friday" → 1MO / -1FR, or null when the words are not that. */
function nthWeekday(text: string): ByDay | null {
  const m = /^(?:the\s+)?(\S+)\s+(\S+?)\.?$/.exec(text);
  if (!m || NTH_WORDS[m[1]!] === undefined || !WEEKDAY_WORDS[m[2]!]) return null;
  return { n: NTH_WORDS[m[1]!]!, day: WEEKDAY_WORDS[m[2]!]! };
}

/** "29 feb", "feb 29", "29th of february" → month and day, or null. */
function dayAndMonth(text: string): { month: number; day: number } | null {
  let m = /^(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)?(?:\s+of)?\s+([a-z]+)\.?$/.exec(text);
  if (m && MONTH_WORDS[m[2]!]) return { day: Number(m[1]), month: MONTH_WORDS[m[2]!]! };
  m = /^([a-z]+)\.?\s+(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)?$/.exec(text);
  if (m && MONTH_WORDS[m[1]!]) return { day: Number(m[2]), month: MONTH_WORDS[m[1]!]! };
  return null;
}

interface Parts {
  freq: Freq;
  interval: number;
  byDay: ByDay[];
  byMonthDay: number[];
  byMonth: number[];
}

function rruleOf(p: Parts): string {
  const out = [`FREQ=${p.freq}`];
  if (p.interval !== 1) out.push(`INTERVAL=${p.interval}`);
  if (p.byDay.length) out.push(`BYDAY=${p.byDay.map((b) => `${b.n ?? ''}${b.day}`).join(',')}`);
  if (p.byMonthDay.length) out.push(`BYMONTHDAY=${p.byMonthDay.join(',')}`);
  if (p.byMonth.length) out.push(`BYMONTH=${p.byMonth.join(',')}`);
  return out.join(';');
}

/** The cadence at the start of the words, and what follows it. */
function cadenceOf(text: string): { freq: Freq; interval: number; rest: string } | null {
  const fixed: Array<[RegExp, Freq, number]> = [
    [/^(?:daily|every day|each day)\b/, 'DAILY', 1],
    [/^(?:weekly|every week|each week)\b/, 'WEEKLY', 1],
    [/^(?:fortnightly|biweekly|bi-weekly)\b/, 'WEEKLY', 2],
    [/^(?:monthly|every month|each month)\b/, 'MONTHLY', 1],
    [/^(?:quarterly|every quarter|each quarter)\b/, 'MONTHLY', 3],
    [/^(?:semi-annually|semiannually|semi-annual|half-yearly|half yearly|twice a year|every six months|every half year)\b/, 'MONTHLY', 6],
    [/^(?:annually|yearly|every year|each year|annual)\b/, 'YEARLY', 1],
  ];
  for (const [re, freq, interval] of fixed) {
    const m = re.exec(text);
    if (m) return { freq, interval, rest: text.slice(m[0].length).trim() };
  }
  const other = /^every\s+other\s+(day|week|month|year)\b/.exec(text);
  if (other) {
    const freq = ({ day: 'DAILY', week: 'WEEKLY', month: 'MONTHLY', year: 'YEARLY' } as const)[other[1] as 'day'];
    return { freq, interval: 2, rest: text.slice(other[0].length).trim() };
  }
  // "Every Monday and Thursday", "Every weekday": weekly on those days.
  const days = /^(?:every|each|on)\s+(.+)$/.exec(text);
  if (days && (days[1] === 'weekday' || days[1] === 'working day' || items(days[1]!).every((w) => WEEKDAY_WORDS[w.replace(/\.$/, '')]))) {
    return { freq: 'WEEKLY', interval: 1, rest: days[1] === 'weekday' || days[1] === 'working day' ? 'on mo, tu, we, th and fr' : `on ${days[1]}` };
  }
  const m = /^every\s+(\d{1,4})\s+(day|week|month|year)s?\b/.exec(text);
  if (!m) return null;
  const interval = Number(m[1]);
  if (interval < 1 || interval > 1000) fail('"Every" must be a whole number from 1 to 1000.');
  const freq = ({ day: 'DAILY', week: 'WEEKLY', month: 'MONTHLY', year: 'YEARLY' } as const)[m[2] as 'day'];
  return { freq, interval, rest: text.slice(m[0].length).trim() };
}

/** What follows the cadence: "on Monday", "on the 15th", "on the first Monday", "on 29 February",
 *  "on the 1st of January and July", "on the first Monday in March" (or nothing). */
function details(p: Parts, rest: string): void {
  if (!rest) return;
  const m = /^(?:on\s+)?(.*?)(?:\s+(?:of|in)\s+((?:[a-z]+\.?(?:\s*(?:,|and|&)\s*)?)+))?$/.exec(rest)!;
  let what = m[1]!.trim();
  if (m[2] && !/^(?:the|each|every)\s+month$/.test(m[2].trim()) ) {
    const ms = items(m[2]).every((w) => MONTH_WORDS[w.replace(/\.$/, '')]) ? months(m[2]) : null;
    if (ms) p.byMonth = ms;
    else what = rest.replace(/^on\s+/, '');
  }
  what = what.replace(/\s+of\s+(?:the|each|every)\s+month$/, '');
  const dm = dayAndMonth(what);
  if (dm && !p.byMonth.length) {
    p.byMonth = [dm.month];
    p.byMonthDay = [dm.day];
    return;
  }
  const nth = items(what).map(nthWeekday);
  if (nth.length && nth.every(Boolean)) {
    p.byDay = nth as ByDay[];
    return;
  }
  if (items(what).every((w) => WEEKDAY_WORDS[w.replace(/\.$/, '')])) {
    p.byDay = weekdays(what).map((day) => ({ n: null, day }));
    return;
  }
  p.byMonthDay = [...new Set(items(what).map(monthDay))];
}

/** Fills what the words leave to the start the way the form's presets do, so "Quarterly" from
 *  15 January is the quarterly-on-the-15th preset, and "Weekly" is weekly on the start's weekday. */
function withStartParts(p: Parts, start: string): void {
  if (p.byDay.length || p.byMonthDay.length) {
    if (p.freq === 'YEARLY' && !p.byMonth.length && p.byMonthDay.length) p.byMonth = [Number(start.slice(5, 7))];
    return;
  }
  const day = Number(start.slice(8, 10));
  if (p.freq === 'WEEKLY') p.byDay = [{ n: null, day: WEEKDAYS[isoWeekday(start) - 1]! }];
  if (p.freq === 'MONTHLY') p.byMonthDay = [day];
  if (p.freq === 'YEARLY') {
    p.byMonthDay = [day];
    if (!p.byMonth.length) p.byMonth = [Number(start.slice(5, 7))];
  }
}

function calendarParts(text: string, raw: string): Parts {
  const cadence = cadenceOf(text);
  if (cadence) {
    const p: Parts = { freq: cadence.freq, interval: cadence.interval, byDay: [], byMonthDay: [], byMonth: [] };
    details(p, cadence.rest);
    return p;
  }
  // No cadence word: monthly or by months, as in "Last day of each month", "First Monday of the
  // month", "Last Friday", "January, April, July and October on the 1st".
  const byMonths = /^((?:[a-z]+\.?(?:\s*(?:,|and|&)\s*)?)+?)\s+on\s+(.+)$/.exec(text);
  if (byMonths && items(byMonths[1]!).every((w) => MONTH_WORDS[w.replace(/\.$/, '')])) {
    const p: Parts = { freq: 'YEARLY', interval: 1, byDay: [], byMonthDay: [], byMonth: months(byMonths[1]!) };
    details(p, byMonths[2]!);
    return p;
  }
  const p: Parts = { freq: 'MONTHLY', interval: 1, byDay: [], byMonthDay: [], byMonth: [] };
  const rest = text.replace(/\s+(?:of|in)\s+(?:the|each|every|a)\s+month$/, '');
  const nth = nthWeekday(rest);
  if (nth) p.byDay = [nth];
  else if (/^(?:the\s+)?last day$/.test(rest) || /^(?:the\s+)?end of (?:the|each|every) month$/.test(text) || text === 'month end' || text === 'month-end') p.byMonthDay = [-1];
  else if (/^(?:the\s+)?\d{1,2}(?:st|nd|rd|th)$/.test(rest) && rest !== text) p.byMonthDay = [monthDay(rest)];
  else fail(`PlanTRAK cannot read "${raw}" as a schedule. Write it like ${EXAMPLES}.`);
  return p;
}

/**
 * The schedule the words say, starting from `start` (the date the rule counts from) with the
 * month-end policy given unless the words name one (", skipping months without a 31st"). The
 * inverse of describeSchedule: every description it gives reads back as the same rule. Parts the
 * words leave out come from the start as the form's presets take them. Never throws; the error is
 * a sentence for the user.
 */
export function parseScheduleWords(words: string, start: string, monthEnd: MonthEndPolicy = 'last-day'): WordsResult {
  try {
    return { ok: true, schedule: readWords(words, start, monthEnd) };
  } catch (error) {
    if (error instanceof WordsError) return { ok: false, error: error.message };
    throw error;
  }
}

function readWords(words: string, start: string, monthEnd: MonthEndPolicy): Schedule {
  const raw = String(words ?? '').trim();
  if (!raw) return fail('The schedule is empty.');
  if (/^(?:rrule:)?freq=/i.test(raw)) {
    needStart(start);
    const check = checkRule(raw, start, monthEnd);
    if (!check.ok) fail(check.errors.join(' '));
    return { kind: 'calendar', rrule: (check as { rrule: string }).rrule, start, monthEnd };
  }
  let text = raw.toLowerCase().replace(/[\u2010-\u2015]/g, '-').replace(/\s+/g, ' ').replace(/[.;]+$/, '').trim();

  const relative = /^every (?:(\d{1,4}) )?(day|week|month|year)s? after (?:completion|it is completed|the previous (?:event|one) (?:was|is) completed|(?:the )?last completion)$/.exec(text);
  if (relative) {
    needStart(start);
    const every = Number(relative[1] ?? 1);
    if (every < 1 || every > 1000) fail('"Every" must be a whole number from 1 to 1000.');
    return { kind: 'relative', every, unit: UNIT_WORDS[relative[2]!]!, start };
  }

  const once = /^(?:once|one time|one-time|one off|one-off)(?: on (\d{4}-\d{2}-\d{2}))?(?: \(no date\))?$/.exec(text);
  if (once) {
    const on = once[1];
    if (on && !isValidDate(on)) fail(`${on} is not a date.`);
    if (on && isValidDate(start) && on !== start) fail(`The schedule says one time on ${on} but the schedule start is ${start}; give one date.`);
    const first = on ?? start;
    needStart(first);
    return { kind: 'calendar', rrule: 'FREQ=DAILY;COUNT=1', start: first, monthEnd };
  }

  // The description's month-end clause reads back as the "skip" policy.
  const skip = /,\s*(?:skipping months without (?:a|an|the) \d{1,2}(?:st|nd|rd|th)|only in leap years)$/.exec(text);
  if (skip) {
    text = text.slice(0, skip.index).trim();
    monthEnd = 'skip';
  }
  needStart(start);
  const p = calendarParts(text, raw);
  withStartParts(p, start);
  const check = checkRule(rruleOf(p), start, monthEnd);
  if (!check.ok) fail(`"${raw}": ${check.errors.join(' ')}`);
  return { kind: 'calendar', rrule: (check as { rrule: string }).rrule, start, monthEnd };
}

function needStart(start: string): void {
  if (!isValidDate(start)) fail('The schedule needs a start date (YYYY-MM-DD): the date the rule counts from.');
}
