// A facility with people of each rank and one Plan Item with one open event, inserted as the owner.
import { createHash } from 'node:crypto';
import type { ChecklistItem, Requirement } from '../../models/plan-item.ts';
import { type ClientRow, createClient, createUser, ownerQuery, type UserRow } from '../support/factories.ts';
import { createUnit, grantScope, type UnitRow } from '../support/hierarchy-factories.ts';

export interface EventSite {
  client: ClientRow;
  facility: UnitRow;
  /** Another facility of the client, outside the associate's, manager's and outsider's scope. */
  otherFacility: UnitRow;
  associate: UserRow;
  /** An associate of the same facility who is not the assignee. */
  colleague: UserRow;
  manager: UserRow;
  director: UserRow;
  /** A Manager of the other facility only. */
  outsider: UserRow;
  itemId: string;
  eventId: string;
}

export const CHECKLIST: ChecklistItem[] = [
  { key: 'outfalls', label: 'All outfalls inspected', type: 'check', required: true },
  { key: 'sheen', label: 'Oil sheen observed', type: 'yes_no_na', required: true },
  { key: 'ph', label: 'pH reading', type: 'number', required: false },
  { key: 'remarks', label: 'Remarks', type: 'text', required: false },
];

export async function createEventSite(attrs: {
  requirement?: Requirement;
  checklist?: ChecklistItem[];
  dueDate?: string;
  relative?: { every: number; unit: 'day' | 'week' | 'month' | 'year' };
  timeZone?: string;
} = {}): Promise<EventSite> {
  const client = await createClient({ timeZone: attrs.timeZone ?? 'America/Chicago' });
  const facility = await createUnit(client, { name: 'Springfield Plant' });
  const otherFacility = await createUnit(client, { name: 'Joliet Yard' });
  const associate = await createUser(client, { name: 'Ada Associate', rank: 'associate' });
  const colleague = await createUser(client, { name: 'Cole Colleague', rank: 'associate' });
  const manager = await createUser(client, { name: 'Mona Manager', rank: 'manager' });
  const director = await createUser(client, { name: 'Dora Director', rank: 'director' });
  const outsider = await createUser(client, { name: 'Otto Outsider', rank: 'manager' });
  for (const u of [associate, colleague, manager, director]) await grantScope(u, facility);
  await grantScope(director, otherFacility);
  await grantScope(outsider, otherFacility);
  const requirement = attrs.requirement ?? 'none';
  const checklist = requirement === 'checklist' || requirement === 'both' ? (attrs.checklist ?? CHECKLIST) : [];
  const due = attrs.dueDate ?? '2026-03-31';
  const [item] = await ownerQuery<{ id: string }>(
    `INSERT INTO plan_items (client_id, facility_id, activity, description, assignee_id, requirement, checklist, schedule_kind, rrule,
                             relative_every, relative_unit, schedule_start)
     VALUES ($1, $2, 'Stormwater inspection', 'Walk all outfalls', $3, $4, $5::jsonb, $6, $7, $8, $9, $10) RETURNING id`,
    [client.id, facility.id, associate.id, requirement, JSON.stringify(checklist), attrs.relative ? 'relative' : 'calendar',
      attrs.relative ? null : 'FREQ=MONTHLY;BYMONTHDAY=-1', attrs.relative?.every ?? null, attrs.relative?.unit ?? null, due],
  );
  const eventId = await createEvent({ client, facility, itemId: item!.id, assignee: associate }, due);
  return { client, facility, otherFacility, associate, colleague, manager, director, outsider, itemId: item!.id, eventId };
}

export async function createEvent(site: { client: ClientRow; facility: UnitRow; itemId: string; assignee: UserRow }, due: string): Promise<string> {
  const [event] = await ownerQuery<{ id: string }>(
    `INSERT INTO events (client_id, plan_item_id, facility_id, activity, description, scheduled_date, due_date, assignee_id)
     VALUES ($1, $2, $3, 'Stormwater inspection', 'Walk all outfalls', $4, $4, $5) RETURNING id`,
    [site.client.id, site.itemId, site.facility.id, due, site.assignee.id],
  );
  return event!.id;
}

/** A document on the event, as if uploaded (the upload path has its own tests). */
export async function attachDocument(site: EventSite, content = '%PDF-1.4 evidence'): Promise<{ id: string; sha256: string }> {
  const sha256 = createHash('sha256').update(content).digest('hex');
  const [doc] = await ownerQuery<{ id: string }>(
    `INSERT INTO documents (client_id, event_id, facility_id, file_name, content_type, size_bytes, sha256, uploaded_by)
     VALUES ($1, $2, $3, 'evidence.pdf', 'application/pdf', $4, $5, $6) RETURNING id`,
    [site.client.id, site.eventId, site.facility.id, Buffer.byteLength(content), sha256, site.associate.id],
  );
  await ownerQuery('INSERT INTO document_blobs (client_id, document_id, facility_id, content) VALUES ($1, $2, $3, $4)', [site.client.id, doc!.id, site.facility.id, Buffer.from(content)]);
  return { id: doc!.id, sha256 };
}

export async function eventRow(id: string) {
  const [row] = await ownerQuery<{ status: string; completed_on: string | null; late: boolean; closed_by: string | null; closing_notes: string | null; cancel_reason: string | null; assignee_id: string }>(
    `SELECT status, completed_on::text, late, closed_by, closing_notes, cancel_reason, assignee_id FROM events WHERE id = $1`,
    [id],
  );
  return row!;
}

export async function auditActions(entityId: string): Promise<string[]> {
  return (await ownerQuery<{ action: string }>('SELECT action FROM audit_log WHERE entity_id = $1 ORDER BY seq', [entityId])).map((r) => r.action);
}
