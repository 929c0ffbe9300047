// Scheduling semantics of generation (DESIGN.md §4): the facility's "today", DST, lead time and
// "always at least the next one", editing, deactivation and hiding, series that never stop by
// themselves, relative timing, and tenant isolation.
import { expect } from 'chai';
import { inUnitOfWork } from '../../lib/unit-of-work.ts';
import { generateEvents, generateForItems } from '../../services/events/generation.ts';
import { testEnv } from '../support/env.ts';
import { ownerQuery } from '../support/factories.ts';
import { createFacility, createItem, createSite, dateSeries, datesOf, eventsOf, nextDueOf } from './generation-factories.ts';

const generate = (now: string, clientIds?: string[]) =>
  generateEvents(testEnv().db.sequelize, { now: new Date(now), ...(clientIds ? { clientIds } : {}) });

describe('event generation: time zones', () => {
  it('Pacific/Auckland and America/Los_Angeles disagree about today at the same instant, and generate accordingly', async () => {
    const site = await createSite({ clientZone: 'America/New_York' });
    const auckland = await createFacility(site, 'Pacific/Auckland');
    const losAngeles = await createFacility(site, 'America/Los_Angeles');
    const nz = await createItem(site, { rrule: 'FREQ=DAILY', start: '2026-06-10', leadTimeDays: 0 }, auckland);
    const la = await createItem(site, { rrule: 'FREQ=DAILY', start: '2026-06-10', leadTimeDays: 0 }, losAngeles);
    // 13:00 UTC on 15 June: 01:00 on 16 June in Auckland (NZST), 06:00 on 15 June in Los Angeles (PDT).
    await generate('2026-06-15T13:00:00Z');
    expect(await datesOf(nz)).to.deep.equal(dateSeries('2026-06-10', '2026-06-16'));
    expect(await datesOf(la)).to.deep.equal(dateSeries('2026-06-10', '2026-06-15'));
    expect(await nextDueOf(nz)).to.equal('2026-06-16');
    expect(await nextDueOf(la)).to.equal('2026-06-15');
  });

  it('uses the client zone when the facility has none', async () => {
    const site = await createSite({ clientZone: 'Pacific/Auckland' });
    const item = await createItem(site, { rrule: 'FREQ=DAILY', start: '2026-06-14', leadTimeDays: 0 });
    await generate('2026-06-15T13:00:00Z');
    expect(await datesOf(item)).to.deep.equal(['2026-06-14', '2026-06-15', '2026-06-16']);
  });

  for (const { zone, spring, fall, fallDay } of [
    // US: 8 March 2026 02:00 EST → 03:00 EDT (07:00 UTC); 1 November 02:00 EDT → 01:00 EST (06:00 UTC).
    { zone: 'America/New_York', spring: ['2026-03-08T06:59:00Z', '2026-03-08T07:01:00Z', '2026-03-09T03:59:00Z'], fall: ['2026-11-01T05:30:00Z', '2026-11-01T06:30:00Z', '2026-11-02T04:59:00Z'], fallDay: '2026-11-01' },
    // EU: 29 March 2026 02:00 CET → 03:00 CEST (01:00 UTC); 25 October 03:00 CEST → 02:00 CET (01:00 UTC).
    { zone: 'Europe/Berlin', spring: ['2026-03-29T00:59:00Z', '2026-03-29T01:01:00Z', '2026-03-29T21:59:00Z'], fall: ['2026-10-25T00:30:00Z', '2026-10-25T01:30:00Z', '2026-10-25T22:59:00Z'], fallDay: '2026-10-25' },
  ]) {
    it(`never shifts a due date across DST changes in ${zone}`, async () => {
      const site = await createSite({ facilityZone: zone });
      const daily = await createItem(site, { rrule: 'FREQ=DAILY', start: '2026-03-01', leadTimeDays: 0 });
      const weekly = await createItem(site, { rrule: 'FREQ=WEEKLY;BYDAY=SU', start: '2026-03-01', leadTimeDays: 0 });
      const monthly = await createItem(site, { rrule: 'FREQ=MONTHLY;BYMONTHDAY=-1', start: '2026-01-01', leadTimeDays: 200 });
      // Runs just before, just after and late on the day of each change: "today" is the local
      // calendar date every time, and no occurrence lands on a neighbouring day.
      for (const instant of [...spring, ...fall]) await generate(instant);
      const localDate = (iso: string) => new Intl.DateTimeFormat('en-CA', { timeZone: zone }).format(new Date(iso));
      const lastToday = localDate(fall[2]!);
      expect(lastToday).to.equal(fallDay);
      expect(await datesOf(daily)).to.deep.equal(dateSeries('2026-03-01', lastToday));
      const sundays = await datesOf(weekly);
      expect(sundays).to.deep.equal(dateSeries('2026-03-01', sundays.at(-1)!, 7));
      expect(sundays.at(-1)! >= lastToday).to.equal(true);
      expect(await datesOf(monthly)).to.deep.equal([
        '2026-01-31', '2026-02-28', '2026-03-31', '2026-04-30', '2026-05-31', '2026-06-30', '2026-07-31', '2026-08-31',
        '2026-09-30', '2026-10-31', '2026-11-30', '2026-12-31', '2027-01-31', '2027-02-28', '2027-03-31', '2027-04-30',
      ]); // through the last today + 200 days (May 2027)
      for (const e of await eventsOf(daily)) expect(e.due_date).to.equal(e.scheduled_date);
    });
  }
});

