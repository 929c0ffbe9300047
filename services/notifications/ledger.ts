// Reading the notification ledger (DESIGN.md §6): one's own notices for the account page, and
// the client's for Administrators, filtered, with CSV and XLSX downloads. Row-level security
// already confines the rows (a user reads their own notices and those about facilities in their
// scope); the explicit client and recipient conditions let the indexes do the work.
import type { FieldErrors } from '../../lib/errors.ts';
import { cursorBatches, sql } from '../../lib/unit-of-work.ts';
import type { Client } from '../../models/index.ts';
import type { ExportFormat, StreamedTable, TableColumn } from '../../types/table.ts';
import { withOffset } from '../audit/viewer.ts';
import { mapBatches, tableDownload } from '../exports/tables.ts';
import { LADDER_NAMES } from './settings.ts';

export const NOTIFICATION_KINDS = ['assignment', 'reminder', 'due_today', 'overdue', 'escalation', 'weekly_summary'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];
export const KIND_LABELS: Record<NotificationKind, string> = {
  assignment: 'Assignment',
  reminder: 'Reminder',
  due_today: 'Due today',
  overdue: 'Overdue',
  escalation: 'Escalation',
  weekly_summary: 'Weekly summary',
};
export const NOTIFICATION_STATUSES = ['pending', 'queued', 'skipped'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];
export const STATUS_LABELS: Record<NotificationStatus, string> = { pending: 'Pending', queued: 'Queued', skipped: 'Skipped' };

/** One's own list shows this many, newest first. */
export const MY_NOTIFICATIONS_CAP = 200;
export const LEDGER_PAGE_SIZE = 100;

/** 'Escalation, level 2 (Directors)', 'Due today', …: a kind in words. */
export function kindText(kind: string, level: number | null): string {
  const label = KIND_LABELS[kind as NotificationKind] ?? kind;
  if (kind !== 'escalation' || !level) return label;
  const who = LADDER_NAMES[level - 1];
  return who ? `${label}, level ${level} (${who})` : `${label}, level ${level}`;
}

export interface LedgerRow {
  id: string;
  /** When it was recorded, in the zone given, with that moment's offset. */
  recorded: string;
  dueFor: string;
  kind: string;
  kindText: string;
  recipientName: string | null;
  recipientEmail: string | null;
  eventId: string | null;
  planItemId: string | null;
  activity: string | null;
  facilityName: string | null;
  status: NotificationStatus;
  /** The outbox message's status (pending, sending, sent, failed) when queued. */
  mailStatus: string | null;
  skipReason: string | null;
  /** 'Queued · mail sent', 'Skipped: opted out', 'Pending'. */
  statusText: string;
}

interface RawRow {
  id: string;
  localTime: string;
  offsetSeconds: number;
  dueFor: string;
  kind: string;
  level: number | null;
  recipientName: string | null;
  recipientEmail: string | null;
  eventId: string | null;
  planItemId: string | null;
  activity: string | null;
  facilityName: string | null;
  status: NotificationStatus;
  mailStatus: string | null;
  skipReason: string | null;
}

/** $1 is the client, $2 the zone times are shown in. */
const SELECT = `SELECT n.id,
    to_char(n.created_at AT TIME ZONE $2::text, 'YYYY-MM-DD HH24:MI') AS "localTime",
    extract(epoch FROM (n.created_at AT TIME ZONE $2::text) - (n.created_at AT TIME ZONE 'UTC'))::int AS "offsetSeconds",
    n.due_for::text AS "dueFor", n.kind, n.level, u.name AS "recipientName", u.email AS "recipientEmail",
    n.event_id AS "eventId", n.plan_item_id AS "planItemId", coalesce(e.activity, p.activity) AS activity, f.name AS "facilityName",
    n.status, m.status AS "mailStatus", n.skip_reason AS "skipReason"
  FROM notifications n
  LEFT JOIN users u ON u.client_id = n.client_id AND u.id = n.recipient_id
  LEFT JOIN events e ON e.client_id = n.client_id AND e.id = n.event_id
  LEFT JOIN plan_items p ON p.client_id = n.client_id AND p.id = n.plan_item_id
  LEFT JOIN org_units f ON f.client_id = n.client_id AND f.id = n.facility_id
  LEFT JOIN mail_outbox m ON m.client_id = n.client_id AND m.id = n.mail_id`;

