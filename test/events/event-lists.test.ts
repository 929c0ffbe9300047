// Closed work can be found again: a Plan Item's page lists all its events (open, closed and
// cancelled, each linked), and every events list (a facility's, My events) has a Closed view with
// the completion date, who closed it and whether it was on time.
import { expect } from 'chai';
import { addDays, todayIn } from '../../lib/calendar-dates.ts';
import { ownerQuery } from '../support/factories.ts';
import { type Agent, signedInAgent, testApp } from '../support/http.ts';
import { createEvent, createEventSite, type EventSite } from './event-factories.ts';

const today = () => todayIn('America/Chicago');
const table = (html: string, id: string) => new RegExp(`<table[^>]*id="${id}"[\\s\\S]*?</table>`).exec(html)?.[0] ?? '';
const rowOf = (html: string, eventId: string) => new RegExp(`<tr[^>]*>(?:(?!</tr>)[\\s\\S])*?/events/${eventId}"[\\s\\S]*?</tr>`).exec(html)?.[0] ?? '';

describe('events: lists by status and the Plan Item page', () => {
  let app: ReturnType<typeof testApp>;
  let site: EventSite;
  let ids: { open: string; onTime: string; late: string; cancelled: string };
  let agent: Agent;
  before(() => {
    app = testApp();
  });
  beforeEach(async () => {
    site = await createEventSite({ dueDate: addDays(today(), -40) });
    const make = (due: string) => createEvent({ client: site.client, facility: site.facility, itemId: site.itemId, assignee: site.associate }, due);
    ids = { open: site.eventId, onTime: await make(addDays(today(), -30)), late: await make(addDays(today(), -20)), cancelled: await make(addDays(today(), -10)) };
    await ownerQuery(`UPDATE events SET status = 'closed', completed_on = due_date - 1, closed_by = $2, closed_at = now() WHERE id = $1`, [ids.onTime, site.manager.id]);
    await ownerQuery(`UPDATE events SET status = 'closed', completed_on = due_date + 2, late = true, recorded_late = true, closed_by = $2, closed_at = now() WHERE id = $1`, [ids.late, site.associate.id]);
    await ownerQuery(`UPDATE events SET status = 'cancelled', cancel_reason = 'Plant shut for the month' WHERE id = $1`, [ids.cancelled]);
    agent = await signedInAgent(app, site.associate.email, site.associate.password);
  });

  it('the Plan Item page shows the schedule in words and every event, each linked, with its status', async () => {
    const page = await agent.get(`/plan-items/${site.itemId}`);
    expect(page.status).to.equal(200);
    expect(page.text).to.include('Stormwater inspection').and.include('Monthly on the last day');
    const events = table(page.text, 'item-events');
    for (const id of Object.values(ids)) expect(events).to.include(`/events/${id}"`);
    expect(rowOf(events, ids.open)).to.include('Overdue');
    expect(rowOf(events, ids.onTime)).to.include('Closed on time');
    expect(rowOf(events, ids.late)).to.include('Closed late').and.include('Recorded late');
    expect(rowOf(events, ids.cancelled)).to.include('Cancelled');
    const closedOnly = table((await agent.get(`/plan-items/${site.itemId}?status=closed`)).text, 'item-events');
    expect(closedOnly).to.include(`/events/${ids.onTime}"`).and.include(`/events/${ids.late}"`).and.not.include(`/events/${ids.open}"`);
  });

  it('a facility’s Closed view lists closed events with completion date, closer and on time or late; Open lists none of them', async () => {
    const closed = table((await agent.get(`/units/${site.facility.id}/events?status=closed`)).text, 'events-table');
    expect(rowOf(closed, ids.onTime)).to.include(addDays(today(), -31)).and.include('Mona Manager').and.include('Closed on time');
    expect(rowOf(closed, ids.late)).to.include(addDays(today(), -18)).and.include('Ada Associate').and.include('Closed late');
    expect(closed).not.to.include(`/events/${ids.open}"`).and.not.include(`/events/${ids.cancelled}"`);
    // Most recently completed first.
    expect(closed.indexOf(ids.late)).to.be.lessThan(closed.indexOf(ids.onTime));
    const open = table((await agent.get(`/units/${site.facility.id}/events`)).text, 'events-table');
    expect(open).to.include(`/events/${ids.open}"`).and.not.include(`/events/${ids.onTime}"`).and.not.include(`/events/${ids.late}"`);
    const cancelled = (await agent.get(`/units/${site.facility.id}/events?status=cancelled`)).text;
    expect(table(cancelled, 'events-table')).to.include('Plant shut for the month');
  });

  it('My events has a Closed view of my own closed events', async () => {
    const mine = table((await agent.get('/events?status=closed')).text, 'my-events');
    expect(mine).to.include(`/events/${ids.onTime}"`).and.include(`/events/${ids.late}"`).and.not.include(`/events/${ids.open}"`);
    const colleague = await signedInAgent(app, site.colleague.email, site.colleague.password);
    expect((await colleague.get('/events?status=closed')).text).not.to.include(`/events/${ids.onTime}"`);
  });

  it('refuses the page of an item outside the user’s scope (404)', async () => {
    const outsider = await signedInAgent(app, site.outsider.email, site.outsider.password);
    expect((await outsider.get(`/plan-items/${site.itemId}`)).status).to.equal(404);
  });
});
