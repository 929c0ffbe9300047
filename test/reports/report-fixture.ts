// A small client for the report tests, inserted as the owner: two regions (North with a division
// of two facilities, South with one facility and no division), people of every rank that matters,
// events in every case of the on-time definition, and another client whose rows must never show.
import { addDays, todayIn } from '../../lib/calendar-dates.ts';
import { type ClientRow, createClient, createUser, ownerQuery, type UserRow } from '../support/factories.ts';
import { createUnit, grantScope, type UnitRow } from '../support/hierarchy-factories.ts';

export const ZONE = 'UTC';

/** One fixture event, with what the definition makes of it, worked out by hand. */
export interface FixtureEvent {
  id: string;
  facility: 'alpha' | 'beta' | 'gamma';
  assignee: 'ann' | 'bob';
  due: string;
  status: 'open' | 'closed' | 'cancelled';
  completed?: string;
  /** Counts in the on-time rate (closed, or open past due) — by hand. */
  counts: boolean;
  /** Completed on or before its due date — by hand. */
  onTime: boolean;
  /** Within the default period (due in the last 12 months, not after today) — by hand. */
  inPeriod: boolean;
}

export interface ReportFixture {
  client: ClientRow;
  today: string;
  north: UnitRow;
  northDivision: UnitRow;
  south: UnitRow;
  alpha: UnitRow;
  beta: UnitRow;
  gamma: UnitRow;
  admin: UserRow;
  manager: UserRow;
  associate: UserRow;
  ann: UserRow;
  bob: UserRow;
  items: Record<'alpha' | 'beta' | 'gamma', string>;
  events: FixtureEvent[];
  foreign: { client: ClientRow; admin: UserRow; facility: UnitRow; activity: string; fileName: string };
}