export function statusText(status: NotificationStatus, mailStatus: string | null, skipReason: string | null): string {
  if (status === 'queued') return `Queued · mail ${mailStatus ?? 'not found'}`;
  if (status === 'skipped') return `Skipped: ${skipReason ?? 'no reason given'}`;
  return STATUS_LABELS[status] ?? status;
}

function shape(row: RawRow): LedgerRow {
  return {
    id: row.id,
    recorded: withOffset(row.localTime, row.offsetSeconds),
    dueFor: row.dueFor,
    kind: row.kind,
    kindText: kindText(row.kind, row.level),
    recipientName: row.recipientName,
    recipientEmail: row.recipientEmail,
    eventId: row.eventId,
    planItemId: row.planItemId,
    activity: row.activity,
    facilityName: row.facilityName,
    status: row.status,
    mailStatus: row.status === 'queued' ? row.mailStatus : null,
    skipReason: row.skipReason,
    statusText: statusText(row.status, row.mailStatus, row.skipReason),
  };
}

// ---------------------------------------------------------------------------------------------
// One's own notices

/** Every notice to this user, newest first, at most MY_NOTIFICATIONS_CAP; times in `zone`. */
export async function myNotifications(client: Client, userId: string, zone: string): Promise<{ rows: LedgerRow[]; capped: boolean }> {
  const raw = await sql<RawRow>(
    `${SELECT} WHERE n.client_id = $1 AND n.recipient_id = $3 ORDER BY n.created_at DESC, n.id DESC LIMIT $4`,
    [client.id, zone, userId, MY_NOTIFICATIONS_CAP + 1],
  );
  return { rows: raw.slice(0, MY_NOTIFICATIONS_CAP).map(shape), capped: raw.length > MY_NOTIFICATIONS_CAP };
}

// ---------------------------------------------------------------------------------------------
// The client's notices

/** The filters as the form sends them (already checked for shape by the controller). */
export interface LedgerFilters {
  kind?: string;
  status?: string;
  recipient?: string;
  from?: string;
  to?: string;
}
const FILTER_KEYS = ['kind', 'status', 'recipient', 'from', 'to'] as const;

export interface RecipientOption {
  id: string;
  name: string;
  email: string;
}

/** The client's users, for the recipient filter. */
export function recipientOptions(client: Client): Promise<RecipientOption[]> {
  return sql<RecipientOption>('SELECT id, name, email FROM users WHERE client_id = $1 ORDER BY lower(name), email', [client.id]);
}

/** What the form's shape cannot check: the date range, and that the recipient is the client's. */
export function checkLedgerFilters(filters: LedgerFilters, recipients: RecipientOption[]): FieldErrors {
  const errors: FieldErrors = {};
  if (filters.from && filters.to && filters.from > filters.to) errors.to = 'The end date must be on or after the start date.';
  if (filters.recipient && !recipients.some((r) => r.id === filters.recipient!.toLowerCase())) errors.recipient = 'Choose a recipient from the list.';
  return errors;
}

/** The filters as a query string, for page links and downloads (empty ones left out). */
export function ledgerQuery(filters: LedgerFilters): string {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) if (filters[key]) params.set(key, filters[key]!);
  return params.toString();
}

