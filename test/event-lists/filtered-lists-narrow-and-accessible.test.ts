// The events lists with their filters, sort links, page links and the "reassign all matching"
// confirmation fit a phone's width (375 px) and axe-core finds nothing serious or critical on
// them; the filter form works without JavaScript (a plain GET form).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { ownerQuery } from '../support/factories.ts';
import { type BrowserRig, signedInPage, startBrowserRig } from '../browser/browser.ts';
import { day, event, item, listWorld } from './list-world.ts';

const WIDTH = 375;
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

async function check(page: Page): Promise<{ path: string; scrollWidth: number; violations: string[] }> {
  const path = new URL(page.url()).pathname + new URL(page.url()).search;
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  if (process.env.SCREENSHOTS) await page.screenshot({ path: `${process.env.SCREENSHOTS}/list-${path.replace(/[^a-z]+/g, '-').slice(0, 60)}.png`, fullPage: true });
  await page.addScriptTag({ content: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}) at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
  return { path, scrollWidth, violations };
}

describe('events lists: filtered pages at 375 px and with axe-core', function () {
  this.timeout(120_000);
  let rig: BrowserRig | undefined;
  before(async function () {
    rig = await startBrowserRig(this);
  });
  after(async () => {
    await rig?.close();
  });

  it('fits the screen and has no serious or critical violation, filtered, sorted, paged, refused and confirming', async () => {
    const w = await listWorld();
    const long = 'Quarterly_groundwater_monitoring_well_inspection_and_sampling_'.repeat(3);
    const daily = await item(w, w.plantOne, w.alice, { activity: long, category: 'Groundwater monitoring and sampling', reference: '40 CFR 122.26(b)(14)' });
    await ownerQuery(
      `INSERT INTO events (client_id, plan_item_id, facility_id, activity, scheduled_date, due_date, assignee_id)
       SELECT $1, $2, $3, $4, d::date, d::date, $5 FROM generate_series($6::date, $6::date + 69, interval '1 day') AS d`,
      [w.client.id, daily, w.plantOne.id, long, w.alice.id, day(-40)],
    );
    await event(w, await item(w, w.plantTwo, w.bob, { activity: 'Valve exercise', category: 'Safety' }), { due: day(-2) });
    const { page, problems } = await signedInPage(rig!, w.director.email, w.director.password, { width: WIDTH, height: 800 }, { bypassCSP: true });
    const reports = [];
    for (const path of [
      `/units/${w.north.id}/events?status=open&q=122.26&sort=overdue&page=2`,
      `/units/${w.plantOne.id}/events?status=all&category=Groundwater%20monitoring%20and%20sampling&sort=activity&dir=desc`,
      `/units/${w.north.id}/events?status=bogus&from=${day(5)}&to=${day(-5)}&q=%3F%3F`,
      '/events?show=all&sort=due',
    ]) {
      expect((await page.goto(path))?.status()).to.be.below(500);
      reports.push(await check(page));
    }
    // Without script: the filter form is a GET form; choosing a status and applying narrows the list.
    await page.goto(`/units/${w.north.id}/events`);
    await page.locator('summary', { hasText: 'More filters' }).click();
    await page.getByLabel('Status').selectOption('overdue');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    expect(new URL(page.url()).searchParams.get('status')).to.equal('overdue');
    // Reassign all matching: the confirmation step.
    await page.goto(`/units/${w.north.id}/events?q=122.26`);
    await page.getByRole('button', { name: /Select all 70 matching/ }).click();
    await page.getByText('Yes, reassign all').waitFor();
    reports.push(await check(page));
    const tooWide = reports.filter((r) => r.scrollWidth > WIDTH).map((r) => `${r.path}: ${r.scrollWidth} px`);
    const violations = reports.flatMap((r) => r.violations.map((v) => `${r.path}: ${v}`));
    expect({ tooWide, violations }).to.deep.equal({ tooWide: [], violations: [] });
    // The refused-filters page answers 422 on purpose; the browser logs that status, nothing else.
    expect(problems.filter((p) => !p.includes('status of 422'))).to.deep.equal([]);
  });
});
