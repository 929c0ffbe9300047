// Reassigning events: one event, and many selected rows of a facility's or a
// roll-up's open-events table; refusals (out-of-scope user, rank, another client, not open, one
// bad row) answer 4xx and change nothing; every move is audited.
import { expect } from 'chai';
import { auditRows } from '../support/auth-helpers.ts';
import { createClient, createUser } from '../support/factories.ts';
import { grantScope } from '../support/hierarchy-factories.ts';
import { csrfToken, signedInAgent, testApp } from '../support/http.ts';
import { assigneeOf, assignments, event, planItem, world } from './world.ts';

describe('reassign one event', () => {
  it('moves an open event to a user who covers its facility, audited, and redirects to the event', async () => {
    const w = await world();
    const item = await planItem(w, w.plantOne, w.alice, 'Weekly pump check');
    const id = await event(w, item, w.alice);
    const agent = await w.as(w.director);
    const token = await csrfToken(agent, `/units/${w.plantOne.id}/events`);
    const res = await agent.post(`/events/${id}/reassign`).type('form').send({ _csrf: token, assigneeId: w.bob.id });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal(`/events/${id}`);
    expect(await assigneeOf('events', id)).to.equal(w.bob.id);
    // The Plan Item keeps its assignee: only the event moved.
    expect(await assigneeOf('plan_items', item)).to.equal(w.alice.id);
    const [entry] = await auditRows('event.reassigned');
    expect(entry).to.include({ entity_type: 'event', entity_id: id, actor_user_id: w.director.id });
    expect(entry.changes).to.deep.equal({ from: w.alice.id, to: w.bob.id });
  });

  it('refuses a user outside the facility scope (422) and changes nothing', async () => {
    const w = await world();
    const id = await event(w, await planItem(w, w.plantOne, w.alice, 'Weekly pump check'), w.alice);
    const agent = await w.as(w.director);
    const token = await csrfToken(agent, `/units/${w.plantOne.id}/events`);
    const before = await assignments();
    for (const assigneeId of [w.cleo.id, w.sue.id, 'not-a-user', '']) {
      const res = await agent.post(`/events/${id}/reassign`).type('form').send({ _csrf: token, assigneeId });
      expect(res.status, assigneeId).to.equal(422);
    }
    const res = await agent.post(`/events/${id}/reassign`).type('form').send({ _csrf: token, assigneeId: w.cleo.id });
    expect(res.text).to.include('outside the facility&#39;s scope');
    // A forged field is refused too.
    const forged = await agent.post(`/events/${id}/reassign`).type('form').send({ _csrf: token, assigneeId: w.bob.id, status: 'closed' });
    expect(forged.status).to.equal(422);
    expect(await assignments()).to.equal(before);
    expect(await auditRows('event.reassigned')).to.have.length(0);
  });

  it('refuses a Manager (403), another client (404) and a closed or cancelled event (409)', async () => {
    const w = await world();
    const item = await planItem(w, w.plantOne, w.alice, 'Weekly pump check');
    const open = await event(w, item, w.alice);
    const closed = await event(w, item, w.alice, 'closed');
    const cancelled = await event(w, item, w.alice, 'cancelled');
    const before = await assignments();

    const manager = await w.as(w.manager);
    let token = await csrfToken(manager, `/units/${w.plantOne.id}/events`);
    expect((await manager.post(`/events/${open}/reassign`).type('form').send({ _csrf: token, assigneeId: w.bob.id })).status).to.equal(403);

    const other = await createClient({ name: 'Other Co' });
    const foreignAdmin = await createUser(other, { name: 'Fran Foreign', rank: 'administrator' });
    const foreign = await signedInAgent(testApp(), foreignAdmin.email, foreignAdmin.password);
    token = await csrfToken(foreign, '/account/password');
    const res = await foreign.post(`/events/${open}/reassign`).type('form').send({ _csrf: token, assigneeId: w.bob.id });
    expect(res.status).to.equal(404);
    expect(res.text).not.to.include('Weekly pump check');

    // A Director of South does not see North's events at all.
    const southDirector = await createUser(w.client, { name: 'Sid South', rank: 'director' });
    await grantScope(southDirector, w.south);
    const outsider = await w.as(southDirector);
    token = await csrfToken(outsider, '/account/password');
    expect((await outsider.post(`/events/${open}/reassign`).type('form').send({ _csrf: token, assigneeId: w.bob.id })).status).to.equal(404);

    const director = await w.as(w.director);
    token = await csrfToken(director, `/units/${w.plantOne.id}/events`);
    for (const id of [closed, cancelled]) {
      const r = await director.post(`/events/${id}/reassign`).type('form').send({ _csrf: token, assigneeId: w.bob.id });
      expect(r.status).to.equal(409);
      expect(r.text).to.include('Only open events can be reassigned');
    }
    expect(await assignments()).to.equal(before);
  });
});

