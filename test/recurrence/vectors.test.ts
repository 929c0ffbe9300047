// Recurrence vectors (DESIGN.md §4). Every expected date is written out by hand from a
// calendar, never computed by the code under test.
import { expect } from 'chai';
import {
  calendarDates,
  compilePreset,
  nextCalendarDates,
  relativeNext,
  type MonthEndPolicy,
} from '../../services/plans/recurrence.ts';

function cal(rrule: string, start: string, monthEnd: MonthEndPolicy = 'last-day') {
  return { kind: 'calendar' as const, rrule, start, monthEnd };
}

describe('recurrence vectors', () => {
  describe('last day of the month', () => {
    it('runs through a leap February (2028)', () => {
      const s = cal(compilePreset({ kind: 'monthly-last-day' }), '2027-12-01');
      expect(nextCalendarDates(s, 5, '2027-12-01')).to.deep.equal([
        '2027-12-31', '2028-01-31', '2028-02-29', '2028-03-31', '2028-04-30',
      ]);
    });

    it('runs through a common February (2027)', () => {
      const s = cal('FREQ=MONTHLY;BYMONTHDAY=-1', '2027-01-01');
      expect(nextCalendarDates(s, 4, '2027-01-01')).to.deep.equal(['2027-01-31', '2027-02-28', '2027-03-31', '2027-04-30']);
    });

    it('is the last day whatever the month-end policy ("skip" only affects days a month lacks)', () => {
      const s = cal('FREQ=MONTHLY;BYMONTHDAY=-1', '2027-01-01', 'skip');
      expect(nextCalendarDates(s, 4, '2027-01-01')).to.deep.equal(['2027-01-31', '2027-02-28', '2027-03-31', '2027-04-30']);
    });
  });

  describe('monthly on the 31st', () => {
    it("'last-day': the month's last day when it has no 31st, and back on the 31st after February", () => {
      const s = cal('FREQ=MONTHLY;BYMONTHDAY=31', '2027-01-31');
      expect(nextCalendarDates(s, 12, '2027-01-01')).to.deep.equal([
        '2027-01-31', '2027-02-28', '2027-03-31', '2027-04-30', '2027-05-31', '2027-06-30',
        '2027-07-31', '2027-08-31', '2027-09-30', '2027-10-31', '2027-11-30', '2027-12-31',
      ]);
    });

    it("'last-day' in a leap year: 29 February, then 31 March", () => {
      const s = cal(compilePreset({ kind: 'monthly-on-day', day: 31 }), '2028-01-01');
      expect(nextCalendarDates(s, 4, '2028-01-01')).to.deep.equal(['2028-01-31', '2028-02-29', '2028-03-31', '2028-04-30']);
    });

    it("'skip': months without a 31st have no occurrence", () => {
      const s = cal('FREQ=MONTHLY;BYMONTHDAY=31', '2027-01-31', 'skip');
      expect(nextCalendarDates(s, 8, '2027-01-01')).to.deep.equal([
        '2027-01-31', '2027-03-31', '2027-05-31', '2027-07-31', '2027-08-31', '2027-10-31', '2027-12-31', '2028-01-31',
      ]);
    });

    it('a plain FREQ=MONTHLY starting on the 31st takes the 31st from the start and follows the policy', () => {
      expect(nextCalendarDates(cal('FREQ=MONTHLY', '2027-01-31'), 4, '2027-01-01')).to.deep.equal([
        '2027-01-31', '2027-02-28', '2027-03-31', '2027-04-30',
      ]);
      expect(nextCalendarDates(cal('FREQ=MONTHLY', '2027-01-31', 'skip'), 3, '2027-01-01')).to.deep.equal([
        '2027-01-31', '2027-03-31', '2027-05-31',
      ]);
    });

    it('is computed from the start, so a window years later is still on the 31st', () => {
      const s = cal('FREQ=MONTHLY;BYMONTHDAY=31', '2027-01-31');
      expect(calendarDates(s, { from: '2031-02-01', through: '2031-05-31' })).to.deep.equal([
        '2031-02-28', '2031-03-31', '2031-04-30', '2031-05-31',
      ]);
    });

    it('several days, one of them missing in some months, with COUNT counted on the merged series', () => {
      const s = cal('FREQ=MONTHLY;BYMONTHDAY=15,31;COUNT=5', '2027-01-20');
      expect(nextCalendarDates(s, 12, '2027-01-01')).to.deep.equal([
        '2027-01-31', '2027-02-15', '2027-02-28', '2027-03-15', '2027-03-31',
      ]);
    });

    it('a YEARLY rule on the 31st of several months applies the policy per month', () => {
      const s = cal('FREQ=YEARLY;BYMONTH=1,4;BYMONTHDAY=31', '2027-01-01');
      expect(nextCalendarDates(s, 4, '2027-01-01')).to.deep.equal(['2027-01-31', '2027-04-30', '2028-01-31', '2028-04-30']);
      const skip = cal('FREQ=YEARLY;BYMONTH=1,4;BYMONTHDAY=31', '2027-01-01', 'skip');
      expect(nextCalendarDates(skip, 3, '2027-01-01')).to.deep.equal(['2027-01-31', '2028-01-31', '2029-01-31']);
    });
  });

  it('first Monday of the month', () => {
    const s = cal(compilePreset({ kind: 'monthly-nth-weekday', nth: 1, weekday: 'MO' }), '2027-01-01');
    expect(nextCalendarDates(s, 6, '2027-01-01')).to.deep.equal([
      '2027-01-04', '2027-02-01', '2027-03-01', '2027-04-05', '2027-05-03', '2027-06-07',
    ]);
  });

  it('last Friday of the month', () => {
    const s = cal(compilePreset({ kind: 'monthly-nth-weekday', nth: -1, weekday: 'FR' }), '2027-01-01');
    expect(nextCalendarDates(s, 6, '2027-01-01')).to.deep.equal([
      '2027-01-29', '2027-02-26', '2027-03-26', '2027-04-30', '2027-05-28', '2027-06-25',
    ]);
  });

  it('last weekday of the month (BYSETPOS)', () => {
    const s = cal('FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1', '2027-01-01');
    expect(nextCalendarDates(s, 4, '2027-01-01')).to.deep.equal(['2027-01-29', '2027-02-26', '2027-03-31', '2027-04-30']);
  });

  it('second-to-last of two days skips months where only one exists (negative BYSETPOS out of range)', () => {
    // rrule.js 2.8.1 gets this wrong (emits the 20th every month).
    const s = cal('FREQ=MONTHLY;BYMONTHDAY=20,31;BYSETPOS=-2', '2027-01-01');
    expect(nextCalendarDates(s, 6, '2027-01-01')).to.deep.equal([
      '2027-01-20', '2027-03-20', '2027-05-20', '2027-07-20', '2027-08-20', '2027-10-20',
    ]);
  });

  describe('every 2 weeks on Tuesday and Thursday', () => {
    it('starting on a Tuesday', () => {
      const s = cal(compilePreset({ kind: 'every-n-weeks', every: 2, weekdays: ['TH', 'TU'] }), '2027-01-05');
      expect(nextCalendarDates(s, 8, '2027-01-05')).to.deep.equal([
        '2027-01-05', '2027-01-07', '2027-01-19', '2027-01-21', '2027-02-02', '2027-02-04', '2027-02-16', '2027-02-18',
      ]);
    });

    it('starting mid-week (Wednesday): the start week counts as week one', () => {
      const s = cal('FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH', '2027-01-06');
      expect(nextCalendarDates(s, 4, '2027-01-01')).to.deep.equal(['2027-01-07', '2027-01-19', '2027-01-21', '2027-02-02']);
    });

    it('a window in the middle keeps the fortnight phase of the start', () => {
      const s = cal('FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH', '2027-01-05');
      expect(calendarDates(s, { from: '2027-03-01', through: '2027-03-31' })).to.deep.equal([
        '2027-03-02', '2027-03-04', '2027-03-16', '2027-03-18', '2027-03-30',
      ]);
    });
  });

  it('quarterly on the 15th (every 3 months from the start month)', () => {
    const s = cal(compilePreset({ kind: 'quarterly', day: 15 }), '2027-02-10');
    expect(nextCalendarDates(s, 5, '2027-01-01')).to.deep.equal([
      '2027-02-15', '2027-05-15', '2027-08-15', '2027-11-15', '2028-02-15',
    ]);
  });

  it('semi-annually on the 31st (last-day policy) from August', () => {
    const s = cal(compilePreset({ kind: 'semi-annually', day: 31 }), '2027-08-01');
    expect(nextCalendarDates(s, 4, '2027-08-01')).to.deep.equal(['2027-08-31', '2028-02-29', '2028-08-31', '2029-02-28']);
  });

  describe('annually on 29 February, 2027–2033', () => {
    const window = { from: '2027-01-01', through: '2033-12-31' };
    it("'last-day': 28 February in common years", () => {
      const s = cal(compilePreset({ kind: 'annually', month: 2, day: 29 }), '2027-01-01');
      expect(calendarDates(s, window)).to.deep.equal([
        '2027-02-28', '2028-02-29', '2029-02-28', '2030-02-28', '2031-02-28', '2032-02-29', '2033-02-28',
      ]);
    });
    it("'skip': leap years only", () => {
      const s = cal('FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29', '2027-01-01', 'skip');
      expect(calendarDates(s, window)).to.deep.equal(['2028-02-29', '2032-02-29']);
    });
    it('a plain FREQ=YEARLY starting on 29 February follows the policy too', () => {
      expect(nextCalendarDates(cal('FREQ=YEARLY', '2028-02-29'), 3, '2028-01-01')).to.deep.equal([
        '2028-02-29', '2029-02-28', '2030-02-28',
      ]);
      expect(nextCalendarDates(cal('FREQ=YEARLY', '2028-02-29', 'skip'), 2, '2028-01-01')).to.deep.equal([
        '2028-02-29', '2032-02-29',
      ]);
    });
  });

  it('specific months (March, June and November on the 10th)', () => {
    const s = cal(compilePreset({ kind: 'specific-months', months: [11, 3, 6], day: 10 }), '2027-04-01');
    expect(nextCalendarDates(s, 4, '2027-04-01')).to.deep.equal(['2027-06-10', '2027-11-10', '2028-03-10', '2028-06-10']);
  });

  it('one time', () => {
    const s = cal(compilePreset({ kind: 'one-time' }), '2027-03-03');
    expect(nextCalendarDates(s, 12, '2027-01-01')).to.deep.equal(['2027-03-03']);
    expect(nextCalendarDates(s, 12, '2027-03-04')).to.deep.equal([]);
  });

  it('every 10 days', () => {
    const s = cal(compilePreset({ kind: 'every-n-days', every: 10 }), '2027-02-25');
    expect(nextCalendarDates(s, 4, '2027-02-25')).to.deep.equal(['2027-02-25', '2027-03-07', '2027-03-17', '2027-03-27']);
  });

  describe('a weekly series across a year boundary does not stop', () => {
    const s = cal('FREQ=WEEKLY;BYDAY=TH', '2027-12-02');
    it('through New Year', () => {
      expect(nextCalendarDates(s, 8, '2027-12-01')).to.deep.equal([
        '2027-12-02', '2027-12-09', '2027-12-16', '2027-12-23', '2027-12-30', '2028-01-06', '2028-01-13', '2028-01-20',
      ]);
    });
    it('and years later', () => {
      expect(calendarDates(s, { from: '2031-01-01', through: '2031-01-31' })).to.deep.equal([
        '2031-01-02', '2031-01-09', '2031-01-16', '2031-01-23', '2031-01-30',
      ]);
      expect(nextCalendarDates(s, 3, '2099-12-25')).to.deep.equal(['2099-12-31', '2100-01-07', '2100-01-14']);
    });
  });

  describe('relative timing (after completion)', () => {
    const rel = (every: number, unit: 'day' | 'week' | 'month' | 'year') =>
      ({ kind: 'relative' as const, every, unit, start: '2027-01-01' });
    it('365 days after a completion, across a leap day and not', () => {
      expect(relativeNext(rel(365, 'day'), '2027-03-10')).to.equal('2028-03-09');
      expect(relativeNext(rel(365, 'day'), '2026-03-10')).to.equal('2027-03-10');
    });
    it('1 month after 31 January clamps to the end of February', () => {
      expect(relativeNext(rel(1, 'month'), '2027-01-31')).to.equal('2027-02-28');
      expect(relativeNext(rel(1, 'month'), '2028-01-31')).to.equal('2028-02-29');
      expect(relativeNext(rel(3, 'month'), '2027-11-30')).to.equal('2028-02-29');
    });
    it('weeks and years', () => {
      expect(relativeNext(rel(2, 'week'), '2027-12-30')).to.equal('2028-01-13');
      expect(relativeNext(rel(1, 'year'), '2028-02-29')).to.equal('2029-02-28');
      expect(relativeNext(rel(4, 'year'), '2028-02-29')).to.equal('2032-02-29');
    });
    it('refuses a bad interval or completion date', () => {
      expect(() => relativeNext(rel(0, 'day'), '2027-01-01')).to.throw(RangeError);
      expect(() => relativeNext(rel(1, 'day'), '2027-02-30')).to.throw(RangeError);
    });
  });
});
