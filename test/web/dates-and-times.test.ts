// Dates and times look the same everywhere: a calendar date is ISO 8601 ("2026-11-16") in tables,
// forms and previews; a moment is shown in the client's time zone and names it ("14:05 CET") on
// the event page, the audit log, the support banner and the admin pages; every date field is a
// date input labelled by what it is, without a format hint that the date picker would contradict.
import { expect } from 'chai';
import type { Express } from 'express';
import { addDays, todayIn } from '../../lib/calendar-dates.ts';
import { showDate, showDateTime, showTime } from '../../lib/display-dates.ts';
import { generateEvents } from '../../services/events/generation.ts';
import { insertEntry } from '../audit-log/helpers.ts';
import { testEnv } from '../support/env.ts';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { createUnit, grantScope } from '../support/hierarchy-factories.ts';
import { type Agent, signedInAgent, testApp } from '../support/http.ts';
import { assignRepresentative, createStaff, signedInStaffAgent } from '../support/staff.ts';
import { requestEntry } from '../visits/helpers.ts';

const ZONE = 'Europe/Berlin';
/** 13:05 UTC in January: 14:05 CET in Berlin. */
const WINTER = '2026-01-15T13:05:00Z';

describe('dates and times', () => {
  describe('the one helper (lib/display-dates.ts)', () => {
    it('shows dates as ISO 8601 and moments in the given zone, naming it', () => {
      expect(showDate('2026-11-16')).to.equal('2026-11-16');
      expect(showDate(new Date('2026-11-15T23:30:00Z'), ZONE), 'the date where the client is').to.equal('2026-11-16');
      expect(showDate(null)).to.equal('—');
      expect(showDateTime(new Date(WINTER), ZONE)).to.equal('2026-01-15 14:05 CET');
      expect(showDateTime(new Date('2026-07-15T13:05:00Z'), ZONE)).to.equal('2026-07-15 15:05 CEST');
      expect(showDateTime(new Date(WINTER), 'America/Chicago')).to.equal('2026-01-15 07:05 CST');
      expect(showDateTime(new Date(WINTER), 'Asia/Tokyo'), 'a zone without a common abbreviation').to.equal('2026-01-15 22:05 GMT+9');
      expect(showDateTime(new Date('2026-01-15T13:05:09Z'), 'UTC', { seconds: true })).to.equal('2026-01-15 13:05:09 UTC');
      expect(showTime(new Date(WINTER), ZONE)).to.equal('14:05 CET');
      expect(showDateTime(null, ZONE)).to.equal('—');
    });
  });

  describe('pages', () => {
    let app: Express;
    let agent: Agent;
    let client: Awaited<ReturnType<typeof createClient>>;
    let facilityId: string;
    let eventId: string;
    let itemId: string;

    beforeEach(async () => {
      client = await createClient({ name: 'Northwind Dates', timeZone: ZONE });
      const facility = await createUnit(client, { name: 'Springfield Plant' });
      const admin = await createUser(client, { name: 'Ada Administrator', rank: 'administrator' });
      await grantScope(admin, facility);
      await ownerQuery(
        `INSERT INTO plan_items (client_id, facility_id, activity, assignee_id, schedule_kind, rrule, schedule_start)
         VALUES ($1, $2, 'Weekly forklift check', $3, 'calendar', 'FREQ=WEEKLY;BYDAY=MO', $4)`,
        [client.id, facility.id, admin.id, addDays(todayIn(ZONE), -20)],
      );
      await generateEvents(testEnv().db.sequelize, { clientIds: [client.id] });
      const [event] = await ownerQuery<{ id: string }>('SELECT id FROM events WHERE facility_id = $1 ORDER BY due_date LIMIT 1', [facility.id]);
      const [item] = await ownerQuery<{ id: string }>('SELECT id FROM plan_items WHERE facility_id = $1', [facility.id]);
      eventId = event!.id;
      itemId = item!.id;
      facilityId = facility.id;
      await ownerQuery(
        `INSERT INTO event_comments (client_id, event_id, facility_id, author_id, body, created_at) VALUES ($1, $2, $3, $4, 'Forklift 3 is at the workshop', $5)`,
        [client.id, eventId, facility.id, admin.id, WINTER],
      );
      await insertEntry(client, { occurredAt: WINTER, actorKind: 'user', actorUserId: admin.id, action: 'event.due_date_changed', entityType: 'event', entityId: eventId, changes: { dueDate: ['2026-01-19', '2026-01-20'] } });
      app = testApp();
      agent = await signedInAgent(app, admin.email, admin.password);
    });

    it('the event page shows its comments and history in the client’s zone, saying which', async () => {
      const res = await agent.get(`/events/${eventId}`).expect(200);
      const comments = /<section id="comments"[\s\S]*?<\/section>/.exec(res.text)![0];
      const history = /<section aria-labelledby="history-heading">[\s\S]*?<\/section>/.exec(res.text)![0];
      expect(comments).to.include('2026-01-15 14:05 CET');
      expect(history).to.include('2026-01-15 14:05 CET');
      expect(res.text).to.not.match(/\d\d:\d\d UTC|\(UTC\)/);
    });

    it('the audit log shows each time in the client’s zone, naming it', async () => {
      const res = await agent.get('/audit').expect(200);
      expect(res.text).to.include('2026-01-15 14:05:00 CET');
    });

    it('every date field is a date input labelled by what it is, without a format the picker would contradict', async () => {
      for (const path of [`/units/${facilityId}/plan/new`, `/plan-items/${itemId}/edit`, `/events/${eventId}`, '/audit']) {
        const html = (await agent.get(path).expect(200)).text;
        const dateFields = [...html.matchAll(/<input id="(scheduleStart|completedOn|from|to|start_[^"]+)"[^>]*>/g)];
        expect(dateFields.length, `${path} has date fields`).to.be.at.least(1);
        for (const [tag, id] of dateFields) {
          expect(tag, `${path} #${id}`).to.match(/type="date"/);
          const label = new RegExp(`<label for="${id}">([\\s\\S]*?)</label>`).exec(html)?.[1] ?? '';
          expect(label, `${path} label of #${id}`).to.match(/date/i).and.not.to.match(/YYYY|MM-DD/);
        }
      }
    });

    it('the support banner and the admin pages show times in the client’s zone, naming it', async () => {
      const representative = await createStaff({ role: 'client_representative', name: 'Rita Representative' });
      await assignRepresentative(client, representative);
      const staff = await signedInStaffAgent(app, representative);
      const entered = await requestEntry(staff, representative, client, { durationMinutes: '60' });
      expect(entered.status, entered.text).to.equal(303);
      const [visit] = await ownerQuery<{ expires_at: Date; requested_at: Date }>('SELECT expires_at, requested_at FROM support_sessions');

      const home = await staff.get('/').expect(200);
      expect(home.text).to.include(`ends at ${showTime(visit!.expires_at, ZONE)}`).and.to.match(/ends at \d\d:\d\d CES?T/);

      const page = await staff.get(`/admin/clients/${client.id}`).expect(200);
      expect(page.text).to.include(showDateTime(visit!.requested_at, ZONE)).and.not.to.match(/\d\d:\d\d UTC/);
    });
  });
});
