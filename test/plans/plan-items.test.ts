// Management Plans: Plan Items through the real forms — create
// from a preset with the 12-date preview, edit (audited before/after), deactivate / hide (both
// reversible), delete only without events, the plan and open-events tables (facility and
// roll-up), every kind of bad input (422, nothing saved) and isolation (404 / 403).
import { expect } from 'chai';
import { auditRows } from '../support/auth-helpers.ts';
import { type ClientRow, createClient, createUser, ownerQuery, type UserRow } from '../support/factories.ts';
import { createUnit, grantScope, type UnitRow } from '../support/hierarchy-factories.ts';
import { type Agent, signedInAgent, submitForm, testApp } from '../support/http.ts';

interface World {
  client: ClientRow;
  region: UnitRow;
  facility: UnitRow;
  sibling: UnitRow;
  director: UserRow;
  manager: UserRow;
  associate: UserRow;
  siblingManager: UserRow;
  as: (user: UserRow) => Promise<Agent>;
}

async function world(): Promise<World> {
  const client = await createClient({ name: 'Acme Water', timeZone: 'America/Chicago' });
  const region = await createUnit(client, { kind: 'region', name: 'North' });
  const division = await createUnit(client, { kind: 'division', name: 'Lakes', parent: region });
  const facility = await createUnit(client, { kind: 'facility', name: 'Plant One', parent: division, timeZone: 'Europe/Berlin' });
  const sibling = await createUnit(client, { kind: 'facility', name: 'Plant Two', parent: division });
  const director = await createUser(client, { name: 'Dana Director', rank: 'director' });
  await grantScope(director, region);
  const manager = await createUser(client, { name: 'Mona Manager', rank: 'manager' });
  await grantScope(manager, facility);
  const associate = await createUser(client, { name: 'Andy Associate', rank: 'associate' });
  await grantScope(associate, facility);
  const siblingManager = await createUser(client, { name: 'Sam Sibling', rank: 'manager' });
  await grantScope(siblingManager, sibling);
  const app = testApp();
  return { client, region, facility, sibling, director, manager, associate, siblingManager, as: (u) => signedInAgent(app, u.email, u.password) };
}

const STORMWATER = 'Monthly stormwater inspection — last day of month';

/** A complete, valid add form: monthly on the last day from 1 January 2032. */
const validForm = (assigneeId: string, extra: Record<string, string> = {}): Record<string, string> => ({
  intent: 'save',
  activity: STORMWATER,
  assigneeId,
  scheduleMode: 'monthly-last-day',
  scheduleStart: '2032-01-01',
  monthEndPolicy: 'last-day',
  leadTimeDays: '30',
  requirement: 'none',
  ...extra,
});

interface ItemRow {
  id: string;
  facility_id: string;
  activity: string;
  assignee_id: string;
  rrule: string | null;
  schedule_start: string;
  lead_time_days: number;
  schedules_events: boolean;
  hidden: boolean;
  created_by: string | null;
  updated_by: string | null;
  checklist: unknown[];
  requirement: string;
}

