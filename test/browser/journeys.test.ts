// The main journeys in headless Chromium (DESIGN.md §11): planning, working an event, the transition tool, a support visit.
import { expect } from 'chai';
import { addDays, daysInMonth, todayIn } from '../../lib/calendar-dates.ts';
import { generateEvents } from '../../services/events/generation.ts';
import { testEnv } from '../support/env.ts';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { createUnit, grantScope } from '../support/hierarchy-factories.ts';
import ExcelJS from 'exceljs';
import { generate } from 'otplib';
import { assignRepresentative, createStaff, freshCode } from '../support/staff.ts';
import { type BrowserRig, signedInPage, startBrowserRig } from './browser.ts';

const ZONE = 'America/Chicago';
/** A minimal well-formed PDF: file-type recognises it by its %PDF- header. */
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

describe('browser journeys (headless Chromium)', function () {
  this.timeout(60_000);
  let rig: BrowserRig | undefined;
  before(async function () {
    rig = await startBrowserRig(this);
  });
  after(async () => {
    await rig?.close();
  });

  it('a Director adds a monthly last-day Plan Item, sees the 12-date preview update, saves, and finds its events', async () => {
    const client = await createClient({ timeZone: ZONE });
    const facility = await createUnit(client, { name: 'Springfield Plant' });
    const director = await createUser(client, { name: 'Dora Director', rank: 'director' });
    await grantScope(director, facility);
    const { page, problems } = await signedInPage(rig!, director.email, director.password);

    await page.goto(`/units/${facility.id}/plan/new`);
    await page.getByLabel('Activity').fill('Monthly stormwater inspection — last day of month');
    await page.getByLabel('Assignee').selectOption({ label: 'Dora Director' });
    const today = todayIn(ZONE);
    await page.getByLabel('First due date', { exact: true }).fill(today);
    await page.getByLabel('How often').selectOption({ label: 'Monthly on the last day' });
    // The script shows only this preset's fields, and refreshes the preview without a page load.
    await expect(await page.getByLabel('Day of month (1–31)').isVisible()).to.equal(false);
    await page.locator('#preview li').nth(11).waitFor();
    const dates = await page.locator('#preview time').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('datetime')));
    const [y, m] = today.split('-').map(Number) as [number, number];
    const monthEnd = `${today.slice(0, 7)}-${String(daysInMonth(y, m)).padStart(2, '0')}`;
    expect(dates).to.have.length(12);
    expect(dates[0]).to.equal(monthEnd);
    expect(dates.every((d) => { const [yy, mm, dd] = d!.split('-').map(Number) as [number, number, number]; return dd === daysInMonth(yy, mm); })).to.equal(true);

    await page.getByRole('button', { name: 'Add to the Management Plan' }).click();
    await page.waitForURL(`**/units/${facility.id}/plan`);
    await page.goto(`/units/${facility.id}/events`);
    const row = page.locator('#events-table tr', { hasText: 'Monthly stormwater inspection' }).first();
    await expect(await row.textContent()).to.include(monthEnd);
    expect(problems).to.deep.equal([]);
  });

  it('an Associate answers the checklist of an overdue event, uploads a PDF, closes it late; the history says so', async () => {
    const client = await createClient({ timeZone: ZONE });
    const facility = await createUnit(client, { name: 'Springfield Plant' });
    const associate = await createUser(client, { name: 'Ada Associate', rank: 'associate' });
    await grantScope(associate, facility);
    const checklist = [
      { key: 'outfalls', label: 'All outfalls inspected', type: 'check', required: true },
      { key: 'sheen', label: 'Oil sheen observed', type: 'yes_no_na', required: true },
    ];
    await ownerQuery(
      `INSERT INTO plan_items (client_id, facility_id, activity, assignee_id, requirement, checklist, schedule_kind, rrule, schedule_start)
       VALUES ($1, $2, 'Monthly stormwater inspection', $3, 'both', $4::jsonb, 'calendar', 'FREQ=MONTHLY;BYMONTHDAY=-1', $5)`,
      [client.id, facility.id, associate.id, JSON.stringify(checklist), addDays(todayIn(ZONE), -70)],
    );
    await generateEvents(testEnv().db.sequelize, { clientIds: [client.id] });
    const { page, problems } = await signedInPage(rig!, associate.email, associate.password, { width: 390, height: 844 });

    await page.goto('/events');
    await page.locator('#my-events tr.overdue a').first().click();
    await expect(await page.locator('h1').textContent()).to.include('Monthly stormwater inspection');
    await expect(await page.locator('.badge').first().textContent()).to.equal('Overdue');

    await page.getByLabel('Add a document').setInputFiles({ name: 'inspection.pdf', mimeType: 'application/pdf', buffer: PDF });
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.locator('#documents-table', { hasText: 'inspection.pdf' }).waitFor();

    await page.getByLabel('All outfalls inspected *').check();
    await page.getByRole('group', { name: 'Oil sheen observed *' }).getByLabel('No').check();
    await page.getByRole('button', { name: 'Close event' }).click();
    await page.locator('.flash-success').waitFor();
    await expect(await page.locator('.badge').first().textContent()).to.equal('Closed late');
    await expect(await page.locator('#history-heading + div table').textContent()).to.match(/Closed late: completed \d{4}-\d\d-\d\d/);
    expect(problems).to.deep.equal([]);
  });

  it('a Director hands a departing user’s work to a colleague with the transition tool, previewing first', async () => {
    const client = await createClient({ timeZone: ZONE });
    const facility = await createUnit(client, { name: 'Springfield Plant' });
    const director = await createUser(client, { name: 'Dora Director', rank: 'director' });
    const leaving = await createUser(client, { name: 'Lee Leaving', rank: 'associate' });
    const successor = await createUser(client, { name: 'Sam Successor', rank: 'associate' });
    for (const u of [director, leaving, successor]) await grantScope(u, facility);
    await ownerQuery(
      `INSERT INTO plan_items (client_id, facility_id, activity, assignee_id, schedule_kind, rrule, schedule_start)
       VALUES ($1, $2, 'Weekly forklift check', $3, 'calendar', 'FREQ=WEEKLY;BYDAY=MO', $4)`,
      [client.id, facility.id, leaving.id, addDays(todayIn(ZONE), -20)],
    );
    await generateEvents(testEnv().db.sequelize, { clientIds: [client.id] });
    const { page, problems } = await signedInPage(rig!, director.email, director.password);

    await page.goto('/');
    await page.getByRole('link', { name: 'Transition' }).click();
    await page.getByRole('link', { name: 'Lee Leaving' }).click();
    await page.getByLabel('Replacement for everything', { exact: true }).selectOption({ label: 'Sam Successor' });
    await page.getByLabel(/Deactivate Lee Leaving afterwards/).check();
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect(await page.locator('main table').textContent()).to.include('Sam Successor');
    const [{ held }] = await ownerQuery<{ held: number }>('SELECT count(*)::int AS held FROM plan_items WHERE assignee_id = $1', [leaving.id]);
    expect(held, 'the preview changes nothing').to.equal(1);

    await page.getByRole('button', { name: 'Apply' }).click();
    await page.locator('.flash-success', { hasText: 'has been deactivated' }).waitFor();
    await expect(await page.locator('.flash-success').first().textContent()).to.match(/Moved 1 Plan Item and \d+ open events of Lee Leaving/);
    const [after] = await ownerQuery<{ items: number; events: number; status: string }>(
      `SELECT (SELECT count(*)::int FROM plan_items WHERE assignee_id = $1) AS items,
              (SELECT count(*)::int FROM events WHERE assignee_id = $1 AND status = 'open') AS events,
              (SELECT status FROM users WHERE id = $1) AS status`,
      [leaving.id],
    );
    expect(after).to.deep.equal({ items: 0, events: 0, status: 'deactivated' });
    expect(problems).to.deep.equal([]);
  });

  it('a Client Representative enrols an authenticator, enters their client with a reason, fixes a name under the banner and exits; the Administrator finds the visit and downloads the audit log as XLSX', async function () {
    this.timeout(120_000);
    const client = await createClient({ name: 'Northwind Test', timeZone: ZONE });
    const facility = await createUnit(client, { name: 'Springfeld Plant' });
    const admin = await createUser(client, { name: 'Ada Administrator', rank: 'administrator' });
    const representative = await createStaff({ role: 'client_representative', name: 'Rita Representative', enrolled: false });
    await assignRepresentative(client, representative);

    const context = await rig!.browser.newContext({ baseURL: rig!.baseUrl, viewport: { width: 390, height: 844 }, acceptDownloads: true });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`script error: ${error.message}`));
    page.on('console', (message) => message.type() === 'error' && problems.push(`console: ${message.text()}`));

    // First sign-in: the password, then the mandatory authenticator.
    await page.goto('/admin/login');
    await page.getByLabel('E-mail').fill(representative.email);
    await page.getByLabel('Password').fill(representative.password);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL('**/admin/login/enrol');
    const secret = (await page.locator('#totp-secret').textContent())!.replace(/\s/g, '');
    representative.secret = secret;
    await page.getByLabel('Code from the app').fill(await generate({ secret }));
    await page.getByRole('button', { name: 'Confirm and sign in' }).click();
    await page.waitForURL((url) => url.pathname === '/admin');

    // Enter the assigned client with a reason and a fresh code.
    await page.getByRole('link', { name: 'Enter' }).first().click();
    await page.getByLabel('Reason').fill('Ticket 4711: facility name misspelt');
    await page.getByLabel('Code from your authenticator app').fill(await freshCode(representative));
    await page.getByRole('button', { name: 'Enter' }).click();
    await page.waitForURL((url) => url.pathname === '/');
    const banner = page.locator('#support-banner');
    expect(await banner.textContent()).to.match(/Support session in Northwind Test[\s\S]*as Rita Representative[\s\S]*min left/);

    // Fix something, as the client's Administrator would.
    await page.goto(`/units/${facility.id}/edit`);
    expect(await banner.isVisible()).to.equal(true);
    await page.getByLabel('Name', { exact: true }).fill('Springfield Plant');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(`**/units/${facility.id}`);
    const [{ name }] = await ownerQuery<{ name: string }>('SELECT name FROM org_units WHERE id = $1', [facility.id]);
    expect(name).to.equal('Springfield Plant');

    await page.getByRole('button', { name: 'Exit support session' }).click();
    await page.waitForURL((url) => url.pathname === '/admin');
    expect(await page.locator('#support-banner').count()).to.equal(0);
    expect(problems).to.deep.equal([]);
    await context.close();

    // The client's Administrator finds the visit and the change, and downloads the log.
    const { page: adminPage, problems: adminProblems } = await signedInPage(rig!, admin.email, admin.password);
    await adminPage.goto('/settings/support');
    const visitRow = adminPage.locator('tr', { hasText: 'Ticket 4711' });
    expect(await visitRow.textContent()).to.match(/Rita Representative[\s\S]*Client Representative/);
    await adminPage.goto('/audit');
    const renamed = adminPage.locator('tr', { hasText: 'org_unit.update' });
    expect(await renamed.textContent()).to.match(/Rita Representative[\s\S]*Northwind Test/);
    const [download] = await Promise.all([adminPage.waitForEvent('download'), adminPage.getByRole('link', { name: 'Excel (XLSX)' }).click()]);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile((await download.path())!);
    const cells = workbook.worksheets[0]!.getSheetValues().flat().map(String);
    expect(cells).to.include.members(['org_unit.update', 'support.started', 'support.ended']);
    expect(cells.some((c) => c.includes('Rita Representative'))).to.equal(true);
    expect(adminProblems).to.deep.equal([]);
  });
});
