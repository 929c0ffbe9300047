// Whatever the filters say, an events list shows only the signed-in user's client and scope:
// another client's events and a facility outside the user's scope never appear, not by search,
// category, place, assignee or status; naming their place or person is refused and left out; and
// the list query itself, handed their facilities, finds nothing (row-level security is the net).
import { expect } from 'chai';
import { inUnitOfWork } from '../../lib/unit-of-work.ts';
import { Client } from '../../models/index.ts';
import { eventList } from '../../services/events/lists.ts';
import { testEnv } from '../support/env.ts';
import { day, event, idsIn, item, listWorld } from './list-world.ts';

describe('events lists: scoped by row-level security', () => {
  it('never shows another client’s events or an out-of-scope facility’s, whatever the filters', async () => {
    const w = await listWorld('Acme Water');
    const other = await listWorld('Other Water');
    const mine = await event(w, await item(w, w.plantOne, w.alice, { activity: 'Outfall inspection', category: 'Stormwater', reference: '40 CFR 122.26' }), { due: day(-5) });
    const south = await event(w, await item(w, w.plantThree, w.sue, { activity: 'Outfall inspection', category: 'Stormwater', reference: '40 CFR 122.26' }), { due: day(-5) });
    const foreign = await event(other, await item(other, other.plantOne, other.alice, { activity: 'Outfall inspection', category: 'Stormwater', reference: '40 CFR 122.26' }), { due: day(-5) });
    const foreignSouth = await event(other, await item(other, other.plantThree, other.sue, { activity: 'Outfall inspection', category: 'Secret', reference: 'X-1' }), { due: day(-6) });
    const director = await w.as(w.director);
    const queries = [
      '', '?status=all', '?status=overdue', '?q=outfall', '?q=122.26', '?category=Stormwater', '?category=Secret',
      `?unit=${w.plantThree.id}`, `?unit=${w.south.id}`, `?unit=${other.plantOne.id}`, `?assignee=${w.sue.id}`, `?assignee=${other.alice.id}`,
      `?status=all&sort=facility&dir=desc&q=inspection&from=${day(-30)}&to=${day(30)}`,
    ];
    for (const path of [`/units/${w.north.id}/events`, `/units/${w.plantOne.id}/events`]) {
      for (const query of queries) {
        const res = await director.get(`${path}${query}`);
        expect([200, 422], `${path}${query}`).to.include(res.status);
        const ids = idsIn(res.text);
        for (const hidden of [south, foreign, foreignSouth]) expect(ids, `${path}${query}`).not.to.include(hidden);
        expect(res.text, `${path}${query}`).not.to.include('Plant Three').and.not.to.include('Sue South').and.not.to.include('<option value="Secret"');
      }
    }
    // Naming what is out of scope is refused, the list shown without it.
    const byPlace = await director.get(`/units/${w.north.id}/events?unit=${w.plantThree.id}`);
    expect(byPlace.status).to.equal(422);
    expect(idsIn(byPlace.text)).to.deep.equal([mine]);
    expect(byPlace.text).to.include('That place is not one of this list’s');
    // My events: the same for the user's own list.
    const alice = await w.as(w.alice);
    for (const query of ['?status=all', '?q=outfall', `?unit=${other.plantOne.id}`, `?unit=${w.plantThree.id}`]) {
      const ids = idsIn((await alice.get(`/events${query}`)).text, 'my-events');
      expect(ids, query).not.to.include(south).and.not.to.include(foreign);
    }
    // A page of another client's unit, or outside the scope, is not found.
    expect((await director.get(`/units/${w.plantThree.id}/events?status=all`)).status).to.equal(404);
    expect((await director.get(`/units/${other.north.id}/events?q=outfall`)).status).to.equal(404);

    // The list query handed those facilities outright still finds only what the scope covers.
    const rows = await inUnitOfWork(testEnv().db.sequelize, { actorKind: 'user', clientId: w.client.id, userId: w.director.id }, async () =>
      (await eventList((await Client.findByPk(w.client.id))!, { status: 'all', facilityIds: [w.plantOne.id, w.plantThree.id, other.plantOne.id], search: 'outfall' })).rows);
    expect(rows.map((r) => r.id)).to.deep.equal([mine]);
  });
});