describe('event generation: lead time', () => {
  it('always generates at least the next occurrence, even beyond the lead time', async () => {
    const site = await createSite();
    const annual = await createItem(site, { rrule: 'FREQ=YEARLY;BYMONTH=9;BYMONTHDAY=15', start: '2026-09-15', leadTimeDays: 30 });
    await generate('2026-03-10T12:00:00Z');
    expect(await datesOf(annual)).to.deep.equal(['2026-09-15']);
    // After it falls due the following one is generated, though also beyond the lead time.
    await generate('2026-09-16T12:00:00Z');
    expect(await datesOf(annual)).to.deep.equal(['2026-09-15', '2027-09-15']);
    expect(await nextDueOf(annual)).to.equal('2027-09-15');
  });

  it('materialises a new item whose (confirmed) first due date is in the past from that date', async () => {
    const site = await createSite();
    const item = await createItem(site, { rrule: 'FREQ=MONTHLY;BYMONTHDAY=1', start: '2025-12-01', leadTimeDays: 10 });
    await generate('2026-03-10T12:00:00Z');
    expect(await datesOf(item)).to.deep.equal(['2025-12-01', '2026-01-01', '2026-02-01', '2026-03-01', '2026-04-01']);
    expect(await nextDueOf(item)).to.equal('2026-04-01');
  });

  it('leaves out dates before the schedule start', async () => {
    const site = await createSite();
    // 2026-03-05 is a Thursday; the weekly Monday rule's first date is 9 March.
    const item = await createItem(site, { rrule: 'FREQ=WEEKLY;BYDAY=MO', start: '2026-03-05', leadTimeDays: 7 });
    await generate('2026-03-05T12:00:00Z');
    expect(await datesOf(item)).to.deep.equal(['2026-03-09']);
  });
});

