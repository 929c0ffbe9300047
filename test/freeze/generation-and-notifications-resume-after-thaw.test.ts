// While a client's data is frozen, event generation and the notification pass leave it alone
// (they could not write it anyway); the first passes after the thaw create every event and
// notice the freeze held back, so nothing is lost.
import { expect } from 'chai';
import { generateEvents } from '../../services/events/generation.ts';
import { testEnv } from '../support/env.ts';
import { ownerQuery } from '../support/factories.ts';
import { createItem, createSite, eventsOf } from '../generation/generation-factories.ts';
import { eventDue, ledger, noticeWorld, outbox, pass } from '../notifications/world.ts';

const freeze = (clientId: string) => ownerQuery(`UPDATE clients SET frozen_at = now(), frozen_reason = 'Outage' WHERE id = $1`, [clientId]);
const thaw = (clientId: string) => ownerQuery(`UPDATE clients SET frozen_at = NULL, frozen_reason = NULL WHERE id = $1`, [clientId]);

describe('freeze mode: generation and notifications pause and resume', () => {
  it('generates no events for a frozen client, and every held-back occurrence after the thaw', async () => {
    const site = await createSite();
    const other = await createSite();
    const item = await createItem(site, { rrule: 'FREQ=MONTHLY;BYMONTHDAY=-1', start: '2026-01-01' });
    const otherItem = await createItem(other, { rrule: 'FREQ=MONTHLY;BYMONTHDAY=-1', start: '2026-01-01' });
    await freeze(site.client.id);

    const frozen = await generateEvents(testEnv().db.sequelize, { now: new Date('2026-03-10T12:00:00Z'), clientIds: [site.client.id, other.client.id] });
    expect(frozen.frozenClients).to.deep.equal([site.client.id]);
    expect(frozen.failures).to.deep.equal([]);
    expect(await eventsOf(item)).to.deep.equal([]);
    expect((await eventsOf(otherItem)).map((e) => e.scheduled_date)).to.deep.equal(['2026-01-31', '2026-02-28', '2026-03-31']);

    // Thawed a month later: the occurrences due meanwhile are all there.
    await thaw(site.client.id);
    const resumed = await generateEvents(testEnv().db.sequelize, { now: new Date('2026-04-10T12:00:00Z'), clientIds: [site.client.id] });
    expect(resumed.frozenClients).to.deep.equal([]);
    expect((await eventsOf(item)).map((e) => e.scheduled_date)).to.deep.equal(['2026-01-31', '2026-02-28', '2026-03-31', '2026-04-30']);
  });

  it('plans and sends no notice for a frozen client, and the held-back ones after the thaw', async () => {
    const w = await noticeWorld();
    const overdue = await eventDue(w, 'losAngeles', '2026-03-01');
    await freeze(w.client.id);

    const frozen = await pass(w, '2026-03-10T20:00:00Z');
    expect(frozen.frozenClients).to.deep.equal([w.client.id]);
    expect(frozen).to.deep.include({ clients: 0, planned: 0, messages: 0 });
    expect(await ledger(w.client.id)).to.deep.equal([]);
    expect(await outbox(w.client.id)).to.deep.equal([]);

    await thaw(w.client.id);
    const resumed = await pass(w, '2026-03-10T20:00:00Z');
    expect(resumed.frozenClients).to.deep.equal([]);
    expect(resumed.messages).to.be.greaterThan(0);
    const lees = (await ledger(w.client.id)).filter((r) => r.event_id === overdue && r.recipient_id === w.lee.id);
    expect(lees.map((r) => [r.kind, r.status])).to.deep.equal([['overdue', 'queued']]);
    const digests = (await outbox(w.client.id, 'notification.digest')).filter((m) => m.to_address === w.lee.email);
    expect(digests).to.have.length(1);
    expect(digests[0]!.text_body).to.include(`/events/${overdue}`);
  });
});
