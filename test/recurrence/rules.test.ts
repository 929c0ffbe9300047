// Rule validation (one message per problem, for a 422 form), presets, plain-words descriptions
// and preview windows (DESIGN.md §4).
import { expect } from 'chai';
import {
  calendarDates,
  checkRule,
  compilePreset,
  nextCalendarDates,
  type MonthEndPolicy,
  type Preset,
} from '../../services/plans/recurrence.ts';
import { describeSchedule } from '../../services/plans/schedule-words.ts';

function cal(rrule: string, start: string, monthEnd: MonthEndPolicy = 'last-day') {
  return { kind: 'calendar' as const, rrule, start, monthEnd };
}

function refused(rrule: string, start = '2027-01-01'): string[] {
  const result = checkRule(rrule, start);
  expect(result.ok, `${rrule} should be refused`).to.equal(false);
  return result.ok ? [] : result.errors;
}

describe('checkRule', () => {
  it('accepts the subset and returns normalised text', () => {
    expect(checkRule('rrule:freq=weekly;byday=th,tu;interval=2', '2027-01-01')).to.deep.equal({
      ok: true,
      rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH',
    });
    expect(checkRule('FREQ=MONTHLY;INTERVAL=1;BYDAY=-1FR', '2027-01-01')).to.deep.equal({ ok: true, rrule: 'FREQ=MONTHLY;BYDAY=-1FR' });
    expect(checkRule('FREQ=YEARLY;BYMONTHDAY=29;BYMONTH=2', '2027-01-01')).to.deep.equal({
      ok: true,
      rrule: 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29',
    });
    expect(checkRule('FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;UNTIL=20271231', '2027-01-01')).to.deep.equal({
      ok: true,
      rrule: 'FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;UNTIL=20271231',
    });
    expect(checkRule('FREQ=DAILY;COUNT=1', '2027-01-01').ok).to.equal(true);
    expect(checkRule('FREQ=MONTHLY;BYMONTHDAY=-31', '2027-01-01').ok).to.equal(true);
  });

  it('refuses BYMONTHDAY=32 and BYMONTHDAY=0', () => {
    expect(refused('FREQ=MONTHLY;BYMONTHDAY=32')).to.deep.equal(['BYMONTHDAY must be 1 to 31 or -1 to -31 (got 32).']);
    expect(refused('FREQ=MONTHLY;BYMONTHDAY=0')).to.deep.equal(['BYMONTHDAY must be 1 to 31 or -1 to -31 (got 0).']);
    expect(refused('FREQ=MONTHLY;BYMONTHDAY=-32')[0]).to.match(/BYMONTHDAY must be/);
  });

  it('refuses INTERVAL=0 and an absurd INTERVAL', () => {
    expect(refused('FREQ=WEEKLY;INTERVAL=0')).to.deep.equal(['INTERVAL must be a whole number from 1 to 1000 (got "0").']);
    expect(refused('FREQ=WEEKLY;INTERVAL=1001')[0]).to.match(/^INTERVAL must be a whole number from 1 to 1000/);
    expect(refused('FREQ=WEEKLY;INTERVAL=two')[0]).to.match(/^INTERVAL must be/);
  });

  it('refuses UNTIL before the start, and an UNTIL that is not a date', () => {
    expect(refused('FREQ=DAILY;UNTIL=20261231', '2027-01-01')).to.deep.equal(['UNTIL (2026-12-31) is before the start date (2027-01-01).']);
    expect(refused('FREQ=DAILY;UNTIL=20270231')[0]).to.match(/^UNTIL must be a calendar date written YYYYMMDD/);
    expect(refused('FREQ=DAILY;UNTIL=20270301T000000Z')[0]).to.match(/^UNTIL must be a calendar date/);
  });

  it('refuses a rule that ends before producing anything', () => {
    expect(refused('FREQ=MONTHLY;BYMONTHDAY=15;UNTIL=20270110', '2027-01-01')).to.deep.equal([
      'The rule produces no due date between the start (2027-01-01) and UNTIL (2027-01-10).',
    ]);
  });

  it('refuses a rule that never produces a date', () => {
    expect(refused('FREQ=MONTHLY;BYMONTHDAY=1,2;BYSETPOS=5', '2027-01-01')).to.deep.equal([
      'The rule never produces a due date on or after the start (2027-01-01).',
    ]);
  });

  it('refuses unknown parts (BYHOUR, FOO=1, WKST)', () => {
    expect(refused('FREQ=DAILY;BYHOUR=9')).to.deep.equal([
      'BYHOUR is not supported; use only FREQ, INTERVAL, BYDAY, BYMONTHDAY, BYMONTH, BYSETPOS, COUNT, UNTIL.',
    ]);
    expect(refused('FREQ=DAILY;FOO=1')[0]).to.match(/^FOO is not supported/);
    expect(refused('FREQ=WEEKLY;WKST=SU;BYDAY=MO')[0]).to.match(/^WKST is not supported/);
  });

  it('refuses COUNT with UNTIL', () => {
    expect(refused('FREQ=DAILY;COUNT=3;UNTIL=20270301')).to.deep.equal([
      'COUNT and UNTIL cannot both be given; end the series by a number of times or by a date.',
    ]);
  });

  it('refuses malformed text', () => {
    expect(refused('')).to.deep.equal(['The rule is empty.']);
    expect(refused('every month')).to.deep.equal(['The rule must not contain spaces or line breaks.']);
    expect(refused('FREQ=MONTHLY;;BYMONTHDAY=1')).to.include('"" is not a NAME=VALUE part.');
    expect(refused('FREQ=MONTHLY;BYMONTHDAY')).to.include('"BYMONTHDAY" is not a NAME=VALUE part.');
    expect(refused('FREQ=MONTHLY;BYMONTHDAY=1=2')).to.include('"BYMONTHDAY=1=2" is not a NAME=VALUE part.');
    expect(refused('BYMONTHDAY=1')).to.deep.equal(['FREQ is required (DAILY, WEEKLY, MONTHLY or YEARLY).']);
    expect(refused('FREQ=HOURLY')).to.deep.equal(['FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY (got "HOURLY").']);
    expect(refused('FREQ=DAILY;FREQ=WEEKLY')).to.deep.equal(['FREQ appears more than once.']);
    expect(refused('FREQ=MONTHLY;BYMONTHDAY=1,x')[0]).to.match(/^BYMONTHDAY must be a comma-separated list of whole numbers/);
  });

  it('refuses bad BYDAY, BYMONTH, BYSETPOS and COUNT values and misplaced parts', () => {
    expect(refused('FREQ=WEEKLY;BYDAY=1MO')).to.deep.equal(['BYDAY ordinal "1MO" is only allowed with FREQ=MONTHLY or FREQ=YEARLY.']);
    expect(refused('FREQ=MONTHLY;BYDAY=XX')[0]).to.match(/^BYDAY value "XX" is not a weekday/);
    expect(refused('FREQ=MONTHLY;BYDAY=6MO')[0]).to.match(/^BYDAY ordinal in "6MO" must be 1 to 5/);
    expect(refused('FREQ=MONTHLY;BYDAY=0MO')[0]).to.match(/^BYDAY ordinal in "0MO"/);
    expect(refused('FREQ=YEARLY;BYMONTH=13;BYMONTHDAY=1')).to.deep.equal(['BYMONTH must be 1 to 12 (got 13).']);
    expect(refused('FREQ=MONTHLY;BYDAY=MO;BYSETPOS=0')).to.deep.equal(['BYSETPOS must be 1 to 366 or -1 to -366 (got 0).']);
    expect(refused('FREQ=MONTHLY;BYSETPOS=1')).to.deep.equal(['BYSETPOS needs BYDAY, BYMONTHDAY or BYMONTH to choose from.']);
    expect(refused('FREQ=DAILY;COUNT=0')[0]).to.match(/^COUNT must be a whole number from 1 to 1000/);
    expect(refused('FREQ=WEEKLY;BYMONTHDAY=1')).to.deep.equal(['BYMONTHDAY cannot be used with FREQ=WEEKLY.']);
    expect(refused('FREQ=DAILY;BYMONTHDAY=1')[0]).to.match(/^BYMONTHDAY cannot be used with FREQ=DAILY/);
  });

  it('refuses a day no chosen month has (30 February)', () => {
    expect(refused('FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30')).to.deep.equal(['BYMONTHDAY=30 never occurs in February.']);
    expect(refused('FREQ=MONTHLY;BYMONTH=4,6;BYMONTHDAY=31')).to.deep.equal(['BYMONTHDAY=31 never occurs in April, June.']);
  });

  it('refuses an invalid start date', () => {
    expect(refused('FREQ=DAILY', '2027-02-30')).to.deep.equal(['The start date must be a calendar date YYYY-MM-DD (got "2027-02-30").']);
  });

  it('gives one message per problem', () => {
    const errors = refused('FREQ=MONTHLY;BYMONTHDAY=32;INTERVAL=0;BYHOUR=3;FOO=1;COUNT=2;UNTIL=20200101');
    expect(errors).to.have.length(6);
    expect(errors.join('\n')).to.match(/BYHOUR/).and.match(/FOO/).and.match(/INTERVAL/).and.match(/UNTIL \(2020-01-01\)/)
      .and.match(/COUNT and UNTIL/).and.match(/BYMONTHDAY/);
  });

  it('expansion refuses a rule that does not pass the check', () => {
    expect(() => nextCalendarDates(cal('FREQ=MONTHLY;BYMONTHDAY=32', '2027-01-01'), 12, '2027-01-01')).to.throw(RangeError, /BYMONTHDAY/);
  });
});

