// A client with facilities in Pacific/Auckland and America/Los_Angeles, people of each rank with
// their own scopes, and helpers to add events and run the notification pass at a fixed instant.
import { runNotificationPass } from '../../services/notifications/pass.ts';
import { testEnv } from '../support/env.ts';
import { type ClientRow, createClient, createUser, ownerQuery, type UserRow } from '../support/factories.ts';
import { createUnit, grantScope, type UnitRow } from '../support/hierarchy-factories.ts';

export const BASE_URL = 'http://plantrak.test';
export const SECRET = 'test-session-secret-that-is-long-enough-0123456789';

export interface NoticeWorld {
  client: ClientRow;
  region: UnitRow;
  auckland: UnitRow;
  losAngeles: UnitRow;
  /** Assignee at Auckland (zone Pacific/Auckland). */
  kiri: UserRow;
  /** Assignee at Los Angeles (zone America/Los_Angeles). */
  lee: UserRow;
  /** Manager of Los Angeles only. */
  manager: UserRow;
  /** Director of the region (both facilities). */
  director: UserRow;
  /** Director of another region: covers neither facility. */
  outsideDirector: UserRow;
  executive: UserRow;
  admin: UserRow;
  /** A plan item per facility. */
  items: Record<'auckland' | 'losAngeles', string>;
}

export async function setZone(user: { id: string }, zone: string, digestHour = 7): Promise<void> {
  await ownerQuery('UPDATE users SET time_zone = $2, digest_hour = $3 WHERE id = $1', [user.id, zone, digestHour]);
}

export async function noticeWorld(): Promise<NoticeWorld> {
  const client = await createClient({ name: 'Pacific Water', timeZone: 'America/Los_Angeles' });
  const region = await createUnit(client, { kind: 'region', name: 'Pacific' });
  const elsewhere = await createUnit(client, { kind: 'region', name: 'Atlantic' });
  const auckland = await createUnit(client, { name: 'Auckland Works', parent: region, timeZone: 'Pacific/Auckland' });
  const losAngeles = await createUnit(client, { name: 'LA Depot', parent: region, timeZone: null });
  await createUnit(client, { name: 'Boston Yard', parent: elsewhere });
  const kiri = await createUser(client, { name: 'Kiri Associate', rank: 'associate' });
  const lee = await createUser(client, { name: 'Lee Associate', rank: 'associate' });
  const manager = await createUser(client, { name: 'Mona Manager', rank: 'manager' });
  const director = await createUser(client, { name: 'Dora Director', rank: 'director' });
  const outsideDirector = await createUser(client, { name: 'Otto Outside', rank: 'director' });
  const executive = await createUser(client, { name: 'Eve Executive', rank: 'executive' });
  const admin = await createUser(client, { name: 'Ada Admin', rank: 'administrator' });
  await grantScope(kiri, auckland);
  await grantScope(lee, losAngeles);
  await grantScope(manager, losAngeles);
  await grantScope(director, region);
  await grantScope(outsideDirector, elsewhere);
  await grantScope(executive, null);
  await setZone(kiri, 'Pacific/Auckland');
  const item = async (facility: UnitRow, assignee: UserRow) => {
    const [row] = await ownerQuery<{ id: string }>(
      `INSERT INTO plan_items (client_id, facility_id, activity, additional_information, assignee_id, schedule_kind, rrule, schedule_start)
       VALUES ($1, $2, $3, 'Use the north gate.', $4, 'calendar', 'FREQ=MONTHLY;BYMONTHDAY=-1', DATE '2026-01-31') RETURNING id`,
      [client.id, facility.id, `Tank check at ${facility.name}`, assignee.id],
    );
    return row!.id;
  };
  return {
    client, region, auckland, losAngeles, kiri, lee, manager, director, outsideDirector, executive, admin,
    items: { auckland: await item(auckland, kiri), losAngeles: await item(losAngeles, lee) },
  };
}

/** An open event due on `due` at the facility, assigned as its item is. */
export async function eventDue(w: NoticeWorld, where: 'auckland' | 'losAngeles', due: string): Promise<string> {
  const facility = w[where];
  const assignee = where === 'auckland' ? w.kiri : w.lee;
  const [row] = await ownerQuery<{ id: string }>(
    `INSERT INTO events (client_id, plan_item_id, facility_id, activity, additional_information, scheduled_date, due_date, assignee_id)
     VALUES ($1, $2, $3, $4, 'Use the north gate.', $5, $5, $6) RETURNING id`,
    [w.client.id, w.items[where], facility.id, `Tank check at ${facility.name}`, due, assignee.id],
  );
  return row!.id;
}

export const pass = (w: { client: { id: string } }, now: string) =>
  runNotificationPass(testEnv().db.sequelize, { now: new Date(now), clientIds: [w.client.id], baseUrl: BASE_URL, secret: SECRET });

export interface LedgerRow {
  id: string;
  event_id: string | null;
  recipient_id: string;
  kind: string;
  level: number | null;
  due_for: string;
  status: string;
  skip_reason: string | null;
  mail_id: string | null;
}

export const ledger = (clientId: string) =>
  ownerQuery<LedgerRow>(
    `SELECT id, event_id, recipient_id, kind, level, due_for::text, status, skip_reason, mail_id FROM notifications WHERE client_id = $1 ORDER BY kind, due_for, recipient_id`,
    [clientId],
  );

export const outbox = (clientId: string, kind = 'notification.%') =>
  ownerQuery<{ id: string; to_address: string; subject: string; kind: string; text_body: string; html_body: string | null; headers: Record<string, string> | null }>(
    `SELECT id, to_address, subject, kind, text_body, html_body, headers FROM mail_outbox WHERE client_id = $1 AND kind LIKE $2 ORDER BY created_at, to_address`,
    [clientId, kind],
  );
