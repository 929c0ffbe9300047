// In headless Chromium, with and without script: an Associate answers the checklist of an
// overdue inspection, uploads a PDF and still finds the answers there; closes it, then finds it
// again under Closed and on its Plan Item page.
import { expect } from 'chai';
import { addDays, todayIn } from '../../lib/calendar-dates.ts';
import { generateEvents } from '../../services/events/generation.ts';
import { testEnv } from '../support/env.ts';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { createUnit, grantScope } from '../support/hierarchy-factories.ts';
import { type BrowserRig, signedInPage, startBrowserRig } from './browser.ts';

const ZONE = 'America/Chicago';
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

describe('browser: evidence that is never lost, and closed work found again', function () {
  this.timeout(60_000);
  let rig: BrowserRig | undefined;
  before(async function () {
    rig = await startBrowserRig(this);
  });
  after(async () => {
    await rig?.close();
  });

  for (const javaScriptEnabled of [true, false]) {
    it(`keeps the checklist answers across an upload, closes, and finds the event under Closed and on its Plan Item (${javaScriptEnabled ? 'with' : 'without'} script)`, async () => {
      const client = await createClient({ timeZone: ZONE });
      const facility = await createUnit(client, { name: 'Springfield Plant' });
      const associate = await createUser(client, { name: 'Ada Associate', rank: 'associate' });
      await grantScope(associate, facility);
      const checklist = [
        { key: 'outfalls', label: 'All outfalls inspected', type: 'check', required: true },
        { key: 'sheen', label: 'Oil sheen observed', type: 'yes_no_na', required: true },
        { key: 'remarks', label: 'Remarks', type: 'text', required: false },
      ];
      const [item] = await ownerQuery<{ id: string }>(
        `INSERT INTO plan_items (client_id, facility_id, activity, assignee_id, requirement, checklist, schedule_kind, rrule, schedule_start)
         VALUES ($1, $2, 'Stormwater inspection', $3, 'both', $4::jsonb, 'calendar', 'FREQ=MONTHLY;BYMONTHDAY=-1', $5) RETURNING id`,
        [client.id, facility.id, associate.id, JSON.stringify(checklist), addDays(todayIn(ZONE), -40)],
      );
      await generateEvents(testEnv().db.sequelize, { clientIds: [client.id] });
      const { page, problems } = await signedInPage(rig!, associate.email, associate.password, { width: 390, height: 844 }, { javaScriptEnabled });

      await page.goto('/events');
      await page.locator('#my-events tr.overdue a').first().click();
      const eventUrl = page.url();
      await page.getByLabel('All outfalls inspected *').check();
      await page.getByRole('group', { name: 'Oil sheen observed *' }).getByLabel('No').check();
      await page.getByLabel('Remarks').fill('North outfall silted, cleared');
      await page.getByLabel('Add a document').setInputFiles({ name: 'inspection.pdf', mimeType: 'application/pdf', buffer: PDF });
      await page.getByRole('button', { name: 'Upload' }).click();
      await page.locator('#documents-table', { hasText: 'inspection.pdf' }).waitFor();
      expect(await page.getByLabel('All outfalls inspected *').isChecked()).to.equal(true);
      expect(await page.getByRole('group', { name: 'Oil sheen observed *' }).getByLabel('No').isChecked()).to.equal(true);
      expect(await page.getByLabel('Remarks').inputValue()).to.equal('North outfall silted, cleared');

      await page.getByRole('button', { name: 'Close event' }).click();
      await page.locator('.flash-success').waitFor();
      expect(await page.locator('.badge').first().textContent()).to.equal('Closed late');

      await page.goto('/events');
      await page.getByRole('link', { name: 'Closed' }).click();
      const closedRow = page.locator('#my-events tr', { hasText: 'Stormwater inspection' }).first();
      expect(await closedRow.textContent()).to.include('Closed late');
      await page.goto(`/plan-items/${item!.id}`);
      expect(await page.locator('#item-events').textContent()).to.include('Closed late');
      await page.locator(`#item-events a[href="${new URL(eventUrl).pathname}"]`).waitFor();
      expect(problems).to.deep.equal([]);
    });
  }
});
