// Ordinal weekdays in YEARLY rules (RFC 5545 §3.3.10): without BYMONTH an ordinal counts within
// the whole year, and BYMONTHDAY then only filters it; an ordinal the year does not have (a 53rd
// Saturday, most years) gives nothing that year, never a date in the next or previous year.
// Every expected date is worked out by hand from a calendar (and agrees with python-dateutil).
import { expect } from 'chai';
import { checkRule, nextCalendarDates } from '../../services/plans/recurrence.ts';

const next = (rrule: string, start: string, count = 3) =>
  nextCalendarDates({ kind: 'calendar', rrule, start, monthEnd: 'last-day' }, count, start);

describe('recurrence: YEARLY rules with ordinal weekdays', () => {
  it('BYMONTHDAY with an ordinal BYDAY and no BYMONTH: a 28th that is the year\'s fifth-to-last Friday', () => {
    // The fifth-to-last Friday is 28 days before the last one, so it is a 28th (of November)
    // exactly when 26 December is a Friday: 2025, then 2031 and 2036.
    expect(next('FREQ=YEARLY;BYMONTHDAY=28;BYDAY=-5FR', '2021-03-31')).to.deep.equal(['2025-11-28', '2031-11-28', '2036-11-28']);
  });

  it('the last Friday of the year only when it is the 1st, the last day or the 28th-from-last of its month', () => {
    // The year's last Friday falls on 25–31 December: only 31 December (-1) qualifies.
    expect(next('FREQ=YEARLY;BYMONTHDAY=-28,-1,1;BYDAY=-1FR', '2026-04-11')).to.deep.equal(['2027-12-31', '2032-12-31', '2038-12-31']);
  });

  it('53SA is the 53rd Saturday of the year, which only years starting on a Saturday (or leap years on a Friday) have', () => {
    expect(next('FREQ=YEARLY;BYDAY=53SA', '2030-10-31')).to.deep.equal(['2033-12-31', '2039-12-31', '2044-12-31']);
    expect(next('FREQ=YEARLY;BYDAY=-53SA', '2030-10-31')).to.deep.equal(['2033-01-01', '2039-01-01', '2044-01-02']);
  });

  it('so a 53SA rule ending before such a year has no date at all, and is refused', () => {
    expect(next('FREQ=YEARLY;BYDAY=53SA;UNTIL=20310515', '2030-10-31', 12)).to.deep.equal([]);
    expect(checkRule('FREQ=YEARLY;BYDAY=53SA;UNTIL=20310515', '2030-10-31')).to.deep.equal({
      ok: false, errors: ['The rule produces no due date between the start (2030-10-31) and UNTIL (2031-05-15).'],
    });
  });

  it('an ordinal never lands in a year the INTERVAL skips', () => {
    // Every other year from 2023: the first Saturday, and a 53rd Sunday when the year has one (2023).
    expect(next('FREQ=YEARLY;INTERVAL=2;BYDAY=1SA,53SU', '2023-11-02')).to.deep.equal(['2023-12-31', '2025-01-04', '2027-01-02']);
  });

  it('still counts within the month when BYMONTH is given, and within the year for a large ordinal', () => {
    expect(next('FREQ=YEARLY;BYMONTH=11;BYDAY=4TH', '2027-01-01')).to.deep.equal(['2027-11-25', '2028-11-23', '2029-11-22']);
    expect(next('FREQ=YEARLY;BYDAY=20MO', '2027-01-01')).to.deep.equal(['2027-05-17', '2028-05-15', '2029-05-14']);
  });
});
