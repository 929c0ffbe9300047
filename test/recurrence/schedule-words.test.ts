// Schedules in words (services/plans/schedule-words.ts): the phrases people write in an import
// file read as the rule the Plan Item form's preset would produce, and every description the app
// shows reads back as the schedule it describes (for every preset, under both month-end policies).
import { expect } from 'chai';
import { compilePreset, type MonthEndPolicy, type Preset, type Schedule, WEEKDAYS } from '../../services/plans/recurrence.ts';
import { describeSchedule, parseScheduleWords } from '../../services/plans/schedule-words.ts';

function parsed(words: string, start: string, monthEnd: MonthEndPolicy = 'last-day'): Schedule {
  const result = parseScheduleWords(words, start, monthEnd);
  if (!result.ok) throw new Error(`"${words}" was refused: ${result.error}`);
  return result.schedule;
}

const rruleOf = (s: Schedule) => (s.kind === 'calendar' ? s.rrule : `relative ${s.every} ${s.unit}`);

describe('Schedules in words', () => {
  // start: the date the rule counts from (the form's "schedule start").
  const phrases: Array<[string, string, Preset]> = [
    ['Daily', '2027-01-04', { kind: 'every-n-days', every: 1 }],
    ['Every 3 days', '2027-01-04', { kind: 'every-n-days', every: 3 }],
    ['Weekly on Monday', '2027-01-04', { kind: 'every-n-weeks', every: 1, weekdays: ['MO'] }],
    ['Every 2 weeks on Tue and Thu', '2027-01-05', { kind: 'every-n-weeks', every: 2, weekdays: ['TU', 'TH'] }],
    ['Monthly on the 15th', '2027-01-15', { kind: 'monthly-on-day', day: 15 }],
    ['Last day of each month', '2027-01-31', { kind: 'monthly-last-day' }],
    ['First Monday of the month', '2027-01-04', { kind: 'monthly-nth-weekday', nth: 1, weekday: 'MO' }],
    ['Last Friday', '2027-01-29', { kind: 'monthly-nth-weekday', nth: -1, weekday: 'FR' }],
    ['Quarterly', '2027-01-15', { kind: 'quarterly', day: 15 }],
    ['Semi-annually', '2027-03-31', { kind: 'semi-annually', day: 31 }],
    ['Annually on 29 Feb', '2028-02-29', { kind: 'annually', month: 2, day: 29 }],
    ['January, April, July and October on the 1st', '2027-01-01', { kind: 'specific-months', months: [1, 4, 7, 10], day: 1 }],
    ['Once', '2027-03-14', { kind: 'one-time' }],
  ];
  for (const [words, start, preset] of phrases) {
    it(`reads "${words}" as the ${preset.kind} preset's rule`, () => {
      const s = parsed(words, start);
      expect(s.kind).to.equal('calendar');
      expect(rruleOf(s)).to.equal(compilePreset(preset));
      expect(s.start).to.equal(start);
    });
  }

  it('reads other ways people write them', () => {
    const start = '2027-01-04';
    for (const [words, preset] of [
      ['Every Monday', { kind: 'every-n-weeks', every: 1, weekdays: ['MO'] }],
      ['every Tuesday & Thursday', { kind: 'every-n-weeks', every: 1, weekdays: ['TU', 'TH'] }],
      ['Every weekday', { kind: 'every-n-weeks', every: 1, weekdays: ['MO', 'TU', 'WE', 'TH', 'FR'] }],
      ['Every other week on Friday', { kind: 'every-n-weeks', every: 2, weekdays: ['FR'] }],
      ['Fortnightly on Wed', { kind: 'every-n-weeks', every: 2, weekdays: ['WE'] }],
      ['monthly on the 1st', { kind: 'monthly-on-day', day: 1 }],
      ['Monthly on the last day', { kind: 'monthly-last-day' }],
      ['the last Friday of each month', { kind: 'monthly-nth-weekday', nth: -1, weekday: 'FR' }],
      ['Second Tuesday of the month', { kind: 'monthly-nth-weekday', nth: 2, weekday: 'TU' }],
      ['Quarterly on the 15th', { kind: 'quarterly', day: 15 }],
      ['Twice a year on the 1st', { kind: 'semi-annually', day: 1 }],
      ['Yearly on March 31', { kind: 'annually', month: 3, day: 31 }],
      ['Annually on the 1st of July', { kind: 'annually', month: 7, day: 1 }],
      ['Jan, Apr, Jul & Oct on the 15th', { kind: 'specific-months', months: [1, 4, 7, 10], day: 15 }],
      ['One-off', { kind: 'one-time' }],
    ] as Array<[string, Preset]>) {
      expect(rruleOf(parsed(words, start)), words).to.equal(compilePreset(preset));
    }
  });

  it('reads "Every 90 days after completion" as a relative schedule', () => {
    expect(parsed('Every 90 days after completion', '2027-01-01')).to.deep.equal({ kind: 'relative', every: 90, unit: 'day', start: '2027-01-01' });
    expect(parsed('every month after completion', '2027-01-01')).to.deep.equal({ kind: 'relative', every: 1, unit: 'month', start: '2027-01-01' });
  });

  it('takes an RRULE as it is (normalised) and refuses a bad one with the rule checker\'s reason', () => {
    expect(rruleOf(parsed('rrule:freq=monthly;bymonthday=-1', '2027-01-01'))).to.equal('FREQ=MONTHLY;BYMONTHDAY=-1');
    const bad = parseScheduleWords('FREQ=HOURLY', '2027-01-01');
    expect(bad.ok).to.equal(false);
    expect((bad as { error: string }).error).to.match(/FREQ/);
  });

  it('refuses words it cannot read, or a schedule without its start, with a sentence (never a throw)', () => {
    for (const [words, start, pattern] of [
      ['Whenever the boss asks', '2027-01-01', /cannot read/],
      ['Weekly on Funday', '2027-01-01', /Funday|cannot read/i],
      ['Monthly on the 32nd', '2027-01-01', /32/],
      ['Annually on 30 Feb', '2027-01-01', /never|February|30/],
      ['Daily', 'not a date', /start date/],
      ['', '2027-01-01', /empty/],
    ] as const) {
      const result = parseScheduleWords(words, start);
      expect(result.ok, words).to.equal(false);
      expect((result as { error: string }).error, words).to.match(pattern);
    }
  });

  it('round-trips every form preset through its plain-words description, under both month-end policies', () => {
    const presets: Preset[] = [];
    for (const every of [1, 2, 7, 90, 1000]) presets.push({ kind: 'every-n-days', every });
    for (const every of [1, 2, 3]) {
      for (let mask = 1; mask < 128; mask += 5) presets.push({ kind: 'every-n-weeks', every, weekdays: WEEKDAYS.filter((_, i) => mask & (1 << i)) });
    }
    for (let day = 1; day <= 31; day++) {
      presets.push({ kind: 'monthly-on-day', day }, { kind: 'quarterly', day }, { kind: 'semi-annually', day });
      presets.push({ kind: 'specific-months', months: [1, 4, 7, 10], day }, { kind: 'specific-months', months: [3, 9], day });
    }
    presets.push({ kind: 'monthly-last-day' }, { kind: 'one-time' });
    for (const nth of [1, 2, 3, 4, -1] as const) for (const weekday of WEEKDAYS) presets.push({ kind: 'monthly-nth-weekday', nth, weekday });
    for (let month = 1; month <= 12; month++) for (const day of [1, 15, 28, 29, 30, 31]) if (day <= new Date(Date.UTC(2000, month, 0)).getUTCDate()) presets.push({ kind: 'annually', month, day });

    let checked = 0;
    for (const preset of presets) {
      const rrule = compilePreset(preset);
      for (const monthEnd of ['last-day', 'skip'] as const) {
        // A start the rule gives, so the description is of a schedule the form would save.
        const start = preset.kind === 'annually' ? `2028-${String(preset.month).padStart(2, '0')}-${String(preset.day).padStart(2, '0')}` : '2027-01-01';
        const schedule: Schedule = { kind: 'calendar', rrule, start, monthEnd };
        const words = describeSchedule(schedule);
        const back = parseScheduleWords(words, start, 'last-day');
        expect(back.ok, `${rrule} → "${words}"`).to.equal(true);
        const got = (back as { schedule: Schedule }).schedule;
        expect(rruleOf(got), `${rrule} → "${words}"`).to.equal(rrule);
        // The description names "skip" only where it changes the dates (a day the month may lack).
        if (/skipping|leap years/.test(words)) expect((got as { monthEnd: string }).monthEnd, words).to.equal('skip');
        checked++;
      }
    }
    for (const unit of ['day', 'week', 'month', 'year'] as const) {
      for (const every of [1, 2, 90]) {
        const schedule: Schedule = { kind: 'relative', every, unit, start: '2027-05-01' };
        expect(parsed(describeSchedule(schedule), '2027-05-01')).to.deep.equal(schedule);
        checked++;
      }
    }
    expect(checked).to.be.greaterThan(600);
  });
});
