// The daily self-check (DESIGN.md §4): every active Plan Item without a future occurrence is
// reported, so that no series ever stops silently; logs carry ids and counts only.
import { expect } from 'chai';
import { logger } from '../../lib/logger.ts';
import { findItemsWithoutFutureOccurrence, generateEvents, runSelfCheck } from '../../services/events/generation.ts';
import { testEnv } from '../support/env.ts';
import { ownerQuery } from '../support/factories.ts';
import { createItem, createSite } from './generation-factories.ts';

const NOW = new Date('2026-03-10T12:00:00Z');

describe('event generation: self-check', () => {
  it('lists active items whose schedule has ended (COUNT, UNTIL, one-time) and relative items left without an open event', async () => {
    const site = await createSite();
    const other = await createSite();
    const counted = await createItem(site, { rrule: 'FREQ=MONTHLY;BYMONTHDAY=1;COUNT=2', start: '2026-01-01' });
    const until = await createItem(site, { rrule: 'FREQ=WEEKLY;BYDAY=MO;UNTIL=20260301', start: '2026-01-05' });
    const oneTime = await createItem(other, { rrule: 'FREQ=DAILY;COUNT=1', start: '2026-02-01' });
    const relativeClosed = await createItem(site, { relative: { every: 1, unit: 'year' }, start: '2026-01-15' });
    // Not reported: a live rule, one ending in the future, today's last occurrence, a brand-new
    // relative item (its first event comes next run), and inactive or hidden items.
    await createItem(site, { rrule: 'FREQ=MONTHLY;BYMONTHDAY=-1', start: '2026-01-01' });
    await createItem(site, { rrule: 'FREQ=DAILY;UNTIL=20260310', start: '2026-03-01' });
    await createItem(site, { rrule: 'FREQ=MONTHLY;BYMONTHDAY=1;COUNT=12', start: '2026-01-01' });
    await createItem(site, { relative: { every: 1, unit: 'month' }, start: '2026-04-01' });
    await createItem(site, { rrule: 'FREQ=DAILY;COUNT=1', start: '2026-01-01', schedulesEvents: false });
    await createItem(site, { rrule: 'FREQ=DAILY;COUNT=1', start: '2026-01-01', hidden: true });

    await generateEvents(testEnv().db.sequelize, { now: NOW });
    await ownerQuery(`UPDATE events SET status = 'closed', completed_on = '2026-01-20', closed_by = assignee_id, closed_at = now() WHERE plan_item_id = $1`, [relativeClosed]);

    const found = await findItemsWithoutFutureOccurrence(testEnv().db.sequelize, NOW);
    const key = (f: { clientId: string; planItemId: string }) => `${f.clientId}/${f.planItemId}`;
    expect(found.map(key).sort()).to.deep.equal(
      [`${site.client.id}/${counted}`, `${site.client.id}/${until}`, `${other.client.id}/${oneTime}`, `${site.client.id}/${relativeClosed}`].sort(),
    );
    expect(found.find((f) => f.planItemId === counted)?.facilityId).to.equal(site.facility.id);
  });

  it('judges "today" in the facility zone', async () => {
    const site = await createSite({ facilityZone: 'Pacific/Auckland' });
    const item = await createItem(site, { rrule: 'FREQ=DAILY;UNTIL=20260615', start: '2026-06-01' });
    // 15 June 11:00 in Auckland: today's occurrence is still ahead.
    expect(await findItemsWithoutFutureOccurrence(testEnv().db.sequelize, new Date('2026-06-14T23:00:00Z'))).to.deep.equal([]);
    // 16 June 01:00 in Auckland (still 15 June in UTC): the series has ended.
    const ended = await findItemsWithoutFutureOccurrence(testEnv().db.sequelize, new Date('2026-06-15T13:00:00Z'));
    expect(ended.map((f) => f.planItemId)).to.deep.equal([item]);
  });

  it('logs one warning per affected client, with ids and counts only', async () => {
    const site = await createSite();
    const a = await createItem(site, { activity: 'Secret activity name', rrule: 'FREQ=DAILY;COUNT=1', start: '2026-01-01' });
    const b = await createItem(site, { rrule: 'FREQ=DAILY;COUNT=1', start: '2026-01-02' });
    const lines: unknown[][] = [];
    const original = logger.warn.bind(logger);
    (logger as { warn: unknown }).warn = (...args: unknown[]) => {
      lines.push(args);
    };
    try {
      await runSelfCheck(testEnv().db.sequelize, NOW);
    } finally {
      (logger as { warn: unknown }).warn = original;
    }
    expect(lines).to.have.length(1);
    const [fields, message] = lines[0] as [{ clientId: string; count: number; planItemIds: string[] }, string];
    expect(fields.clientId).to.equal(site.client.id);
    expect(fields.count).to.equal(2);
    expect([...fields.planItemIds].sort()).to.deep.equal([a, b].sort());
    expect(JSON.stringify(lines)).not.to.include('Secret');
    expect(message).to.equal('active plan items without a future occurrence');
  });
});
