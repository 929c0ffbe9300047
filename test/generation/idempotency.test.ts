// Generation is idempotent: run twice, or twice at the same moment on separate connections (as two
// app servers would), and each occurrence exists exactly once (DESIGN.md §4, §9).
import { expect } from 'chai';
import { inUnitOfWork } from '../../lib/unit-of-work.ts';
import { type Database, openDatabase } from '../../models/index.ts';
import { GENERATION_LOCK_KEY, generateEvents, generateForItems } from '../../services/events/generation.ts';
import { testEnv } from '../support/env.ts';
import { ownerQuery } from '../support/factories.ts';
import { createItem, createSite, datesOf, eventsOf, nextDueOf } from './generation-factories.ts';

const NOW = new Date('2026-03-10T12:00:00Z');

describe('event generation: idempotency', () => {
  let second: Database;
  before(() => {
    // A second app connection, like a second app server (the models stay bound to the first).
    second = openDatabase(testEnv().urls, 4);
  });
  after(async () => {
    await second.close();
  });

  it('materialises the lead-time window once, snapshotting the item, and a second run creates nothing', async () => {
    const site = await createSite();
    const item = await createItem(site, { activity: 'Monthly stormwater inspection', description: 'Outfalls 1-4', rrule: 'FREQ=MONTHLY;BYMONTHDAY=-1', start: '2026-01-01' });

    const first = await generateEvents(testEnv().db.sequelize, { now: NOW });
    expect(first).to.deep.include({ clients: 1, items: 1, created: 3 });
    const events = await eventsOf(item);
    // Today 2026-03-10 + 30 days = 2026-04-09: Jan, Feb and Mar month-ends; April's is beyond.
    expect(events.map((e) => e.scheduled_date)).to.deep.equal(['2026-01-31', '2026-02-28', '2026-03-31']);
    for (const e of events) {
      expect(e).to.include({ client_id: site.client.id, facility_id: site.facility.id, activity: 'Monthly stormwater inspection', description: 'Outfalls 1-4', assignee_id: site.assignee.id, status: 'open' });
      expect(e.due_date).to.equal(e.scheduled_date);
    }
    expect(await nextDueOf(item)).to.equal('2026-03-31');

    const again = await generateEvents(testEnv().db.sequelize, { now: NOW });
    expect(again).to.deep.include({ clients: 1, items: 1, created: 0 });
    const after = await eventsOf(item);
    expect(after.map((e) => [e.id, e.updated_at.getTime()])).to.deep.equal(events.map((e) => [e.id, e.updated_at.getTime()]));
  });

  it('creates each event exactly once when two connections run at the same moment', async () => {
    const site = await createSite();
    const items: string[] = [];
    for (let i = 0; i < 40; i++) items.push(await createItem(site, { rrule: 'FREQ=DAILY', start: '2026-03-01', leadTimeDays: 60 }));
    // Small batches, so the two runs interleave batch by batch.
    const [a, b] = await Promise.all([
      generateEvents(testEnv().db.sequelize, { now: NOW, batchSize: 5 }),
      generateEvents(second.sequelize, { now: NOW, batchSize: 5 }),
    ]);
    // 2026-03-01 through 2026-05-09 (today + 60) is 70 days.
    expect(a.created + b.created).to.equal(40 * 70);
    const [{ n, distinct }] = await ownerQuery<{ n: number; distinct: number }>(
      'SELECT count(*)::int AS n, count(DISTINCT (plan_item_id, scheduled_date))::int AS distinct FROM events',
    );
    expect(n).to.equal(40 * 70);
    expect(distinct).to.equal(n);
    for (const item of items.slice(0, 3)) expect((await datesOf(item)).length).to.equal(70);
  });

  it('creates each event exactly once when two writers insert the same occurrences concurrently (no lock)', async () => {
    const site = await createSite();
    const items: string[] = [];
    for (let i = 0; i < 20; i++) items.push(await createItem(site, { rrule: 'FREQ=DAILY', start: '2026-03-01', leadTimeDays: 100 }));
    const system = { actorKind: 'system' as const, clientId: site.client.id };
    // generateForItems takes no advisory lock: the unique key alone must hold.
    const results = await Promise.all([
      inUnitOfWork(testEnv().db.sequelize, system, () => generateForItems(site.client.id, items, NOW)),
      inUnitOfWork(second.sequelize, system, () => generateForItems(site.client.id, items, NOW)),
      inUnitOfWork(second.sequelize, system, () => generateForItems(site.client.id, [...items].reverse(), NOW)),
    ]);
    // 2026-03-01 through 2026-06-18 (today + 100) is 110 days.
    expect(results.reduce((sum, r) => sum + r.created, 0)).to.equal(20 * 110);
    const [{ n }] = await ownerQuery<{ n: number }>('SELECT count(*)::int AS n FROM events');
    expect(n).to.equal(20 * 110);
  });

  it('skips a client whose advisory lock another process holds, and generates it on the next run', async () => {
    const site = await createSite();
    const item = await createItem(site, { start: '2026-01-01' });
    const holder = await testEnv().owner.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1::int, hashtext($2::text))', [GENERATION_LOCK_KEY, site.client.id]);
      const blocked = await generateEvents(testEnv().db.sequelize, { now: NOW });
      expect(blocked).to.deep.include({ clients: 0, created: 0, skippedClients: [site.client.id], clientsWithNewEvents: [] });
      expect(await datesOf(item)).to.deep.equal([]);
      await holder.query('COMMIT');
    } finally {
      holder.release();
    }
    const next = await generateEvents(testEnv().db.sequelize, { now: NOW });
    expect(next).to.deep.include({ clients: 1, created: 3, skippedClients: [], clientsWithNewEvents: [site.client.id] });
  });

  it('works through many items in batches, each client in its own units of work', async () => {
    const site = await createSite();
    const other = await createSite();
    for (let i = 0; i < 7; i++) await createItem(site, { start: '2026-03-01', rrule: 'FREQ=WEEKLY;BYDAY=MO', leadTimeDays: 0 });
    await createItem(other, { start: '2026-03-01', rrule: 'FREQ=WEEKLY;BYDAY=MO', leadTimeDays: 0 });
    const result = await generateEvents(testEnv().db.sequelize, { now: NOW, batchSize: 3 });
    // Mondays 2, 9 and (the next one, beyond a zero lead time) 16 March, for 8 items.
    expect(result).to.deep.include({ clients: 2, items: 8, created: 24 });
  });

  it('gives the same events and next due dates with several units of work inserting at once as with one', async () => {
    const rules = ['FREQ=DAILY', 'FREQ=WEEKLY;BYDAY=MO', 'FREQ=MONTHLY;BYMONTHDAY=-1', 'FREQ=MONTHLY;BYDAY=1MO', 'FREQ=YEARLY;BYMONTH=7;BYMONTHDAY=1'];
    const serial = await createSite();
    const parallel = await createSite();
    const items = { serial: [] as string[], parallel: [] as string[] };
    for (let i = 0; i < 11; i++) {
      const spec = { rrule: rules[i % rules.length]!, start: `2026-02-${String(10 + i).padStart(2, '0')}`, leadTimeDays: 45 };
      items.serial.push(await createItem(serial, spec));
      items.parallel.push(await createItem(parallel, spec));
    }
    const one = await generateEvents(testEnv().db.sequelize, { now: NOW, clientIds: [serial.client.id], concurrency: 1 });
    const three = await generateEvents(testEnv().db.sequelize, { now: NOW, clientIds: [parallel.client.id], concurrency: 3, batchSize: 2 });
    expect(three).to.deep.include({ clients: 1, items: 11, created: one.created });
    expect(one.created).to.be.greaterThan(11);
    for (let i = 0; i < 11; i++) {
      expect(await datesOf(items.parallel[i]!)).to.deep.equal(await datesOf(items.serial[i]!));
      expect(await nextDueOf(items.parallel[i]!)).to.equal(await nextDueOf(items.serial[i]!)).and.not.equal(null);
    }
  });
});