function whereClause(client: Client, zone: string, filters: LedgerFilters): { conditions: string[]; bind: unknown[] } {
  const bind: unknown[] = [client.id, zone];
  const conditions = ['n.client_id = $1'];
  const param = (value: unknown) => {
    bind.push(value);
    return `$${bind.length}`;
  };
  if (filters.kind) conditions.push(`n.kind = ${param(filters.kind)}`);
  if (filters.status) conditions.push(`n.status = ${param(filters.status)}`);
  if (filters.recipient) conditions.push(`n.recipient_id = ${param(filters.recipient.toLowerCase())}::uuid`);
  if (filters.from) conditions.push(`n.due_for >= ${param(filters.from)}::date`);
  if (filters.to) conditions.push(`n.due_for <= ${param(filters.to)}::date`);
  return { conditions, bind };
}

/** The notices matching the filters, newest first, older than `before` and at most `limit` when given. */
function noticesQuery(client: Client, filters: LedgerFilters, before: string | null, limit: number | null): { text: string; bind: unknown[] } {
  const { conditions, bind } = whereClause(client, client.timeZone, filters);
  if (before) {
    bind.push(before);
    conditions.push(`(n.created_at, n.id) < (SELECT b.created_at, b.id FROM notifications b WHERE b.client_id = $1 AND b.id = $${bind.length}::uuid)`);
  }
  if (limit !== null) bind.push(limit);
  return { text: `${SELECT} WHERE ${conditions.join(' AND ')} ORDER BY n.created_at DESC, n.id DESC${limit !== null ? ` LIMIT $${bind.length}` : ''}`, bind };
}

function selectLedger(client: Client, filters: LedgerFilters, before: string | null, limit: number): Promise<RawRow[]> {
  const { text, bind } = noticesQuery(client, filters, before, limit);
  return sql<RawRow>(text, bind);
}

export interface LedgerPage {
  rows: LedgerRow[];
  /** The `before` value of the next (older) page, if there is one. */
  nextBefore: string | null;
}

/** One page of the client's notices, newest first; times in the client's zone. */
export async function ledgerPage(client: Client, filters: LedgerFilters, before: string | null): Promise<LedgerPage> {
  const raw = await selectLedger(client, filters, before, LEDGER_PAGE_SIZE + 1);
  const rows = raw.slice(0, LEDGER_PAGE_SIZE).map(shape);
  return { rows, nextBefore: raw.length > LEDGER_PAGE_SIZE ? rows[rows.length - 1]!.id : null };
}

/** Every matching notice, newest first, from a cursor. */
async function* ledgerForExport(client: Client, filters: LedgerFilters): AsyncGenerator<LedgerRow[]> {
  const { text, bind } = noticesQuery(client, filters, null, null);
  for await (const batch of cursorBatches<RawRow>(text, bind)) yield batch.map(shape);
}

// ---------------------------------------------------------------------------------------------
// Downloads

export const LEDGER_EXPORT_COLUMNS: TableColumn[] = [
  { header: 'Recorded', width: 24 },
  { header: 'Due for', width: 12, type: 'date' },
  { header: 'Kind', width: 30 },
  { header: 'Recipient', width: 24 },
  { header: 'Recipient e-mail', width: 30 },
  { header: 'Facility', width: 24 },
  { header: 'Activity', width: 36 },
  { header: 'Event id', width: 38 },
  { header: 'Status', width: 10 },
  { header: 'Mail status', width: 12 },
  { header: 'Skip reason', width: 30 },
];

export function ledgerCells(row: LedgerRow): (string | null)[] {
  return [row.recorded, row.dueFor, row.kindText, row.recipientName, row.recipientEmail, row.facilityName, row.activity, row.eventId, row.status, row.mailStatus, row.skipReason];
}

/** The filtered notices as a streamed file, audited (same unit of work) once it is out. */
export function exportLedger(client: Client, filters: LedgerFilters, format: ExportFormat): StreamedTable {
  return tableDownload(client, format, {
    what: ['notifications'],
    sheetName: 'Notifications',
    columns: LEDGER_EXPORT_COLUMNS,
    rows: () => mapBatches(ledgerForExport(client, filters), ledgerCells),
    action: 'notifications.exported',
    entityType: 'notifications',
    filters,
  });
}
