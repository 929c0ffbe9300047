// A notice planned for someone whose digest goes out in that same pass is written once, already
// queued with the message that lists it: it never waits in the queue. A notice planned earlier
// and still pending goes out in the same message as the new ones.
import { expect } from 'chai';
import { inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { testEnv } from '../support/env.ts';
import { createUser, ownerQuery } from '../support/factories.ts';
import { grantScope } from '../support/hierarchy-factories.ts';
import { eventDue, ledger, noticeWorld, outbox, pass } from './world.ts';

const queueOf = async (clientId: string) =>
  (await inUnitOfWork(testEnv().db.sequelize, { actorKind: 'system', clientId }, () =>
    sql<{ id: string }>('SELECT notification_id AS id FROM notification_queue ORDER BY notification_id'))).map((r) => r.id);

const writtenOnce = (clientId: string) =>
  ownerQuery<{ id: string; written_queued: boolean }>(
    `SELECT id, (status = 'queued' AND settled_at = created_at) AS written_queued FROM notifications WHERE client_id = $1`,
    [clientId],
  );

describe('notifications: planned and sent in one pass', () => {
  it('writes the notices of a digest going out now already queued with their message, never through the queue', async () => {
    const w = await noticeWorld();
    const overdue = await eventDue(w, 'losAngeles', '2026-03-01');
    // 13:00 in Los Angeles, past everyone's digest hour there (07:00).
    const result = await pass(w, '2026-03-10T20:00:00Z');
    expect(result.messages).to.be.greaterThan(0);
    const rows = (await ledger(w.client.id)).filter((r) => r.event_id === overdue);
    const lees = rows.filter((r) => r.recipient_id === w.lee.id);
    expect(lees.map((r) => r.kind)).to.deep.equal(['overdue']);
    const flags = new Map((await writtenOnce(w.client.id)).map((r) => [r.id, r.written_queued]));
    for (const row of rows) expect(flags.get(row.id), `${row.kind} to ${row.recipient_id} written queued`).to.equal(true);
    expect(await queueOf(w.client.id)).to.deep.equal([]);
    const [digest] = (await outbox(w.client.id, 'notification.digest')).filter((m) => m.to_address === w.lee.email);
    expect(digest, 'Lee’s digest').to.exist;
    expect(lees[0]!.mail_id).to.equal(digest!.id);
    expect(digest!.text_body).to.include('Tank check at LA Depot').and.include(`/events/${overdue}`);
  });

  it('sends a notice that waited for the digest hour in the same message as one planned when the hour came', async () => {
    const w = await noticeWorld();
    await ownerQuery('UPDATE users SET digest_hour = 23 WHERE client_id = $1', [w.client.id]);
    const early = await eventDue(w, 'losAngeles', '2026-03-01');
    // 13:00 in Los Angeles: planned, waiting for 23:00.
    await pass(w, '2026-03-10T20:00:00Z');
    const waiting = (await ledger(w.client.id)).find((r) => r.event_id === early && r.recipient_id === w.lee.id)!;
    expect(waiting.status).to.equal('pending');
    expect(await queueOf(w.client.id)).to.include(waiting.id);

    // An event due that day appears; at 23:00 both go out in Lee's one digest.
    const today = await eventDue(w, 'losAngeles', '2026-03-10');
    await pass(w, '2026-03-11T06:00:00Z');
    const rows = (await ledger(w.client.id)).filter((r) => r.recipient_id === w.lee.id);
    const old = rows.find((r) => r.id === waiting.id)!;
    const fresh = rows.find((r) => r.event_id === today && r.kind === 'due_today')!;
    expect([old.status, fresh.status]).to.deep.equal(['queued', 'queued']);
    expect(fresh.mail_id).to.equal(old.mail_id);
    const digests = (await outbox(w.client.id, 'notification.digest')).filter((m) => m.to_address === w.lee.email);
    expect(digests.map((m) => m.id)).to.deep.equal([old.mail_id]);
    expect(digests[0]!.text_body).to.include(`/events/${early}`).and.include(`/events/${today}`);
    const queue = await queueOf(w.client.id);
    expect(queue).to.not.include(old.id).and.not.include(fresh.id);
    const pending = (await ledger(w.client.id)).filter((r) => r.status === 'pending').map((r) => r.id).sort();
    expect(queue).to.deep.equal(pending);
  });

  it('escalates to a manager who comes into scope later, once, and to those already told nothing more', async () => {
    const w = await noticeWorld();
    const late = await eventDue(w, 'losAngeles', '2026-03-01');
    await pass(w, '2026-03-10T20:00:00Z');
    const escalations = async () => (await ledger(w.client.id)).filter((r) => r.event_id === late && r.kind === 'escalation').map((r) => r.recipient_id).sort();
    expect(await escalations()).to.deep.equal([w.manager.id]);

    const newcomer = await createUser(w.client, { name: 'Nia Newcomer', rank: 'manager' });
    await grantScope(newcomer, w.losAngeles);
    const again = await pass(w, '2026-03-10T21:00:00Z');
    expect(again.planned).to.equal(1);
    expect(await escalations()).to.deep.equal([w.manager.id, newcomer.id].sort());
    expect((await pass(w, '2026-03-10T21:30:00Z')).planned).to.equal(0);
  });
});
