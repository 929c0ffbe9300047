// Copying Plan Items to other facilities (issue 4, point 5): each copy gets its own assignee and
// first due date, is audited as a copy, and generates its own events; a bad target refuses the
// whole copy (nothing is created); facilities outside the actor's scope are no target.
import { expect } from 'chai';
import { auditRows } from '../support/auth-helpers.ts';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { createUnit, grantScope } from '../support/hierarchy-factories.ts';
import { signedInAgent, submitForm, testApp } from '../support/http.ts';

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
  const westUser = await createUser(client, { name: 'Walt West', rank: 'associate' });
  await grantScope(westUser, west);
  const items: string[] = [];
  for (const [activity, rrule] of [['Stormwater inspection', 'FREQ=MONTHLY;BYMONTHDAY=-1'], ['Fire extinguisher check', 'FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=15']]) {
    const [row] = await ownerQuery<{ id: string }>(
      `INSERT INTO plan_items (client_id, facility_id, activity, assignee_id, schedule_kind, rrule, schedule_start, category, requirement, checklist)
       VALUES ($1, $2, $3, $4, 'calendar', $5, DATE '2031-01-01', 'Safety', 'checklist', '[{"key":"k1","label":"Done","type":"check","required":true}]') RETURNING id`,
      [client.id, source.id, activity, director.id, rrule],
    );
    items.push(row.id);
  }
  const agent = await signedInAgent(testApp(), director.email, director.password);
  return { client, source, east, west, outside, director, eastUser, westUser, items, agent };
}

const count = async () => (await ownerQuery<{ n: number }>('SELECT count(*)::int AS n FROM plan_items'))[0].n;

describe('Management plans: copying Plan Items', () => {
  it('copies the selected items to two facilities, each with its own assignee and first due date', async () => {
    const w = await world();
    const plan = await w.agent.get(`/units/${w.source.id}/plan`).expect(200);
    expect(plan.text).to.include('Copy selected to other');
    const page = await w.agent.get(`/units/${w.source.id}/plan/copy?items=${w.items[0]}&items=${w.items[1]}`).expect(200);
    expect(page.text).to.include('Plant East').and.to.include('Plant West').and.to.include('Eve East');
    expect(page.text, 'out-of-scope facilities are no target').not.to.include('Far Away Works');

    const res = await submitForm(w.agent, `/units/${w.source.id}/plan/copy?items=${w.items[0]}`, `/units/${w.source.id}/plan/copy`, {
      items: w.items as unknown as string,
      targets: [w.east.id, w.west.id] as unknown as string,
      [`assignee_${w.east.id}`]: w.eastUser.id, [`start_${w.east.id}`]: '2032-01-01',
      [`assignee_${w.west.id}`]: w.westUser.id, [`start_${w.west.id}`]: '2033-01-01',
    });
    expect(res.status, res.text.slice(0, 1500)).to.equal(303);
    const copies = await ownerQuery<{ facility_id: string; activity: string; assignee_id: string; schedule_start: string; rrule: string; category: string; checklist: unknown[]; created_by: string }>(
      'SELECT facility_id, activity, assignee_id, schedule_start::text, rrule, category, checklist, created_by FROM plan_items WHERE facility_id <> $1 ORDER BY schedule_start, activity',
      [w.source.id],
    );
    expect(copies.map((c) => [c.facility_id, c.activity, c.assignee_id, c.schedule_start])).to.deep.equal([
      [w.east.id, 'Fire extinguisher check', w.eastUser.id, '2032-01-01'],
      [w.east.id, 'Stormwater inspection', w.eastUser.id, '2032-01-01'],
      [w.west.id, 'Fire extinguisher check', w.westUser.id, '2033-01-01'],
      [w.west.id, 'Stormwater inspection', w.westUser.id, '2033-01-01'],
    ]);
    expect(copies[1]).to.include({ rrule: 'FREQ=MONTHLY;BYMONTHDAY=-1', category: 'Safety', created_by: w.director.id });
    expect(copies[1].checklist).to.deep.equal([{ key: 'k1', label: 'Done', type: 'check', required: true }]);
    const audited = await auditRows('plan_item.copy');
    expect(audited).to.have.length(4);
    expect(audited.map((a) => (a.changes as { copied_from: unknown[] }).copied_from[1]).sort()).to.deep.equal([...w.items, ...w.items].sort());
    // Each copy generated its own first event.
    const events = await ownerQuery<{ facility_id: string; due_date: string }>('SELECT facility_id, due_date::text FROM events WHERE facility_id = $1 ORDER BY due_date', [w.east.id]);
    expect(events.map((e) => e.due_date)).to.deep.equal(['2032-01-31', '2032-03-15']);
  });

  it('creates nothing when one target is wrong: an assignee outside it, a past date unconfirmed, an out-of-scope facility, a posted client_id', async () => {
    const w = await world();
    const base = {
      items: w.items as unknown as string,
      targets: [w.east.id, w.west.id] as unknown as string,
      [`assignee_${w.east.id}`]: w.eastUser.id, [`start_${w.east.id}`]: '2032-01-01',
      [`assignee_${w.west.id}`]: w.westUser.id, [`start_${w.west.id}`]: '2033-01-01',
    };
    const formPage = `/units/${w.source.id}/plan/copy?items=${w.items[0]}`;
    const action = `/units/${w.source.id}/plan/copy`;
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ ...base, [`assignee_${w.west.id}`]: w.eastUser.id }, /an active user whose scope covers Plant West/],
      [{ ...base, [`start_${w.west.id}`]: '2020-01-01' }, /is in the past/],
      [{ ...base, [`start_${w.west.id}`]: '2033-02-30' }, /as a date/],
      [{ ...base, targets: [w.east.id, w.outside.id] as unknown as string }, /Choose the facilities from the list/],
      [{ ...base, client_id: w.client.id }, /does not accept the field client_id/],
      [{ ...base, items: [w.items[0], '00000000-0000-4000-8000-000000000000'] as unknown as string }, /Choose Plan Items of Plant One/],
    ];
    for (const [fields, message] of cases) {
      const res = await submitForm(w.agent, formPage, action, fields);
      expect(res.status).to.equal(422);
      expect(res.text).to.match(message);
      expect(await count()).to.equal(2);
    }
    expect(await auditRows('plan_item.copy')).to.have.length(0);
  });
});
