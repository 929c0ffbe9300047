// The staff-transition tool: a Director hands over everything a departing user
// holds in their scope — Plan Items and open events, per facility or all at once — after a
// preview that changes nothing, in one transaction, audited; closed and cancelled events and
// anything outside the Director's scope stay. Deactivation at the end only when nothing is left
// anywhere; the users page refuses to deactivate someone who still holds assignments.
import { expect } from 'chai';
import { auditRows } from '../support/auth-helpers.ts';
import { createUser, ownerQuery, type UserRow } from '../support/factories.ts';
import { grantScope } from '../support/hierarchy-factories.ts';
import { type Agent, csrfToken } from '../support/http.ts';
import { assigneeOf, assignments, event, planItem, type World, world } from '../reassign/world.ts';

interface Holdings {
  w: World;
  rita: UserRow;
  /** Alice's, in the Director's scope. */
  oneItem: string;
  oneHidden: string;
  oneOpen: string[];
  oneClosed: string;
  oneCancelled: string;
  /** An open event of Alice's on Bob's item. */
  onBobsItem: string;
  twoItem: string;
  twoOpen: string;
  /** Alice's, outside the Director's scope (South). */
  threeItem: string;
  threeOpen: string;
  /** Bob's. */
  bobItem: string;
  bobOpen: string;
}

async function holdings(options: { south?: boolean } = {}): Promise<Holdings> {
  const w = await world();
  // Rita covers the whole Lakes division (Plant One and Plant Two).
  const rita = await createUser(w.client, { name: 'Rita Regional', rank: 'associate' });
  const [lakes] = await ownerQuery<{ id: string }>(`SELECT id FROM org_units WHERE client_id = $1 AND name = 'Lakes'`, [w.client.id]);
  await grantScope(rita, lakes);
  const oneItem = await planItem(w, w.plantOne, w.alice, 'Pump check');
  const oneHidden = await planItem(w, w.plantOne, w.alice, 'Old pump check', { hidden: true });
  const oneOpen = [await event(w, oneItem, w.alice), await event(w, oneItem, w.alice)];
  const oneClosed = await event(w, oneItem, w.alice, 'closed');
  const oneCancelled = await event(w, oneItem, w.alice, 'cancelled');
  const bobItem = await planItem(w, w.plantOne, w.bob, 'Bob check');
  const bobOpen = await event(w, bobItem, w.bob);
  const onBobsItem = await event(w, bobItem, w.alice);
  const twoItem = await planItem(w, w.plantTwo, w.alice, 'Valve check');
  const twoOpen = await event(w, twoItem, w.alice);
  let threeItem = '';
  let threeOpen = '';
  if (options.south !== false) {
    threeItem = await planItem(w, w.plantThree, w.alice, 'South check');
    threeOpen = await event(w, threeItem, w.alice);
  }
  return { w, rita, oneItem, oneHidden, oneOpen, oneClosed, oneCancelled, onBobsItem, twoItem, twoOpen, threeItem, threeOpen, bobItem, bobOpen };
}

async function post(agent: Agent, url: string, fields: Record<string, string | string[]>) {
  const token = await csrfToken(agent, '/transition');
  return agent.post(url).type('form').send({ _csrf: token, ...fields });
}

