// Date-only arithmetic on 'YYYY-MM-DD' strings (DESIGN.md §4).
//
// A due date is a calendar date, not an instant. Every function here works on "floating" dates:
// a date is represented internally as midnight UTC of that calendar day and only the UTC
// getters/setters are used, so neither the process time zone nor a DST change can move a date.
// Days are never stepped by adding 24 hours to a local time.

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;

function parts(date: string): [number, number, number] {
  const m = DATE_RE.exec(date);
  if (!m) throw new RangeError(`Not a YYYY-MM-DD date: ${JSON.stringify(date)}`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  // Years below 1000 are refused: Date.UTC maps years 0–99 to 1900–1999.
  if (y < 1000 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) {
    throw new RangeError(`Not a calendar date: ${date}`);
  }
  return [y, mo, d];
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** 'YYYY-MM-DD' for the given UTC epoch milliseconds (a floating date at midnight UTC). */
export function fromUtcMs(ms: number): string {
  const dt = new Date(ms);
  return `${pad(dt.getUTCFullYear(), 4)}-${pad(dt.getUTCMonth() + 1)}-${pad(dt.getUTCDate())}`;
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Days in month `month` (1–12) of `year`. */
export function daysInMonth(year: number, month: number): number {
  return [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

/** True for a real calendar date written exactly as 'YYYY-MM-DD' (so '2027-02-29' is false). */
export function isValidDate(date: string): boolean {
  if (typeof date !== 'string' || !DATE_RE.test(date)) return false;
  try {
    parts(date);
    return true;
  } catch {
    return false;
  }
}

/** Negative, zero or positive like a comparator. Dates are validated. */
export function compareDates(a: string, b: string): number {
  parts(a);
  parts(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `date` plus `days` calendar days (negative allowed). */
export function addDays(date: string, days: number): string {
  if (!Number.isInteger(days)) throw new RangeError(`Days must be an integer: ${days}`);
  const [y, m, d] = parts(date);
  return fromUtcMs(Date.UTC(y, m - 1, d) + days * MS_PER_DAY);
}

/** `date` plus `months` months; a day missing from the target month becomes its last day (Jan 31 + 1 = Feb 28/29). */
export function addMonths(date: string, months: number): string {
  if (!Number.isInteger(months)) throw new RangeError(`Months must be an integer: ${months}`);
  const [y, m, d] = parts(date);
  const index = y * 12 + (m - 1) + months;
  const ty = Math.floor(index / 12);
  const tm = index - ty * 12 + 1;
  const td = Math.min(d, daysInMonth(ty, tm));
  return `${pad(ty, 4)}-${pad(tm)}-${pad(td)}`;
}

/** `date` plus `years` years, clamped (29 February + 1 year = 28 February). */
export function addYears(date: string, years: number): string {
  if (!Number.isInteger(years)) throw new RangeError(`Years must be an integer: ${years}`);
  return addMonths(date, years * 12);
}

/** Whole days from `a` to `b` (positive when b is later). */
export function daysBetween(a: string, b: string): number {
  const [ay, am, ad] = parts(a);
  const [by, bm, bd] = parts(b);
  return Math.round((Date.UTC(by, bm - 1, bd) - Date.UTC(ay, am - 1, ad)) / MS_PER_DAY);
}

/** ISO weekday of a date: 1 = Monday … 7 = Sunday. */
export function isoWeekday(date: string): number {
  const [y, m, d] = parts(date);
  const js = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  return js === 0 ? 7 : js;
}

/** 'YYYYMMDD' (RFC 5545 DATE) for 'YYYY-MM-DD'. */
export function toBasic(date: string): string {
  parts(date);
  return date.replaceAll('-', '');
}

/** 'YYYY-MM-DD' for 'YYYYMMDD', or null when it is not a calendar date. */
export function fromBasic(basic: string): string | null {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(basic);
  if (!m) return null;
  const date = `${m[1]}-${m[2]}-${m[3]}`;
  return isValidDate(date) ? date : null;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** True when `timeZone` is an IANA zone this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** The calendar date in `timeZone` at instant `now` (default: the current instant). */
export function todayIn(timeZone: string, now: Date = new Date()): string {
  // A page asks for the same zone and instant once a row: formatting costs more than the lookup.
  const key = `${timeZone} ${now.getTime()}`;
  const known = recentDays.get(key);
  if (known) return known;
  if (recentDays.size >= RECENT_DAYS_KEPT) recentDays.clear();
  const day = formatTodayIn(timeZone, now);
  recentDays.set(key, day);
  return day;
}

const RECENT_DAYS_KEPT = 1_000;
const recentDays = new Map<string, string>();

function formatTodayIn(timeZone: string, now: Date): string {
  let fmt = formatters.get(timeZone);
  if (!fmt) {
    // Throws RangeError for an unknown zone, which is what callers should see.
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      calendar: 'gregory',
      numberingSystem: 'latn',
    });
    formatters.set(timeZone, fmt);
  }
  const p = Object.fromEntries(fmt.formatToParts(now).map((x) => [x.type, x.value]));
  return `${pad(Number(p.year), 4)}-${p.month}-${p.day}`;
}
