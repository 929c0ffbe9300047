// Reassigning a Plan Item: the edit form offers to move the item's open events to
// the new assignee too, ticked by default. Ticked, the open events move in the same unit of work,
// audited once; unticked, they stay. Closed and cancelled events never move.
import { expect } from 'chai';
import { auditRows } from '../support/auth-helpers.ts';
import { type ClientRow, createClient, createUser, ownerQuery, type UserRow } from '../support/factories.ts';
import { createUnit, grantScope, type UnitRow } from '../support/hierarchy-factories.ts';
import { type Agent, signedInAgent, submitForm, testApp } from '../support/http.ts';

interface World {
  client: ClientRow;
  facility: UnitRow;
  director: UserRow;
  first: UserRow;
  second: UserRow;
  agent: Agent;
}

async function world(): Promise<World> {
  const client = await createClient({ name: 'Reassign Co', timeZone: 'America/Chicago' });
  const region = await createUnit(client, { kind: 'region', name: 'South' });
  const facility = await createUnit(client, { kind: 'facility', name: 'Plant Three', parent: region });
  const director = await createUser(client, { name: 'Dee Director', rank: 'director' });
  await grantScope(director, region);
  const first = await createUser(client, { name: 'Fay First', rank: 'manager' });
  await grantScope(first, facility);
  const second = await createUser(client, { name: 'Sid Second', rank: 'manager' });
  await grantScope(second, facility);
  return { client, facility, director, first, second, agent: await signedInAgent(testApp(), director.email, director.password) };
}

/** The item's form: monthly on the last day since January 2025, so it has overdue open events. */
const form = (assigneeId: string, extra: Record<string, string> = {}): Record<string, string> => ({
  intent: 'save', activity: 'Monthly stormwater inspection', assigneeId, scheduleMode: 'monthly-last-day',
  scheduleStart: '2025-01-01', monthEndPolicy: 'last-day', leadTimeDays: '30', requirement: 'none', ...extra,
});

interface EventRow {
  id: string;
  status: string;
  assignee_id: string;
  updated_at: Date;
}

const eventsOf = (itemId: string) => ownerQuery<EventRow>('SELECT id, status, assignee_id, updated_at FROM events WHERE plan_item_id = $1 ORDER BY scheduled_date', [itemId]);

/** An item assigned to `first` with open events, one closed and one cancelled event. */
async function itemWithEvents(w: World): Promise<{ id: string; open: EventRow[]; done: EventRow[] }> {
  const res = await submitForm(w.agent, `/units/${w.facility.id}/plan/new`, `/units/${w.facility.id}/plan`, form(w.first.id, { confirmPastStart: '1' }));
  expect(res.status, res.text.slice(0, 1500)).to.equal(303);
  const [{ id }] = await ownerQuery<{ id: string }>('SELECT id FROM plan_items WHERE facility_id = $1', [w.facility.id]);
  const [closed, cancelled] = await eventsOf(id);
  await ownerQuery(`UPDATE events SET status = 'closed', completed_on = scheduled_date, closed_by = $2, closed_at = now() WHERE id = $1`, [closed.id, w.first.id]);
  await ownerQuery(`UPDATE events SET status = 'cancelled', cancel_reason = 'Plant shut down that month' WHERE id = $1`, [cancelled.id]);
  const events = await eventsOf(id);
  const open = events.filter((e) => e.status === 'open');
  expect(open.length, 'the item has open events').to.be.greaterThan(2);
  return { id, open, done: events.filter((e) => e.status !== 'open') };
}

const movedAudits = async (itemId: string) => (await auditRows('events.reassigned')).filter((r) => r.entity_id === itemId);

describe('Management plans: moving open events with a new assignee', () => {
  it('offers the move on the edit form, ticked by default, naming the number of open events', async () => {
    const w = await world();
    const item = await itemWithEvents(w);
    const page = await w.agent.get(`/plan-items/${item.id}/edit`).expect(200);
    expect(page.text).to.include(`Also move its ${item.open.length} open events to the new assignee`);
    expect(page.text).to.match(/<input type="checkbox" name="moveOpenEvents" value="1"[^>]*checked/);
    expect(page.text).to.include('Applies only if you change the assignee');
  });

  it('ticked: moves every open event (never a closed or cancelled one) and audits the move once', async () => {
    const w = await world();
    const item = await itemWithEvents(w);
    const res = await submitForm(w.agent, `/plan-items/${item.id}/edit`, `/plan-items/${item.id}`, form(w.second.id, { moveOpenEvents: '1' }));
    expect(res.status, res.text.slice(0, 1500)).to.equal(303);

    const after = await eventsOf(item.id);
    for (const e of after) {
      const before = [...item.open, ...item.done].find((b) => b.id === e.id)!;
      if (e.status === 'open') {
        expect(e.assignee_id, 'an open event moves').to.equal(w.second.id);
        expect(e.updated_at.getTime()).to.be.greaterThan(before.updated_at.getTime());
      } else expect(e.assignee_id, `a ${e.status} event keeps its assignee`).to.equal(w.first.id);
    }
    const [{ assignee_id }] = await ownerQuery<{ assignee_id: string }>('SELECT assignee_id FROM plan_items WHERE id = $1', [item.id]);
    expect(assignee_id).to.equal(w.second.id);

    const audits = await movedAudits(item.id);
    expect(audits).to.have.length(1);
    expect(audits[0]).to.include({ actor_user_id: w.director.id, entity_type: 'plan_item', client_id: w.client.id });
    expect(audits[0].changes).to.deep.equal({
      from: w.first.id, to: w.second.id, events: item.open.length, eventIds: item.open.map((e) => e.id).sort(),
    });
  });

  it('unticked: the open events keep their assignee; only the item is reassigned', async () => {
    const w = await world();
    const item = await itemWithEvents(w);
    const res = await submitForm(w.agent, `/plan-items/${item.id}/edit`, `/plan-items/${item.id}`, form(w.second.id));
    expect(res.status, res.text.slice(0, 1500)).to.equal(303);
    for (const e of await eventsOf(item.id)) expect(e.assignee_id).to.equal(w.first.id);
    const [{ assignee_id }] = await ownerQuery<{ assignee_id: string }>('SELECT assignee_id FROM plan_items WHERE id = $1', [item.id]);
    expect(assignee_id).to.equal(w.second.id);
    expect(await movedAudits(item.id)).to.have.length(0);
  });

  it('ticked without a change of assignee: nothing moves', async () => {
    const w = await world();
    const item = await itemWithEvents(w);
    const res = await submitForm(w.agent, `/plan-items/${item.id}/edit`, `/plan-items/${item.id}`, form(w.first.id, { moveOpenEvents: '1', leadTimeDays: '20' }));
    expect(res.status, res.text.slice(0, 1500)).to.equal(303);
    for (const e of await eventsOf(item.id)) expect(e.assignee_id).to.equal(w.first.id);
    expect(await movedAudits(item.id)).to.have.length(0);
  });

  it('a refused save moves nothing', async () => {
    const w = await world();
    const item = await itemWithEvents(w);
    const res = await submitForm(w.agent, `/plan-items/${item.id}/edit`, `/plan-items/${item.id}`, form(w.second.id, { moveOpenEvents: '1', leadTimeDays: '999' }));
    expect(res.status).to.equal(422);
    expect(res.text, 'the box stays ticked').to.match(/name="moveOpenEvents" value="1"[^>]*checked/);
    for (const e of await eventsOf(item.id)) expect(e.assignee_id).to.equal(w.first.id);
    expect(await movedAudits(item.id)).to.have.length(0);
  });
});
