// Nothing is silently changed: no form carries a maxlength that would make the browser cut a long
// value without a word; the server refuses an over-long value with a 422 that names the field and
// its limit, shows the whole value again for correcting, and saves nothing.
import { expect } from 'chai';
import type { Express } from 'express';
import { addDays, todayIn } from '../../lib/calendar-dates.ts';
import { generateEvents } from '../../services/events/generation.ts';
import { testEnv } from '../support/env.ts';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { createUnit, grantScope } from '../support/hierarchy-factories.ts';
import { type Agent, signedInAgent, submitForm, testApp } from '../support/http.ts';

const ZONE = 'Europe/Berlin';

/** Every input or textarea of the page with a maxlength, or a number field with a max: limits the browser enforces without the server's message. */
const truncating = (html: string): string[] =>
  [...html.matchAll(/<(input|textarea)\b[^>]*>/g)].map((m) => m[0].replace(/\s+/g, ' '))
    .filter((tag) => /\bmaxlength=/.test(tag) || (/type="number"/.test(tag) && /\bmax=/.test(tag)));

/** The escaped form of a value as EJS writes it into a page. */
const escaped = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&#34;');

describe('forms never cut a value silently', () => {
  let app: Express;
  let agent: Agent;
  let facilityId: string;
  let adminId: string;
  let clientId: string;

  beforeEach(async () => {
    const client = await createClient({ timeZone: ZONE });
    const facility = await createUnit(client, { name: 'Springfield Plant' });
    const admin = await createUser(client, { name: 'Ada Administrator', rank: 'administrator' });
    await grantScope(admin, facility);
    app = testApp();
    agent = await signedInAgent(app, admin.email, admin.password);
    facilityId = facility.id;
    adminId = admin.id;
    clientId = client.id;
  });

  it('no form page has a truncating maxlength', async () => {
    await ownerQuery(
      `INSERT INTO plan_items (client_id, facility_id, activity, assignee_id, schedule_kind, rrule, schedule_start)
       VALUES ($1, $2, 'Weekly forklift check', $3, 'calendar', 'FREQ=WEEKLY;BYDAY=MO', $4)`,
      [clientId, facilityId, adminId, addDays(todayIn(ZONE), -20)],
    );
    await generateEvents(testEnv().db.sequelize, { clientIds: [clientId] });
    const [event] = await ownerQuery<{ id: string }>('SELECT id FROM events WHERE facility_id = $1 LIMIT 1', [facilityId]);
    const [item] = await ownerQuery<{ id: string }>('SELECT id FROM plan_items WHERE facility_id = $1', [facilityId]);
    const found: string[] = [];
    for (const path of [
      `/units/${facilityId}/plan/new`, `/plan-items/${item!.id}/edit`, `/units/${facilityId}/plan/copy`, '/units/new?kind=facility',
      `/units/${facilityId}/edit`, '/settings/levels', '/users', '/users/invite', '/audit', `/events/${event!.id}`,
    ]) {
      const res = await agent.get(path);
      expect(res.status, path).to.equal(200);
      found.push(...truncating(res.text).map((tag) => `${path}: ${tag}`));
    }
    expect(found).to.deep.equal([]);
  });

  it('an Activity over 200 characters is refused with a message, shown whole, and nothing is saved', async () => {
    const activity = `${'Quarterly groundwater monitoring well inspection '.repeat(5)}`.trim().slice(0, 201).padEnd(201, 'x');
    const res = await submitForm(agent, `/units/${facilityId}/plan/new`, `/units/${facilityId}/plan`, {
      intent: 'save', activity, assigneeId: adminId, scheduleMode: 'monthly-last-day', scheduleStart: '2032-01-01',
      monthEndPolicy: 'last-day', leadTimeDays: '30', requirement: 'none',
    });
    expect(res.status).to.equal(422);
    expect(res.text).to.include('Activity must be at most 200 characters.');
    expect(res.text).to.include(`value="${escaped(activity)}"`);
    expect(await ownerQuery('SELECT 1 FROM plan_items')).to.have.length(0);
  });

  it('a lead time of 100000 days is refused with a message, shown as typed, and nothing is saved', async () => {
    const res = await submitForm(agent, `/units/${facilityId}/plan/new`, `/units/${facilityId}/plan`, {
      intent: 'save', activity: 'Weekly forklift check', assigneeId: adminId, scheduleMode: 'monthly-last-day', scheduleStart: '2032-01-01',
      monthEndPolicy: 'last-day', leadTimeDays: '100000', requirement: 'none',
    });
    expect(res.status).to.equal(422);
    expect(res.text).to.include('Lead time must be a whole number from 0 to 366.');
    expect(res.text).to.include('value="100000"');
    expect(await ownerQuery('SELECT 1 FROM plan_items')).to.have.length(0);
  });

  it('a description over its limit names the field and the limit, not "too long"', async () => {
    const description = 'd'.repeat(20_001);
    const res = await submitForm(agent, `/units/${facilityId}/plan/new`, `/units/${facilityId}/plan`, {
      intent: 'save', activity: 'Weekly forklift check', description, assigneeId: adminId, scheduleMode: 'monthly-last-day',
      scheduleStart: '2032-01-01', monthEndPolicy: 'last-day', leadTimeDays: '30', requirement: 'none',
    });
    expect(res.status).to.equal(422);
    expect(res.text).to.include('Description must be at most 10000 characters.');
    expect(await ownerQuery('SELECT 1 FROM plan_items')).to.have.length(0);
  });

  it('a unit code over 40 characters is refused with a message, shown whole, and nothing is saved', async () => {
    const code = 'C'.repeat(41);
    const res = await submitForm(agent, '/units/new?kind=facility', '/units', { kind: 'facility', parentId: '', name: 'North Plant', code, address: '', timeZone: '' });
    expect(res.status).to.equal(422);
    expect(res.text).to.include('Code must be at most 40 characters.');
    expect(res.text).to.include(`value="${code}"`);
    expect(await ownerQuery(`SELECT 1 FROM org_units WHERE name = 'North Plant'`)).to.have.length(0);
  });

  it('a level label over 40 characters is refused with a message, shown whole, and nothing is saved', async () => {
    const region = 'R'.repeat(41);
    const res = await submitForm(agent, '/settings/levels', '/settings/levels', { region, division: 'District', facility: 'Site' });
    expect(res.status).to.equal(422);
    expect(res.text).to.include('The region label must be at most 40 characters.');
    expect(res.text).to.include(`value="${region}"`);
    const [row] = await ownerQuery<{ settings: Record<string, unknown> }>('SELECT settings FROM clients WHERE id = $1', [clientId]);
    expect(row!.settings.levelLabels).to.equal(undefined);
  });

  it('an invitee name over 200 characters is refused with a message, shown whole, and nobody is invited', async () => {
    const name = 'N'.repeat(201);
    const res = await submitForm(agent, '/users/invite', '/users/invite', { name, email: 'new.person@example.com', rank: 'associate', scope: facilityId });
    expect(res.status).to.equal(422);
    expect(res.text).to.include('Name must be at most 200 characters.');
    expect(res.text).to.include(`value="${name}"`);
    expect(await ownerQuery(`SELECT 1 FROM users WHERE email = 'new.person@example.com'`)).to.have.length(0);
  });

  it('a user search over 100 characters says so instead of searching for its first 100', async () => {
    const q = 'a'.repeat(101);
    const res = await agent.get(`/users?q=${q}`);
    expect(res.status).to.equal(422);
    expect(res.text).to.include('Search for at most 100 characters');
    expect(res.text).to.include(`value="${q}"`);
  });
});
