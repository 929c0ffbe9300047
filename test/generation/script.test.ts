// npm run events:generate, as a separate process, at the same moment as an in-process run:
// each event is still created exactly once; the script prints progress and totals.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { generateEvents } from '../../services/events/generation.ts';
import { BASE_TEST_ENV, testEnv } from '../support/env.ts';
import { ownerQuery } from '../support/factories.ts';
import { createItem, createSite } from './generation-factories.ts';

const root = path.resolve(import.meta.dirname, '../..');

function runScript(): Promise<{ stdout: string; stderr: string }> {
  const { urls } = testEnv();
  return promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/generate-events.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      ...BASE_TEST_ENV,
      DATABASE_URL: urls.owner,
      DATABASE_APP_URL: urls.app,
      DATABASE_SESSION_URL: urls.session,
    },
    timeout: 60_000,
  });
}

describe('npm run events:generate', function () {
  this.timeout(90_000);

  it('generates for every client, concurrently with another process, creating each event once', async () => {
    const sites = [await createSite(), await createSite()];
    for (const site of sites) {
      for (let i = 0; i < 10; i++) await createItem(site, { rrule: 'FREQ=DAILY', start: '2026-01-01', leadTimeDays: 30 });
      await createItem(site, { rrule: 'FREQ=DAILY;COUNT=1', start: '2026-01-01' });
    }
    const [script, inProcess] = await Promise.all([runScript(), generateEvents(testEnv().db.sequelize)]);
    expect(script.stdout).to.match(/Generating events for 2 client\(s\)/);
    expect(script.stdout).to.match(/Done in [\d.]+ s: /);
    expect(script.stdout).to.match(/Self-check: 2 active plan item\(s\) without a future occurrence/);
    const [{ n, distinct }] = await ownerQuery<{ n: number; distinct: number }>(
      'SELECT count(*)::int AS n, count(DISTINCT (plan_item_id, scheduled_date))::int AS distinct FROM events',
    );
    expect(n).to.equal(distinct);
    expect(n).to.be.greaterThan(20 * 30);
    const scriptCreated = [...script.stdout.matchAll(/(\d+) event\(s\) created/g)].map((m) => Number(m[1]));
    // Per-client lines plus the total line; the total is the sum of the per-client lines.
    const scriptTotal = scriptCreated.pop()!;
    expect(scriptCreated.reduce((a, b) => a + b, 0)).to.equal(scriptTotal);
    expect(scriptTotal + inProcess.created).to.equal(n);
  });
});
