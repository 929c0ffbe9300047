// Plan items for the generation tests, inserted as the owner role (outside RLS), and readers.
import { type ClientRow, createClient, createUser, ownerQuery, type UserRow } from '../support/factories.ts';
import { createUnit, type UnitRow } from '../support/hierarchy-factories.ts';

export interface ItemAttrs {
  activity?: string;
  description?: string | null;
  rrule?: string;
  relative?: { every: number; unit: 'day' | 'week' | 'month' | 'year' };
  start: string;
  monthEnd?: 'last-day' | 'skip';
  leadTimeDays?: number;
  schedulesEvents?: boolean;
  hidden?: boolean;
}

export interface Site {
  client: ClientRow;
  facility: UnitRow;
  assignee: UserRow;
}

/** A client (in `clientZone`) with one facility (in `facilityZone`, or the client's) and an assignee. */
export async function createSite(attrs: { clientZone?: string; facilityZone?: string | null } = {}): Promise<Site> {
  const client = await createClient({ timeZone: attrs.clientZone ?? 'UTC' });
  const facility = await createUnit(client, { timeZone: attrs.facilityZone ?? null });
  const assignee = await createUser(client, { rank: 'manager' });
  return { client, facility, assignee };
}

export async function createFacility(site: Site, timeZone: string | null): Promise<UnitRow> {
  return createUnit(site.client, { timeZone });
}

export async function createItem(site: Site, attrs: ItemAttrs, facility: UnitRow = site.facility): Promise<string> {
  const relative = attrs.relative;
  const [row] = await ownerQuery<{ id: string }>(
    `INSERT INTO plan_items (client_id, facility_id, activity, description, assignee_id, schedule_kind, rrule, relative_every, relative_unit,
                             schedule_start, month_end_policy, lead_time_days, schedules_events, hidden)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
    [site.client.id, facility.id, attrs.activity ?? 'Inspection', attrs.description ?? null, site.assignee.id,
      relative ? 'relative' : 'calendar', relative ? null : (attrs.rrule ?? 'FREQ=MONTHLY;BYMONTHDAY=-1'),
      relative?.every ?? null, relative?.unit ?? null, attrs.start, attrs.monthEnd ?? 'last-day', attrs.leadTimeDays ?? 30,
      attrs.schedulesEvents ?? true, attrs.hidden ?? false],
  );
  return row!.id;
}

export interface GeneratedEvent {
  id: string;
  client_id: string;
  plan_item_id: string;
  facility_id: string;
  activity: string;
  description: string | null;
  scheduled_date: string;
  due_date: string;
  assignee_id: string;
  status: string;
  created_at: Date;
  updated_at: Date;
}

export async function eventsOf(planItemId: string): Promise<GeneratedEvent[]> {
  return ownerQuery<GeneratedEvent>(
    `SELECT id, client_id, plan_item_id, facility_id, activity, description, scheduled_date::text, due_date::text, assignee_id, status, created_at, updated_at
       FROM events WHERE plan_item_id = $1 ORDER BY scheduled_date`,
    [planItemId],
  );
}

export async function datesOf(planItemId: string): Promise<string[]> {
  return (await eventsOf(planItemId)).map((e) => e.scheduled_date);
}

export async function nextDueOf(planItemId: string): Promise<string | null> {
  const [row] = await ownerQuery<{ next: string | null }>('SELECT next_due_date::text AS next FROM plan_items WHERE id = $1', [planItemId]);
  return row!.next;
}

/** Every date from `from` through `through` stepping `step` days (date arithmetic, not hours). */
export function dateSeries(from: string, through: string, step = 1): string[] {
  const out: string[] = [];
  for (let d = new Date(`${from}T00:00:00Z`); d.toISOString().slice(0, 10) <= through; d.setUTCDate(d.getUTCDate() + step)) {
    out.push(d.toISOString().slice(0, 10));
  }
  return out;
}
