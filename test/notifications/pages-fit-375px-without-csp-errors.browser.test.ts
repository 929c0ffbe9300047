// The notification pages in a real browser at 375 px: nothing wider than the screen but the
// tables' own scroll regions, and no script or CSP errors.
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { type BrowserRig, signedInPage, startBrowserRig } from '../browser/browser.ts';
import { testConfig } from '../support/env.ts';
import { createUser } from '../support/factories.ts';
import { createEventSite } from '../events/event-factories.ts';
import { unsubscribeToken } from '../../services/notifications/unsubscribe.ts';
import { insertMail, insertNotification } from './helpers.ts';

/** How far the page is wider than the viewport (0 when it fits). */
const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe('notification pages at 375 px', function () {
  this.timeout(60_000);
  let rig: BrowserRig | undefined;
  before(async function () {
    rig = await startBrowserRig(this);
  });
  after(async () => rig?.close());

  it('fit the screen with their tables in scroll regions, and raise no CSP errors', async () => {
    const site = await createEventSite();
    const admin = await createUser(site.client, { rank: 'administrator', name: 'Administrator With A Rather Long Name' });
    const mail = await insertMail(site.client, { to: admin.email, status: 'failed' });
    for (const recipient of [admin, site.associate]) {
      await insertNotification(site.client, { recipient, kind: 'reminder', eventId: site.eventId, facilityId: site.facility.id, status: 'queued', mailId: mail });
      await insertNotification(site.client, { recipient, kind: 'overdue', eventId: site.eventId, facilityId: site.facility.id, status: 'skipped', skipReason: 'the recipient has no e-mail address on file any more' });
    }
    const { page, problems } = await signedInPage(rig!, admin.email, admin.password, { width: 375, height: 800 });
    for (const path of ['/settings/notifications', '/account/notifications', '/notifications', '/notifications?kind=digest']) {
      await page.goto(path);
      expect(await overflow(page), path).to.equal(0);
    }
    await page.goto('/notifications');
    expect(await page.locator('[role="region"][tabindex="0"] table#notifications').count()).to.equal(1);
    await page.goto(`/notifications/unsubscribe?token=${unsubscribeToken(testConfig().sessionSecret!, admin.id, 'weekly_summary')}`);
    expect(await overflow(page)).to.equal(0);
    await page.getByRole('button', { name: 'Unsubscribe from weekly summary' }).click();
    await page.getByRole('heading', { name: 'Unsubscribed' }).waitFor();
    // The bad filter answers 422 on purpose; the browser reports that status, nothing else may appear.
    expect(problems.filter((p) => !p.includes('status of 422'))).to.deep.equal([]);
  });
});
