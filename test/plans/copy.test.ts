// Copying Plan Items to other facilities: a two-step plain HTML form. Step 1
// (GET) chooses the items and the target facilities; step 2 shows one row per (item, facility)
// pair, and each copy gets its own assignee and first due date, is audited as a copy and generates
// its own events. Any bad row refuses the whole copy (nothing is created); facilities outside the
// actor's scope, other facilities' or clients' items and pairs outside the selection are refused.
import { expect } from 'chai';
import { auditRows } from '../support/auth-helpers.ts';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { createUnit, grantScope } from '../support/hierarchy-factories.ts';
import { signedInAgent, submitForm, testApp } from '../support/http.ts';

async function insertItem(clientId: string, facilityId: string, activity: string, assigneeId: string, rrule: string): Promise<string> {
  const [row] = await ownerQuery<{ id: string }>(
    `INSERT INTO plan_items (client_id, facility_id, activity, assignee_id, schedule_kind, rrule, schedule_start, category, requirement, checklist)
     VALUES ($1, $2, $3, $4, 'calendar', $5, DATE '2031-01-01', 'Safety', 'checklist', '[{"key":"k1","label":"Done","type":"check","required":true}]') RETURNING id`,
    [clientId, facilityId, activity, assigneeId, rrule],
  );
  return row.id;
}

async function world() {
  const client = await createClient({ name: 'Acme Water' });
  const region = await createUnit(client, { kind: 'region', name: 'North' });
  const source = await createUnit(client, { name: 'Plant One', parent: region });
  const east = await createUnit(client, { name: 'Plant East', parent: region });
  const west = await createUnit(client, { name: 'Plant West', parent: region });
  const outside = await createUnit(client, { name: 'Far Away Works' });
  const director = await createUser(client, { name: 'Dana Director', rank: 'director' });
  await grantScope(director, region);
  const eastUser = await createUser(client, { name: 'Eve East', rank: 'associate' });
  await grantScope(eastUser, east);
  const eastUser2 = await createUser(client, { name: 'Ed Easton', rank: 'associate' });
  await grantScope(eastUser2, east);
  const westUser = await createUser(client, { name: 'Walt West', rank: 'associate' });
  await grantScope(westUser, west);
  const westUser2 = await createUser(client, { name: 'Wendy Westwood', rank: 'associate' });
  await grantScope(westUser2, west);
  // items[0] = Fire extinguisher check, items[1] = Stormwater inspection (the form's order: by activity).
  const items = [
    await insertItem(client.id, source.id, 'Fire extinguisher check', director.id, 'FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=15'),
    await insertItem(client.id, source.id, 'Stormwater inspection', director.id, 'FREQ=MONTHLY;BYMONTHDAY=-1'),
  ];
  const eastItem = await insertItem(client.id, east.id, 'East-only item', director.id, 'FREQ=MONTHLY;BYMONTHDAY=1');
  const other = await createClient({ name: 'Other Water' });
  const otherFacility = await createUnit(other, { name: 'Other Plant' });
  const otherUser = await createUser(other, { name: 'Olga Other', rank: 'director' });
  const otherItem = await insertItem(other.id, otherFacility.id, 'Other client item', otherUser.id, 'FREQ=MONTHLY;BYMONTHDAY=1');
  const agent = await signedInAgent(testApp(), director.email, director.password);
  return { client, source, east, west, outside, director, eastUser, eastUser2, westUser, westUser2, items, eastItem, otherItem, otherFacility, agent };
}

type World = Awaited<ReturnType<typeof world>>;
const key = (item: string, facility: string) => `${item}_${facility}`;
const count = async () => (await ownerQuery<{ n: number }>('SELECT count(*)::int AS n FROM plan_items'))[0].n;
const step2 = (w: World) => `/units/${w.source.id}/plan/copy?step=pairs&items=${w.items[0]}&items=${w.items[1]}&targets=${w.east.id}&targets=${w.west.id}`;

