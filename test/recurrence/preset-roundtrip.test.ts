// presetFromRule is the inverse of compilePreset (the edit form opens on the stored
// rule's preset), and refuses every rule no preset writes.
import { expect } from 'chai';
import { checkRule, compilePreset, type Preset, presetFromRule, WEEKDAYS } from '../../services/plans/recurrence.ts';

const START = '2027-01-31';

/** Every preset kind, with the edges of each value's range. */
const PRESETS: Preset[] = [
  { kind: 'every-n-days', every: 1 },
  { kind: 'every-n-days', every: 90 },
  { kind: 'every-n-days', every: 1000 },
  { kind: 'every-n-weeks', every: 1, weekdays: ['MO'] },
  { kind: 'every-n-weeks', every: 2, weekdays: ['TU', 'TH'] },
  { kind: 'every-n-weeks', every: 3, weekdays: [...WEEKDAYS] },
  ...[1, 15, 28, 29, 30, 31].map((day): Preset => ({ kind: 'monthly-on-day', day })),
  { kind: 'monthly-last-day' },
  ...([1, 2, 3, 4, -1] as const).flatMap((nth) => WEEKDAYS.map((weekday): Preset => ({ kind: 'monthly-nth-weekday', nth, weekday }))),
  { kind: 'quarterly', day: 1 },
  { kind: 'quarterly', day: 15 },
  { kind: 'quarterly', day: 31 },
  { kind: 'semi-annually', day: 1 },
  { kind: 'semi-annually', day: 30 },
  ...Array.from({ length: 12 }, (_, i): Preset => ({ kind: 'annually', month: i + 1, day: 1 })),
  { kind: 'annually', month: 2, day: 29 },
  { kind: 'annually', month: 12, day: 31 },
  { kind: 'specific-months', months: [1, 4, 7, 10], day: 15 },
  { kind: 'specific-months', months: [3, 9], day: 31 },
  { kind: 'specific-months', months: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], day: 1 },
  { kind: 'one-time' },
];

describe('Recurrence: presets back from rules', () => {
  it('gives back every preset compilePreset turns into a rule', () => {
    for (const preset of PRESETS) {
      const rrule = compilePreset(preset);
      expect(presetFromRule(rrule, START), rrule).to.deep.equal(preset);
      // The stored (normalised) text reads back the same.
      const check = checkRule(rrule, START);
      if (check.ok) expect(presetFromRule(check.rrule, START), check.rrule).to.deep.equal(preset);
    }
  });

  it('reads rules written by hand the way expansion does (case, RRULE: prefix, parts left to the start)', () => {
    expect(presetFromRule('rrule:freq=monthly;bymonthday=-1;', START)).to.deep.equal({ kind: 'monthly-last-day' });
    expect(presetFromRule('FREQ=WEEKLY;BYDAY=FR,MO', START)).to.deep.equal({ kind: 'every-n-weeks', every: 1, weekdays: ['MO', 'FR'] });
    // 2027-01-31 is a Sunday, and the 31st of January.
    expect(presetFromRule('FREQ=WEEKLY;INTERVAL=2', START)).to.deep.equal({ kind: 'every-n-weeks', every: 2, weekdays: ['SU'] });
    expect(presetFromRule('FREQ=MONTHLY', START)).to.deep.equal({ kind: 'monthly-on-day', day: 31 });
    expect(presetFromRule('FREQ=MONTHLY;INTERVAL=3', START)).to.deep.equal({ kind: 'quarterly', day: 31 });
    expect(presetFromRule('FREQ=YEARLY', START)).to.deep.equal({ kind: 'annually', month: 1, day: 31 });
  });

  it('gives null for rules no preset writes', () => {
    const others = [
      'FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1', // last weekday of the month
      'FREQ=WEEKLY;BYDAY=MO;COUNT=5',
      'FREQ=MONTHLY;BYMONTHDAY=-1;UNTIL=20301231',
      'FREQ=DAILY;COUNT=2',
      'FREQ=DAILY;INTERVAL=2;COUNT=1',
      'FREQ=DAILY;BYMONTH=6',
      'FREQ=MONTHLY;BYMONTHDAY=1,15',
      'FREQ=MONTHLY;BYMONTHDAY=-2',
      'FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=1',
      'FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=1',
      'FREQ=MONTHLY;INTERVAL=2;BYDAY=1MO',
      'FREQ=MONTHLY;BYDAY=5FR',
      'FREQ=MONTHLY;BYDAY=-2FR',
      'FREQ=MONTHLY;BYDAY=MO',
      'FREQ=MONTHLY;BYDAY=1MO,3MO',
      'FREQ=MONTHLY;BYMONTHDAY=13;BYDAY=FR',
      'FREQ=MONTHLY;BYMONTH=1,7;BYMONTHDAY=1',
      'FREQ=YEARLY;INTERVAL=2;BYMONTH=3;BYMONTHDAY=1',
      'FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1,15',
      'FREQ=YEARLY;BYMONTH=11;BYDAY=4TH',
      'FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=-1',
      'FREQ=WEEKLY;BYMONTH=1;BYDAY=MO',
      'FREQ=HOURLY',
      'not a rule',
      '',
    ];
    for (const rrule of others) expect(presetFromRule(rrule, START), rrule).to.equal(null);
  });
});
