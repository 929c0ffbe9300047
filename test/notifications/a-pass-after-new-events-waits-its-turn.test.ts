// Servers take turns on a client's notification pass (an advisory lock), and a pass that finds
// the lock held moves on. That is wrong just after this server generated events: the other
// server's pass may have read before they were committed, so nobody would notice them until the
// next full pass. Told which clients have new events, the pass waits for its turn on them.
import { expect } from 'chai';
import { NOTIFICATION_LOCK_KEY, runNotificationPass } from '../../services/notifications/pass.ts';
import { testEnv } from '../support/env.ts';
import { BASE_URL, eventDue, ledger, noticeWorld, SECRET } from './world.ts';

describe('notifications: a pass after new events waits its turn', () => {
  it('moves on from a client another server is notifying, unless it has just generated events for it', async () => {
    const w = await noticeWorld();
    const overdue = await eventDue(w, 'losAngeles', '2026-03-01');
    const run = (waitForClients?: string[]) =>
      runNotificationPass(testEnv().db.sequelize, { now: new Date('2026-03-10T20:00:00Z'), clientIds: [w.client.id], baseUrl: BASE_URL, secret: SECRET, waitForClients });
    // Another server's pass on the client, in progress.
    const other = await testEnv().owner.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT pg_advisory_xact_lock($1, hashtext($2::text))', [NOTIFICATION_LOCK_KEY, w.client.id]);

      const movedOn = await run();
      expect(movedOn).to.deep.include({ clients: 0, planned: 0, busyClients: [w.client.id] });
      expect(await ledger(w.client.id)).to.deep.equal([]);

      let settled = false;
      const waiting = run([w.client.id]).finally(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(settled, 'the pass waits while the other holds the client').to.equal(false);
      await other.query('COMMIT');
      const waited = await waiting;
      expect(waited).to.deep.include({ clients: 1, busyClients: [] });
      expect(waited.planned).to.be.greaterThan(0);
    } finally {
      await other.query('ROLLBACK').catch(() => undefined);
      other.release();
    }
    const lees = (await ledger(w.client.id)).filter((r) => r.event_id === overdue && r.recipient_id === w.lee.id);
    expect(lees.map((r) => r.kind)).to.deep.equal(['overdue']);
  });
});