describe('staff-transition tool', () => {
  it('lists the users one may see who hold something, and what they hold in scope by facility', async () => {
    const h = await holdings();
    const { w } = h;
    const director = await w.as(w.director);
    const index = await director.get('/transition');
    expect(index.status).to.equal(200);
    expect(index.text).to.include(`href="/transition/${w.alice.id}"`);
    expect(index.text).to.include(`href="/transition/${w.bob.id}"`);
    // Sue works in South, outside the Director's scope.
    expect(index.text).not.to.include('Sue South');
    const page = await director.get(`/transition/${w.alice.id}`);
    expect(page.status).to.equal(200);
    const table = /<table[^>]*id="holdings"[\s\S]*?<\/table>/.exec(page.text)![0];
    expect(table).to.include('Plant One').and.to.include('Plant Two');
    expect(table).not.to.include('Plant Three');
    // Plant One: 2 Plan Items (1 hidden) and 3 open events (two of her item, one of Bob's).
    expect(table).to.match(/Plant One<\/a><\/th>\s*<td>2 <small>\(1 hidden\)<\/small><\/td>\s*<td>3<\/td>/);
    // Only users covering a facility are offered there; the departing user never is.
    const plantTwoSelect = new RegExp(`<select id="facility_${w.plantTwo.id}"[\\s\\S]*?</select>`).exec(page.text)![0];
    expect(plantTwoSelect).to.include(w.cleo.id).and.to.include(h.rita.id);
    expect(plantTwoSelect).not.to.include(w.bob.id);
    expect(plantTwoSelect).not.to.include(`value="${w.alice.id}"`);
    const sue = await director.get(`/transition/${w.sue.id}`);
    expect(sue.status).to.equal(404);
  });

  it('previews without changing anything, then moves exactly her items and open events in scope, audited', async () => {
    const h = await holdings();
    const { w } = h;
    const director = await w.as(w.director);
    const before = await assignments();
    const preview = await post(director, `/transition/${w.alice.id}/preview`, { mode: 'all', replacement: h.rita.id, deactivate: '1' });
    expect(preview.status).to.equal(200);
    const table = /<table[^>]*id="transition-preview"[\s\S]*?<\/table>/.exec(preview.text)![0];
    expect(table).to.match(/Plant One<\/th><td>2<\/td><td>3<\/td><td>→ Rita Regional/);
    expect(table).to.match(/Plant Two<\/th><td>1<\/td><td>1<\/td><td>→ Rita Regional/);
    expect(await assignments()).to.equal(before);
    expect(await auditRows('transition.applied')).to.have.length(0);

    const res = await post(director, `/transition/${w.alice.id}/apply`, { mode: 'all', replacement: h.rita.id, deactivate: '1' });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal(`/transition/${w.alice.id}`);
    for (const id of [h.oneItem, h.oneHidden, h.twoItem]) expect(await assigneeOf('plan_items', id)).to.equal(h.rita.id);
    for (const id of [...h.oneOpen, h.onBobsItem, h.twoOpen]) expect(await assigneeOf('events', id)).to.equal(h.rita.id);
    // Closed and cancelled events, South (outside the scope) and Bob's work stay.
    for (const id of [h.oneClosed, h.oneCancelled, h.threeOpen]) expect(await assigneeOf('events', id)).to.equal(w.alice.id);
    expect(await assigneeOf('plan_items', h.threeItem)).to.equal(w.alice.id);
    expect(await assigneeOf('plan_items', h.bobItem)).to.equal(w.bob.id);
    expect(await assigneeOf('events', h.bobOpen)).to.equal(w.bob.id);

    const [entry] = await auditRows('transition.applied');
    expect(entry).to.include({ entity_type: 'user', entity_id: w.alice.id, actor_user_id: w.director.id });
    const changes = entry.changes as { plan_items: number; open_events: number; facilities: Array<Record<string, unknown>> };
    expect(changes.plan_items).to.equal(3);
    expect(changes.open_events).to.equal(4);
    const byName = Object.fromEntries(changes.facilities.map((f) => [f.facility_name, f]));
    expect(byName['Plant One']).to.deep.include({ facility_id: w.plantOne.id, to: h.rita.id, plan_items: 2, open_events: 3 });
    expect(byName['Plant One'].plan_item_ids).to.have.members([h.oneItem, h.oneHidden]);
    expect(byName['Plant One'].event_ids).to.have.members([...h.oneOpen, h.onBobsItem]);
    expect(byName['Plant Two']).to.deep.include({ plan_items: 1, open_events: 1, plan_item_ids: [h.twoItem], event_ids: [h.twoOpen] });
    expect(byName['Plant Three']).to.equal(undefined);

    // Asked to deactivate, but she still holds South's work: she stays active, and the page says why.
    const [alice] = await ownerQuery<{ status: string }>('SELECT status FROM users WHERE id = $1', [w.alice.id]);
    expect(alice.status).to.equal('active');
    expect(await auditRows('user.deactivate')).to.have.length(0);
    const after = await director.get(`/transition/${w.alice.id}`);
    expect(after.text).to.include('Moved 3 Plan Items and 4 open events of Alice Leaving');
    expect(after.text).to.include('was not deactivated').and.to.include('elsewhere in the organisation');
    expect(after.text).to.include('holds no Plan Items and no open events in your scope');
  });

  it('moves per facility to that facility\'s replacement, and refuses anyone outside a facility\'s scope (422, nothing changed)', async () => {
    const h = await holdings();
    const { w } = h;
    const director = await w.as(w.director);
    const before = await assignments();
    const url = `/transition/${w.alice.id}`;
    const refusals: Array<Record<string, string>> = [
      { mode: 'all', replacement: w.bob.id },
      { mode: 'all', replacement: w.alice.id },
      { mode: 'all', replacement: w.sue.id },
      { mode: 'all', replacement: '' },
      { mode: 'each', [`facility_${w.plantOne.id}`]: w.cleo.id },
      { mode: 'each', [`facility_${w.plantTwo.id}`]: w.alice.id },
      { mode: 'each', [`facility_${w.plantThree.id}`]: w.sue.id },
      { mode: 'each' },
      { mode: 'sideways', replacement: h.rita.id },
      { mode: 'all', replacement: h.rita.id, facilityId: w.plantOne.id },
    ];
    for (const fields of refusals) {
      for (const step of ['preview', 'apply']) {
        const res = await post(director, `${url}/${step}`, fields);
        expect(res.status, `${step} ${JSON.stringify(fields)}`).to.equal(422);
      }
    }
    const outside = await post(director, `${url}/apply`, { mode: 'each', [`facility_${w.plantOne.id}`]: w.cleo.id });
    expect(outside.text).to.include('outside the facility&#39;s scope');
    expect(await assignments()).to.equal(before);
    expect(await auditRows('transition.applied')).to.have.length(0);

    // Plant One to Bob, Plant Two to Cleo.
    const res = await post(director, `${url}/apply`, { mode: 'each', [`facility_${w.plantOne.id}`]: w.bob.id, [`facility_${w.plantTwo.id}`]: w.cleo.id });
    expect(res.status).to.equal(303);
    for (const id of [h.oneItem, h.oneHidden]) expect(await assigneeOf('plan_items', id)).to.equal(w.bob.id);
    for (const id of [...h.oneOpen, h.onBobsItem]) expect(await assigneeOf('events', id)).to.equal(w.bob.id);
    expect(await assigneeOf('plan_items', h.twoItem)).to.equal(w.cleo.id);
    expect(await assigneeOf('events', h.twoOpen)).to.equal(w.cleo.id);
    expect(await assigneeOf('events', h.oneClosed)).to.equal(w.alice.id);
    expect(await assigneeOf('plan_items', h.threeItem)).to.equal(w.alice.id);
    const [entry] = await auditRows('transition.applied');
    const facilities = (entry.changes as { facilities: Array<{ facility_id: string; to: string }> }).facilities;
    expect(facilities.map((f) => [f.facility_id, f.to])).to.have.deep.members([[w.plantOne.id, w.bob.id], [w.plantTwo.id, w.cleo.id]]);
  });

  it('moves only the chosen facilities in per-facility mode', async () => {
    const h = await holdings();
    const { w } = h;
    const director = await w.as(w.director);
    const res = await post(director, `/transition/${w.alice.id}/apply`, { mode: 'each', [`facility_${w.plantOne.id}`]: '', [`facility_${w.plantTwo.id}`]: w.cleo.id });
    expect(res.status).to.equal(303);
    expect(await assigneeOf('plan_items', h.twoItem)).to.equal(w.cleo.id);
    expect(await assigneeOf('plan_items', h.oneItem)).to.equal(w.alice.id);
    expect(await assigneeOf('events', h.oneOpen[0])).to.equal(w.alice.id);
  });

  it('deactivates the departing user at the end when nothing is left anywhere', async () => {
    const h = await holdings({ south: false });
    const { w } = h;
    const director = await w.as(w.director);
    const res = await post(director, `/transition/${w.alice.id}/apply`, { mode: 'all', replacement: h.rita.id, deactivate: '1' });
    expect(res.status).to.equal(303);
    const [alice] = await ownerQuery<{ status: string }>('SELECT status FROM users WHERE id = $1', [w.alice.id]);
    expect(alice.status).to.equal('deactivated');
    expect(await auditRows('transition.applied')).to.have.length(1);
    const [deactivation] = await auditRows('user.deactivate');
    expect(deactivation).to.include({ entity_id: w.alice.id, actor_user_id: w.director.id });
    expect((await director.get(`/transition/${w.alice.id}`)).text).to.include('Alice Leaving has been deactivated and signed out');
  });

  it('refuses deactivation on the users page while the user holds assignments, pointing to the tool', async () => {
    const h = await holdings();
    const { w } = h;
    const director = await w.as(w.director);
    const token = await csrfToken(director, `/users/${w.alice.id}`);
    const refused = await director.post(`/users/${w.alice.id}/deactivate`).type('form').send({ _csrf: token });
    expect(refused.status).to.equal(409);
    expect(refused.text).to.include(`href="/transition/${w.alice.id}"`);
    expect(refused.text).to.include('still holds 3 Plan Items and 5 open events');
    // Still refused after moving everything in scope: South's work is hers still (outside the Director's scope).
    await post(director, `/transition/${w.alice.id}/apply`, { mode: 'all', replacement: h.rita.id });
    const again = await director.post(`/users/${w.alice.id}/deactivate`).type('form').send({ _csrf: token });
    expect(again.status).to.equal(409);
    expect(again.text).to.include('still holds 1 Plan Item and 1 open event');
    let [alice] = await ownerQuery<{ status: string }>('SELECT status FROM users WHERE id = $1', [w.alice.id]);
    expect(alice.status).to.equal('active');
    // Once South's work is elsewhere too (a hidden item does not count), it works.
    await ownerQuery('UPDATE plan_items SET hidden = true WHERE id = $1', [h.threeItem]);
    await ownerQuery('UPDATE events SET assignee_id = $2 WHERE id = $1', [h.threeOpen, w.sue.id]);
    const done = await director.post(`/users/${w.alice.id}/deactivate`).type('form').send({ _csrf: token });
    expect(done.status).to.equal(303);
    [alice] = await ownerQuery<{ status: string }>('SELECT status FROM users WHERE id = $1', [w.alice.id]);
    expect(alice.status).to.equal('deactivated');
  });

  it('answers 403 to Associates and Managers, 404 to a Director who cannot see the user', async () => {
    const h = await holdings();
    const { w } = h;
    const before = await assignments();
    for (const user of [w.bob, w.manager]) {
      const agent = await w.as(user);
      expect((await agent.get('/transition')).status).to.equal(403);
      expect((await agent.get(`/transition/${w.alice.id}`)).status).to.equal(403);
      const token = await csrfToken(agent, '/account/password');
      for (const step of ['preview', 'apply']) {
        const res = await agent.post(`/transition/${w.alice.id}/${step}`).type('form').send({ _csrf: token, mode: 'all', replacement: w.bob.id });
        expect(res.status).to.equal(403);
      }
    }
    const southDirector = await createUser(w.client, { name: 'Sid South', rank: 'director' });
    await grantScope(southDirector, w.south);
    const outsider = await w.as(southDirector);
    expect((await outsider.get(`/transition/${w.alice.id}`)).status).to.equal(404);
    const token = await csrfToken(outsider, '/transition');
    expect((await outsider.post(`/transition/${w.alice.id}/apply`).type('form').send({ _csrf: token, mode: 'all', replacement: w.sue.id })).status).to.equal(404);
    expect(await assignments()).to.equal(before);
  });
});
