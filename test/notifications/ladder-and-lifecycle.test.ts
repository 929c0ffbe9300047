// Escalations reach exactly the people whose scope covers the facility, nearest level first and
// a level up when nobody is left at one; a pending notice whose ground went away is skipped with
// the reason; assignments due within days go out at once; the weekly summary counts by the
// shared definitions; the ledger is the client's alone.
import { expect } from 'chai';
import { inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { testEnv } from '../support/env.ts';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { createUnit, grantScope } from '../support/hierarchy-factories.ts';
import { type Agent, csrfFrom, signedInAgent, testApp } from '../support/http.ts';
import { eventDue, ledger, noticeWorld, outbox, pass } from './world.ts';

// 13:00 on 10 March 2026 in Los Angeles.
const INSTANT = '2026-03-10T20:00:00Z';

describe('notifications: the escalation ladder', () => {
  it('reaches the facility’s managers at 7 days, directors at 14, executives and administrators at 30 — never an outside director or another client', async () => {
    const w = await noticeWorld();
    const other = await createClient({ timeZone: 'America/Los_Angeles' });
    await createUser(other, { name: 'Other Admin', rank: 'administrator' });
    const seven = await eventDue(w, 'losAngeles', '2026-03-03');
    const fourteen = await eventDue(w, 'losAngeles', '2026-02-24');
    const thirty = await eventDue(w, 'losAngeles', '2026-02-08');
    await pass(w, INSTANT);
    const escalations = (await ledger(w.client.id)).filter((r) => r.kind === 'escalation');
    const to = (id: string) => escalations.filter((r) => r.event_id === id).map((r) => [r.level, r.recipient_id]).sort();
    expect(to(seven)).to.deep.equal([[1, w.manager.id]]);
    expect(to(fourteen)).to.deep.equal([[1, w.manager.id], [2, w.director.id]].sort());
    expect(to(thirty)).to.deep.equal([[1, w.manager.id], [2, w.director.id], [3, w.executive.id], [3, w.admin.id]].sort());
    expect(escalations.map((r) => r.recipient_id)).not.to.include(w.outsideDirector.id).and.not.to.include(w.lee.id);
    expect(await ledger(other.id)).to.deep.equal([]);
    // Level 1 comes in the digest; levels beyond it as their own message with one-click unsubscribe.
    const director = (await outbox(w.client.id, 'notification.escalation')).find((m) => m.to_address === w.director.email)!;
    expect(director.headers).to.include({ 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' });
    expect(director.headers!['List-Unsubscribe']).to.match(/^<http:\/\/plantrak\.test\/notifications\/unsubscribe\?token=[^>]+>$/);
    const managerDigest = (await outbox(w.client.id, 'notification.digest')).find((m) => m.to_address === w.manager.email)!;
    expect(managerDigest.text_body).to.include('ESCALATED TO YOU').and.include('Assigned to Lee Associate');
  });

  it('goes up one level when nobody active is left at the nearest one, and sends the deactivated nothing', async () => {
    const w = await noticeWorld();
    await ownerQuery(`UPDATE users SET status = 'deactivated' WHERE id = $1`, [w.manager.id]);
    const seven = await eventDue(w, 'losAngeles', '2026-03-03');
    await pass(w, INSTANT);
    const rows = (await ledger(w.client.id)).filter((r) => r.event_id === seven && r.kind === 'escalation');
    expect(rows.map((r) => [r.level, r.recipient_id])).to.deep.equal([[1, w.director.id]]);
    expect((await outbox(w.client.id)).map((m) => m.to_address)).not.to.include(w.manager.email);
  });
});

describe('notifications: nothing stale, nothing lost', () => {
  it('skips a pending reminder, with the reason, when its event is closed before the digest', async () => {
    const w = await noticeWorld();
    const closed = await eventDue(w, 'losAngeles', '2026-03-12');
    const moved = await eventDue(w, 'losAngeles', '2026-03-13');
    const hidden = await eventDue(w, 'auckland', '2026-03-12');
    await ownerQuery('UPDATE users SET digest_hour = 23 WHERE id = ANY ($1::uuid[])', [[w.lee.id, w.kiri.id]]);
    await pass(w, INSTANT); // planned, waiting for 23:00
    await ownerQuery(`UPDATE events SET status = 'closed', completed_on = DATE '2026-03-10', closed_at = now(), closed_by = $2 WHERE id = $1`, [closed, w.lee.id]);
    await ownerQuery(`UPDATE events SET due_date = DATE '2026-03-20' WHERE id = $1`, [moved]);
    await ownerQuery(`UPDATE plan_items SET hidden = true WHERE id = (SELECT plan_item_id FROM events WHERE id = $1)`, [hidden]);
    await pass(w, '2026-03-11T07:00:00Z'); // 23:00 in Los Angeles, 20:00 in Auckland
    const reason = async (id: string) => (await ledger(w.client.id)).filter((r) => r.event_id === id).map((r) => [r.status, r.skip_reason]);
    expect(await reason(closed)).to.deep.equal([['skipped', 'The event was closed.']]);
    expect(await reason(moved)).to.deep.include.members([['skipped', 'The due date changed.']]);
    expect(await reason(hidden)).to.deep.include.members([['skipped', 'The plan item is hidden.']]);
    expect(await outbox(w.client.id, 'notification.digest')).to.deep.equal([]);
  });

  it('retargets on reassignment: the old assignee’s notice is skipped, the new one hears at once when it is due within days', async () => {
    const w = await noticeWorld();
    const soon = await eventDue(w, 'losAngeles', '2026-03-12');
    const colleague = await createUser(w.client, { name: 'Cole Colleague', rank: 'associate' });
    await grantScope(colleague, w.losAngeles);
    await ownerQuery('UPDATE users SET digest_hour = 23 WHERE id = ANY ($1::uuid[])', [[w.lee.id, colleague.id]]);
    await pass(w, INSTANT);
    const agent: Agent = await signedInAgent(testApp(), w.director.email, w.director.password);
    const page = await agent.get(`/events/${soon}`);
    const moved = await agent.post(`/events/${soon}/reassign`).type('form').send({ _csrf: csrfFrom(page.text), assigneeId: colleague.id });
    expect(moved.status).to.equal(303);
    await pass(w, '2026-03-10T20:15:00Z');
    const rows = (await ledger(w.client.id)).filter((r) => r.event_id === soon);
    expect(rows.filter((r) => r.recipient_id === w.lee.id).map((r) => [r.status, r.skip_reason])).to.deep.equal([['skipped', 'Reassigned to someone else.']]);
    expect(rows.filter((r) => r.recipient_id === colleague.id && r.kind === 'assignment').map((r) => r.status)).to.deep.equal(['queued']);
    const mails = await outbox(w.client.id, 'notification.assignment');
    expect(mails.map((m) => m.to_address)).to.deep.equal([colleague.email]);
    expect(mails[0]!.subject).to.include('Tank check at LA Depot');
  });

  it('stops a suspended client’s notices and a deactivated recipient’s', async () => {
    const w = await noticeWorld();
    await eventDue(w, 'losAngeles', '2026-03-11');
    await eventDue(w, 'auckland', '2026-03-11');
    await ownerQuery('UPDATE users SET digest_hour = 23');
    await pass(w, INSTANT);
    await ownerQuery(`UPDATE users SET status = 'deactivated' WHERE id = $1`, [w.kiri.id]);
    await pass(w, INSTANT);
    expect((await ledger(w.client.id)).filter((r) => r.recipient_id === w.kiri.id).map((r) => r.skip_reason)).to.deep.equal(['The recipient is no longer active.']);
    await ownerQuery(`UPDATE clients SET status = 'suspended' WHERE id = $1`, [w.client.id]);
    await pass(w, '2026-03-11T07:00:00Z');
    expect((await ledger(w.client.id)).filter((r) => r.status === 'pending')).to.deep.equal([]);
    expect((await ledger(w.client.id)).some((r) => r.skip_reason === 'The organisation is suspended.')).to.equal(true);
    expect(await outbox(w.client.id)).to.deep.equal([]);
  });
});

describe('notifications: the weekly summary', () => {
  it('goes to Directors and above on Mondays, counting their scope by the shared definitions', async () => {
    const w = await noticeWorld();
    await eventDue(w, 'losAngeles', '2026-03-01'); // overdue
    await eventDue(w, 'losAngeles', '2026-03-15'); // due within 14 days
    const onTime = await eventDue(w, 'losAngeles', '2026-02-10');
    const late = await eventDue(w, 'auckland', '2026-02-11');
    await ownerQuery(`UPDATE events SET status = 'closed', completed_on = due_date, closed_at = now() - interval '2 days', closed_by = $2 WHERE id = $1`, [onTime, w.lee.id]);
    await ownerQuery(`UPDATE events SET status = 'closed', completed_on = due_date + 3, late = true, closed_at = now() - interval '30 days', closed_by = $2 WHERE id = $1`, [late, w.kiri.id]);
    await ownerQuery(`UPDATE users SET notification_opt_outs = '{weekly_summary}' WHERE id = $1`, [w.executive.id]);
    await pass(w, '2026-03-09T20:00:00Z'); // Monday 9 March, 13:00 in Los Angeles
    const summaries = await outbox(w.client.id, 'notification.weekly_summary');
    expect(summaries.map((m) => m.to_address).sort()).to.deep.equal([w.director.email, w.outsideDirector.email, w.admin.email].sort());
    const director = summaries.find((m) => m.to_address === w.director.email)!;
    // In scope: 2 open (1 overdue, 1 due soon); due in the last 12 months: the overdue one
    // (missed), one on time and one late: 1 of 3 on time.
    expect(director.text_body).to.include('2 open').and.include('1 overdue').and.include('1 due in the next 14 days').and.include('33.3% (1 of 3)');
    expect(summaries.find((m) => m.to_address === w.outsideDirector.email)!.text_body).to.include('0 open');
    expect(director.headers!['List-Unsubscribe']).to.include('/notifications/unsubscribe?token=');
  });
});

describe('notifications: the ledger under row-level security', () => {
  it('shows a client user their own notices and those in their scope, and another client none', async () => {
    const w = await noticeWorld();
    await eventDue(w, 'losAngeles', '2026-03-11');
    await eventDue(w, 'auckland', '2026-03-11');
    await pass(w, INSTANT);
    const other = await createClient();
    const outsider = await createUser(other, { rank: 'administrator' });
    const seen = (userId: string, clientId: string) =>
      inUnitOfWork(testEnv().db.sequelize, { actorKind: 'user', clientId, userId }, () => sql<{ recipient_id: string }>('SELECT recipient_id FROM notifications'));
    expect(await seen(outsider.id, other.id)).to.deep.equal([]);
    const lee = await seen(w.lee.id, w.client.id);
    expect(lee.length).to.be.greaterThan(0);
    expect(lee.every((r) => r.recipient_id === w.lee.id)).to.equal(true);
    expect((await seen(w.admin.id, w.client.id)).length).to.equal((await ledger(w.client.id)).length);
    // Writing another client's ledger is refused.
    await createUnit(other, { name: 'Elsewhere' });
    let refused = false;
    try {
      await inUnitOfWork(testEnv().db.sequelize, { actorKind: 'user', clientId: w.client.id, userId: w.admin.id }, () =>
        sql(`INSERT INTO notifications (client_id, recipient_id, kind, due_for) VALUES ($1, $2, 'weekly_summary', DATE '2026-03-09')`, [other.id, outsider.id]));
    } catch {
      refused = true;
    }
    expect(refused).to.equal(true);
  });
});
