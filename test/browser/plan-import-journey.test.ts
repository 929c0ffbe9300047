// The import journey in a browser, without JavaScript (plain forms): a Director downloads the
// template, fills five rows in five schedule styles, sees the dry run, applies it and finds the
// items and their events. At 375 px the import pages do not scroll sideways, and axe-core finds
// nothing serious or critical on them.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { expect } from 'chai';
import ExcelJS from 'exceljs';
import type { Page } from 'playwright-core';
import { importGenerationSettled } from '../../services/imports/plan-import.ts';
import { ownerQuery } from '../support/factories.ts';
import { fiveRows, importWorld } from '../imports/world.ts';
import { type BrowserRig, signedInPage, startBrowserRig } from './browser.ts';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

async function axeAndWidth(page: Page): Promise<{ width: number; violations: string[] }> {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  await page.addScriptTag({ content: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: Array<{ id: string; impact: string }> }> } }).axe;
    return (await axe.run(document, { resultTypes: ['violations'] })).violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id);
  });
  return { width, violations };
}

describe('browser: importing Plan Items from the template', function () {
  this.timeout(180_000);
  let rig: BrowserRig | undefined;
  before(async function () {
    rig = await startBrowserRig(this);
  });
  after(async () => {
    await rig?.close();
  });

  it('template → five rows → dry run → apply → the items and their events, at 375 px and without JavaScript', async () => {
    const w = await importWorld();
    const { page, problems } = await signedInPage(rig!, w.director.email, w.director.password, { width: 375, height: 800 }, { bypassCSP: true, javaScriptEnabled: false });
    await page.goto(`/units/${w.plant.id}/plan`);
    await page.getByRole('link', { name: 'Import Plan Items from a spreadsheet' }).click();
    await page.waitForURL('**/plan-imports/new');

    // The template, filled with five rows in five styles (the example rows replaced).
    const response = await page.request.get('/plan-imports/template.xlsx');
    expect(response.status()).to.equal(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await response.body() as unknown as ArrayBuffer);
    const header = (workbook.worksheets[0]!.getRow(1).values as unknown[]).slice(1);
    expect(header).to.include('Schedule');
    // The template's header with five rows of our own in place of its examples.
    const ours = new ExcelJS.Workbook();
    const sheet = ours.addWorksheet('Plan Items');
    sheet.addRow(header);
    for (const row of fiveRows()) sheet.addRow(row);
    const filled = Buffer.from(await ours.xlsx.writeBuffer());

    await page.goto('/plan-imports/new');
    await page.setInputFiles('input[name="file"]', { name: 'our-plan.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: filled });
    await page.getByRole('button', { name: 'Upload and check' }).click();
    await page.waitForURL(/\/plan-imports\/[0-9a-f-]{36}$/);
    const dryRunText = (await page.textContent('main'))!.replace(/\s+/g, ' ');
    expect(dryRunText, dryRunText.slice(0, 3000)).to.include('5 ready, 0 with errors').and.to.include('Every 2 weeks on Tuesday and Thursday');
    // axe-core needs JavaScript: the same pages in a second, scripted page of the same Director.
    const scripted = await signedInPage(rig!, w.director.email, w.director.password, { width: 375, height: 800 }, { bypassCSP: true });
    await scripted.page.goto('/plan-imports/new');
    const upload = await axeAndWidth(scripted.page);
    await scripted.page.goto(new URL(page.url()).pathname);
    const dryRun = await axeAndWidth(scripted.page);

    await page.getByRole('button', { name: 'Import 5 Plan Items' }).click();
    await page.waitForURL('**/plan-imports/**');
    expect(await page.textContent('main')).to.include('Imported 5 Plan Items');
    await importGenerationSettled();
    await page.goto(`/units/${w.plant.id}/plan`);
    const plan = await page.textContent('main');
    for (const activity of ['Daily chlorine check', 'Pump inspection', 'Month-end meter reading', 'Filter replacement']) expect(plan).to.include(activity);
    const events = await ownerQuery<{ n: number }>('SELECT count(DISTINCT plan_item_id)::int AS n FROM events');
    expect(events[0]!.n).to.equal(5);

    expect({ upload, dryRun }).to.deep.equal({ upload: { width: 375, violations: [] }, dryRun: { width: 375, violations: [] } });
    expect(problems).to.deep.equal([]);
  });
});
