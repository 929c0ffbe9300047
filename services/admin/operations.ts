// The admin area's operations pages: the mail outbox across clients (addresses and
// status, never bodies) and recent server errors.
import { sql } from '../../lib/unit-of-work.ts';

export const OUTBOX_LIMIT = 200;
export const ERRORS_LIMIT = 200;

export interface OutboxEntry {
  id: string;
  client_id: string | null;
  to_address: string;
  subject: string;
  kind: string;
  status: string;
  attempts: number;
  last_error: string | null;
  created_at: Date;
  sent_at: Date | null;
  clientName: string | null;
  /** The client's time zone, in which the page shows the message's times (UTC for SolutionsTRAK's own mail). */
  clientTimeZone: string | null;
}

export async function mailOutbox(): Promise<OutboxEntry[]> {
  const rows = await sql<Omit<OutboxEntry, 'clientName' | 'clientTimeZone'>>(
    `SELECT id, client_id, to_address, subject, kind, status, attempts, last_error, created_at, sent_at FROM admin_mail_outbox($1)`,
    [OUTBOX_LIMIT],
  );
  const clients = await sql<{ id: string; name: string; time_zone: string }>('SELECT id, name, time_zone FROM admin_clients()');
  const byId = new Map(clients.map((c) => [c.id, c]));
  return rows.map((r) => {
    const client = r.client_id ? byId.get(r.client_id) : undefined;
    return { ...r, clientName: client?.name ?? null, clientTimeZone: client?.time_zone ?? null };
  });
}

export interface ErrorEntry {
  id: string;
  occurred_at: Date;
  request_id: string | null;
  method: string | null;
  path: string | null;
  status: number | null;
  error_name: string | null;
  message: string | null;
}

export function recentErrors(): Promise<ErrorEntry[]> {
  return sql<ErrorEntry>(
    `SELECT id, occurred_at, request_id, method, path, status, error_name, message FROM app_errors ORDER BY occurred_at DESC, id LIMIT $1`,
    [ERRORS_LIMIT],
  );
}
