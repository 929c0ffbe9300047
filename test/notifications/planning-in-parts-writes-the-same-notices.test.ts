// Planning writes a big client's notices in statements of bounded size, whole facilities at a
// time (so no statement outgrows the runtime role's statement_timeout): cut as finely as it can
// be, it writes exactly the notices one statement over the whole client plans. Delivery reads the
// pending notices recipient by recipient in statements of bounded size too.
import { expect } from 'chai';
import { inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { Client } from '../../models/index.ts';
import { recipientBatches } from '../../services/notifications/pass.ts';
import { planningParts, plannedNoticesQuery, recordPlannedNotices } from '../../services/notifications/planner.ts';
import { testEnv } from '../support/env.ts';
import { eventDue, ledger, noticeWorld } from './world.ts';

// A Monday (weekly summaries too), 13:00 in Los Angeles.
const NOW = new Date('2026-03-16T20:00:00Z');

describe('notifications: planning in parts', () => {
  it('cuts the client by facility, the summaries in the first part, and writes what one statement over everything plans', async () => {
    const w = await noticeWorld();
    for (const due of ['2026-01-20', '2026-03-01', '2026-03-09', '2026-03-16', '2026-03-19', '2026-03-30']) {
      await eventDue(w, 'losAngeles', due);
      await eventDue(w, 'auckland', due);
    }
    const key = (r: { event_id: string | null; recipient_id: string; kind: string; due_for: string }) => `${r.event_id} ${r.recipient_id} ${r.kind} ${r.due_for}`;
    const { parts, expected, created } = await inUnitOfWork(testEnv().db.sequelize, { actorKind: 'system', clientId: w.client.id }, async () => {
      const client = (await Client.findByPk(w.client.id))!;
      const parts = await planningParts(client, { now: NOW }, 1);
      const whole = plannedNoticesQuery(client, { now: NOW });
      const expected = await sql<{ event_id: string | null; recipient_id: string; kind: string; due_for: string }>(
        `SELECT "eventId" AS event_id, "recipientId" AS recipient_id, kind, "dueFor"::text AS due_for FROM (${whole.text}) p`, whole.params);
      return { parts, expected, created: await recordPlannedNotices(client, { now: NOW }, 1) };
    });
    expect(parts.map((p) => p.facilityIds!.length)).to.deep.equal([1, 1]);
    expect(parts.flatMap((p) => p.facilityIds).sort()).to.deep.equal([w.auckland.id, w.losAngeles.id].sort());
    expect(parts.map((p) => p.summaries)).to.deep.equal([true, false]);
    const kinds = new Set(expected.map((r) => r.kind));
    expect([...kinds].sort(), 'the fixture plans every kind').to.deep.equal(['due_today', 'escalation', 'overdue', 'reminder', 'weekly_summary']);
    const written = await ledger(w.client.id);
    expect(created).to.equal(expected.length);
    expect(written.map(key).sort()).to.deep.equal(expected.map(key).sort());
  });
});

describe('notifications: delivery in parts', () => {
  it('reads whole recipients, as many as fit one statement, in order; one with more than fits goes alone', () => {
    const due = [{ id: 'a', pendingCount: 3 }, { id: 'b', pendingCount: 2 }, { id: 'c', pendingCount: 9 }, { id: 'd', pendingCount: 1 }, { id: 'e', pendingCount: 4 }];
    expect(recipientBatches(due, 5)).to.deep.equal([['a', 'b'], ['c'], ['d', 'e']]);
    expect(recipientBatches(due, 100)).to.deep.equal([['a', 'b', 'c', 'd', 'e']]);
    expect(recipientBatches([], 5)).to.deep.equal([]);
  });
});
