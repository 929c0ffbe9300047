// Notification mail sits in the outbox like any other: the admin area's outbox lists it with its
// address, subject, kind and status, and never its text or HTML body.
import { expect } from 'chai';
import { createClient } from '../support/factories.ts';
import { testApp } from '../support/http.ts';
import { createStaff, signedInStaffAgent } from '../support/staff.ts';
import { insertMail } from './helpers.ts';

describe('admin outbox and notification mail', () => {
  it('lists notification mail with addresses, kind and status, never bodies', async () => {
    const client = await createClient({ name: 'Digest Water' });
    await insertMail(client, { to: 'ann@digest.example', subject: 'PlanTRAK: 3 obligations today', kind: 'notification.digest', status: 'sent', text: 'SECRET TEXT BODY', html: '<p>SECRET HTML BODY</p>' });
    await insertMail(client, { to: 'dir@digest.example', subject: 'PlanTRAK: weekly summary', kind: 'notification.weekly_summary', status: 'failed', text: 'SECRET SUMMARY' });
    const developer = await createStaff({ role: 'application_developer' });
    const page = await (await signedInStaffAgent(testApp(), developer)).get('/admin/outbox').expect(200);
    for (const text of ['Digest Water', 'ann@digest.example', 'PlanTRAK: 3 obligations today', 'notification.digest', 'dir@digest.example', 'notification.weekly_summary']) {
      expect(page.text).to.include(text);
    }
    expect(page.text).to.not.include('SECRET');
  });
});
