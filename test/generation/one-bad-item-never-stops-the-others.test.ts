// One bad Plan Item never stops generation for the others: an item that throws (a corrupt stored
// rule) or whose rows the database refuses is set aside, the rest of its client and every client
// after it still get their events, and the failure is recorded (app_errors, the admin errors
// page) and listed by the self-check, by npm run events:generate and by the daily job.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { logger } from '../../lib/logger.ts';
import { findItemsWithoutFutureOccurrence, generateEvents, runSelfCheck } from '../../services/events/generation.ts';
import { BASE_TEST_ENV, testEnv } from '../support/env.ts';
import { ownerQuery } from '../support/factories.ts';
import { testApp } from '../support/http.ts';
import { createStaff, signedInStaffAgent } from '../support/staff.ts';
import { createItem, createSite, datesOf, nextDueOf } from './generation-factories.ts';

const NOW = new Date('2026-03-10T12:00:00Z');
const root = path.resolve(import.meta.dirname, '../..');

/** A calendar item whose stored rule the form would never have accepted (written as the owner). */
async function corruptRule(planItemId: string): Promise<void> {
  await ownerQuery(`UPDATE plan_items SET rrule = 'FREQ=SOMETIMES;BYDAY=9XX' WHERE id = $1`, [planItemId]);
}

interface ErrorRow {
  method: string;
  path: string;
  status: number | null;
  error_name: string;
  message: string;
}

const appErrors = () => ownerQuery<ErrorRow>('SELECT method, path, status, error_name, message FROM app_errors ORDER BY occurred_at, path');

