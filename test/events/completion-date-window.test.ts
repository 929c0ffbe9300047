// The completion date a close may claim: never before the previous occurrence's due date (for an
// item's first event, its schedule start less its lead time), so an absurd date cannot record
// overdue work as done on time; and a close entered more than 7 days after the date it claims is
// marked "recorded late" on the event and in its close record.
import { expect } from 'chai';
import { addDays, todayIn } from '../../lib/calendar-dates.ts';
import { ownerQuery } from '../support/factories.ts';
import { type Agent, csrfFrom, signedInAgent, testApp } from '../support/http.ts';
import { createEvent, createEventSite, type EventSite, eventRow } from './event-factories.ts';

const today = () => todayIn('America/Chicago');

async function close(agent: Agent, eventId: string, completedOn: string) {
  const page = await agent.get(`/events/${eventId}`);
  expect(page.status).to.equal(200);
  return agent.post(`/events/${eventId}/close`).type('form').send({ _csrf: csrfFrom(page.text), completedOn });
}

async function recorded(eventId: string) {
  const [event] = await ownerQuery<{ recorded_late: boolean }>('SELECT recorded_late FROM events WHERE id = $1', [eventId]);
  const closures = await ownerQuery<{ recorded_late: boolean }>('SELECT recorded_late FROM event_closures WHERE event_id = $1', [eventId]);
  return { event: event!.recorded_late, closures: closures.map((c) => c.recorded_late) };
}

describe('events: the completion date window and records entered late', () => {
  let app: ReturnType<typeof testApp>;
  let site: EventSite;
  let agent: Agent;
  const due = () => addDays(today(), -15);
  before(() => {
    app = testApp();
  });
  beforeEach(async () => {
    // A first event due 15 days ago; its item starts then with the default 30-day lead time.
    site = await createEventSite({ dueDate: due() });
    agent = await signedInAgent(app, site.associate.email, site.associate.password);
  });

  it('refuses 1900-01-01 with a 422 that names the earliest date, and the event stays open', async () => {
    const res = await close(agent, site.eventId, '1900-01-01');
    expect(res.status).to.equal(422);
    expect(res.text).to.include(`cannot be before ${addDays(due(), -30)}`);
    expect(res.text).to.include('value="1900-01-01"');
    expect((await eventRow(site.eventId)).status).to.equal('open');
    expect(await ownerQuery('SELECT 1 FROM event_closures WHERE event_id = $1', [site.eventId])).to.have.length(0);
  });

  it('offers the window on the date input (min and max)', async () => {
    const page = await agent.get(`/events/${site.eventId}`);
    expect(page.text).to.match(new RegExp(`id="completedOn"[^>]*min="${addDays(due(), -30)}"[^>]*max="${today()}"`));
  });

  it('accepts the first day of the window, backdated, and marks the close recorded late', async () => {
    const earliest = addDays(due(), -30);
    expect((await close(agent, site.eventId, addDays(earliest, -1))).status).to.equal(422);
    const res = await close(agent, site.eventId, earliest);
    expect(res.status).to.equal(303);
    expect(await eventRow(site.eventId)).to.include({ status: 'closed', completed_on: earliest, late: false });
    expect(await recorded(site.eventId)).to.deep.equal({ event: true, closures: [true] });
    const page = await agent.get(`/events/${site.eventId}`);
    expect(page.text).to.include('Recorded late');
    const history = await ownerQuery<{ changes: { recordedLate: boolean } }>("SELECT changes FROM audit_log WHERE entity_id = $1 AND action = 'event.closed'", [site.eventId]);
    expect(history[0]!.changes.recordedLate).to.equal(true);
  });

  it('counts exactly 7 days after the completion date as entered on time, 8 as recorded late', async () => {
    expect((await close(agent, site.eventId, addDays(today(), -7))).status).to.equal(303);
    expect(await recorded(site.eventId)).to.deep.equal({ event: false, closures: [false] });
    // Closing generated the item's next occurrences; the first of them is bounded by due().
    const [next] = await ownerQuery<{ id: string }>("SELECT id FROM events WHERE plan_item_id = $1 AND status = 'open' ORDER BY scheduled_date LIMIT 1", [site.itemId]);
    expect((await close(agent, next!.id, addDays(today(), -8))).status).to.equal(303);
    const nextId = next!.id;
    expect(await recorded(nextId)).to.deep.equal({ event: true, closures: [true] });
  });

  it('bounds a later occurrence by the previous occurrence’s due date', async () => {
    const next = await createEvent({ client: site.client, facility: site.facility, itemId: site.itemId, assignee: site.associate }, addDays(today(), 5));
    const before = await close(agent, next, addDays(due(), -1));
    expect(before.status).to.equal(422);
    expect(before.text).to.include(`cannot be before ${due()}`);
    expect((await close(agent, next, due())).status).to.equal(303);
  });

  it('clears the mark when the event is reopened', async () => {
    expect((await close(agent, site.eventId, addDays(today(), -10))).status).to.equal(303);
    const manager = await signedInAgent(app, site.manager.email, site.manager.password);
    const page = await manager.get(`/events/${site.eventId}`);
    const res = await manager.post(`/events/${site.eventId}/reopen`).type('form').send({ _csrf: csrfFrom(page.text), reason: 'Wrong date' });
    expect(res.status).to.equal(303);
    expect(await recorded(site.eventId)).to.deep.equal({ event: false, closures: [true] });
  });
});
