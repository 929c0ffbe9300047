// A rule is checked under the item's own month-end policy (DESIGN.md §4): a rule whose only dates
// come from moving to the last day of the month has no date at all under "skip", so it is refused
// where it is entered (the form's preview and save, with the reason), and a stored one never
// breaks expansion or generation: it simply has no dates, and the self-check reports it.
import { expect } from 'chai';
import { calendarDates, checkRule, nextCalendarDates } from '../../services/plans/recurrence.ts';
import { findItemsWithoutFutureOccurrence, generateEvents } from '../../services/events/generation.ts';
import { testEnv } from '../support/env.ts';
import { createUser, ownerQuery } from '../support/factories.ts';
import { grantScope } from '../support/hierarchy-factories.ts';
import { signedInAgent, submitForm, testApp } from '../support/http.ts';
import { createItem, createSite, datesOf } from '../generation/generation-factories.ts';

// Every 12 months from February: always February, which has no 30th.
const FEBRUARY_30TH = 'FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=30;COUNT=5';
const START = '2027-02-01';
const skip = { kind: 'calendar' as const, rrule: FEBRUARY_30TH, start: START, monthEnd: 'skip' as const };

describe('recurrence: rules are validated under the item\'s own month-end policy', () => {
  it('"last day" accepts the rule (28 or 29 February each year); "skip" refuses it with the reason', () => {
    expect(checkRule(FEBRUARY_30TH, START, 'last-day')).to.deep.equal({ ok: true, rrule: FEBRUARY_30TH });
    expect(nextCalendarDates({ ...skip, monthEnd: 'last-day' }, 12, START)).to.deep.equal([
      '2027-02-28', '2028-02-29', '2029-02-28', '2030-02-28', '2031-02-28',
    ]);
    const refused = checkRule(FEBRUARY_30TH, START, 'skip');
    expect(refused.ok).to.equal(false);
    const [message] = (refused as { errors: string[] }).errors;
    expect(message).to.match(/^The rule never produces a due date on or after the start \(2027-02-01\)\./);
    expect(message).to.include('skip').and.to.include('Use the last day of the month');
  });

  it('expanding a stored "skip" rule of this kind gives no dates instead of throwing', () => {
    expect(nextCalendarDates(skip, 12, START)).to.deep.equal([]);
    expect(calendarDates(skip, { from: START, through: '2040-12-31' })).to.deep.equal([]);
  });

  it('the form refuses it with a 422 and the message, on preview and on save, and saves nothing', async () => {
    const site = await createSite({ clientZone: 'UTC' });
    const director = await createUser(site.client, { rank: 'director' });
    await grantScope(director, site.facility);
    const agent = await signedInAgent(testApp(), director.email, director.password);
    const fields = {
      intent: 'preview', activity: 'February count', assigneeId: director.id, scheduleStart: START, monthEndPolicy: 'skip',
      leadTimeDays: '30', requirement: 'none', scheduleMode: 'advanced', rrule: FEBRUARY_30TH,
    };
    const url = `/units/${site.facility.id}/plan/new`;
    const preview = await submitForm(agent, url, `/units/${site.facility.id}/plan`, fields);
    expect(preview.status, preview.text.slice(0, 500)).to.equal(422);
    expect(preview.text).to.include('The rule never produces a due date on or after the start (2027-02-01).');
    const save = await submitForm(agent, url, `/units/${site.facility.id}/plan`, { ...fields, intent: 'save' });
    expect(save.status, save.text.slice(0, 500)).to.equal(422);
    expect(save.text).to.include('The rule never produces a due date on or after the start (2027-02-01).');
    expect(await ownerQuery('SELECT 1 FROM plan_items WHERE facility_id = $1', [site.facility.id])).to.have.length(0);
    // The same rule under "use the last day" previews its five dates.
    const lastDay = await submitForm(agent, url, `/units/${site.facility.id}/plan`, { ...fields, monthEndPolicy: 'last-day' });
    expect(lastDay.status).to.equal(200);
    expect(lastDay.text).to.include('2027-02-28').and.to.include('2028-02-29');
  });

  it('generation does not throw for such a stored item: other items still get their events, and the self-check lists it', async () => {
    const site = await createSite();
    const stuck = await createItem(site, { rrule: FEBRUARY_30TH, start: START, monthEnd: 'skip' });
    const fine = await createItem(site, { rrule: 'FREQ=MONTHLY;BYMONTHDAY=1', start: '2027-01-01', leadTimeDays: 0 });
    const now = new Date('2027-01-15T12:00:00Z');
    await generateEvents(testEnv().db.sequelize, { now, clientIds: [site.client.id] });
    expect(await datesOf(stuck)).to.deep.equal([]);
    expect(await datesOf(fine)).to.deep.equal(['2027-01-01', '2027-02-01']);
    const found = await findItemsWithoutFutureOccurrence(testEnv().db.sequelize, now, { clientIds: [site.client.id] });
    expect(found.map((f) => f.planItemId)).to.deep.equal([stuck]);
  });
});
