// A client whose Associate, Director and an outsider each hold events in and out of the feed's
// window, another client with an event of its own, and helpers to make and read feeds.
import { expect } from 'chai';
import type { Express } from 'express';
import ICAL from 'ical.js';
import supertest from 'supertest';
import { addDays, todayIn } from '../../lib/calendar-dates.ts';
import { type ClientRow, createClient, createUser, ownerQuery, type UserRow } from '../support/factories.ts';
import { createUnit, grantScope, type UnitRow } from '../support/hierarchy-factories.ts';
import { type Agent, csrfFrom } from '../support/http.ts';

export interface FeedWorld {
  client: ClientRow;
  today: string;
  springfield: UnitRow;
  joliet: UnitRow;
  oakland: UnitRow;
  associate: UserRow;
  director: UserRow;
  admin: UserRow;
  /** The Associate's open event at Springfield, due in five days. */
  soon: string;
  /** Open, but due 40 days ago: before the window. */
  old: string;
  /** At Joliet (the Director's region), someone else's. */
  joliets: string;
  /** At Oakland, outside the Director's region. */
  oaklands: string;
  /** Another client's event. */
  foreign: string;
}

async function item(client: { id: string }, facility: UnitRow, assignee: UserRow, activity: string): Promise<string> {
  const [row] = await ownerQuery<{ id: string }>(
    `INSERT INTO plan_items (client_id, facility_id, activity, assignee_id, schedule_kind, rrule, schedule_start)
     VALUES ($1, $2, $3, $4, 'calendar', 'FREQ=MONTHLY;BYMONTHDAY=-1', DATE '2026-01-31') RETURNING id`,
    [client.id, facility.id, activity, assignee.id],
  );
  return row!.id;
}

export async function eventOf(client: { id: string }, facility: UnitRow, assignee: UserRow, activity: string, due: string, info: string | null = null): Promise<string> {
  const planItem = await item(client, facility, assignee, activity);
  const [row] = await ownerQuery<{ id: string }>(
    `INSERT INTO events (client_id, plan_item_id, facility_id, activity, additional_information, scheduled_date, due_date, assignee_id)
     VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING id`,
    [client.id, planItem, facility.id, activity, info, due, assignee.id],
  );
  return row!.id;
}

export async function feedWorld(): Promise<FeedWorld> {
  const client = await createClient({ name: 'Prairie Water', timeZone: 'America/Chicago' });
  const today = todayIn('America/Chicago');
  const central = await createUnit(client, { kind: 'region', name: 'Central' });
  const pacific = await createUnit(client, { kind: 'region', name: 'Pacific' });
  const springfield = await createUnit(client, { name: 'Springfield Plant', parent: central });
  const joliet = await createUnit(client, { name: 'Joliet Works', parent: central });
  const oakland = await createUnit(client, { name: 'Oakland Port', parent: pacific });
  const associate = await createUser(client, { name: 'Alex Associate', rank: 'associate' });
  const colleague = await createUser(client, { name: 'Casey Colleague', rank: 'associate' });
  const director = await createUser(client, { name: 'Dana Director', rank: 'director' });
  const admin = await createUser(client, { name: 'Ada Admin', rank: 'administrator' });
  await grantScope(associate, springfield);
  await grantScope(colleague, joliet);
  await grantScope(colleague, oakland);
  await grantScope(director, central);
  const soon = await eventOf(client, springfield, associate, 'Stormwater outfall inspection', addDays(today, 5), 'Key at the gatehouse; wear boots, gloves; outfall 3 floods.');
  const old = await eventOf(client, springfield, associate, 'Old inspection', addDays(today, -40));
  const closed = await eventOf(client, springfield, associate, 'Closed inspection', addDays(today, 2));
  await ownerQuery(`UPDATE events SET status = 'closed', completed_on = $2, closed_by = $3, closed_at = now() WHERE id = $1`, [closed, today, associate.id]);
  const joliets = await eventOf(client, joliet, colleague, 'Generator load test', addDays(today, 20));
  const oaklands = await eventOf(client, oakland, colleague, 'Tank inspection', addDays(today, 3));
  const other = await createClient({ name: 'Other Co' });
  const otherFacility = await createUnit(other, { name: 'Elsewhere' });
  const stranger = await createUser(other, { name: 'Sam Stranger', rank: 'administrator' });
  const foreign = await eventOf(other, otherFacility, stranger, 'Foreign inspection', addDays(today, 4));
  return { client, today, springfield, joliet, oakland, associate, director, admin, soon, old, joliets, oaklands, foreign };
}

/** Asks for a feed of a kind (made or reset) on the account page; gives the URL's path. */
export async function issueFeed(agent: Agent, kind: 'mine' | 'scope'): Promise<string> {
  const page = await agent.get('/account/calendar');
  expect(page.status).to.equal(200);
  const res = await agent.post('/account/calendar').type('form').send({ _csrf: csrfFrom(page.text), kind, action: 'issue' });
  expect(res.status, res.text).to.equal(200);
  const url = /id="feed-url" type="text" readonly value="([^"]+)"/.exec(res.text)?.[1];
  expect(url, 'the page shows the new URL').to.be.a('string');
  return new URL(url!).pathname;
}

export async function revokeFeed(agent: Agent, kind: 'mine' | 'scope') {
  const page = await agent.get('/account/calendar');
  return agent.post('/account/calendar').type('form').send({ _csrf: csrfFrom(page.text), kind, action: 'revoke' });
}

export interface ParsedEvent {
  uid: string;
  summary: string;
  description: string | null;
  url: string | null;
  start: ICAL.Time;
  end: ICAL.Time;
  sequence: number;
  lastModified: string | null;
}

/** Fetches a feed without a session and parses it with ical.js (an independent parser). */
export async function fetchFeed(app: Express, path: string): Promise<{ status: number; type: string | undefined; text: string; events: ParsedEvent[] }> {
  const res = await supertest(app).get(path);
  if (res.status !== 200) return { status: res.status, type: res.headers['content-type'], text: res.text, events: [] };
  const text = Buffer.isBuffer(res.body) ? res.body.toString('utf8') : res.text;
  const calendar = new ICAL.Component(ICAL.parse(text));
  const events = calendar.getAllSubcomponents('vevent').map((v) => ({
    uid: String(v.getFirstPropertyValue('uid')),
    summary: String(v.getFirstPropertyValue('summary')),
    description: (v.getFirstPropertyValue('description') as string | null) ?? null,
    url: (v.getFirstPropertyValue('url') as string | null) ?? null,
    start: v.getFirstPropertyValue('dtstart') as ICAL.Time,
    end: v.getFirstPropertyValue('dtend') as ICAL.Time,
    sequence: Number(v.getFirstPropertyValue('sequence') ?? 0),
    lastModified: v.getFirstPropertyValue('last-modified')?.toString() ?? null,
  }));
  return { status: res.status, type: res.headers['content-type'], text, events };
}