/** The plan table of a page (flash messages may name the item too). */
const planTable = (html: string): string => /<table[^>]*id="plan-table"[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';

const items = () => ownerQuery<ItemRow>('SELECT *, schedule_start::text AS schedule_start FROM plan_items ORDER BY created_at, id');

/** Everything a refused submission must leave alone. */
async function fingerprint(): Promise<string> {
  const [row] = await ownerQuery<{ digest: string }>(
    `SELECT concat_ws('|',
       (SELECT md5(coalesce(string_agg(p::text, ',' ORDER BY p.id), '')) FROM plan_items p),
       (SELECT count(*) FROM events),
       (SELECT count(*) FROM audit_log WHERE action LIKE 'plan_item.%')) AS digest`,
  );
  return row.digest;
}

async function createThroughForm(w: World, agent: Agent, extra: Record<string, string> = {}): Promise<ItemRow> {
  const res = await submitForm(agent, `/units/${w.facility.id}/plan/new`, `/units/${w.facility.id}/plan`, validForm(w.associate.id, extra));
  expect(res.status, res.text.slice(0, 2000)).to.equal(303);
  return (await items()).at(-1)!;
}

describe('Management plans: Plan Items', () => {
  it('creates the monthly stormwater inspection from a preset, previews its 12 dates and lists it in plain words', async () => {
    const w = await world();
    const agent = await w.as(w.director);
    const formPage = await agent.get(`/units/${w.facility.id}/plan/new`).expect(200);
    expect(formPage.text).to.include('Andy Associate').and.to.include('Mona Manager');
    expect(formPage.text, 'a user outside the facility is no choice').not.to.include('Sam Sibling');
    // The preview refreshes by script when there is script (an external file: the CSP allows no inline script).
    expect(formPage.text).to.include('<script src="/js/plan-form.js" defer></script>').and.to.include('data-plan-form');
    await agent.get('/js/plan-form.js').expect(200).expect('Content-Type', /javascript/);

    // Preview (the no-script path): the same form, intent=preview; nothing is saved.
    const preview = await submitForm(agent, `/units/${w.facility.id}/plan/new`, `/units/${w.facility.id}/plan`, validForm(w.associate.id, { intent: 'preview' }));
    expect(preview.status).to.equal(200);
    expect(preview.text).to.include('Preview: Monthly on the last day');
    const shown = [...preview.text.matchAll(/<time datetime="(\d{4}-\d{2}-\d{2})">([^<]+)<\/time>/g)].map((m) => [m[1], m[2]]);
    // Shown as every date on every page is (lib/display-dates.ts): ISO 8601.
    expect(shown).to.deep.equal([
      ['2032-01-31', '2032-01-31'], ['2032-02-29', '2032-02-29'], ['2032-03-31', '2032-03-31'],
      ['2032-04-30', '2032-04-30'], ['2032-05-31', '2032-05-31'], ['2032-06-30', '2032-06-30'],
      ['2032-07-31', '2032-07-31'], ['2032-08-31', '2032-08-31'], ['2032-09-30', '2032-09-30'],
      ['2032-10-31', '2032-10-31'], ['2032-11-30', '2032-11-30'], ['2032-12-31', '2032-12-31'],
    ]);
    expect(preview.text, 'the form keeps what was typed').to.include(`value="${STORMWATER}"`);
    expect(await items()).to.have.length(0);

    const item = await createThroughForm(w, agent);
    expect(item).to.include({ facility_id: w.facility.id, activity: STORMWATER, assignee_id: w.associate.id, rrule: 'FREQ=MONTHLY;BYMONTHDAY=-1',
      schedule_start: '2032-01-01', lead_time_days: 30, schedules_events: true, hidden: false, created_by: w.director.id, updated_by: w.director.id });
    const [created] = await auditRows('plan_item.create');
    expect(created).to.include({ client_id: w.client.id, actor_user_id: w.director.id, entity_type: 'plan_item', entity_id: item.id });
    expect(created.changes).to.deep.include({ activity: [null, STORMWATER], rrule: [null, 'FREQ=MONTHLY;BYMONTHDAY=-1'], assignee_id: [null, w.associate.id] });

    const facilityPage = await agent.get(`/units/${w.facility.id}`).expect(200);
    expect(facilityPage.text).to.include(`href="/units/${w.facility.id}/plan"`).and.to.include(`href="/units/${w.facility.id}/events"`);
    const table = await agent.get(`/units/${w.facility.id}/plan`).expect(200);
    expect(table.text).to.include(STORMWATER).and.to.include('Monthly on the last day').and.to.include('Andy Associate');

    // Saving generated the next event (always at least the next one), shown in the open events table.
    const events = await agent.get(`/units/${w.facility.id}/events`).expect(200);
    expect(events.text).to.include('2032-01-31').and.to.include(STORMWATER);
    expect(events.text).not.to.include('class="overdue"');
  });

  it('edits an item, audited with before/after values; a Manager may edit but not reassign', async () => {
    const w = await world();
    const item = await createThroughForm(w, await w.as(w.director));
    const agent = await w.as(w.manager);
    const edit = await agent.get(`/plan-items/${item.id}/edit`).expect(200);
    expect(edit.text).to.include('FREQ=MONTHLY;BYMONTHDAY=-1');
    expect(edit.text).to.include('Now: <strong>Monthly on the last day</strong>');
    const res = await submitForm(agent, `/plan-items/${item.id}/edit`, `/plan-items/${item.id}`, {
      ...validForm(w.associate.id), activity: 'Stormwater inspection', scheduleMode: 'advanced', rrule: 'FREQ=MONTHLY;BYMONTHDAY=15', leadTimeDays: '14',
      category: 'Water', requirement: 'checklist', item1Label: 'Outfall clear', item1Type: 'yes_no_na', item1Required: '1',
    });
    expect(res.status).to.equal(303);
    const [after] = await items();
    expect(after).to.include({ activity: 'Stormwater inspection', rrule: 'FREQ=MONTHLY;BYMONTHDAY=15', lead_time_days: 14, updated_by: w.manager.id, created_by: w.director.id, requirement: 'checklist' });
    expect(after.checklist).to.have.length(1).and.to.deep.include({ key: (after.checklist[0] as { key: string }).key, label: 'Outfall clear', type: 'yes_no_na', required: true });
    const [update] = await auditRows('plan_item.update');
    expect(update).to.include({ actor_user_id: w.manager.id, entity_id: item.id });
    expect(update.changes).to.deep.include({
      activity: [STORMWATER, 'Stormwater inspection'],
      rrule: ['FREQ=MONTHLY;BYMONTHDAY=-1', 'FREQ=MONTHLY;BYMONTHDAY=15'],
      lead_time_days: [30, 14],
      category: [null, 'Water'],
      requirement: ['none', 'checklist'],
    });
    // The event generated before the edit keeps its date.
    const events = await ownerQuery<{ scheduled_date: string }>('SELECT scheduled_date::text FROM events ORDER BY scheduled_date');
    expect(events[0].scheduled_date).to.equal('2032-01-31');

    const before = await fingerprint();
    const reassign = await submitForm(agent, `/plan-items/${item.id}/edit`, `/plan-items/${item.id}`, { ...validForm(w.manager.id), activity: 'Stormwater inspection' });
    expect(reassign.status).to.equal(422);
    expect(reassign.text).to.include('Only Directors and above may change the assignee.');
    expect(await fingerprint()).to.equal(before);
  });

  describe('bad input: 422 with a message on the field, nothing saved', () => {
    let w: World;
    let agent: Agent;
    let other: UserRow;
    beforeEach(async () => {
      w = await world();
      agent = await w.as(w.director);
      other = await createUser(await createClient({ name: 'Other Co' }), { name: 'Olga Other', rank: 'administrator' });
    });

    const cases: Array<[string, (w: World, other: UserRow) => Record<string, string>, RegExp]> = [
      ['BYMONTHDAY=32', (w) => validForm(w.associate.id, { scheduleMode: 'advanced', rrule: 'FREQ=MONTHLY;BYMONTHDAY=32' }), /BYMONTHDAY/],
      ['INTERVAL=0', (w) => validForm(w.associate.id, { scheduleMode: 'advanced', rrule: 'FREQ=DAILY;INTERVAL=0' }), /INTERVAL/],
      ['UNTIL before the start', (w) => validForm(w.associate.id, { scheduleMode: 'advanced', rrule: 'FREQ=DAILY;UNTIL=20311231' }), /UNTIL/],
      ['an unknown rule part', (w) => validForm(w.associate.id, { scheduleMode: 'advanced', rrule: 'FREQ=DAILY;BYHOUR=3' }), /BYHOUR/],
      ['monthly on day 32 (preset)', (w) => validForm(w.associate.id, { scheduleMode: 'monthly-on-day', day: '32' }), /Day must be a whole number from 1 to 31/],
      ['every 2 weeks on no weekday', (w) => validForm(w.associate.id, { scheduleMode: 'every-n-weeks', every: '2' }), /Choose at least one weekday/],
      ['an unknown preset', (w) => validForm(w.associate.id, { scheduleMode: 'fortnightly-ish' }), /Choose how often this is due/],
      ['an impossible date', (w) => validForm(w.associate.id, { scheduleStart: '2032-02-30' }), /Enter the first due date as a date/],
      ['an assignee outside the facility\'s scope', (w) => validForm(w.siblingManager.id), /an active user whose scope covers Plant One/],
      ['an assignee of another client', (_w, other) => validForm(other.id), /an active user whose scope covers Plant One/],
      ['a first due date in the past, unconfirmed', (w) => validForm(w.associate.id, { scheduleStart: '2020-01-01' }), /is in the past/],
      ['a checklist requirement with no items', (w) => validForm(w.associate.id, { requirement: 'checklist' }), /at least one checklist item/],
      ['both requirement with no items', (w) => validForm(w.associate.id, { requirement: 'both' }), /at least one checklist item/],
      ['a posted client_id', (w, other) => ({ ...validForm(w.associate.id), client_id: other.client_id }), /does not accept the field client_id/],
      ['a posted facility_id', (w) => ({ ...validForm(w.associate.id), facility_id: w.sibling.id }), /does not accept the field facility_id/],
      ['a posted next_due_date', (w) => ({ ...validForm(w.associate.id), next_due_date: '2031-01-01' }), /does not accept the field next_due_date/],
      ['a posted created_by', (w) => ({ ...validForm(w.associate.id), created_by: w.manager.id }), /does not accept the field created_by/],
      ['an over-long activity', (w) => validForm(w.associate.id, { activity: 'x'.repeat(201) }), /Activity must be at most 200 characters/],
      ['an over-long description', (w) => validForm(w.associate.id, { description: 'x'.repeat(10001) }), /Description must be at most 10000 characters/],
      ['an over-long checklist label', (w) => validForm(w.associate.id, { requirement: 'checklist', item1Label: 'x'.repeat(201) }), /Checklist item 1 must be at most 200/],
      ['a missing activity', (w) => validForm(w.associate.id, { activity: '  ' }), /Activity is required/],
      ['a NUL character in the activity', (w) => validForm(w.associate.id, { activity: 'Tank\u0000check' }), /cannot contain a NUL character/],
      ['a NUL character in a checklist label', (w) => validForm(w.associate.id, { requirement: 'checklist', item1Label: 'Done\u0000' }), /cannot contain a NUL character/],
      ['a first due date in year 9999', (w) => validForm(w.associate.id, { scheduleStart: '9999-12-01', confirmPastStart: '1' }), /must lie between 2000-01-01 and 2199-12-31/],
      ['a lead time of 400 days', (w) => validForm(w.associate.id, { leadTimeDays: '400' }), /Lead time must be a whole number from 0 to 366/],
    ];
    for (const [name, fields, message] of cases) {
      it(`refuses ${name}`, async () => {
        const before = await fingerprint();
        const res = await submitForm(agent, `/units/${w.facility.id}/plan/new`, `/units/${w.facility.id}/plan`, fields(w, other));
        expect(res.status, res.text.slice(0, 500)).to.equal(422);
        expect(res.text).to.match(message);
        expect(res.text).to.match(/field-error|flash-error/);
        expect(await fingerprint()).to.equal(before);
      });
    }

    it('refuses repeated single-value fields instead of failing', async () => {
      const before = await fingerprint();
      const res = await submitForm(agent, `/units/${w.facility.id}/plan/new`, `/units/${w.facility.id}/plan`, { ...validForm(w.associate.id), activity: ['a', 'b'] as unknown as string });
      expect(res.status).to.equal(422);
      expect(await fingerprint()).to.equal(before);
    });

    it('previews odd but valid schedules without failing: every 1000 years after completion, a rule that has ended', async () => {
      let res = await submitForm(agent, `/units/${w.facility.id}/plan/new`, `/units/${w.facility.id}/plan`,
        validForm(w.associate.id, { intent: 'preview', scheduleMode: 'relative', relativeEvery: '1000', relativeUnit: 'year', scheduleStart: '2199-12-31' }));
      expect(res.status).to.equal(200);
      expect(res.text).to.include('Every 1000 years after completion').and.to.include('2199-12-31').and.to.include('8199-12-31');
      res = await submitForm(agent, `/units/${w.facility.id}/plan/new`, `/units/${w.facility.id}/plan`,
        validForm(w.associate.id, { intent: 'preview', scheduleMode: 'advanced', rrule: 'FREQ=WEEKLY;BYDAY=TU,TH;INTERVAL=2;COUNT=3', scheduleStart: '2032-01-01' }));
      expect(res.status).to.equal(200);
      const shown = [...res.text.matchAll(/<time datetime="(\d{4}-\d{2}-\d{2})">/g)].map((m) => m[1]);
      expect(shown).to.deep.equal(['2032-01-01', '2032-01-13', '2032-01-15']);
      res = await submitForm(agent, `/units/${w.facility.id}/plan/new`, `/units/${w.facility.id}/plan`,
        validForm(w.associate.id, { intent: 'preview', scheduleMode: 'advanced', rrule: 'FREQ=MONTHLY;BYMONTHDAY=32' }));
      expect(res.status).to.equal(422);
      expect(await items()).to.have.length(0);
    });

    it('accepts a past first due date once confirmed, and shows its events as overdue', async () => {
      const item = await createThroughForm(w, agent, { scheduleStart: '2020-01-01', scheduleMode: 'one-time', confirmPastStart: '1' });
      expect(item.schedule_start).to.equal('2020-01-01');
      const page = await agent.get(`/units/${w.facility.id}/events`).expect(200);
      expect(page.text).to.match(/<tr class="overdue">\s*<td>2020-01-01<\/td>/);
    });

    it('answers 404 for another client\'s item and for a malformed id', async () => {
      const otherFacility = await createUnit({ id: other.client_id }, { name: 'Elsewhere' });
      const [foreign] = await ownerQuery<{ id: string }>(
        `INSERT INTO plan_items (client_id, facility_id, activity, assignee_id, schedule_kind, rrule, schedule_start)
         VALUES ($1, $2, 'Foreign item', $3, 'calendar', 'FREQ=DAILY', DATE '2032-01-01') RETURNING id`,
        [other.client_id, otherFacility.id, other.id],
      );
      await agent.get(`/plan-items/${foreign.id}/edit`).expect(404);
      await agent.get('/plan-items/not-a-uuid/edit').expect(404);
      const before = await fingerprint();
      const res = await submitForm(agent, `/units/${w.facility.id}/plan/new`, `/plan-items/${foreign.id}`, validForm(w.associate.id, { activity: 'Taken over' }));
      expect(res.status).to.equal(404);
      expect(await fingerprint()).to.equal(before);
    });
  });

  it('deactivates and reactivates, hides and unhides (both reversible, audited); deletes only an item without events', async () => {
    const w = await world();
    const director = await w.as(w.director);
    const item = await createThroughForm(w, director);
    const manager = await w.as(w.manager);
    const edit = `/plan-items/${item.id}/edit`;

    let res = await submitForm(manager, edit, `/plan-items/${item.id}/deactivate`, {});
    expect(res.status).to.equal(303);
    expect((await items())[0].schedules_events).to.equal(false);
    let table = await manager.get(`/units/${w.facility.id}/plan`).expect(200);
    expect(table.text).to.include('Does not schedule events');
    expect(planTable((await manager.get(`/units/${w.facility.id}/plan?status=active`)).text)).not.to.include(STORMWATER);
    res = await submitForm(manager, edit, `/plan-items/${item.id}/reactivate`, {});
    expect(res.status).to.equal(303);
    expect((await items())[0].schedules_events).to.equal(true);

    res = await submitForm(manager, edit, `/plan-items/${item.id}/hide`, {});
    expect(res.status).to.equal(303);
    table = await manager.get(`/units/${w.facility.id}/plan`).expect(200);
    expect(table.text).to.include('was hidden from the plan table');
    expect(planTable(table.text)).not.to.include(STORMWATER);
    table = await manager.get(`/units/${w.facility.id}/plan?hidden=1`).expect(200);
    expect(planTable(table.text)).to.include(STORMWATER).and.to.include('>hidden<');
    res = await submitForm(manager, edit, `/plan-items/${item.id}/unhide`, {});
    expect(res.status).to.equal(303);
    expect(planTable((await manager.get(`/units/${w.facility.id}/plan`)).text)).to.include(STORMWATER);

    expect((await auditRows('plan_item.deactivate'))[0].changes).to.deep.equal({ schedules_events: [true, false] });
    // Resuming records the day generation resumes from (today in the facility), so the paused
    // weeks never come back as overdue events.
    const [{ generate_from: resumedFrom }] = await ownerQuery<{ generate_from: string }>('SELECT generate_from::text FROM plan_items WHERE id = $1', [item.id]);
    expect(resumedFrom).to.match(/^\d{4}-\d{2}-\d{2}$/);
    expect((await auditRows('plan_item.reactivate'))[0].changes).to.deep.equal({ schedules_events: [false, true], generate_from: [null, resumedFrom] });
    expect((await auditRows('plan_item.hide'))[0].changes).to.deep.equal({ hidden: [false, true] });
    expect((await auditRows('plan_item.unhide'))[0].changes).to.deep.equal({ hidden: [true, false], generate_from: [resumedFrom, resumedFrom] });

    // It generated an event, so it cannot be deleted (not even by a Director); the page says why.
    expect((await director.get(edit)).text).to.include('cannot be deleted');
    let before = await fingerprint();
    res = await submitForm(director, edit, `/plan-items/${item.id}/delete`, { confirm: 'yes' });
    expect(res.status).to.equal(422);
    expect(res.text).to.include('cannot be deleted');
    expect(await fingerprint()).to.equal(before);

    // A Manager may not delete at all.
    const [bare] = await ownerQuery<{ id: string }>(
      `INSERT INTO plan_items (client_id, facility_id, activity, assignee_id, schedule_kind, rrule, schedule_start)
       VALUES ($1, $2, 'Never generated', $3, 'calendar', 'FREQ=DAILY', DATE '2032-01-01') RETURNING id`,
      [w.client.id, w.facility.id, w.associate.id],
    );
    before = await fingerprint();
    res = await submitForm(manager, `/plan-items/${bare.id}/edit`, `/plan-items/${bare.id}/delete`, { confirm: 'yes' });
    expect(res.status).to.equal(403);
    expect(await fingerprint()).to.equal(before);
    res = await submitForm(director, `/plan-items/${bare.id}/edit`, `/plan-items/${bare.id}/delete`, { confirm: 'yes' });
    expect(res.status).to.equal(303);
    expect(await ownerQuery('SELECT 1 FROM plan_items WHERE id = $1', [bare.id])).to.have.length(0);
    const [deleted] = await auditRows('plan_item.delete');
    expect(deleted).to.include({ entity_id: bare.id, actor_user_id: w.director.id });
    expect(deleted.changes).to.deep.include({ activity: ['Never generated', null] });
  });

  it('lists open events by due date with overdue ones highlighted, at facility and roll-up level', async () => {
    const w = await world();
    const [item] = await ownerQuery<{ id: string }>(
      `INSERT INTO plan_items (client_id, facility_id, activity, assignee_id, schedule_kind, rrule, schedule_start)
       VALUES ($1, $2, 'Tank check', $3, 'calendar', 'FREQ=DAILY', DATE '2020-01-01') RETURNING id`,
      [w.client.id, w.facility.id, w.associate.id],
    );
    for (const [date, status] of [['2099-03-01', 'open'], ['2020-01-31', 'open'], ['2020-02-01', 'cancelled']]) {
      await ownerQuery(
        `INSERT INTO events (client_id, plan_item_id, facility_id, activity, scheduled_date, due_date, assignee_id, status, cancel_reason)
         VALUES ($1, $2, $3, 'Tank check', $4, $4, $5, $6, $7)`,
        [w.client.id, item.id, w.facility.id, date, w.associate.id, status, status === 'cancelled' ? 'Plant shut' : null],
      );
    }
    const agent = await w.as(w.associate);
    const page = await agent.get(`/units/${w.facility.id}/events`).expect(200);
    const rows = [...page.text.matchAll(/<tr class="(overdue|)">\s*<td>(\d{4}-\d{2}-\d{2})<\/td>/g)].map((m) => [m[2], m[1]]);
    expect(rows).to.deep.equal([['2020-01-31', 'overdue'], ['2099-03-01', '']]);
    expect(page.text).to.include('Andy Associate');

    const rollup = await (await w.as(w.director)).get(`/units/${w.region.id}/events`).expect(200);
    expect(rollup.text).to.include('Plant One').and.to.include('2099-03-01');
    const plan = await (await w.as(w.director)).get(`/units/${w.region.id}/plan`).expect(200);
    expect(plan.text).to.include('Tank check').and.to.include('Plant One').and.to.include('Daily');
    expect(plan.text, 'no adding at roll-up level').not.to.include('Add a Plan Item');
  });

  it('keeps items to their scope: another client 404, an out-of-scope Manager 404, an Associate 403 on create and edit', async () => {
    const w = await world();
    const item = await createThroughForm(w, await w.as(w.director));
    const before = await fingerprint();

    const foreignAdmin = await createUser(await createClient({ name: 'Other Co' }), { rank: 'administrator' });
    const foreign = await w.as(foreignAdmin);
    const siblingManager = await w.as(w.siblingManager);
    for (const [agent, deleteStatus] of [[foreign, 404], [siblingManager, 403]] as Array<[Agent, number]>) {
      await agent.get(`/units/${w.facility.id}/plan`).expect(404);
      await agent.get(`/units/${w.facility.id}/events`).expect(404);
      await agent.get(`/plan-items/${item.id}/edit`).expect(404);
      const res = await submitForm(agent, '/account/password', `/plan-items/${item.id}`, validForm(w.associate.id, { activity: 'Taken over' }));
      expect(res.status).to.equal(404);
      for (const action of ['deactivate', 'reactivate', 'hide', 'unhide']) {
        expect((await submitForm(agent, '/account/password', `/plan-items/${item.id}/${action}`, {})).status).to.equal(404);
      }
      // A Manager may not delete anywhere (403 before the row is looked up); the foreign client's item is invisible.
      expect((await submitForm(agent, '/account/password', `/plan-items/${item.id}/delete`, {})).status).to.equal(deleteStatus);
    }
    // Plant Two's Manager sees its own (empty) plan, never Plant One's item, even at roll-up level.
    const own = await siblingManager.get(`/units/${w.sibling.id}/plan`).expect(200);
    expect(own.text).not.to.include(STORMWATER);

    const associate = await w.as(w.associate);
    expect((await associate.get(`/units/${w.facility.id}/plan`).expect(200)).text).to.include(STORMWATER);
    await associate.get(`/units/${w.facility.id}/plan/new`).expect(403);
    await associate.get(`/plan-items/${item.id}/edit`).expect(403);
    expect((await submitForm(associate, '/account/password', `/units/${w.facility.id}/plan`, validForm(w.associate.id))).status).to.equal(403);
    expect((await submitForm(associate, '/account/password', `/plan-items/${item.id}`, validForm(w.associate.id, { activity: 'Mine now' }))).status).to.equal(403);
    expect((await submitForm(associate, '/account/password', `/plan-items/${item.id}/hide`, {})).status).to.equal(403);
    // A Manager edits but does not create.
    await (await w.as(w.manager)).get(`/units/${w.facility.id}/plan/new`).expect(403);
    expect(await fingerprint()).to.equal(before);
  });
});

describe('Management plans: a facility with Plan Items', () => {
  it('cannot be deleted while it has Plan Items; the page says so and offers deactivation', async () => {
    const client = await createClient();
    const admin = await createUser(client, { rank: 'administrator' });
    const facility = await createUnit(client, { name: 'Plant One' });
    await ownerQuery(
      `INSERT INTO plan_items (client_id, facility_id, activity, assignee_id, schedule_kind, rrule, schedule_start, hidden)
       VALUES ($1, $2, 'Hidden item', $3, 'calendar', 'FREQ=DAILY', DATE '2032-01-01', true)`,
      [client.id, facility.id, admin.id],
    );
    const agent = await signedInAgent(testApp(), admin.email, admin.password);
    const res = await submitForm(agent, `/units/${facility.id}`, `/units/${facility.id}/delete`, { confirm: 'yes' });
    expect(res.status).to.equal(409);
    expect(res.text).to.include('Its Management Plan has 1 Plan Item').and.to.include('Deactivate instead');
    expect(await ownerQuery('SELECT 1 FROM org_units WHERE id = $1', [facility.id])).to.have.length(1);
  });
});
