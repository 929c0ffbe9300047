// The scheduler job in server.ts: a pass at start-up (then every 15 minutes), the self-check
// with it once a day; stopping it clears its timer.
import { expect } from 'chai';
import { startEventGenerationJob } from '../../jobs/event-generation.ts';
import { logger } from '../../lib/logger.ts';
import { testEnv } from '../support/env.ts';
import { createItem, createSite, datesOf } from './generation-factories.ts';

async function until(check: () => Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('event generation job', () => {
  it('generates at start-up, runs the self-check, and ticks until stopped', async () => {
    const site = await createSite();
    const item = await createItem(site, { rrule: 'FREQ=DAILY', start: '2026-01-01', leadTimeDays: 0 });
    const ended = await createItem(site, { rrule: 'FREQ=DAILY;COUNT=1', start: '2026-01-01' });
    const warnings: unknown[] = [];
    const original = logger.warn.bind(logger);
    (logger as { warn: unknown }).warn = (...args: unknown[]) => void warnings.push(args);
    const stop = startEventGenerationJob(testEnv().db.sequelize, { tickMs: 50, selfCheckMs: 60_000 });
    try {
      await until(async () => (await datesOf(item)).length > 0 && warnings.length > 0);
      expect(JSON.stringify(warnings)).to.include(ended);
      // A later tick (here after 50 ms) picks up an item added meanwhile; the self-check does not rerun.
      const added = await createItem(site, { rrule: 'FREQ=DAILY', start: '2026-01-01', leadTimeDays: 0 });
      await until(async () => (await datesOf(added)).length > 0);
      expect(warnings).to.have.length(1);
    } finally {
      await stop();
      (logger as { warn: unknown }).warn = original;
    }
    const count = (await datesOf(item)).length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await datesOf(item)).length).to.equal(count);
  });
});