describe('reassign selected events of the open-events table', () => {
  it('shows checkboxes, links and the reassign form to a Director only', async () => {
    const w = await world();
    const id = await event(w, await planItem(w, w.plantOne, w.alice, 'Weekly pump check'), w.alice);
    const director = await w.as(w.director);
    const page = await director.get(`/units/${w.plantOne.id}/events`);
    expect(page.status).to.equal(200);
    expect(page.text).to.include(`name="events" value="${id}"`);
    expect(page.text).to.include(`href="/events/${id}"`);
    expect(page.text).to.include(`action="/units/${w.plantOne.id}/events/reassign"`);
    const manager = await w.as(w.manager);
    const managerPage = await manager.get(`/units/${w.plantOne.id}/events`);
    expect(managerPage.text).to.include(`href="/events/${id}"`);
    expect(managerPage.text).not.to.include('name="events"');
    const token = await csrfToken(manager, `/units/${w.plantOne.id}/events`);
    const res = await manager.post(`/units/${w.plantOne.id}/events/reassign`).type('form').send({ _csrf: token, events: id, assigneeId: w.bob.id, intent: 'apply' });
    expect(res.status).to.equal(403);
    expect(await assigneeOf('events', id)).to.equal(w.alice.id);
  });

  it('offers the users covering every selected facility, then moves them all in one go, audited per event', async () => {
    const w = await world();
    const one = await event(w, await planItem(w, w.plantOne, w.alice, 'Pump check'), w.alice);
    const two = await event(w, await planItem(w, w.plantTwo, w.alice, 'Valve check'), w.alice);
    const untouched = await event(w, await planItem(w, w.plantTwo, w.cleo, 'Meter reading'), w.cleo);
    const director = await w.as(w.director);
    const token = await csrfToken(director, `/units/${w.north.id}/events`);
    const choose = await director.post(`/units/${w.north.id}/events/reassign`).type('form').send({ _csrf: token, events: [one, two], intent: 'choose' });
    expect(choose.status).to.equal(200);
    // Bob covers Plant One only and Cleo Plant Two only; the Director and Alice cover both.
    expect(choose.text).to.include(`value="${w.director.id}"`);
    expect(choose.text).not.to.include(`<option value="${w.bob.id}"`);
    expect(choose.text).not.to.include(`<option value="${w.cleo.id}"`);
    expect(choose.text).to.match(new RegExp(`value="${one}"[^>]*checked`));

    // A user who covers only one of the facilities: refused as a whole.
    const before = await assignments();
    const refused = await director.post(`/units/${w.north.id}/events/reassign`).type('form').send({ _csrf: token, events: [one, two], assigneeId: w.bob.id, intent: 'apply' });
    expect(refused.status).to.equal(422);
    expect(refused.text).to.include('outside the facility&#39;s scope');
    expect(await assignments()).to.equal(before);

    const res = await director.post(`/units/${w.north.id}/events/reassign`).type('form').send({ _csrf: token, events: [one, two], assigneeId: w.director.id, intent: 'apply' });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal(`/units/${w.north.id}/events`);
    expect(await assigneeOf('events', one)).to.equal(w.director.id);
    expect(await assigneeOf('events', two)).to.equal(w.director.id);
    expect(await assigneeOf('events', untouched)).to.equal(w.cleo.id);
    const entries = await auditRows('event.reassigned');
    expect(entries.map((e) => e.entity_id).sort()).to.deep.equal([one, two].sort());
    for (const e of entries) expect(e.changes).to.deep.equal({ from: w.alice.id, to: w.director.id });
    expect((await director.get(`/units/${w.north.id}/events`)).text).to.include('2 events are now assigned to Dana Director');
  });

  it('refuses the whole request when one selected event is closed, invisible or elsewhere', async () => {
    const w = await world();
    const item = await planItem(w, w.plantOne, w.alice, 'Pump check');
    const good = await event(w, item, w.alice);
    const closed = await event(w, item, w.alice, 'closed');
    const southEvent = await event(w, await planItem(w, w.plantThree, w.sue, 'South check'), w.sue);
    const twoEvent = await event(w, await planItem(w, w.plantTwo, w.cleo, 'Two check'), w.cleo);
    const director = await w.as(w.director);
    const token = await csrfToken(director, `/units/${w.plantOne.id}/events`);
    const before = await assignments();
    const cases: Array<[string, string[]]> = [
      ['closed', [good, closed]],
      ['invisible (another region)', [good, southEvent]],
      ['not under this facility', [good, twoEvent]],
      ['unknown id', [good, '00000000-0000-4000-8000-000000000000']],
      ['malformed id', [good, 'x']],
      ['nothing selected', []],
    ];
    for (const [label, events] of cases) {
      const res = await director.post(`/units/${w.plantOne.id}/events/reassign`).type('form').send({ _csrf: token, events, assigneeId: w.bob.id, intent: 'apply' });
      expect(res.status, label).to.equal(422);
      expect(res.text, label).to.include('Nothing was changed');
    }
    expect(await assignments()).to.equal(before);
    expect(await auditRows('event.reassigned')).to.have.length(0);
  });
});
