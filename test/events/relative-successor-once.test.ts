// Regression: "for relative-timing items, closing creates the next event from the completion date,
// exactly once". continueRelativeItem (services/events/closing.ts) decides whether a successor
// exists with `scheduled_date > this event's scheduled_date`. A completion date earlier than the
// due date (allowed) gives a successor scheduled *before* the closed event, which that test does
// not see: reopen and close again and a second successor appears.
import { expect } from 'chai';
import { ownerQuery } from '../support/factories.ts';
import { type Agent, csrfFrom, signedInAgent, testApp } from '../support/http.ts';
import { createEventSite, type EventSite, eventRow } from './event-factories.ts';

async function post(agent: Agent, site: EventSite, action: string, fields: Record<string, string>) {
  const page = await agent.get(`/events/${site.eventId}`);
  expect(page.status).to.equal(200);
  return agent.post(`/events/${site.eventId}/${action}`).type('form').send({ _csrf: csrfFrom(page.text), ...fields });
}

const successors = (site: EventSite) =>
  ownerQuery<{ due_date: string; status: string }>(
    'SELECT due_date::text, status FROM events WHERE plan_item_id = $1 AND id <> $2 ORDER BY due_date',
    [site.itemId, site.eventId],
  );

describe('a relative item gets one next event, even when closed early and re-closed', () => {
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  it('reopen + close again (both early) does not create a second next event', async () => {
    const site = await createEventSite({ relative: { every: 1, unit: 'week' }, dueDate: '2026-03-31' });
    const associate = await signedInAgent(app, site.associate.email, site.associate.password);
    const manager = await signedInAgent(app, site.manager.email, site.manager.password);

    // Done 11 days ahead of the due date: allowed (completion may be earlier than the due date).
    expect((await post(associate, site, 'close', { completedOn: '2026-03-20' })).status).to.equal(303);
    const first = await successors(site);
    expect(first.map((e) => e.due_date)).to.deep.equal(['2026-03-27']);

    expect((await post(manager, site, 'reopen', { reason: 'Wrong completion date' })).status).to.equal(303);
    expect((await post(associate, site, 'close', { completedOn: '2026-03-21' })).status).to.equal(303);
    expect((await eventRow(site.eventId)).status).to.equal('closed');

    const after = await successors(site);
    expect(after.map((e) => e.due_date), 'exactly one next event for one occurrence').to.have.length(1);
  });
});