describe('event generation: editing, deactivating, hiding', () => {
  it('editing the rule leaves existing events untouched; later occurrences follow the new rule', async () => {
    const site = await createSite();
    const item = await createItem(site, { activity: 'Old name', rrule: 'FREQ=MONTHLY;BYMONTHDAY=15', start: '2026-01-15', leadTimeDays: 30 });
    await generate('2026-02-20T12:00:00Z');
    const before = await eventsOf(item);
    expect(before.map((e) => e.scheduled_date)).to.deep.equal(['2026-01-15', '2026-02-15', '2026-03-15']);
    // One of them had its due date moved by a user meanwhile; that too must survive.
    await ownerQuery(`UPDATE events SET due_date = DATE '2026-03-17' WHERE id = $1`, [before[2]!.id]);

    await ownerQuery(`UPDATE plan_items SET rrule = 'FREQ=MONTHLY;BYMONTHDAY=20', activity = 'New name' WHERE id = $1`, [item]);
    await generate('2026-04-25T12:00:00Z');
    const after = await eventsOf(item);
    const kept = after.filter((e) => before.some((b) => b.id === e.id));
    expect(kept.map((e) => [e.scheduled_date, e.due_date, e.activity])).to.deep.equal([
      ['2026-01-15', '2026-01-15', 'Old name'],
      ['2026-02-15', '2026-02-15', 'Old name'],
      ['2026-03-15', '2026-03-17', 'Old name'],
    ]);
    // The new rule's dates after the last generated one (never back-filled before it), through 25 May.
    const added = after.filter((e) => !before.some((b) => b.id === e.id));
    expect(added.map((e) => [e.scheduled_date, e.activity])).to.deep.equal([
      ['2026-03-20', 'New name'],
      ['2026-04-20', 'New name'],
      ['2026-05-20', 'New name'],
    ]);
  });

  for (const flag of ['schedules_events = false', 'hidden = true'] as const) {
    it(`${flag} stops generation without touching history, and undoing it resumes generation`, async () => {
      const site = await createSite();
      const item = await createItem(site, { rrule: 'FREQ=WEEKLY;BYDAY=MO', start: '2026-03-02', leadTimeDays: 0 });
      await generate('2026-03-03T12:00:00Z');
      await ownerQuery(`UPDATE events SET status = 'closed', completed_on = scheduled_date, closed_by = assignee_id, closed_at = now() WHERE plan_item_id = $1 AND scheduled_date = '2026-03-02'`, [item]);
      const before = await eventsOf(item);
      expect(before.map((e) => [e.scheduled_date, e.status])).to.deep.equal([['2026-03-02', 'closed'], ['2026-03-09', 'open']]);

      await ownerQuery(`UPDATE plan_items SET ${flag} WHERE id = $1`, [item]);
      const result = await generate('2026-04-01T12:00:00Z');
      expect(result).to.deep.include({ items: 0, created: 0 });
      expect(await eventsOf(item)).to.deep.equal(before);

      await ownerQuery(`UPDATE plan_items SET ${flag === 'hidden = true' ? 'hidden = false' : 'schedules_events = true'} WHERE id = $1`, [item]);
      await generate('2026-04-01T12:00:00Z');
      const resumed = await datesOf(item);
      expect(resumed.at(-1)).to.equal('2026-04-06');
      expect(resumed.slice(0, 2)).to.deep.equal(['2026-03-02', '2026-03-09']);
    });
  }
});