/** A valid step-2 submission: four copies, four different assignees and first due dates. */
function goodFields(w: World): Record<string, string> {
  const [fire, storm] = w.items;
  return {
    items: w.items as unknown as string,
    targets: [w.east.id, w.west.id] as unknown as string,
    [`assignee_${key(storm, w.east.id)}`]: w.eastUser.id, [`start_${key(storm, w.east.id)}`]: '2032-01-01',
    [`assignee_${key(fire, w.east.id)}`]: w.eastUser2.id, [`start_${key(fire, w.east.id)}`]: '2032-04-01',
    [`assignee_${key(storm, w.west.id)}`]: w.westUser.id, [`start_${key(storm, w.west.id)}`]: '2033-06-10',
    [`assignee_${key(fire, w.west.id)}`]: w.westUser2.id, [`start_${key(fire, w.west.id)}`]: '2033-01-01',
  };
}

describe('Management plans: copying Plan Items', () => {
  it('copies two items to two facilities, each copy with its own assignee and first due date', async () => {
    const w = await world();
    const [fire, storm] = w.items;
    const plan = await w.agent.get(`/units/${w.source.id}/plan`).expect(200);
    expect(plan.text).to.include('Copy the selected items elsewhere');

    // Step 1: a GET form choosing items and facilities; out-of-scope facilities are no target.
    const choose = await w.agent.get(`/units/${w.source.id}/plan/copy?items=${fire}&items=${storm}`).expect(200);
    expect(choose.text).to.include('Step 1 of 2').and.to.include('Plant East').and.to.include('Plant West').and.to.include('name="step" value="pairs"');
    expect(choose.text, 'out-of-scope facilities are no target').not.to.include('Far Away Works');
    expect(choose.text).to.match(/<form method="get"/);

    // Step 2: one row per pair, the assignee choices of that facility, the next occurrence as default.
    const pairs = await w.agent.get(step2(w)).expect(200);
    for (const f of [w.east.id, w.west.id]) for (const i of w.items) expect(pairs.text).to.include(`name="assignee_${key(i, f)}"`).and.to.include(`name="start_${key(i, f)}"`);
    expect(pairs.text).to.include('Eve East').and.to.include('Wendy Westwood');
    expect(pairs.text).to.match(new RegExp(`name="start_${key(storm, w.east.id)}"[^>]*value="2031-01-31"`));
    expect(pairs.text).to.match(new RegExp(`name="start_${key(fire, w.west.id)}"[^>]*value="2031-03-15"`));

    const res = await submitForm(w.agent, step2(w), `/units/${w.source.id}/plan/copy`, goodFields(w));
    expect(res.status, res.text.slice(0, 3000)).to.equal(303);
    const copies = await ownerQuery<{ id: string; facility_id: string; activity: string; assignee_id: string; schedule_start: string; rrule: string; category: string; checklist: unknown[]; created_by: string }>(
      'SELECT id, facility_id, activity, assignee_id, schedule_start::text, rrule, category, checklist, created_by FROM plan_items WHERE facility_id IN ($1, $2) AND id <> $3 ORDER BY schedule_start',
      [w.east.id, w.west.id, w.eastItem],
    );
    expect(copies.map((c) => [c.facility_id, c.activity, c.assignee_id, c.schedule_start])).to.deep.equal([
      [w.east.id, 'Stormwater inspection', w.eastUser.id, '2032-01-01'],
      [w.east.id, 'Fire extinguisher check', w.eastUser2.id, '2032-04-01'],
      [w.west.id, 'Fire extinguisher check', w.westUser2.id, '2033-01-01'],
      [w.west.id, 'Stormwater inspection', w.westUser.id, '2033-06-10'],
    ]);
    expect(copies[0]).to.include({ rrule: 'FREQ=MONTHLY;BYMONTHDAY=-1', category: 'Safety', created_by: w.director.id });
    expect(copies[0].checklist).to.deep.equal([{ key: 'k1', label: 'Done', type: 'check', required: true }]);

    const audited = await auditRows('plan_item.copy');
    expect(audited).to.have.length(4);
    const copiedFrom = Object.fromEntries(audited.map((a) => [a.entity_id as string, (a.changes as { copied_from: unknown[] }).copied_from[1]]));
    expect(copies.map((c) => copiedFrom[c.id])).to.deep.equal([storm, fire, fire, storm]);

    // Each copy generated its own first event, from its own first due date, for its own assignee.
    const events = await ownerQuery<{ plan_item_id: string; due_date: string; assignee_id: string }>(
      'SELECT plan_item_id, min(due_date)::text AS due_date, min(assignee_id::text) AS assignee_id FROM events WHERE plan_item_id = ANY($1) GROUP BY plan_item_id',
      [copies.map((c) => c.id)],
    );
    const first = Object.fromEntries(events.map((e) => [e.plan_item_id, [e.due_date, e.assignee_id]]));
    expect(copies.map((c) => first[c.id])).to.deep.equal([
      ['2032-01-31', w.eastUser.id],
      ['2033-03-15', w.eastUser2.id],
      ['2033-03-15', w.westUser2.id],
      ['2033-06-30', w.westUser.id],
    ]);
  });

  it('refuses step 2 for a facility outside the scope or an item of another client', async () => {
    const w = await world();
    const outside = await w.agent.get(`/units/${w.source.id}/plan/copy?step=pairs&items=${w.items[0]}&targets=${w.outside.id}`).expect(422);
    expect(outside.text).to.include('Choose the facilities from the list').and.not.to.include('Far Away Works');
    const foreign = await w.agent.get(`/units/${w.source.id}/plan/copy?step=pairs&items=${w.otherItem}&targets=${w.east.id}`).expect(422);
    expect(foreign.text).to.include('Choose Plan Items of Plant One').and.not.to.include('Other client item');
  });

  it('creates nothing when any row is wrong, with a message against that row', async () => {
    const w = await world();
    const [fire, storm] = w.items;
    const base = goodFields(w);
    const westFire = key(fire, w.west.id);
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ['assignee outside the facility', { ...base, [`assignee_${westFire}`]: w.eastUser.id },
        /Fire extinguisher check at Plant West: Choose the assignee from the list: an active user whose scope covers Plant West/],
      ['missing assignee', { ...base, [`assignee_${westFire}`]: '' }, /Fire extinguisher check at Plant West: choose the assignee/],
      ['past date unconfirmed', { ...base, [`start_${westFire}`]: '2020-01-01' }, /Fire extinguisher check at Plant West: The first due date 2020-01-01 is in the past/],
      ['impossible date', { ...base, [`start_${westFire}`]: '2033-02-30' }, /Fire extinguisher check at Plant West: enter the first due date as a date/],
      ['out-of-scope facility', { ...base, targets: [w.east.id, w.outside.id] as unknown as string, [`assignee_${key(fire, w.outside.id)}`]: w.director.id, [`start_${key(fire, w.outside.id)}`]: '2033-01-01' },
        /Choose the facilities from the list/],
      ['another client\'s facility', { ...base, targets: [w.east.id, w.otherFacility.id] as unknown as string }, /Choose the facilities from the list/],
      ['posted client_id', { ...base, client_id: w.client.id }, /does not accept the field client_id/],
      ['a pair outside the step-1 selection', { ...base, targets: w.east.id, [`assignee_${key(storm, w.outside.id)}`]: w.director.id },
        new RegExp(`does not accept the fields? [^<]*assignee_${key(storm, w.outside.id)}`)],
      ['a malformed pair field', { ...base, [`assignee_${fire}_x`]: w.eastUser.id }, new RegExp(`does not accept the field assignee_${fire}_x`)],
      ['an unknown item', { ...base, items: [fire, '00000000-0000-4000-8000-000000000000'] as unknown as string }, /Choose Plan Items of Plant One/],
      ['another client\'s item', { ...base, items: [fire, w.otherItem] as unknown as string }, /Choose Plan Items of Plant One/],
      ['another facility\'s item', { ...base, items: [fire, w.eastItem] as unknown as string }, /Choose Plan Items of Plant One/],
    ];
    for (const [name, fields, message] of cases) {
      const res = await submitForm(w.agent, step2(w), `/units/${w.source.id}/plan/copy`, fields);
      expect(res.status, name).to.equal(422);
      expect(res.text, name).to.match(message);
      expect(res.text, name).to.include('Nothing was copied');
      expect(await count(), name).to.equal(4);
    }
    expect(await auditRows('plan_item.copy')).to.have.length(0);
    // The same form with the past date confirmed is accepted.
    const confirmed = await submitForm(w.agent, step2(w), `/units/${w.source.id}/plan/copy`, { ...base, [`start_${westFire}`]: '2020-01-01', [`confirm_${westFire}`]: '1' });
    expect(confirmed.status, confirmed.text.slice(0, 3000)).to.equal(303);
    expect(await count()).to.equal(8);
  });
});