export async function planItem(clientId: string, facilityId: string, assigneeId: string, attrs: { activity: string; category?: string; rrule?: string; start: string; active?: boolean; kind?: 'calendar' | 'relative' }): Promise<string> {
  const relative = attrs.kind === 'relative';
  const [row] = await ownerQuery<{ id: string }>(
    `INSERT INTO plan_items (client_id, facility_id, activity, assignee_id, category, schedule_kind, rrule, relative_every, relative_unit, schedule_start, schedules_events)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
    [clientId, facilityId, attrs.activity, assigneeId, attrs.category ?? null, relative ? 'relative' : 'calendar', relative ? null : attrs.rrule ?? 'FREQ=MONTHLY;BYMONTHDAY=1',
      relative ? 3 : null, relative ? 'month' : null, attrs.start, attrs.active ?? false],
  );
  return row!.id;
}

export async function insertEvent(clientId: string, itemId: string, facilityId: string, assigneeId: string, e: { activity: string; due: string; status: 'open' | 'closed' | 'cancelled'; completed?: string }): Promise<string> {
  const late = e.status === 'closed' && e.completed! > e.due;
  const [row] = await ownerQuery<{ id: string }>(
    `INSERT INTO events (client_id, plan_item_id, facility_id, activity, scheduled_date, due_date, assignee_id, status, completed_on, late, closed_by, closed_at, cancel_reason)
     VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, CASE WHEN $7 = 'closed' THEN $6::uuid END, CASE WHEN $7 = 'closed' THEN now() END, CASE WHEN $7 = 'cancelled' THEN 'No longer needed' END)
     RETURNING id`,
    [clientId, itemId, facilityId, e.activity, e.due, assigneeId, e.status, e.completed ?? null, late],
  );
  return row!.id;
}

export async function reportFixture(): Promise<ReportFixture> {
  const client = await createClient({ name: 'Report Co', timeZone: ZONE });
  const today = todayIn(ZONE);
  const north = await createUnit(client, { kind: 'region', name: 'North Region' });
  const northDivision = await createUnit(client, { kind: 'division', name: 'North Division', parent: north });
  const alpha = await createUnit(client, { name: 'Alpha Plant', parent: northDivision });
  const beta = await createUnit(client, { name: 'Beta Plant', parent: northDivision });
  const south = await createUnit(client, { kind: 'region', name: 'South Region' });
  const gamma = await createUnit(client, { name: 'Gamma Plant', parent: south });

  const admin = await createUser(client, { name: 'Ada Admin', rank: 'administrator' });
  await grantScope(admin, null);
  const manager = await createUser(client, { name: 'Manny Manager', rank: 'manager' });
  await grantScope(manager, north);
  const associate = await createUser(client, { name: 'Assoc Iate', rank: 'associate' });
  await grantScope(associate, alpha);
  const ann = await createUser(client, { name: 'Ann Assignee', rank: 'associate' });
  await grantScope(ann, null);
  const bob = await createUser(client, { name: 'Bob Assignee', rank: 'associate' });
  await grantScope(bob, north);

  const facilities = { alpha, beta, gamma };
  const people = { ann, bob };
  const items = {
    alpha: await planItem(client.id, alpha.id, ann.id, { activity: 'Alpha logbook check', category: 'Safety', start: addDays(today, -500) }),
    beta: await planItem(client.id, beta.id, bob.id, { activity: 'Beta pump inspection', category: 'Water', start: addDays(today, -500) }),
    gamma: await planItem(client.id, gamma.id, ann.id, { activity: 'Gamma secret south audit', category: 'Safety', start: addDays(today, -500) }),
  };
  const d = (n: number) => addDays(today, n);
  // Every case of the definition, worked out by hand.
  const cases: Array<Omit<FixtureEvent, 'id'>> = [
    { facility: 'alpha', assignee: 'ann', due: d(-40), status: 'closed', completed: d(-41), counts: true, onTime: true, inPeriod: true },
    { facility: 'alpha', assignee: 'ann', due: d(-39), status: 'closed', completed: d(-35), counts: true, onTime: false, inPeriod: true },
    { facility: 'alpha', assignee: 'ann', due: d(-10), status: 'open', counts: true, onTime: false, inPeriod: true },
    { facility: 'alpha', assignee: 'ann', due: d(-20), status: 'cancelled', counts: false, onTime: false, inPeriod: true },
    { facility: 'alpha', assignee: 'ann', due: d(5), status: 'open', counts: false, onTime: false, inPeriod: false },
    { facility: 'alpha', assignee: 'ann', due: d(-400), status: 'closed', completed: d(-400), counts: true, onTime: true, inPeriod: false },
    { facility: 'beta', assignee: 'bob', due: d(-70), status: 'closed', completed: d(-70), counts: true, onTime: true, inPeriod: true },
    { facility: 'beta', assignee: 'bob', due: d(-5), status: 'closed', completed: d(-6), counts: true, onTime: true, inPeriod: true },
    { facility: 'beta', assignee: 'bob', due: d(-3), status: 'open', counts: true, onTime: false, inPeriod: true },
    { facility: 'gamma', assignee: 'ann', due: d(-15), status: 'closed', completed: d(-14), counts: true, onTime: false, inPeriod: true },
    { facility: 'gamma', assignee: 'ann', due: d(-100), status: 'closed', completed: d(-100), counts: true, onTime: true, inPeriod: true },
  ];
  const events: FixtureEvent[] = [];
  for (const c of cases) {
    const activity = ({ alpha: 'Alpha logbook check', beta: 'Beta pump inspection', gamma: 'Gamma secret south audit' } as const)[c.facility];
    const id = await insertEvent(client.id, items[c.facility], facilities[c.facility].id, people[c.assignee].id, { activity, due: c.due, status: c.status, completed: c.completed });
    events.push({ id, ...c });
  }
  // Close records and evidence for the closed ones (the close record lists its documents).
  for (const e of events.filter((x) => x.status === 'closed')) {
    const [doc] = await ownerQuery<{ id: string }>(
      `INSERT INTO documents (client_id, event_id, facility_id, file_name, content_type, size_bytes, sha256, uploaded_by)
       VALUES ($1, $2, $3, $4, 'application/pdf', 4, repeat('b', 64), $5) RETURNING id`,
      [client.id, e.id, facilities[e.facility].id, `${e.facility}-evidence-${e.due}.pdf`, people[e.assignee].id],
    );
    await ownerQuery(
      `INSERT INTO event_closures (client_id, event_id, facility_id, closed_by, completed_on, due_date, late, recorded_late, documents)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)`,
      [client.id, e.id, facilities[e.facility].id, people[e.assignee].id, e.completed, e.due, e.completed! > e.due, e.facility === 'beta' && e.due === d(-70),
        JSON.stringify([{ id: doc!.id, fileName: 'x.pdf', sizeBytes: 4, sha256: 'b'.repeat(64) }])],
    );
  }

  const other = await createClient({ name: 'Foreign Co', timeZone: ZONE });
  const otherFacility = await createUnit(other, { name: 'Foreign Works' });
  const otherAdmin = await createUser(other, { name: 'Fran Foreign', rank: 'administrator' });
  const otherItem = await planItem(other.id, otherFacility.id, otherAdmin.id, { activity: 'Foreign confidential task', category: 'Safety', start: d(-30), rrule: 'FREQ=WEEKLY;BYDAY=MO', active: true });
  const otherEvent = await insertEvent(other.id, otherItem, otherFacility.id, otherAdmin.id, { activity: 'Foreign confidential task', due: d(-2), status: 'open' });
  await ownerQuery(`INSERT INTO documents (client_id, event_id, facility_id, file_name, content_type, size_bytes, sha256) VALUES ($1, $2, $3, 'foreign-dossier.pdf', 'application/pdf', 4, repeat('c', 64))`, [other.id, otherEvent, otherFacility.id]);

  return {
    client, today, north, northDivision, south, alpha, beta, gamma, admin, manager, associate, ann, bob, items, events,
    foreign: { client: other, admin: otherAdmin, facility: otherFacility, activity: 'Foreign confidential task', fileName: 'foreign-dossier.pdf' },
  };
}

/** The rows of a report table: each row's cells as text (tags stripped). */
export function tableRows(html: string, id = 'report-table'): string[][] {
  const table = new RegExp(`<table[^>]*id="${id}"[^>]*>([\\s\\S]*?)</table>`).exec(html);
  if (!table) return [];
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(table[1]!)?.[1] ?? '';
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((r) =>
    [...r[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => c[1]!.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim()));
}
