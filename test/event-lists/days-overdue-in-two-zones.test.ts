// "Days overdue" is counted in each facility's own zone (DESIGN.md §4, §5): at one instant a
// facility in Auckland is a day further past a due date than one in Los Angeles, the overdue
// filter and the days-overdue sort agree with the column, and the page shows the count.
import { expect } from 'chai';
import { daysBetween, todayIn } from '../../lib/calendar-dates.ts';
import { inUnitOfWork } from '../../lib/unit-of-work.ts';
import { Client } from '../../models/index.ts';
import { eventList } from '../../services/events/lists.ts';
import { testEnv } from '../support/env.ts';
import { event, item, listWorld } from './list-world.ts';

describe('events lists: days overdue in two time zones', () => {
  it('counts days overdue in Auckland and in Los Angeles at the same instant, and filters and sorts by them', async () => {
    const w = await listWorld();
    const auckland = await item(w, w.plantOne, w.alice, { activity: 'Auckland check' });
    const losAngeles = await item(w, w.plantTwo, w.alice, { activity: 'LA check' });
    const ids = {
      aklWeek: await event(w, auckland, { due: '2026-03-05' }),
      aklDay: await event(w, auckland, { due: '2026-03-10' }),
      laWeek: await event(w, losAngeles, { due: '2026-03-05' }),
      laDay: await event(w, losAngeles, { due: '2026-03-10' }),
    };
    // 12:00 UTC: 01:00 on 11 March in Auckland (NZDT), 05:00 on 10 March in Los Angeles (PDT).
    const now = new Date('2026-03-10T12:00:00Z');
    const run = (query: Parameters<typeof eventList>[1]) =>
      inUnitOfWork(testEnv().db.sequelize, { actorKind: 'user', clientId: w.client.id, userId: w.director.id }, async () =>
        (await eventList((await Client.findByPk(w.client.id))!, { ...query, now })).rows);
    const open = await run({ status: 'open', sort: 'overdue' });
    expect(open.map((r) => [r.id, r.daysOverdue, r.overdue])).to.deep.equal([
      [ids.aklWeek, 6, true],
      [ids.laWeek, 5, true],
      [ids.aklDay, 1, true],
      [ids.laDay, null, false],
    ]);
    expect((await run({ status: 'overdue' })).map((r) => r.id).sort()).to.deep.equal([ids.aklWeek, ids.aklDay, ids.laWeek].sort());
    expect((await run({ status: 'due_soon' })).map((r) => r.id)).to.deep.equal([ids.laDay]);
    expect((await run({ status: 'open', sort: 'overdue', direction: 'asc' })).map((r) => r.id)).to.deep.equal([ids.aklDay, ids.laWeek, ids.aklWeek, ids.laDay]);
  });

  it('shows each open overdue row’s days overdue on the page, by its facility’s today', async () => {
    const w = await listWorld();
    const dueIn = (zone: string, days: number) => {
      const today = todayIn(zone);
      return { due: new Date(Date.parse(`${today}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10), today };
    };
    const akl = dueIn('Pacific/Auckland', 3);
    const la = dueIn('America/Los_Angeles', 9);
    const a = await event(w, await item(w, w.plantOne, w.alice, { activity: 'Auckland check' }), { due: akl.due });
    const b = await event(w, await item(w, w.plantTwo, w.alice, { activity: 'LA check' }), { due: la.due });
    const c = await event(w, await item(w, w.plantTwo, w.alice, { activity: 'Future check' }), { due: '2099-01-01' });
    const page = (await (await w.as(w.director)).get(`/units/${w.north.id}/events?sort=overdue`).expect(200)).text;
    const cell = (id: string) => new RegExp(`<tr[^>]*>\\s*<td>[^<]*</td>\\s*<td class="days-overdue">([^<]*)</td>(?:(?!</tr>)[\\s\\S])*?/events/${id}"`).exec(page)?.[1];
    expect(cell(a)).to.equal(String(daysBetween(akl.due, akl.today)));
    expect(cell(b)).to.equal(String(daysBetween(la.due, la.today)));
    expect(cell(c)).to.equal('');
    expect(page).to.include('>Days overdue');
    expect(page.indexOf(`/events/${b}"`)).to.be.lessThan(page.indexOf(`/events/${a}"`));
  });
});