describe('presets and plain words', () => {
  const cases: { preset: Preset; rrule: string; start: string; words: string; skipWords?: string }[] = [
    { preset: { kind: 'every-n-days', every: 1 }, rrule: 'FREQ=DAILY', start: '2027-01-01', words: 'Daily' },
    { preset: { kind: 'every-n-days', every: 365 }, rrule: 'FREQ=DAILY;INTERVAL=365', start: '2027-01-01', words: 'Every 365 days' },
    { preset: { kind: 'every-n-weeks', every: 1, weekdays: ['MO'] }, rrule: 'FREQ=WEEKLY;BYDAY=MO', start: '2027-01-01', words: 'Weekly on Monday' },
    {
      preset: { kind: 'every-n-weeks', every: 2, weekdays: ['TH', 'TU'] },
      rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH',
      start: '2027-01-05',
      words: 'Every 2 weeks on Tuesday and Thursday',
    },
    { preset: { kind: 'monthly-on-day', day: 15 }, rrule: 'FREQ=MONTHLY;BYMONTHDAY=15', start: '2027-01-01', words: 'Monthly on the 15th' },
    {
      preset: { kind: 'monthly-on-day', day: 31 },
      rrule: 'FREQ=MONTHLY;BYMONTHDAY=31',
      start: '2027-01-01',
      words: 'Monthly on the 31st',
      skipWords: 'Monthly on the 31st, skipping months without a 31st',
    },
    { preset: { kind: 'monthly-last-day' }, rrule: 'FREQ=MONTHLY;BYMONTHDAY=-1', start: '2027-01-01', words: 'Monthly on the last day' },
    {
      preset: { kind: 'monthly-nth-weekday', nth: 1, weekday: 'MO' },
      rrule: 'FREQ=MONTHLY;BYDAY=1MO',
      start: '2027-01-01',
      words: 'Monthly on the first Monday',
    },
    {
      preset: { kind: 'monthly-nth-weekday', nth: -1, weekday: 'FR' },
      rrule: 'FREQ=MONTHLY;BYDAY=-1FR',
      start: '2027-01-01',
      words: 'Monthly on the last Friday',
    },
    { preset: { kind: 'quarterly', day: 15 }, rrule: 'FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15', start: '2027-02-10', words: 'Quarterly on the 15th' },
    { preset: { kind: 'semi-annually', day: 1 }, rrule: 'FREQ=MONTHLY;INTERVAL=6;BYMONTHDAY=1', start: '2027-02-10', words: 'Semi-annually on the 1st' },
    {
      preset: { kind: 'annually', month: 2, day: 29 },
      rrule: 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29',
      start: '2027-01-01',
      words: 'Annually on 29 February',
      skipWords: 'Annually on 29 February, only in leap years',
    },
    {
      preset: { kind: 'specific-months', months: [11, 3, 6], day: 22 },
      rrule: 'FREQ=YEARLY;BYMONTH=3,6,11;BYMONTHDAY=22',
      start: '2027-01-01',
      words: 'Annually on the 22nd of March, June and November',
    },
    { preset: { kind: 'one-time' }, rrule: 'FREQ=DAILY;COUNT=1', start: '2027-03-03', words: 'One time on 2027-03-03' },
  ];

  for (const c of cases) {
    it(`${c.preset.kind} → ${c.rrule} → "${c.words}"`, () => {
      const rrule = compilePreset(c.preset);
      expect(rrule).to.equal(c.rrule);
      expect(checkRule(rrule, c.start)).to.deep.equal({ ok: true, rrule }); // presets are already normalised
      expect(describeSchedule(cal(rrule, c.start))).to.equal(c.words);
      if (c.skipWords) expect(describeSchedule(cal(rrule, c.start, 'skip'))).to.equal(c.skipWords);
    });
  }

  it('relative schedules', () => {
    expect(describeSchedule({ kind: 'relative', every: 365, unit: 'day', start: '2027-01-01' })).to.equal('Every 365 days after completion');
    expect(describeSchedule({ kind: 'relative', every: 1, unit: 'month', start: '2027-01-01' })).to.equal('Every month after completion');
    expect(describeSchedule({ kind: 'relative', every: 2, unit: 'week', start: '2027-01-01' })).to.equal('Every 2 weeks after completion');
  });

  it('advanced rules: implicit parts, ends, several days, set positions', () => {
    expect(describeSchedule(cal('FREQ=MONTHLY', '2027-01-31'))).to.equal('Monthly on the 31st');
    expect(describeSchedule(cal('FREQ=WEEKLY', '2027-01-05'))).to.equal('Weekly on Tuesday');
    expect(describeSchedule(cal('FREQ=YEARLY', '2027-07-04'))).to.equal('Annually on 4 July');
    expect(describeSchedule(cal('FREQ=WEEKLY;BYDAY=TH;UNTIL=20280120', '2027-12-02'))).to.equal('Weekly on Thursday, until 2028-01-20');
    expect(describeSchedule(cal('FREQ=MONTHLY;BYMONTHDAY=1,15;COUNT=6', '2027-01-01'))).to.equal('Monthly on the 1st and the 15th, 6 times');
    expect(describeSchedule(cal('FREQ=DAILY;INTERVAL=2;BYDAY=MO,WE,FR', '2027-01-01'))).to.equal('Every 2 days on Monday, Wednesday and Friday');
    expect(describeSchedule(cal('FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1', '2027-01-01'))).to.equal(
      'Monthly, occurrence last of Monday, Tuesday, Wednesday, Thursday and Friday',
    );
  });

  it('compilePreset refuses out-of-range values', () => {
    expect(() => compilePreset({ kind: 'monthly-on-day', day: 32 })).to.throw(RangeError);
    expect(() => compilePreset({ kind: 'every-n-days', every: 0 })).to.throw(RangeError);
    expect(() => compilePreset({ kind: 'every-n-weeks', every: 1, weekdays: [] })).to.throw(RangeError);
    expect(() => compilePreset({ kind: 'annually', month: 2, day: 30 })).to.throw(RangeError);
    expect(() => compilePreset({ kind: 'specific-months', months: [], day: 1 })).to.throw(RangeError);
  });
});

