// Ledger rows and outbox messages for the notification pages' tests, inserted as the owner
// (outside RLS), and readers of the rows the pages list.
import { expect } from 'chai';
import { ownerQuery } from '../support/factories.ts';

export interface NotificationAttrs {
  recipient: { id: string };
  kind?: 'assignment' | 'reminder' | 'due_today' | 'overdue' | 'escalation' | 'weekly_summary';
  eventId?: string | null;
  planItemId?: string | null;
  facilityId?: string | null;
  level?: number | null;
  dueFor?: string;
  status?: 'pending' | 'queued' | 'skipped';
  skipReason?: string | null;
  mailId?: string | null;
  createdAt?: string;
}

/** One ledger row of the client; returns its id. Queued rows need a mailId, skipped a reason. */
export async function insertNotification(client: { id: string }, attrs: NotificationAttrs): Promise<string> {
  const status = attrs.status ?? 'pending';
  const [row] = await ownerQuery<{ id: string }>(
    `INSERT INTO notifications (client_id, event_id, plan_item_id, facility_id, recipient_id, kind, level, due_for, status, skip_reason, mail_id, created_at, settled_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, coalesce($12::timestamptz, now()), CASE WHEN $9 = 'pending' THEN NULL ELSE now() END)
     RETURNING id`,
    [
      client.id, attrs.eventId ?? null, attrs.planItemId ?? null, attrs.facilityId ?? null, attrs.recipient.id, attrs.kind ?? 'reminder',
      attrs.level ?? null, attrs.dueFor ?? '2026-03-17', status, attrs.skipReason ?? null, attrs.mailId ?? null, attrs.createdAt ?? null,
    ],
  );
  return row!.id;
}

/** One outbox message of the client; returns its id. */
export async function insertMail(client: { id: string } | null, attrs: { to: string; subject?: string; kind?: string; status?: string; text?: string; html?: string }): Promise<string> {
  const [row] = await ownerQuery<{ id: string }>(
    `INSERT INTO mail_outbox (client_id, to_address, subject, text_body, html_body, kind, status) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [client?.id ?? null, attrs.to, attrs.subject ?? 'PlanTRAK: your obligations today', attrs.text ?? 'text body', attrs.html ?? null, attrs.kind ?? 'notification.digest', attrs.status ?? 'pending'],
  );
  return row!.id;
}

/** The ids of the notifications a page lists, in page order. */
export function listedIds(html: string): string[] {
  return [...html.matchAll(/<tr id="notification-([0-9a-f-]{36})">/g)].map((m) => m[1]!);
}

/** The cells of one listed notification, tags stripped and whitespace collapsed. */
export function rowCellsOf(html: string, id: string): string[] {
  const start = html.indexOf(`<tr id="notification-${id}">`);
  expect(start, `row of notification ${id}`).to.be.greaterThan(-1);
  const row = html.slice(start, html.indexOf('</tr>', start));
  return [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) => m[1]!.replace(/<br>/g, ' ').replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim());
}

/** The markup of one listed notification's row. */
export function rowHtmlOf(html: string, id: string): string {
  const start = html.indexOf(`<tr id="notification-${id}">`);
  expect(start, `row of notification ${id}`).to.be.greaterThan(-1);
  return html.slice(start, html.indexOf('</tr>', start));
}

export async function optOutsOf(userId: string): Promise<string[]> {
  const [row] = await ownerQuery<{ opt_outs: string[] }>('SELECT notification_opt_outs AS opt_outs FROM users WHERE id = $1', [userId]);
  return row!.opt_outs;
}

export async function clientSettings(clientId: string): Promise<Record<string, unknown>> {
  const [row] = await ownerQuery<{ settings: Record<string, unknown> }>('SELECT settings FROM clients WHERE id = $1', [clientId]);
  return row!.settings;
}
