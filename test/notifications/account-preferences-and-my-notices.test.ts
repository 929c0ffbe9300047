// /account/notifications: a user's own digest hour, zone and optional kinds (only those their rank
// can receive are offered; the rest keep what they were), saved and audited with before and after;
// bad input answers 422 per field and saves nothing; below it, every notice sent to them (and no one
// else's), newest first, with the outbox status; support staff are refused.
import { expect } from 'chai';
import type { Express } from 'express';
import { auditRows } from '../support/auth-helpers.ts';
import { ownerQuery } from '../support/factories.ts';
import { type Agent, signedInAgent, submitForm, testApp } from '../support/http.ts';
import { assignRepresentative, createStaff, signedInStaffAgent } from '../support/staff.ts';
import { createEventSite, type EventSite } from '../events/event-factories.ts';
import { requestEntry } from '../visits/helpers.ts';
import { insertMail, insertNotification, listedIds, rowCellsOf, rowHtmlOf } from './helpers.ts';

const save = (agent: Agent, fields: Record<string, string>) => submitForm(agent, '/account/notifications', '/account/notifications', fields);
const selected = (html: string, select: string) => {
  const start = html.indexOf(`<select id="${select}"`);
  const body = html.slice(start, html.indexOf('</select>', start));
  return [...body.matchAll(/<option value="([^"]*)" selected>/g)].map((m) => m[1]);
};
const checkbox = (html: string, field: string) => new RegExp(`<input type="checkbox" id="${field}" name="${field}" value="on"( checked)?`).exec(html);

async function prefsOf(userId: string) {
  const [row] = await ownerQuery<{ time_zone: string | null; digest_hour: number; notification_opt_outs: string[] }>(
    'SELECT time_zone, digest_hour, notification_opt_outs FROM users WHERE id = $1', [userId]);
  return row!;
}

