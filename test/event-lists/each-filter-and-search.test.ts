// Each filter of the events lists narrows the list to exactly what it says, on a roll-up page and
// on My events: status (every word of services/events/definitions.ts), due and completion
// dates, place under the page's unit, assignee, category, and the text search, which finds an
// event by its activity, its description or its Plan Item's regulatory reference.
import { expect } from 'chai';
import { day, event, idsIn, item, listWorld, type ListWorld } from './list-world.ts';
import type { Agent } from '../support/http.ts';

describe('events lists: each filter and the search', () => {
  let w: ListWorld;
  let e: Record<string, string>;
  let director: Agent;
  const list = async (query: string, path = `/units/${w.north.id}/events`) => {
    const res = await director.get(`${path}${query}`);
    expect(res.status, `${path}${query}`).to.equal(200);
    return idsIn(res.text);
  };
  const same = (actual: string[], expected: string[]) => expect([...actual].sort()).to.deep.equal([...expected].sort());

  beforeEach(async () => {
    w = await listWorld();
    const a = await item(w, w.plantOne, w.alice, { activity: 'Stormwater outfall inspection', category: 'Stormwater', reference: '40 CFR 122.26(b)(14)' });
    const b = await item(w, w.plantOne, w.bob, { activity: 'Boiler pressure test', category: 'Safety', reference: 'ASME BPVC Section VII', description: 'Check the relief valves' });
    const c = await item(w, w.plantTwo, w.alice, { activity: 'Groundwater sampling', category: 'Groundwater', reference: 'State permit GW-2231' });
    const d = await item(w, w.plantThree, w.sue, { activity: 'South tank check', category: 'Stormwater', reference: '40 CFR 122.26' });
    e = {
      overdue: await event(w, a, { due: day(-10) }),
      dueSoon: await event(w, b, { due: day(3) }),
      upcoming: await event(w, c, { due: day(12) }),
      later: await event(w, a, { due: day(60) }),
      onTime: await event(w, b, { due: day(-20), status: 'closed', completedOn: day(-21) }),
      late: await event(w, a, { due: day(-30), status: 'closed', completedOn: day(-25) }),
      recordedLate: await event(w, c, { due: day(-40), status: 'closed', recordedLate: true }),
      cancelled: await event(w, c, { due: day(-15), status: 'cancelled' }),
    };
    await event(w, d, { due: day(-10) });
    director = await w.as(w.director);
  });

  it('filters by every status word, open by default, overdue first', async () => {
    expect(await list('')).to.deep.equal([e.overdue, e.dueSoon, e.upcoming, e.later]);
    expect(await list('?status=open')).to.deep.equal([e.overdue, e.dueSoon, e.upcoming, e.later]);
    expect(await list('?status=overdue')).to.deep.equal([e.overdue]);
    expect(await list('?status=due_soon')).to.deep.equal([e.dueSoon]);
    expect(await list('?status=upcoming')).to.deep.equal([e.dueSoon, e.upcoming]);
    same(await list('?status=closed'), [e.onTime, e.late, e.recordedLate]);
    expect(await list('?status=closed_late')).to.deep.equal([e.late]);
    expect(await list('?status=recorded_late')).to.deep.equal([e.recordedLate]);
    expect(await list('?status=cancelled')).to.deep.equal([e.cancelled]);
    same(await list('?status=all'), Object.values(e));
  });

  it('filters by due dates and by completion dates, both ends inclusive', async () => {
    same(await list(`?status=all&from=${day(-30)}&to=${day(-15)}`), [e.late, e.onTime, e.cancelled]);
    same(await list(`?status=all&from=${day(3)}`), [e.dueSoon, e.upcoming, e.later]);
    same(await list(`?status=all&to=${day(-30)}`), [e.late, e.recordedLate]);
    same(await list(`?status=closed&completedFrom=${day(-25)}&completedTo=${day(-21)}`), [e.late, e.onTime]);
  });

  it('filters by assignee, by category and by a place under the page’s unit', async () => {
    same(await list(`?status=all&assignee=${w.bob.id}`), [e.dueSoon, e.onTime]);
    same(await list('?status=all&category=Safety'), [e.dueSoon, e.onTime]);
    same(await list('?status=all&category=Groundwater'), [e.upcoming, e.recordedLate, e.cancelled]);
    same(await list(`?status=all&unit=${w.plantTwo.id}`), [e.upcoming, e.recordedLate, e.cancelled]);
    same(await list(`?status=all&unit=${w.lakes.id}`), Object.values(e));
    same(await list(`?status=all&unit=${w.plantOne.id}&assignee=${w.alice.id}`), [e.overdue, e.later, e.late]);
    // The form offers exactly those choices: the places under North, the assignees and categories of its events.
    const page = (await director.get(`/units/${w.north.id}/events`)).text;
    expect(page).to.include(`<option value="${w.plantTwo.id}"`).and.include(`<option value="${w.lakes.id}"`).and.not.include(`<option value="${w.plantThree.id}"`);
    expect(page).to.include('<option value="Safety"').and.not.include(`<option value="${w.sue.id}"`);
  });

  it('finds an event by its Plan Item’s regulatory reference, its description or its activity, any case, every word', async () => {
    same(await list('?status=all&q=122.26(b)'), [e.overdue, e.later, e.late]);
    same(await list('?status=all&q=cfr'), [e.overdue, e.later, e.late]);
    same(await list('?status=all&q=GW-2231'), [e.upcoming, e.recordedLate, e.cancelled]);
    same(await list('?status=all&q=RELIEF%20valves'), [e.dueSoon, e.onTime]);
    same(await list('?status=all&q=boiler'), [e.dueSoon, e.onTime]);
    expect(await list('?status=all&q=cfr%20boiler')).to.deep.equal([]);
    // LIKE's own wildcards are searched for literally.
    expect(await list('?status=all&q=1%25')).to.deep.equal([]);
    expect(await list('?status=all&q=Boiler_pressure')).to.deep.equal([]);
    // The search and the filters combine.
    expect(await list('?status=overdue&q=122.26')).to.deep.equal([e.overdue]);
    const page = (await director.get(`/units/${w.north.id}/events?status=all&q=122.26(b)`)).text;
    expect(page).to.include('value="122.26(b)"');
    expect(page).to.match(/<strong>3<\/strong> events/);
  });

  it('filters My events the same way, always the user’s own, the upcoming window kept unless lifted', async () => {
    const alice = await w.as(w.alice);
    const mine = async (query: string) => {
      const res = await alice.get(`/events${query}`);
      expect(res.status, query).to.equal(200);
      return idsIn(res.text, 'my-events');
    };
    expect(await mine('')).to.deep.equal([e.overdue, e.upcoming]);
    expect(await mine('?q=122.26')).to.deep.equal([e.overdue]);
    expect(await mine('?q=122.26&show=all')).to.deep.equal([e.overdue, e.later]);
    // A due range says what to show: the window does not cut it.
    expect(await mine(`?from=${day(30)}`)).to.deep.equal([e.later]);
    same(await mine(`?status=all&unit=${w.plantTwo.id}`), [e.upcoming, e.recordedLate, e.cancelled]);
    same(await mine('?status=closed&category=Stormwater'), [e.late]);
    expect(await mine('?status=recorded_late')).to.deep.equal([e.recordedLate]);
    // Bob's events never appear in Alice's list, whatever she asks for.
    const refused = await alice.get(`/events?status=all&assignee=${w.bob.id}`);
    expect(refused.status).to.equal(422);
    expect(refused.text).to.include('My events lists only your own events');
    expect(idsIn(refused.text, 'my-events')).not.to.include(e.dueSoon).and.not.to.include(e.onTime);
  });
});
