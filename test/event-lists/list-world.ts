// An organisation for the events-list tests: region North (division Lakes: Plant One in Auckland,
// Plant Two in Los Angeles) and region South (Plant Three, in the client's zone, Chicago), Plan
// Items with categories and regulatory references, and events of every status, inserted as the
// owner. Dates are relative to today, at least two days from any boundary, so they read the same
// in every zone.
import { addDays, todayIn } from '../../lib/calendar-dates.ts';
import { type ClientRow, createClient, createUser, ownerQuery, type UserRow } from '../support/factories.ts';
import { createUnit, grantScope, type UnitRow } from '../support/hierarchy-factories.ts';
import { type Agent, signedInAgent, testApp } from '../support/http.ts';

export interface ListWorld {
  client: ClientRow;
  north: UnitRow;
  lakes: UnitRow;
  plantOne: UnitRow;
  plantTwo: UnitRow;
  south: UnitRow;
  plantThree: UnitRow;
  /** Director of North. */
  director: UserRow;
  /** Associates: Alice at Plant One and Two, Bob at Plant One, Sue at Plant Three. */
  alice: UserRow;
  bob: UserRow;
  sue: UserRow;
  as: (user: UserRow) => Promise<Agent>;
}

/** Today as the tests reckon it (UTC); the world's dates keep two days clear of each zone's today. */
export const today = () => todayIn('UTC');
export const day = (offset: number) => addDays(today(), offset);

export async function listWorld(name = 'Acme Water'): Promise<ListWorld> {
  const client = await createClient({ name, timeZone: 'America/Chicago' });
  const north = await createUnit(client, { kind: 'region', name: 'North' });
  const lakes = await createUnit(client, { kind: 'division', name: 'Lakes', parent: north });
  const plantOne = await createUnit(client, { kind: 'facility', name: 'Plant One', parent: lakes, timeZone: 'Pacific/Auckland' });
  const plantTwo = await createUnit(client, { kind: 'facility', name: 'Plant Two', parent: lakes, timeZone: 'America/Los_Angeles' });
  const south = await createUnit(client, { kind: 'region', name: 'South' });
  const plantThree = await createUnit(client, { kind: 'facility', name: 'Plant Three', parent: south });
  const director = await createUser(client, { name: 'Dana Director', rank: 'director' });
  await grantScope(director, north);
  const alice = await createUser(client, { name: 'Alice Able', rank: 'associate' });
  await grantScope(alice, plantOne);
  await grantScope(alice, plantTwo);
  const bob = await createUser(client, { name: 'Bob Baker', rank: 'associate' });
  await grantScope(bob, plantOne);
  const sue = await createUser(client, { name: 'Sue South', rank: 'associate' });
  await grantScope(sue, plantThree);
  const app = testApp();
  return { client, north, lakes, plantOne, plantTwo, south, plantThree, director, alice, bob, sue, as: (u) => signedInAgent(app, u.email, u.password) };
}

/** A Plan Item at a facility. */
export async function item(w: { client: ClientRow }, facility: UnitRow, assignee: UserRow, attrs: { activity: string; category?: string; reference?: string; description?: string }): Promise<string> {
  const [row] = await ownerQuery<{ id: string }>(
    `INSERT INTO plan_items (client_id, facility_id, activity, description, regulatory_reference, category, assignee_id, schedule_kind, rrule, schedule_start)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'calendar', 'FREQ=MONTHLY;BYMONTHDAY=-1', DATE '2020-01-01') RETURNING id`,
    [w.client.id, facility.id, attrs.activity, attrs.description ?? null, attrs.reference ?? null, attrs.category ?? null, assignee.id],
  );
  return row!.id;
}

let occurrence = 0;

export interface EventAttrs {
  due: string;
  status?: 'open' | 'closed' | 'cancelled';
  /** Closed events: the completion date (the due date unless told), late when after it. */
  completedOn?: string;
  recordedLate?: boolean;
  assignee?: UserRow;
  description?: string;
}

/** An event of a Plan Item, with the item's activity and facility (and assignee unless told). */
export async function event(w: { client: ClientRow }, itemId: string, attrs: EventAttrs): Promise<string> {
  occurrence += 1;
  const [it] = await ownerQuery<{ facility_id: string; activity: string; assignee_id: string; description: string | null }>(
    'SELECT facility_id, activity, assignee_id, description FROM plan_items WHERE id = $1', [itemId]);
  const status = attrs.status ?? 'open';
  const completedOn = status === 'closed' ? (attrs.completedOn ?? attrs.due) : null;
  const assignee = attrs.assignee?.id ?? it!.assignee_id;
  const [row] = await ownerQuery<{ id: string }>(
    `INSERT INTO events (client_id, plan_item_id, facility_id, activity, description, scheduled_date, due_date, assignee_id, status,
                         completed_on, closed_by, closed_at, late, recorded_late, cancel_reason)
     VALUES ($1, $2, $3, $4, $5, DATE '2000-01-01' + $6::int, $7::date, $8, $9, $10::date,
             CASE WHEN $9 = 'closed' THEN $8::uuid END, CASE WHEN $9 = 'closed' THEN now() END,
             coalesce($10::date > $7::date, false), $11, CASE WHEN $9 = 'cancelled' THEN 'No longer needed' END)
     RETURNING id`,
    [w.client.id, itemId, it!.facility_id, it!.activity, attrs.description ?? it!.description, occurrence, attrs.due, assignee, status,
      completedOn, status === 'closed' && (attrs.recordedLate ?? false)],
  );
  return row!.id;
}

/** The event ids a page's table links to, in order. */
export const idsIn = (html: string, tableId = 'events-table'): string[] => {
  const table = new RegExp(`<table[^>]*id="${tableId}"[\\s\\S]*?</table>`).exec(html)?.[0] ?? '';
  return [...table.matchAll(/href="\/events\/([0-9a-f-]{36})"/g)].map((m) => m[1]!);
};

export const assigneeOf = async (id: string): Promise<string> => (await ownerQuery<{ assignee_id: string }>('SELECT assignee_id FROM events WHERE id = $1', [id]))[0]!.assignee_id;
