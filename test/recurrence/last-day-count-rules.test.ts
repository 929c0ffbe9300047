// Under "use the last day", a COUNT rule whose month day some months lack (or whose negative day
// some months lack) is expanded like any other: the first COUNT dates, in order. And whatever the
// rule, a refusal is a sentence for the user, never an expansion library's internal message.
import { expect } from 'chai';
import { checkRule, nextCalendarDates, type MonthEndPolicy } from '../../services/plans/recurrence.ts';

const cal = (rrule: string, start: string, monthEnd: MonthEndPolicy) => ({ kind: 'calendar' as const, rrule, start, monthEnd });

describe('recurrence: YEARLY COUNT rules on days some months lack', () => {
  const RULE = 'FREQ=YEARLY;BYMONTHDAY=-31,30;COUNT=7';

  it('"last day": accepted, and its seven dates are the 31st-from-last and the 30th (or last day) of each month', () => {
    expect(checkRule(RULE, '2021-01-01', 'last-day')).to.deep.equal({ ok: true, rrule: RULE });
    // -31 exists only in 31-day months (as the 1st); 30 becomes 28 February.
    expect(nextCalendarDates(cal(RULE, '2021-01-01', 'last-day'), 12, '2021-01-01')).to.deep.equal([
      '2021-01-01', '2021-01-30', '2021-02-28', '2021-03-01', '2021-03-30', '2021-04-30', '2021-05-01',
    ]);
  });

  it('"skip": the same rule without February', () => {
    expect(checkRule(RULE, '2021-01-01', 'skip')).to.deep.equal({ ok: true, rrule: RULE });
    expect(nextCalendarDates(cal(RULE, '2021-01-01', 'skip'), 12, '2021-01-01')).to.deep.equal([
      '2021-01-01', '2021-01-30', '2021-03-01', '2021-03-30', '2021-04-30', '2021-05-01', '2021-05-30',
    ]);
  });

  it('the 31st of every month, 13 times, under "last day"', () => {
    expect(nextCalendarDates(cal('FREQ=YEARLY;BYMONTHDAY=31;COUNT=13', '2027-01-01', 'last-day'), 20, '2027-01-01')).to.deep.equal([
      '2027-01-31', '2027-02-28', '2027-03-31', '2027-04-30', '2027-05-31', '2027-06-30',
      '2027-07-31', '2027-08-31', '2027-09-30', '2027-10-31', '2027-11-30', '2027-12-31', '2028-01-31',
    ]);
  });

  it('refusals name the problem, never a library limit', () => {
    const rules = [
      RULE,
      'FREQ=YEARLY;BYMONTH=4,6;BYMONTHDAY=-31;COUNT=3', // no 30-day month has a 31st-from-last day
      'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-30;COUNT=2', // nor February a 30th-from-last
      'FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=-31;COUNT=4',
      'FREQ=YEARLY;BYMONTHDAY=31;BYDAY=-1FR;COUNT=9',
      'FREQ=MONTHLY;BYDAY=5SU;BYSETPOS=2;COUNT=1000',
      'FREQ=WEEKLY;BYDAY=TH;BYSETPOS=3,-2;COUNT=23',
    ];
    for (const policy of ['last-day', 'skip'] as const) {
      for (const rule of rules) {
        const check = checkRule(rule, '2021-04-01', policy);
        if (check.ok) continue;
        for (const message of check.errors) {
          expect(message, `${rule} (${policy})`).not.to.match(/iteration|all\(\)|internal|RRule|Temporal/i);
          expect(message, `${rule} (${policy})`).to.match(/^(The rule never produces|The rule produces no due date|Working out this rule)/);
        }
      }
    }
    expect(checkRule('FREQ=YEARLY;BYMONTH=4,6;BYMONTHDAY=-31;COUNT=3', '2021-04-01', 'last-day')).to.deep.equal({
      ok: false, errors: ['The rule never produces a due date on or after the start (2021-04-01).'],
    });
  });
});
