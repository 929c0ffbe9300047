// The one way dates and times are shown on every page (app.locals makes these available to all
// views). A calendar date is shown as ISO 8601, "2026-11-16": the format the forms take, the CSV
// and Excel exports hold and every table sorts by, unambiguous across US and European sites. A
// moment is shown in the client's time zone and names it: "2026-11-16 14:05 CET"
// (or "… 14:05 GMT+9" where the zone has no common abbreviation).

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(timeZone: string): Intl.DateTimeFormat {
  let format = formats.get(timeZone);
  if (!format) {
    // en-US names American zones (CST, EDT), en-GB names European ones (CET, BST); either
    // falls back to an offset ("GMT+9") where no abbreviation is in common use.
    const locale = timeZone.startsWith('America/') || timeZone.startsWith('US/') ? 'en-US' : 'en-GB';
    format = new Intl.DateTimeFormat(locale, {
      timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
      hourCycle: 'h23', timeZoneName: 'short', calendar: 'gregory', numberingSystem: 'latn',
    });
    formats.set(timeZone, format);
  }
  return format;
}

function partsOf(instant: Date, timeZone: string) {
  const part = Object.fromEntries(formatFor(timeZone).formatToParts(instant).map((p) => [p.type, p.value]));
  return { date: `${part.year}-${part.month}-${part.day}`, time: `${part.hour}:${part.minute}`, second: part.second, zone: part.timeZoneName ?? timeZone };
}

const asDate = (value: Date | string | number): Date => (value instanceof Date ? value : new Date(value));

/** A calendar date ('YYYY-MM-DD'), or the date of an instant in `timeZone`; '—' for none. */
export function showDate(value: string | Date | null | undefined, timeZone = 'UTC'): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'string' && DATE_RE.test(value)) return value;
  const instant = asDate(value);
  return Number.isNaN(instant.getTime()) ? String(value) : partsOf(instant, timeZone).date;
}

/** "2026-11-16 14:05 CET": an instant in `timeZone`, naming the zone; '—' for none. With
 *  `seconds` (the audit log, where entries a second apart must read apart): "… 14:05:09 CET". */
export function showDateTime(value: Date | string | number | null | undefined, timeZone = 'UTC', options: { seconds?: boolean } = {}): string {
  if (value === null || value === undefined || value === '') return '—';
  const instant = asDate(value);
  if (Number.isNaN(instant.getTime())) return String(value);
  const { date, time, second, zone } = partsOf(instant, timeZone);
  return `${date} ${time}${options.seconds ? `:${second}` : ''} ${zone}`;
}

/** "14:05 CET": the time of day of an instant in `timeZone`, naming the zone. */
export function showTime(value: Date | string | number, timeZone = 'UTC'): string {
  const { time, zone } = partsOf(asDate(value), timeZone);
  return `${time} ${zone}`;
}

/** The helpers every view may call. */
/** The zone a person reads times of day in: their own once they chose one, else the organisation's. */
export const displayZone = (user: { timeZone?: string | null } | null | undefined, client: { timeZone: string }): string => user?.timeZone || client.timeZone;

export const displayHelpers = { showDate, showDateTime, showTime };