describe('event generation: resuming after a pause', () => {
  it('generates nothing before generate_from, and keeps the rule\'s rhythm from its start', async () => {
    const site = await createSite();
    // Every other Tuesday from 3 March 2026: 3 and 17 March, 31 March, 14 and 28 April, …
    const item = await createItem(site, { rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=TU', start: '2026-03-03', leadTimeDays: 0 });
    await generate('2026-03-04T12:00:00Z');
    expect(await datesOf(item)).to.deep.equal(['2026-03-03', '2026-03-17']);

    await ownerQuery('UPDATE plan_items SET schedules_events = false WHERE id = $1', [item]);
    await generate('2026-04-20T12:00:00Z');
    // Resumed on 22 April: the paused occurrences (31 March, 14 April) stay ungenerated.
    await ownerQuery(`UPDATE plan_items SET schedules_events = true, generate_from = '2026-04-22' WHERE id = $1`, [item]);
    await generate('2026-04-22T12:00:00Z');
    expect(await datesOf(item)).to.deep.equal(['2026-03-03', '2026-03-17', '2026-04-28']);
  });
});

describe('event generation: nothing stops by itself', () => {
  it('a weekly series keeps generating across the year boundary', async () => {
    const site = await createSite();
    const item = await createItem(site, { rrule: 'FREQ=WEEKLY;BYDAY=MO', start: '2026-11-30', leadTimeDays: 14 });
    // A run every few days from late November 2026 to March 2027.
    for (const day of dateSeries('2026-11-25', '2027-03-01', 3)) await generate(`${day}T09:00:00Z`);
    const dates = await datesOf(item);
    // Every Monday from 30 November 2026 through 1 March 2027 + 14 days, without a gap.
    expect(dates).to.deep.equal(dateSeries('2026-11-30', '2027-03-15', 7));
    expect(dates).to.include.members(['2026-12-28', '2027-01-04']);
    expect(await nextDueOf(item)).to.equal('2027-03-01');
  });

  it('a weekly series with a zero lead time always has its next occurrence materialised', async () => {
    const site = await createSite();
    const item = await createItem(site, { rrule: 'FREQ=WEEKLY;BYDAY=FR', start: '2026-12-04', leadTimeDays: 0 });
    for (const day of ['2026-12-05', '2026-12-26', '2027-01-02']) {
      await generate(`${day}T09:00:00Z`);
      const next = await nextDueOf(item);
      expect(next !== null && next >= day, `${day}: ${next}`).to.equal(true);
    }
    expect((await datesOf(item)).at(-1)).to.equal('2027-01-08');
  });
});

describe('event generation: relative items', () => {
  it('creates exactly one open event at the start, and no more until it is closed', async () => {
    const site = await createSite();
    const item = await createItem(site, { relative: { every: 3, unit: 'month' }, start: '2026-05-01', leadTimeDays: 30 });
    for (const day of ['2026-03-01', '2026-04-15', '2026-05-02', '2026-09-30']) await generate(`${day}T12:00:00Z`);
    const events = await eventsOf(item);
    expect(events.map((e) => [e.scheduled_date, e.due_date, e.status])).to.deep.equal([['2026-05-01', '2026-05-01', 'open']]);
    // Overdue, it is still the item's next due date.
    expect(await nextDueOf(item)).to.equal('2026-05-01');

    // Closing it does not make generation invent the next one (closing does that).
    await ownerQuery(`UPDATE events SET status = 'closed', completed_on = '2026-10-01', closed_by = assignee_id, closed_at = now() WHERE plan_item_id = $1`, [item]);
    await generate('2026-10-02T12:00:00Z');
    expect(await datesOf(item)).to.deep.equal(['2026-05-01']);
    expect(await nextDueOf(item)).to.equal(null);
  });
});

describe('event generation: isolation', () => {
  it('generating for client A never touches client B', async () => {
    const a = await createSite();
    const b = await createSite();
    const itemA = await createItem(a, { start: '2026-01-01' });
    const itemB = await createItem(b, { start: '2026-01-01' });
    const result = await generate('2026-03-10T12:00:00Z', [a.client.id]);
    expect(result).to.deep.include({ clients: 1, items: 1, created: 3 });
    expect(await datesOf(itemA)).to.have.length(3);
    expect(await datesOf(itemB)).to.deep.equal([]);
    expect(await nextDueOf(itemB)).to.equal(null);
  });

  it("a unit of work for client A cannot generate client B's items, even when asked for them by id", async () => {
    const a = await createSite();
    const b = await createSite();
    const itemB = await createItem(b, { start: '2026-01-01' });
    const now = new Date('2026-03-10T12:00:00Z');
    const system = { actorKind: 'system' as const, clientId: a.client.id };
    const byId = await inUnitOfWork(testEnv().db.sequelize, system, () => generateForItems(a.client.id, [itemB], now));
    const posingAsB = await inUnitOfWork(testEnv().db.sequelize, system, () => generateForItems(b.client.id, [itemB], now));
    expect(byId).to.deep.equal({ items: 0, created: 0 });
    expect(posingAsB).to.deep.equal({ items: 0, created: 0 });
    expect(await datesOf(itemB)).to.deep.equal([]);
  });
});
