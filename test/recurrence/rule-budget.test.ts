// Expanding a rule is bounded by a deterministic work budget (steps: recurrence periods visited
// plus candidate dates examined), not by a clock: a rule that needs more is refused with a
// message, after at most the budget's steps, on every machine alike. So no form post can keep
// the server busy, and no rule is refused on a slow day but accepted on a fast one.
import { expect } from 'chai';
import {
  calendarDates,
  checkRule,
  EXPANSION_BUDGET,
  expansionWork,
  nextCalendarDates,
  ScheduleError,
} from '../../services/plans/recurrence.ts';
import { createUser } from '../support/factories.ts';
import { grantScope } from '../support/hierarchy-factories.ts';
import { signedInAgent, submitForm, testApp } from '../support/http.ts';
import { createSite } from '../generation/generation-factories.ts';

// One Thursday per week, so no week has a 3rd or 2nd-to-last: the rule never yields a date.
const NEVER = 'FREQ=WEEKLY;BYDAY=TH;BYSETPOS=3,-2;COUNT=23';
const daily = { kind: 'calendar' as const, rrule: 'FREQ=DAILY', start: '2000-01-01', monthEnd: 'last-day' as const };

describe('recurrence: the expansion budget', () => {
  it('refuses the never-matching BYSETPOS rule within the default budget, with a message', () => {
    const work = expansionWork();
    expect(work.limit).to.equal(EXPANSION_BUDGET);
    expect(checkRule(NEVER, '2021-01-01', 'last-day', work)).to.deep.equal({
      ok: false, errors: ['The rule never produces a due date on or after the start (2021-01-01).'],
    });
    // The 400-year search of a weekly rule: the 20,872 weeks from the start's week through the day
    // 400 years after the start, one step for the week and seven for its candidate days.
    expect(work.used).to.equal(20_872 * 8);
    expect(work.used).to.be.at.most(EXPANSION_BUDGET);
  });

  it('a smaller budget refuses the same rule once it is spent, never spending more', () => {
    const work = expansionWork(10_000);
    const check = checkRule(NEVER, '2021-01-01', 'skip', work);
    expect(check).to.deep.equal({
      ok: false, errors: ["Working out this rule's dates needs more than 10,000 steps, so it cannot be used; choose a simpler rule."],
    });
    expect(work.used).to.be.at.most(10_000).and.above(9_990);
  });

  it('every expansion entry point honours it and throws a ScheduleError, not a library error', () => {
    const window = { from: '2000-01-01', through: '2199-12-31' };
    expect(() => calendarDates(daily, window, expansionWork(1_000))).to.throw(ScheduleError, /needs more than 1,000 steps/);
    expect(() => nextCalendarDates(daily, 1_000, '2000-01-01', expansionWork(1_000))).to.throw(ScheduleError, /needs more than 1,000 steps/);
    // ScheduleError is a RangeError, as every refusal of a stored schedule always was.
    expect(new ScheduleError('x')).to.be.instanceOf(RangeError);
  });

  it('a long but ordinary expansion fits the default budget: 200 years of a daily rule', () => {
    const work = expansionWork();
    const dates = calendarDates(daily, { from: '2000-01-01', through: '2199-12-31' }, work);
    expect(dates).to.have.length(73_049);
    expect(dates[0]).to.equal('2000-01-01');
    expect(dates.at(-1)).to.equal('2199-12-31');
    expect(work.used).to.equal(73_049 * 2);
  });

  it('a rule without COUNT starts at the window, not at its start: a window 150 years on costs a month, not 150 years', () => {
    const work = expansionWork();
    expect(calendarDates(daily, { from: '2150-02-01', through: '2150-02-28' }, work)).to.have.length(28);
    expect(work.used).to.equal(28 * 2); // one step per day visited and one per candidate
  });

  it('the plan-item form refuses the rule with a 422 and the message on preview and on save', async () => {
    const site = await createSite({ clientZone: 'UTC' });
    const director = await createUser(site.client, { rank: 'director' });
    await grantScope(director, site.facility);
    const agent = await signedInAgent(testApp(), director.email, director.password);
    const fields = {
      intent: 'preview', activity: 'Weekly check', assigneeId: director.id, scheduleStart: '2031-01-02', monthEndPolicy: 'last-day',
      leadTimeDays: '30', requirement: 'none', scheduleMode: 'advanced', rrule: NEVER,
    };
    for (const intent of ['preview', 'save']) {
      const res = await submitForm(agent, `/units/${site.facility.id}/plan/new`, `/units/${site.facility.id}/plan`, { ...fields, intent });
      expect(res.status, `${intent}: ${res.text.slice(0, 300)}`).to.equal(422);
      expect(res.text).to.include('The rule never produces a due date on or after the start (2031-01-02).');
    }
  });
});