describe('event generation: one bad item never stops the others', function () {
  this.timeout(60_000);

  it('sets aside an item with a corrupt stored rule; the rest of its client and the client after it are generated, the failure recorded and shown', async () => {
    const bad = await createSite();
    const healthy = await createSite();
    const broken = await createItem(bad, { rrule: 'FREQ=DAILY', start: '2026-03-01', leadTimeDays: 5 });
    await corruptRule(broken);
    const besideIt = await createItem(bad, { rrule: 'FREQ=DAILY', start: '2026-03-01', leadTimeDays: 5 });
    const elsewhere = await createItem(healthy, { rrule: 'FREQ=WEEKLY;BYDAY=MO', start: '2026-03-02', leadTimeDays: 14 });

    // The bad client first, so that a failure abandoning the run would leave the healthy one without events.
    const result = await generateEvents(testEnv().db.sequelize, { now: NOW, clientIds: [bad.client.id, healthy.client.id] });

    expect(await datesOf(elsewhere)).to.deep.equal(['2026-03-02', '2026-03-09', '2026-03-16', '2026-03-23']);
    expect(await datesOf(besideIt)).to.have.length(15); // 1 March through 15 March
    expect(await nextDueOf(besideIt)).to.equal('2026-03-10');
    expect(await datesOf(broken)).to.deep.equal([]);
    expect(result).to.deep.include({ clients: 2, items: 3, created: 19 });
    expect(result.failures).to.have.length(1);
    expect(result.failures[0]).to.include({ clientId: bad.client.id, planItemId: broken, facilityId: bad.facility.id });
    expect(result.failures[0]!.error).to.include('Invalid schedule rule');

    // Recorded for the admin errors page: the job, the ids and the error; no client data.
    const rows = await appErrors();
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ method: 'JOB', status: null, error_name: 'ScheduleError' });
    expect(rows[0]!.path).to.equal(`event generation: client ${bad.client.id} plan item ${broken}`);
    expect(rows[0]!.message).to.include('Invalid schedule rule');
    const staff = await createStaff({ role: 'application_developer' });
    const page = await (await signedInStaffAgent(testApp(), staff)).get('/admin/errors').expect(200);
    expect(page.text).to.include(`plan item ${broken}`).and.include('Invalid schedule rule');

    // The self-check lists it (it cannot evaluate the rule either), with the error, beside ended items.
    const ended = await createItem(healthy, { rrule: 'FREQ=DAILY;COUNT=1', start: '2026-01-01' });
    const found = await findItemsWithoutFutureOccurrence(testEnv().db.sequelize, NOW, { generationFailures: result.failures });
    expect(found.map((f) => f.planItemId).sort()).to.deep.equal([broken, ended].sort());
    expect(found.find((f) => f.planItemId === broken)!.failure).to.include('Invalid schedule rule');
    expect(found.find((f) => f.planItemId === ended)!.failure).to.equal(undefined);

    // A second run the same day records nothing new (the job runs every 15 minutes) but still reports it.
    const again = await generateEvents(testEnv().db.sequelize, { now: NOW, clientIds: [bad.client.id, healthy.client.id] });
    expect(again.failures.map((f) => f.planItemId)).to.deep.equal([broken]);
    expect(await appErrors()).to.have.length(1);
  });

  it('sets aside an item whose rows the database refuses, among many in the same statement; the others are generated', async () => {
    const site = await createSite();
    const other = await createSite();
    const fine: string[] = [];
    for (let i = 0; i < 12; i++) fine.push(await createItem(site, { rrule: 'FREQ=DAILY', start: '2026-03-01', leadTimeDays: 10 }));
    // Valid for plan_items (length(btrim(activity)) ≤ 200) but not for events (length(activity) ≤ 200).
    const refused = await createItem(site, { activity: `Pump check${' '.repeat(195)}`, rrule: 'FREQ=DAILY', start: '2026-03-01', leadTimeDays: 10 });
    const later = await createItem(other, { rrule: 'FREQ=DAILY', start: '2026-03-01', leadTimeDays: 10 });

    const result = await generateEvents(testEnv().db.sequelize, { now: NOW, clientIds: [site.client.id, other.client.id] });

    for (const item of [...fine, later]) expect(await datesOf(item)).to.have.length(20); // 1 March through 20 March
    expect(await datesOf(refused)).to.deep.equal([]);
    expect(result.created).to.equal(13 * 20);
    expect(result.failures.map((f) => f.planItemId)).to.deep.equal([refused]);
    expect(result.failures[0]!.error).to.include('events_activity_check');
    const rows = await appErrors();
    expect(rows.map((r) => r.path)).to.deep.equal([`event generation: client ${site.client.id} plan item ${refused}`]);
    expect(rows[0]!.message).to.include('violates check constraint');
    // The failed item keeps no next due date from this run; the others have theirs.
    expect(await nextDueOf(refused)).to.equal(null);
    expect(await nextDueOf(fine[0]!)).to.equal('2026-03-10');
  });

  it('npm run events:generate finishes every client and lists the failing item in its self-check', async () => {
    const bad = await createSite();
    const healthy = await createSite();
    const broken = await createItem(bad, { rrule: 'FREQ=DAILY', start: '2026-03-01' });
    await corruptRule(broken);
    const items = [await createItem(bad, { rrule: 'FREQ=DAILY', start: '2026-03-01' }), await createItem(healthy, { rrule: 'FREQ=DAILY', start: '2026-03-01' })];
    const { urls } = testEnv();
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/generate-events.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH, ...BASE_TEST_ENV, DATABASE_URL: urls.owner, DATABASE_APP_URL: urls.app, DATABASE_SESSION_URL: urls.session },
      timeout: 60_000,
    });
    for (const item of items) expect((await datesOf(item)).length).to.be.greaterThan(0);
    expect(stdout).to.match(/Done in [\d.]+ s: 2 client\(s\), 3 active item\(s\)/);
    expect(stdout).to.include(`client ${bad.client.id}: 2 item(s)`).and.include('1 item(s) failed');
    expect(stdout).to.include('Self-check: 1 active plan item(s) failing event generation');
    expect(stdout).to.match(new RegExp(`plan item ${broken}: ScheduleError: Invalid schedule rule`));
    expect((await appErrors()).map((r) => r.path)).to.deep.equal([`event generation: client ${bad.client.id} plan item ${broken}`]);
  });

  it('the daily self-check logs failing items apart from ended ones', async () => {
    const site = await createSite();
    const broken = await createItem(site, { rrule: 'FREQ=DAILY', start: '2026-03-01' });
    await corruptRule(broken);
    const ended = await createItem(site, { rrule: 'FREQ=DAILY;COUNT=1', start: '2026-01-01' });
    const lines: Array<[Record<string, unknown>, string]> = [];
    const original = logger.warn.bind(logger);
    (logger as { warn: unknown }).warn = (fields: Record<string, unknown>, message: string) => void lines.push([fields, message]);
    try {
      await runSelfCheck(testEnv().db.sequelize, NOW);
    } finally {
      (logger as { warn: unknown }).warn = original;
    }
    expect(lines.map(([, m]) => m).sort()).to.deep.equal(['active plan items failing event generation', 'active plan items without a future occurrence']);
    const failing = lines.find(([, m]) => m === 'active plan items failing event generation')![0];
    expect(failing).to.deep.include({ clientId: site.client.id, count: 1 });
    expect(JSON.stringify(failing)).to.include(broken).and.include('Invalid schedule rule');
    expect(lines.find(([, m]) => m === 'active plan items without a future occurrence')![0]).to.deep.include({ planItemIds: [ended] });
  });
});
