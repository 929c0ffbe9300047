// Bad list parameters never fail a page: an unknown status or sort, a malformed date or id, a
// reversed date range, a repeated parameter, an unknown parameter, a page out of range or a
// search of punctuation only each answer the list without that parameter (200 or 422) and say
// why; never a 500. The href builder writes what the parser reads back.
import { expect } from 'chai';
import { eventListHref, parseEventListQuery } from '../../controllers/event-list-query.ts';
import { day, event, idsIn, item, listWorld } from './list-world.ts';

describe('events lists: bad input', () => {
  it('answers every bad parameter with a message and the nearest valid list, never a 500', async () => {
    const w = await listWorld();
    const id = await event(w, await item(w, w.plantOne, w.alice, { activity: 'Boiler test', category: 'Safety' }), { due: day(-3) });
    const director = await w.as(w.director);
    const alice = await w.as(w.alice);
    const cases: Array<[string, string]> = [
      ['status=bogus', 'Choose a status from the list'],
      ['status=open&status=closed', 'Choose one status.'],
      ['from=2026-02-30', 'Enter the first due date as a date like'],
      ['to=yesterday', 'Enter the last due date as a date like'],
      [`from=${day(5)}&to=${day(-5)}`, 'The due dates are reversed'],
      [`completedFrom=${day(5)}&completedTo=${day(-5)}`, 'The completion dates are reversed'],
      ['q=%21%40%23%24%25%5E%26*()', 'a search of punctuation only finds nothing'],
      ['q=...%20---%20%3F%3F', 'a search of punctuation only finds nothing'],
      [`q=${'x'.repeat(201)}`, 'A search is at most 200 characters.'],
      ['q[]=a', 'This list has no filter named q[].'],
      ['unit=not-a-uuid', 'Choose the place from the list.'],
      ['unit=00000000-0000-4000-8000-000000000000', 'That place is not one of this list’s'],
      ['assignee=%27%3B%20DROP%20TABLE%20events%3B--', 'Choose the assignee from the list.'],
      ['category=%00%01', 'Choose the category from the list.'],
      ['q=boiler%00', 'A search cannot hold control characters.'],
      [`category=${'c'.repeat(101)}`, 'Choose the category from the list.'],
      ['sort=password_hash', 'Sort by one of the columns.'],
      ['sort=due&dir=sideways', 'Sort ascending or descending.'],
      ['page=0', 'Page numbers are whole numbers from 1.'],
      ['page=-1', 'Page numbers are whole numbers from 1.'],
      ['page=1e3', 'Page numbers are whole numbers from 1.'],
      ['page=99999999999', 'Page numbers are whole numbers from 1.'],
      ['colour=red', 'This list has no filter named colour.'],
      ['status=bogus&page=abc&q=%3F%3F&from=x', 'Choose a status from the list'],
    ];
    for (const path of [`/units/${w.north.id}/events`, `/units/${w.plantOne.id}/events`, '/events']) {
      const agent = path === '/events' ? alice : director;
      const tableId = path === '/events' ? 'my-events' : 'events-table';
      for (const [query, message] of cases) {
        const res = await agent.get(`${path}?${query}`);
        expect(res.status, `${path}?${query}`).to.equal(422);
        expect(res.text, `${path}?${query}`).to.include(message);
        expect(res.text, `${path}?${query}`).to.include('could not be used, so the list below leaves them out');
        // The list is still there: the open view, this event in it.
        expect(idsIn(res.text, tableId), `${path}?${query}`).to.deep.equal([id]);
      }
      // A page past the end is the last page, with a note (not an error).
      const past = await agent.get(`${path}?page=7`);
      expect(past.status).to.equal(200);
      expect(past.text).to.include('There is no page 7 of this list; showing page 1, the last.');
      expect(idsIn(past.text, tableId)).to.deep.equal([id]);
    }
    // Broken percent-encoding is read as best it can be: a search, answered, not a failure.
    for (const query of ['q=%E0%A4%A', 'q=%', 'status=%FF', '%=1', 'unit=%C0%AF']) {
      expect([200, 422], query).to.include((await director.get(`/units/${w.north.id}/events?${query}`)).status);
    }
    // Bad parameters on the reassignment form's action leave the form working on the valid rest.
    const page = await director.get(`/units/${w.north.id}/events`);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    const res = await director.post(`/units/${w.north.id}/events/reassign?status=bogus&q=%3F`).type('form').send({ _csrf: token, intent: 'choose-all' });
    expect(res.status).to.equal(422);
    expect(res.text).to.include('name="expected" value="1"');
    // A unit out of scope or malformed is not found, whatever the filters.
    expect((await director.get(`/units/${w.plantThree.id}/events?status=bogus`)).status).to.equal(404);
    expect((await director.get('/units/not-a-uuid/events?page=2')).status).to.equal(404);
  });

  it('writes links the parser reads back, leaving out what is empty and page 1', () => {
    const filters = { status: 'due_soon', q: 'CFR 122.26(b) & more', from: '2026-01-01', to: '2026-12-31', unit: '8c3f1c8e-7a4b-4f57-9d2a-3b1e5f2a9c10', category: 'Storm water/Drains', sort: 'overdue', dir: 'asc', page: 3 } as const;
    const href = eventListHref('/units/u/events', filters);
    expect(href).to.equal('/units/u/events?status=due_soon&q=CFR%20122.26(b)%20%26%20more&from=2026-01-01&to=2026-12-31&unit=8c3f1c8e-7a4b-4f57-9d2a-3b1e5f2a9c10&category=Storm%20water%2FDrains&sort=overdue&dir=asc&page=3');
    const query = Object.fromEntries(new URL(href, 'http://x').searchParams);
    expect(parseEventListQuery(query)).to.deep.equal({ filters, errors: {} });
    expect(eventListHref('/events', { page: 1, q: '', status: undefined })).to.equal('/events');
    expect(eventListHref('/events', { status: 'overdue' })).to.equal('/events?status=overdue');
  });
});
