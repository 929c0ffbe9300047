// Events lists sort by any column, either way, and come in pages of 50 with the total count; the
// header and page links keep every other filter, pages never overlap or skip a row, and a page
// past the end shows the last one with a note.
import { expect } from 'chai';
import { EVENT_PAGE_SIZE } from '../../services/events/lists.ts';
import { ownerQuery } from '../support/factories.ts';
import { day, event, idsIn, item, listWorld } from './list-world.ts';

const hrefs = (html: string) => [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));

describe('events lists: sorting and paging', () => {
  it('sorts by due date, activity, facility, assignee, days overdue and completion date, ascending and descending', async () => {
    const w = await listWorld();
    const pump = await item(w, w.plantOne, w.bob, { activity: 'Pump check' });
    const alarm = await item(w, w.plantTwo, w.alice, { activity: 'alarm test' });
    const valve = await item(w, w.plantOne, w.alice, { activity: 'Valve exercise' });
    const e = {
      pump: await event(w, pump, { due: day(-20) }),
      alarm: await event(w, alarm, { due: day(-5) }),
      valve: await event(w, valve, { due: day(10) }),
    };
    const closedA = await event(w, pump, { due: day(-40), status: 'closed', completedOn: day(-41) });
    const closedB = await event(w, alarm, { due: day(-30), status: 'closed', completedOn: day(-10) });
    const director = await w.as(w.director);
    const list = async (query: string) => idsIn((await director.get(`/units/${w.north.id}/events${query}`).expect(200)).text);
    expect(await list('?sort=due')).to.deep.equal([e.pump, e.alarm, e.valve]);
    expect(await list('?sort=due&dir=desc')).to.deep.equal([e.valve, e.alarm, e.pump]);
    // Any case: "alarm test" sorts before "Pump check".
    expect(await list('?sort=activity')).to.deep.equal([e.alarm, e.pump, e.valve]);
    expect(await list('?sort=activity&dir=desc')).to.deep.equal([e.valve, e.pump, e.alarm]);
    expect(await list('?sort=facility')).to.deep.equal([e.pump, e.valve, e.alarm]);
    expect(await list('?sort=facility&dir=desc')).to.deep.equal([e.alarm, e.pump, e.valve]);
    expect(await list('?sort=assignee')).to.deep.equal([e.alarm, e.valve, e.pump]);
    expect(await list('?sort=assignee&dir=desc')).to.deep.equal([e.pump, e.alarm, e.valve]);
    // Most overdue first by default; events not overdue last either way.
    expect(await list('?sort=overdue')).to.deep.equal([e.pump, e.alarm, e.valve]);
    expect(await list('?sort=overdue&dir=asc')).to.deep.equal([e.alarm, e.pump, e.valve]);
    expect(await list('?status=closed&sort=completed')).to.deep.equal([closedB, closedA]);
    expect(await list('?status=closed&sort=completed&dir=asc')).to.deep.equal([closedA, closedB]);

    // Header links keep the other filters, turn the sorted column around and start another in its own direction.
    const page = (await director.get(`/units/${w.north.id}/events?status=all&q=check&sort=due&dir=asc`)).text;
    const links = hrefs(page);
    expect(links).to.include(`/units/${w.north.id}/events?status=all&q=check&sort=due&dir=desc`);
    expect(links).to.include(`/units/${w.north.id}/events?status=all&q=check&sort=activity&dir=asc`);
    expect(links).to.include(`/units/${w.north.id}/events?status=all&q=check&sort=overdue&dir=desc`);
    expect(page).to.match(/<th scope="col" aria-sort="ascending"><a [^>]*>Due date/);
    // The status tabs keep the filters too.
    expect(links).to.include(`/units/${w.north.id}/events?q=check&sort=due&dir=asc&status=closed`);
  });

  it('shows 50 rows a page with the total count and page links that keep the filters; pages cover every row once', async () => {
    const w = await listWorld();
    const daily = await item(w, w.plantOne, w.alice, { activity: 'Daily check' });
    await ownerQuery(
      `INSERT INTO events (client_id, plan_item_id, facility_id, activity, scheduled_date, due_date, assignee_id)
       SELECT $1, $2, $3, 'Daily check', d::date, d::date, $4 FROM generate_series($5::date, $5::date + 119, interval '1 day') AS d`,
      [w.client.id, daily, w.plantOne.id, w.alice.id, day(5)],
    );
    await event(w, await item(w, w.plantOne, w.bob, { activity: 'Weekly report' }), { due: day(6) });
    const director = await w.as(w.director);
    const base = `/units/${w.plantOne.id}/events`;
    const filters = '?q=daily&sort=due&dir=desc';
    const first = await director.get(`${base}${filters}`).expect(200);
    expect(idsIn(first.text)).to.have.length(EVENT_PAGE_SIZE);
    expect(first.text).to.include('<strong>120</strong> events, showing 1–50.');
    const links = hrefs(first.text);
    expect(links).to.include(`${base}${filters}&page=2`).and.include(`${base}${filters}&page=3`);
    expect(first.text).to.match(/aria-current="page"><strong>1<\/strong>/);
    const pages = [idsIn(first.text)];
    for (const n of [2, 3]) pages.push(idsIn((await director.get(`${base}${filters}&page=${n}`).expect(200)).text));
    expect(pages.map((p) => p.length)).to.deep.equal([50, 50, 20]);
    const all = pages.flat();
    expect(new Set(all).size).to.equal(120);
    const [{ ids }] = await ownerQuery<{ ids: string[] }>(`SELECT array_agg(id ORDER BY due_date DESC) AS ids FROM events WHERE plan_item_id = $1`, [daily]);
    expect(all).to.deep.equal(ids);
    const third = await director.get(`${base}${filters}&page=3`);
    expect(third.text).to.include('showing 101–120');
    expect(hrefs(third.text)).to.include(`${base}${filters}&page=2`);

    // A page past the end: the last one, with a note.
    const past = await director.get(`${base}${filters}&page=9`);
    expect(past.status).to.equal(200);
    expect(past.text).to.include('There is no page 9 of this list; showing page 3, the last.');
    expect(idsIn(past.text)).to.deep.equal(pages[2]);
    // My events pages the same way.
    const alice = await w.as(w.alice);
    const mine = await alice.get('/events?show=all&page=2').expect(200);
    expect(mine.text).to.include('<strong>120</strong> events, showing 51–100.');
    expect(idsIn(mine.text, 'my-events')).to.have.length(50);
  });
});
