// Date-only arithmetic, "today" in a facility's zone, and DST: due dates are dates, so no zone,
// DST change or process TZ may move one (DESIGN.md §4).
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  addDays,
  addMonths,
  addYears,
  compareDates,
  daysBetween,
  isValidDate,
  isValidTimeZone,
  isoWeekday,
  todayIn,
} from '../../lib/calendar-dates.ts';
import { calendarDates, nextCalendarDates, type MonthEndPolicy } from '../../services/plans/recurrence.ts';
import { describeSchedule } from '../../services/plans/schedule-words.ts';

function cal(rrule: string, start: string, monthEnd: MonthEndPolicy = 'last-day') {
  return { kind: 'calendar' as const, rrule, start, monthEnd };
}

describe('calendar dates', () => {
  it('isValidDate accepts real dates only', () => {
    expect(isValidDate('2028-02-29')).to.equal(true);
    expect(isValidDate('2027-02-29')).to.equal(false);
    expect(isValidDate('2027-04-31')).to.equal(false);
    expect(isValidDate('2027-4-30')).to.equal(false);
    expect(isValidDate('2027-04-30T00:00:00Z')).to.equal(false);
    expect(isValidDate('')).to.equal(false);
    expect(isValidDate('0027-01-01')).to.equal(false); // Date.UTC would read year 27 as 1927
  });

  it('addDays steps calendar days across month, year and leap day', () => {
    expect(addDays('2027-12-31', 1)).to.equal('2028-01-01');
    expect(addDays('2028-02-28', 1)).to.equal('2028-02-29');
    expect(addDays('2028-03-01', -1)).to.equal('2028-02-29');
    expect(addDays('2027-03-01', -1)).to.equal('2027-02-28');
    expect(addDays('2027-01-01', 365)).to.equal('2028-01-01');
  });

  it('addMonths / addYears clamp to the last day of the target month', () => {
    expect(addMonths('2027-01-31', 1)).to.equal('2027-02-28');
    expect(addMonths('2028-01-31', 1)).to.equal('2028-02-29');
    expect(addMonths('2027-03-31', -1)).to.equal('2027-02-28');
    expect(addMonths('2027-10-31', 4)).to.equal('2028-02-29');
    expect(addMonths('2027-12-15', -12)).to.equal('2026-12-15');
    expect(addYears('2028-02-29', 1)).to.equal('2029-02-28');
    expect(addYears('2028-02-29', 4)).to.equal('2032-02-29');
  });

  it('compareDates, daysBetween, isoWeekday', () => {
    expect(compareDates('2027-01-02', '2027-01-10')).to.be.below(0);
    expect(compareDates('2027-01-10', '2027-01-10')).to.equal(0);
    expect(compareDates('2028-01-01', '2027-12-31')).to.be.above(0);
    expect(() => compareDates('2027-02-30', '2027-01-01')).to.throw(RangeError);
    expect(daysBetween('2027-03-10', '2028-03-10')).to.equal(366);
    expect(isoWeekday('2027-01-04')).to.equal(1);
    expect(isoWeekday('2027-03-14')).to.equal(7);
  });

  it('never drifts across DST changes (New York, Berlin)', () => {
    // US 2027: 14 March and 7 November; EU 2027: 28 March and 31 October.
    expect(addDays('2027-03-13', 1)).to.equal('2027-03-14');
    expect(addDays('2027-03-14', 1)).to.equal('2027-03-15');
    expect(addDays('2027-11-06', 1)).to.equal('2027-11-07');
    expect(addDays('2027-11-07', 1)).to.equal('2027-11-08');
    expect(addDays('2027-03-27', 2)).to.equal('2027-03-29');
    expect(addDays('2027-10-30', 2)).to.equal('2027-11-01');
  });

  describe('todayIn', () => {
    it('Pacific/Auckland and America/Los_Angeles disagree about "today" at the same instant', () => {
      const instant = new Date('2027-06-15T20:00:00Z'); // 08:00 on the 16th in Auckland (NZST), 13:00 on the 15th in LA (PDT)
      expect(todayIn('Pacific/Auckland', instant)).to.equal('2027-06-16');
      expect(todayIn('America/Los_Angeles', instant)).to.equal('2027-06-15');
      expect(todayIn('UTC', instant)).to.equal('2027-06-15');
    });

    it('follows the zone offset on both sides of a DST change', () => {
      // New York: 23:59:59 EST on 13 March, 23:59:59 EDT on 14 March, midnight EDT on 15 March.
      expect(todayIn('America/New_York', new Date('2027-03-14T04:59:59Z'))).to.equal('2027-03-13');
      expect(todayIn('America/New_York', new Date('2027-03-15T03:59:59Z'))).to.equal('2027-03-14');
      expect(todayIn('America/New_York', new Date('2027-03-15T04:00:00Z'))).to.equal('2027-03-15');
      // Berlin: 00:30 CET on 28 March (UTC+1), 00:30 CEST on 29 March (UTC+2), 00:30 CET on 1 November.
      expect(todayIn('Europe/Berlin', new Date('2027-03-27T23:30:00Z'))).to.equal('2027-03-28');
      expect(todayIn('Europe/Berlin', new Date('2027-03-28T22:30:00Z'))).to.equal('2027-03-29');
      expect(todayIn('Europe/Berlin', new Date('2027-10-31T23:30:00Z'))).to.equal('2027-11-01');
    });

    it('refuses an unknown zone', () => {
      expect(isValidTimeZone('Europe/Berlin')).to.equal(true);
      expect(isValidTimeZone('Mars/Olympus_Mons')).to.equal(false);
      expect(() => todayIn('Mars/Olympus_Mons')).to.throw(RangeError);
    });
  });
});

