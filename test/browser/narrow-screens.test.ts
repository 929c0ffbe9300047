// At a phone's width (375 px) no page of the main journeys scrolls sideways, and axe-core finds no
// serious or critical accessibility violation on any of them: long titles and breadcrumbs wrap,
// wide tables scroll inside a labelled region that the keyboard can reach.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { addDays, todayIn } from '../../lib/calendar-dates.ts';
import { generateEvents } from '../../services/events/generation.ts';
import { testEnv } from '../support/env.ts';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { createUnit, grantScope } from '../support/hierarchy-factories.ts';
import { assignRepresentative, createStaff, freshCode } from '../support/staff.ts';
import { type BrowserRig, signedInPage, startBrowserRig } from './browser.ts';

const WIDTH = 375;
const ZONE = 'Europe/Berlin';
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
/** A 200-character activity without a single space: the worst case for wrapping. */
const LONG_ACTIVITY = 'Quarterly_groundwater_monitoring_well_inspection_and_sampling_'.repeat(4).slice(0, 200);

interface PageReport {
  path: string;
  scrollWidth: number;
  violations: string[];
  /** Containers that scroll sideways but cannot be reached by keyboard or have no name. */
  unreachable: string[];
}

/** How wide the page is and what axe-core calls serious or critical on it. */
async function inspect(page: Page, path: string): Promise<PageReport> {
  const response = await page.goto(path);
  expect(response?.status(), `${path} answers`).to.be.below(400);
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  if (process.env.SCREENSHOTS) await page.screenshot({ path: `${process.env.SCREENSHOTS}/${path.replace(/[^a-z]+/g, '-').slice(0, 40)}.png`, fullPage: true });
  await page.addScriptTag({ content: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}) at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
  const unreachable = await page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('body *')]
      .filter((el) => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX) && el.scrollWidth > el.clientWidth)
      .filter((el) => el.tabIndex < 0 || el.getAttribute('role') !== 'region' || !el.getAttribute('aria-label'))
      .map((el) => `${el.tagName.toLowerCase()}.${el.className} around #${el.querySelector('table')?.id ?? '?'}`));
  return { path, scrollWidth, violations, unreachable };
}

describe('narrow screens (375 px) and accessibility of the main pages', function () {
  this.timeout(180_000);
  let rig: BrowserRig | undefined;
  before(async function () {
    rig = await startBrowserRig(this);
  });
  after(async () => {
    await rig?.close();
  });

  it('no page is wider than the screen, and axe-core finds nothing serious or critical', async () => {
    const client = await createClient({ name: 'Northwind Narrow', timeZone: ZONE });
    const facility = await createUnit(client, { name: 'Springfield Groundwater Treatment Plant' });
    const admin = await createUser(client, { name: 'Ada Administrator', rank: 'administrator' });
    await grantScope(admin, facility);
    const today = todayIn(ZONE);
    await ownerQuery(
      `INSERT INTO plan_items (client_id, facility_id, activity, assignee_id, requirement, regulatory_reference, category, schedule_kind, rrule, schedule_start)
       VALUES ($1, $2, $3, $4, 'document', '40 CFR 122.26(b)(14) and the state general permit', 'Stormwater', 'calendar', 'FREQ=MONTHLY;BYMONTHDAY=-1', $5)`,
      [client.id, facility.id, LONG_ACTIVITY, admin.id, addDays(today, -70)],
    );
    await generateEvents(testEnv().db.sequelize, { clientIds: [client.id] });
    const [event] = await ownerQuery<{ id: string }>(`SELECT id FROM events WHERE facility_id = $1 ORDER BY due_date LIMIT 1`, [facility.id]);
    const [item] = await ownerQuery<{ id: string }>(`SELECT id FROM plan_items WHERE facility_id = $1`, [facility.id]);

    const { page, problems } = await signedInPage(rig!, admin.email, admin.password, { width: WIDTH, height: 800 }, { bypassCSP: true });
    const reports: PageReport[] = [];
    for (const path of [
      '/',
      '/events',
      `/events/${event!.id}`,
      `/units/${facility.id}/events`,
      `/units/${facility.id}/plan`,
      `/units/${facility.id}/plan/new`,
      `/plan-items/${item!.id}/edit`,
      '/users',
      '/audit',
      `/units/${facility.id}`,
      '/reports/audit-pack',
      '/settings/export',
      `/calendar?month=${today.slice(0, 7)}&who=scope`,
      '/account/calendar',
      '/settings/calendar',
    ]) reports.push(await inspect(page, path));

    // Vendor staff: the admin area.
    const staff = await createStaff({ role: 'client_representative', name: 'Rita Representative' });
    await assignRepresentative(client, staff);
    const context = await rig!.browser.newContext({ baseURL: rig!.baseUrl, viewport: { width: WIDTH, height: 800 }, bypassCSP: true });
    const staffPage = await context.newPage();
    await staffPage.goto('/admin/login');
    await staffPage.getByLabel('E-mail').fill(staff.email);
    await staffPage.getByLabel('Password').fill(staff.password);
    await staffPage.getByRole('button', { name: 'Continue' }).click();
    await staffPage.getByLabel('Code').fill(await freshCode(staff));
    await staffPage.getByRole('button', { name: 'Sign in' }).click();
    await staffPage.waitForURL((url) => url.pathname === '/admin');
    reports.push(await inspect(staffPage, '/admin'));
    await context.close();

    // Striped tables do not hide the overdue colour: every overdue row, odd or even, is red.
    await page.goto('/events');
    const overdueBackgrounds = await page.locator('#my-events tr.overdue td:first-child').evaluateAll((cells) => cells.map((c) => getComputedStyle(c).backgroundColor));
    expect(overdueBackgrounds.length, 'overdue rows on My events').to.be.at.least(2);

    // The long activity's page is no wider than a desktop window either.
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`/events/${event!.id}`);
    const desktopWidth = await page.evaluate(() => document.documentElement.scrollWidth);

    const tooWide = reports.filter((r) => r.scrollWidth > WIDTH).map((r) => `${r.path}: ${r.scrollWidth} px`);
    const violations = reports.flatMap((r) => r.violations.map((v) => `${r.path}: ${v}`));
    const unreachable = reports.flatMap((r) => r.unreachable.map((u) => `${r.path}: ${u}`));
    expect(new Set(overdueBackgrounds), 'background of overdue rows').to.deep.equal(new Set(['rgb(253, 236, 234)']));
    expect({ tooWide, violations, unreachable, desktopWidth }, 'pages wider than the screen; serious or critical axe-core violations; sideways scrolling out of keyboard reach')
      .to.deep.equal({ tooWide: [], violations: [], unreachable: [], desktopWidth: 1280 });
    expect(problems).to.deep.equal([]);
  });
});