describe('preview windows', () => {
  const monthly31 = cal('FREQ=MONTHLY;BYMONTHDAY=31', '2027-01-31');

  it('calendarDates returns only dates inside the inclusive window', () => {
    expect(calendarDates(monthly31, { from: '2027-03-31', through: '2027-06-30' })).to.deep.equal([
      '2027-03-31', '2027-04-30', '2027-05-31', '2027-06-30',
    ]);
    expect(calendarDates(monthly31, { from: '2027-04-01', through: '2027-06-29' })).to.deep.equal(['2027-04-30', '2027-05-31']);
    expect(calendarDates(monthly31, { from: '2027-04-01', through: '2027-04-29' })).to.deep.equal([]);
    expect(calendarDates(monthly31, { from: '2027-06-30', through: '2027-04-01' })).to.deep.equal([]);
  });

  it('never returns a date before the start, even for an earlier window', () => {
    expect(calendarDates(monthly31, { from: '2026-01-01', through: '2027-02-28' })).to.deep.equal(['2027-01-31', '2027-02-28']);
    expect(calendarDates(monthly31, { from: '2026-01-01', through: '2026-12-31' })).to.deep.equal([]);
  });

  it('nextCalendarDates(…, 12, d) gives 12 ascending dates on or after d', () => {
    expect(nextCalendarDates(monthly31, 12, '2027-05-31')).to.deep.equal([
      '2027-05-31', '2027-06-30', '2027-07-31', '2027-08-31', '2027-09-30', '2027-10-31',
      '2027-11-30', '2027-12-31', '2028-01-31', '2028-02-29', '2028-03-31', '2028-04-30',
    ]);
    // A sparse rule still yields 12: leap days only, 48 years.
    const leap = nextCalendarDates(cal('FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29', '2027-01-01', 'skip'), 12, '2027-01-01');
    expect(leap).to.deep.equal([
      '2028-02-29', '2032-02-29', '2036-02-29', '2040-02-29', '2044-02-29', '2048-02-29',
      '2052-02-29', '2056-02-29', '2060-02-29', '2064-02-29', '2068-02-29', '2072-02-29',
    ]);
  });

  it('gives fewer when COUNT or UNTIL ends the series', () => {
    expect(nextCalendarDates(cal('FREQ=WEEKLY;BYDAY=MO;COUNT=3', '2027-01-01'), 12, '2027-01-01')).to.deep.equal([
      '2027-01-04', '2027-01-11', '2027-01-18',
    ]);
    expect(nextCalendarDates(cal('FREQ=WEEKLY;BYDAY=MO;COUNT=3', '2027-01-01'), 12, '2027-01-12')).to.deep.equal(['2027-01-18']);
    expect(nextCalendarDates(cal('FREQ=MONTHLY;BYMONTHDAY=-1;UNTIL=20270415', '2027-01-01'), 12, '2027-01-01')).to.deep.equal([
      '2027-01-31', '2027-02-28', '2027-03-31',
    ]);
    expect(nextCalendarDates(cal('FREQ=MONTHLY;BYMONTHDAY=-1;UNTIL=20270430', '2027-01-01'), 12, '2027-02-01')).to.deep.equal([
      '2027-02-28', '2027-03-31', '2027-04-30',
    ]);
  });

  it('a series whose start was moved past its UNTIL has simply ended (no dates, no error)', () => {
    const s = cal('FREQ=MONTHLY;BYMONTHDAY=10;UNTIL=20270610', '2027-07-01');
    expect(nextCalendarDates(s, 12, '2027-07-01')).to.deep.equal([]);
    expect(calendarDates(s, { from: '2027-01-01', through: '2027-12-31' })).to.deep.equal([]);
  });

  it('COUNT counts from the start, not from the window', () => {
    const s = cal('FREQ=MONTHLY;BYMONTHDAY=10;COUNT=4', '2027-01-01');
    expect(calendarDates(s, { from: '2027-03-01', through: '2028-12-31' })).to.deep.equal(['2027-03-10', '2027-04-10']);
  });
});
