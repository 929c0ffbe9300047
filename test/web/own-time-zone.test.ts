// Times of day follow the reader: once a user chooses a time zone (their notification
// preferences), every time on their pages is in it and names it; others keep the client's.
import { expect } from 'chai';
import { createEventSite } from '../events/event-factories.ts';
import { ownerQuery } from '../support/factories.ts';
import { signedInAgent, testApp } from '../support/http.ts';

describe('dates and times: a user’s own time zone', () => {
  it('shows the event history in the reader’s own zone when they chose one, else the client’s', async () => {
    const site = await createEventSite({ timeZone: 'Europe/Berlin' });
    await ownerQuery(`INSERT INTO audit_log (client_id, actor_kind, actor_user_id, action, entity_type, entity_id, occurred_at)
                      VALUES ($1, 'user', $2, 'event.commented', 'event', $3, TIMESTAMPTZ '2026-01-15 13:05:00+00')`, [site.client.id, site.manager.id, site.eventId]);
    await ownerQuery(`UPDATE users SET time_zone = 'Asia/Tokyo' WHERE id = $1`, [site.associate.id]);
    const app = testApp();
    const own = await (await signedInAgent(app, site.associate.email, site.associate.password)).get(`/events/${site.eventId}`);
    expect(own.text).to.include('2026-01-15 22:05 GMT+9').and.not.include('2026-01-15 14:05 CET');
    const client = await (await signedInAgent(app, site.manager.email, site.manager.password)).get(`/events/${site.eventId}`);
    expect(client.text).to.include('2026-01-15 14:05 CET');
  });
});