describe('own notification preferences and the notices sent to me', () => {
  let app: Express;
  let site: EventSite;
  before(() => {
    app = testApp();
  });
  beforeEach(async () => {
    site = await createEventSite();
  });

  it('lists every notice sent to me, newest first, with kind, event link, facility, due-for date, status and zone; never others\'', async () => {
    const { client, associate, manager, facility, eventId, itemId } = site;
    const sent = await insertMail(client, { to: associate.email, status: 'sent' });
    const failed = await insertMail(client, { to: associate.email, status: 'failed' });
    const reminder = await insertNotification(client, { recipient: associate, kind: 'reminder', eventId, facilityId: facility.id, dueFor: '2026-03-17', status: 'queued', mailId: sent, createdAt: '2026-03-10T12:00:00Z' });
    const overdue = await insertNotification(client, { recipient: associate, kind: 'overdue', eventId, facilityId: facility.id, dueFor: '2026-04-01', status: 'skipped', skipReason: 'the event was closed', createdAt: '2026-03-12T12:00:00Z' });
    const dueToday = await insertNotification(client, { recipient: associate, kind: 'due_today', eventId, facilityId: facility.id, dueFor: '2026-03-31', createdAt: '2026-03-11T12:00:00Z' });
    const assignment = await insertNotification(client, { recipient: associate, kind: 'assignment', planItemId: itemId, facilityId: facility.id, dueFor: '2026-03-01', status: 'queued', mailId: failed, createdAt: '2026-03-01T12:00:00Z' });
    const theirs = await insertNotification(client, { recipient: manager, kind: 'escalation', level: 1, eventId, facilityId: facility.id, dueFor: '2026-04-07' });

    const agent = await signedInAgent(app, associate.email, associate.password);
    const page = await agent.get('/account/notifications').expect(200);
    expect(listedIds(page.text)).to.deep.equal([overdue, dueToday, reminder, assignment]);
    expect(listedIds(page.text)).to.not.include(theirs);
    expect(page.text).to.include('recorded times in America/Chicago');
    expect(rowCellsOf(page.text, reminder)).to.deep.equal(['2026-03-10 07:00 -05:00', 'Reminder', 'Stormwater inspection', 'Springfield Plant', '2026-03-17', 'Queued · mail sent']);
    expect(rowHtmlOf(page.text, reminder)).to.include(`<a href="/events/${eventId}">Stormwater inspection</a>`);
    expect(rowCellsOf(page.text, overdue).slice(1)).to.deep.equal(['Overdue', 'Stormwater inspection', 'Springfield Plant', '2026-04-01', 'Skipped: the event was closed']);
    expect(rowCellsOf(page.text, dueToday).slice(1)).to.deep.equal(['Due today', 'Stormwater inspection', 'Springfield Plant', '2026-03-31', 'Pending']);
    expect(rowCellsOf(page.text, assignment).at(-1)).to.equal('Queued · mail failed');
    expect(rowHtmlOf(page.text, assignment)).to.include(`<a href="/plan-items/${itemId}">`);
    expect(page.text).to.include('tabindex="0" role="region" aria-label="Notifications sent to you"');

    // In my own zone once I choose one.
    await ownerQuery(`UPDATE users SET time_zone = 'Europe/Paris' WHERE id = $1`, [associate.id]);
    const paris = await agent.get('/account/notifications').expect(200);
    expect(rowCellsOf(paris.text, reminder)[0]).to.equal('2026-03-10 13:00 +01:00');

    // The escalated manager sees theirs, labelled with its level.
    const managerPage = await (await signedInAgent(app, manager.email, manager.password)).get('/account/notifications').expect(200);
    expect(listedIds(managerPage.text)).to.deep.equal([theirs]);
    expect(rowCellsOf(managerPage.text, theirs)[1]).to.equal('Escalation, level 1 (Managers)');
  });

  it('is linked from /account and says reminders of one\'s own obligations cannot be switched off', async () => {
    const agent = await signedInAgent(app, site.associate.email, site.associate.password);
    expect((await agent.get('/account').expect(200)).text).to.include('href="/account/notifications"');
    const page = await agent.get('/account/notifications').expect(200);
    expect(page.text).to.include('cannot be switched off');
    expect(selected(page.text, 'digestHour')).to.deep.equal(['7']);
    expect(selected(page.text, 'timeZone')).to.deep.equal([]);
    expect(page.text).to.match(/<option value="">The organisation(&#39;|')s \(America\/Chicago\)<\/option>/);
    // An Associate receives neither optional kind: none is offered.
    expect(checkbox(page.text, 'receiveWeeklySummary')).to.equal(null);
    expect(checkbox(page.text, 'receiveEscalation')).to.equal(null);
  });

  it('saves a Director\'s hour, zone and kinds, audited with before and after', async () => {
    const { director } = site;
    const agent = await signedInAgent(app, director.email, director.password);
    const page = await agent.get('/account/notifications').expect(200);
    expect(checkbox(page.text, 'receiveWeeklySummary')?.[1]).to.equal(' checked');
    expect(checkbox(page.text, 'receiveEscalation')?.[1]).to.equal(' checked');

    const res = await save(agent, { digestHour: '18', timeZone: 'Europe/Paris', receiveEscalation: 'on' });
    expect(res.status, res.text).to.equal(303);
    expect(await prefsOf(director.id)).to.deep.equal({ time_zone: 'Europe/Paris', digest_hour: 18, notification_opt_outs: ['weekly_summary'] });
    const [entry] = await auditRows('account.notification_preferences_changed');
    expect(entry).to.include({ client_id: site.client.id, actor_kind: 'user', actor_user_id: director.id, entity_type: 'user', entity_id: director.id });
    expect(entry!.changes).to.deep.equal({
      before: { timeZone: null, digestHour: 7, optOuts: [] },
      after: { timeZone: 'Europe/Paris', digestHour: 18, optOuts: ['weekly_summary'] },
    });
    const again = await agent.get('/account/notifications').expect(200);
    expect(selected(again.text, 'digestHour')).to.deep.equal(['18']);
    expect(selected(again.text, 'timeZone')).to.deep.equal(['Europe/Paris']);
    expect(checkbox(again.text, 'receiveWeeklySummary')?.[1]).to.equal(undefined);

    // Back to the organisation's zone; the same again changes nothing and audits nothing more.
    expect((await save(agent, { digestHour: '18', timeZone: '', receiveEscalation: 'on' })).status).to.equal(303);
    expect((await prefsOf(director.id)).time_zone).to.equal(null);
    expect((await save(agent, { digestHour: '18', timeZone: '', receiveEscalation: 'on' })).status).to.equal(303);
    expect(await auditRows('account.notification_preferences_changed')).to.have.length(2);
  });

  it('offers a Manager only escalations and keeps a kind not offered as it was', async () => {
    const { manager } = site;
    await ownerQuery(`UPDATE users SET notification_opt_outs = '{weekly_summary}' WHERE id = $1`, [manager.id]);
    const agent = await signedInAgent(app, manager.email, manager.password);
    const page = await agent.get('/account/notifications').expect(200);
    expect(checkbox(page.text, 'receiveWeeklySummary')).to.equal(null);
    expect(checkbox(page.text, 'receiveEscalation')).to.not.equal(null);
    // Unticking escalations turns them off; the weekly summary field, though sent, is not the Manager's to change.
    expect((await save(agent, { digestHour: '7', receiveWeeklySummary: 'on' })).status).to.equal(303);
    expect((await prefsOf(manager.id)).notification_opt_outs).to.deep.equal(['weekly_summary', 'escalation']);
  });

  it('refuses bad input with 422 and a message per field, echoing it and saving nothing', async () => {
    const { director } = site;
    const agent = await signedInAgent(app, director.email, director.password);
    const before = await prefsOf(director.id);
    const res = await save(agent, { digestHour: '24', timeZone: 'Mars/Olympus_Mons', receiveEscalation: 'yes' });
    expect(res.status).to.equal(422);
    expect(res.text).to.include('<small id="digestHour-error" class="field-error">Choose an hour from 00:00 to 23:00.</small>');
    expect(res.text).to.include('<small id="timeZone-error" class="field-error">Choose a time zone from the list.</small>');
    expect(res.text).to.include('<small id="receiveEscalation-error" class="field-error">Tick the box or leave it empty.</small>');
    expect(res.text).to.include('Nothing was saved.');
    for (const fields of <Record<string, string>[]>[{ digestHour: '-1' }, { digestHour: 'seven' }, { digestHour: '7', extra: 'x' }, { digestHour: '7', timeZone: 'x'.repeat(65) }]) {
      expect((await save(agent, fields)).status, JSON.stringify(fields)).to.equal(422);
    }
    const missing = await save(agent, {});
    expect(missing.status).to.equal(422);
    expect(missing.text).to.include('Choose the hour of your daily digest.');
    // Echoed: a valid choice stays selected beside an invalid one.
    const echoed = await save(agent, { digestHour: '9', timeZone: 'Nowhere/Land' });
    expect(selected(echoed.text, 'digestHour')).to.deep.equal(['9']);
    expect(await prefsOf(director.id)).to.deep.equal(before);
    expect(await auditRows('account.notification_preferences_changed')).to.deep.equal([]);
  });

  it('refuses support staff inside a support session: these are a user\'s own pages', async () => {
    const rep = await createStaff({ role: 'client_representative' });
    await assignRepresentative(site.client, rep);
    const agent = await signedInStaffAgent(app, rep);
    expect((await requestEntry(agent, rep, site.client)).status).to.equal(303);
    const page = await agent.get('/account/notifications');
    expect(page.status).to.equal(403);
    expect(page.text).to.include('support staff manage their account in the admin area');
    const token = /name="_csrf" value="([^"]+)"/.exec((await agent.get('/').expect(200)).text)![1]!;
    await agent.post('/account/notifications').type('form').send({ _csrf: token, digestHour: '3' }).expect(403);
    expect(await ownerQuery('SELECT id FROM users WHERE client_id = $1 AND digest_hour <> 7', [site.client.id])).to.deep.equal([]);
    expect(await auditRows('account.notification_preferences_changed')).to.deep.equal([]);
  });
});
