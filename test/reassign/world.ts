// A small organisation with Plan Items and events for the reassignment and transition tests:
// region North (division Lakes: Plant One, Plant Two) and region South (Plant Three).
import { type ClientRow, createClient, createUser, ownerQuery, type UserRow } from '../support/factories.ts';
import { createUnit, grantScope, type UnitRow } from '../support/hierarchy-factories.ts';
import { type Agent, signedInAgent, testApp } from '../support/http.ts';

export interface World {
  client: ClientRow;
  north: UnitRow;
  plantOne: UnitRow;
  plantTwo: UnitRow;
  south: UnitRow;
  plantThree: UnitRow;
  /** Director of North. */
  director: UserRow;
  /** Manager of Plant One. */
  manager: UserRow;
  /** Associates: Alice at Plant One and Plant Two, Bob at Plant One, Cleo at Plant Two, Sue at Plant Three. */
  alice: UserRow;
  bob: UserRow;
  cleo: UserRow;
  sue: UserRow;
  as: (user: UserRow) => Promise<Agent>;
}

export async function world(): Promise<World> {
  const client = await createClient({ name: 'Acme Water' });
  const north = await createUnit(client, { kind: 'region', name: 'North' });
  const lakes = await createUnit(client, { kind: 'division', name: 'Lakes', parent: north });
  const plantOne = await createUnit(client, { kind: 'facility', name: 'Plant One', parent: lakes });
  const plantTwo = await createUnit(client, { kind: 'facility', name: 'Plant Two', parent: lakes });
  const south = await createUnit(client, { kind: 'region', name: 'South' });
  const plantThree = await createUnit(client, { kind: 'facility', name: 'Plant Three', parent: south });
  const director = await createUser(client, { name: 'Dana Director', rank: 'director' });
  await grantScope(director, north);
  const manager = await createUser(client, { name: 'Mona Manager', rank: 'manager' });
  await grantScope(manager, plantOne);
  const alice = await createUser(client, { name: 'Alice Leaving', rank: 'associate' });
  await grantScope(alice, plantOne);
  await grantScope(alice, plantTwo);
  const bob = await createUser(client, { name: 'Bob One', rank: 'associate' });
  await grantScope(bob, plantOne);
  const cleo = await createUser(client, { name: 'Cleo Two', rank: 'associate' });
  await grantScope(cleo, plantTwo);
  const sue = await createUser(client, { name: 'Sue South', rank: 'associate' });
  await grantScope(sue, plantThree);
  const app = testApp();
  return { client, north, plantOne, plantTwo, south, plantThree, director, manager, alice, bob, cleo, sue, as: (u) => signedInAgent(app, u.email, u.password) };
}

/** A Plan Item at a facility, assigned to a user (as the owner, outside RLS). */
export async function planItem(w: { client: ClientRow }, facility: UnitRow, assignee: UserRow, activity: string, options: { hidden?: boolean } = {}): Promise<string> {
  const [row] = await ownerQuery<{ id: string }>(
    `INSERT INTO plan_items (client_id, facility_id, activity, assignee_id, schedule_kind, rrule, schedule_start, hidden)
     VALUES ($1, $2, $3, $4, 'calendar', 'FREQ=MONTHLY;BYMONTHDAY=-1', DATE '2032-01-01', $5) RETURNING id`,
    [w.client.id, facility.id, activity, assignee.id, options.hidden ?? false],
  );
  return row.id;
}

let day = 0;

/** An event of a Plan Item (open unless told), with its own date. */
export async function event(w: { client: ClientRow }, itemId: string, assignee: UserRow, status: 'open' | 'closed' | 'cancelled' = 'open'): Promise<string> {
  day += 1;
  const date = new Date(Date.UTC(2032, 0, 1) + day * 86400000).toISOString().slice(0, 10);
  const [item] = await ownerQuery<{ facility_id: string; activity: string }>('SELECT facility_id, activity FROM plan_items WHERE id = $1', [itemId]);
  const closed = status === 'closed';
  const [row] = await ownerQuery<{ id: string }>(
    `INSERT INTO events (client_id, plan_item_id, facility_id, activity, scheduled_date, due_date, assignee_id, status,
                         completed_on, closed_by, closed_at, cancel_reason)
     VALUES ($1, $2, $3, $4, $5::date, $5::date, $6, $7, CASE WHEN $8 THEN $5::date END, CASE WHEN $8 THEN $6::uuid END,
             CASE WHEN $8 THEN now() END, CASE WHEN $7 = 'cancelled' THEN 'No longer needed' END) RETURNING id`,
    [w.client.id, itemId, item.facility_id, item.activity, date, assignee.id, status, closed],
  );
  return row.id;
}

export const assigneeOf = async (table: 'events' | 'plan_items', id: string): Promise<string> =>
  (await ownerQuery<{ assignee_id: string }>(`SELECT assignee_id FROM ${table} WHERE id = $1`, [id]))[0].assignee_id;

/** Every assignee of every Plan Item and event, to check that a refusal changed nothing. */
export async function assignments(): Promise<string> {
  const rows = await ownerQuery<{ id: string; assignee_id: string; updated_at: Date }>(
    `SELECT id, assignee_id, updated_at FROM plan_items UNION ALL SELECT id, assignee_id, updated_at FROM events ORDER BY id`,
  );
  return JSON.stringify(rows);
}