describe('DST never shifts a due date', () => {
  it('weekly on Sunday through the US changes (America/New_York, March and November 2027)', () => {
    const s = cal('FREQ=WEEKLY;BYDAY=SU', '2027-03-07');
    expect(nextCalendarDates(s, 4, '2027-03-07')).to.deep.equal(['2027-03-07', '2027-03-14', '2027-03-21', '2027-03-28']);
    expect(calendarDates(s, { from: '2027-10-30', through: '2027-11-15' })).to.deep.equal(['2027-10-31', '2027-11-07', '2027-11-14']);
  });

  it('weekly on Sunday through the EU changes (Europe/Berlin, March and October 2027)', () => {
    const s = cal('FREQ=WEEKLY;BYDAY=SU', '2027-03-21');
    expect(nextCalendarDates(s, 3, '2027-03-21')).to.deep.equal(['2027-03-21', '2027-03-28', '2027-04-04']);
    expect(calendarDates(s, { from: '2027-10-20', through: '2027-11-08' })).to.deep.equal(['2027-10-24', '2027-10-31', '2027-11-07']);
  });

  it('monthly on the change days themselves (second Sunday, last Sunday)', () => {
    expect(calendarDates(cal('FREQ=MONTHLY;BYDAY=2SU', '2027-01-01'), { from: '2027-03-01', through: '2027-03-31' })).to.deep.equal(['2027-03-14']);
    expect(calendarDates(cal('FREQ=MONTHLY;BYDAY=1SU', '2027-01-01'), { from: '2027-11-01', through: '2027-11-30' })).to.deep.equal(['2027-11-07']);
    expect(calendarDates(cal('FREQ=MONTHLY;BYDAY=-1SU', '2027-01-01'), { from: '2027-03-01', through: '2027-10-31' })).to.deep.equal([
      '2027-03-28', '2027-04-25', '2027-05-30', '2027-06-27', '2027-07-25', '2027-08-29', '2027-09-26', '2027-10-31',
    ]);
  });

  it('gives identical results whatever the process time zone is', () => {
    // Node re-reads process.env.TZ when it is assigned, so the whole engine can be run under
    // several process zones in one test; the sanity check proves the zone really changed.
    const original = process.env.TZ;
    const run = () => [
      nextCalendarDates(cal('FREQ=WEEKLY;BYDAY=SU', '2027-03-07'), 40, '2027-03-07'),
      nextCalendarDates(cal('FREQ=MONTHLY;BYMONTHDAY=31', '2027-01-31'), 24, '2027-01-01'),
      nextCalendarDates(cal('FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29', '2027-01-01', 'skip'), 3, '2027-01-01'),
      calendarDates(cal('FREQ=DAILY', '2027-03-10'), { from: '2027-03-10', through: '2027-04-02' }),
      [addDays('2027-03-13', 1), addMonths('2027-01-31', 1), todayIn('Pacific/Auckland', new Date('2027-06-15T20:00:00Z'))],
      [describeSchedule(cal('FREQ=DAILY;COUNT=1', '2027-03-14'))],
    ];
    try {
      process.env.TZ = 'UTC';
      const reference = run();
      const offsets = new Set<number>();
      for (const tz of ['America/New_York', 'Europe/Berlin', 'Pacific/Auckland', 'Pacific/Kiritimati', 'America/St_Johns']) {
        process.env.TZ = tz;
        offsets.add(new Date(2027, 0, 1).getTimezoneOffset());
        expect(run(), tz).to.deep.equal(reference);
      }
      expect(offsets.size, 'process TZ changes took effect').to.equal(5);
    } finally {
      if (original === undefined) delete process.env.TZ;
      else process.env.TZ = original;
    }
  });

  it('no engine source uses local-time Date getters/setters or 24-hour steps', () => {
    const forbidden =
      /\.(getDate|getDay|getMonth|getFullYear|getHours|getTimezoneOffset|setDate|setMonth|setFullYear|setHours|toLocaleDateString|toDateString)\(|new Date\(\s*\d{4}\s*,|\b86_?400_?000\s*\*\s*\w+\s*\+|\+\s*24\s*\*\s*60/;
    for (const rel of ['../../services/plans/recurrence.ts', '../../lib/calendar-dates.ts']) {
      const source = readFileSync(fileURLToPath(new URL(rel, import.meta.url)), 'utf8');
      const hits = source.split('\n').filter((line) => forbidden.test(line) && !line.trim().startsWith('//'));
      expect(hits, rel).to.deep.equal([]);
    }
  });
});
