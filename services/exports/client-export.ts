// The full client export (DESIGN.md §7: data ownership and audits): one ZIP holding a workbook with
// a sheet per table of the client's data and every document's bytes, streamed from the request's
// unit of work as the Administrator sees it (row-level security applies to every row). Users come
// without their secrets: password hashes, authenticator secrets and recovery codes, reset and
// invitation tokens are never read (the runtime role cannot read most of them anyway).
import { cursorBatches } from '../../lib/unit-of-work.ts';
import type { Client } from '../../models/index.ts';
import type { StreamedArchive } from '../../types/archive.ts';
import type { CellValue, ColumnType, TableColumn } from '../../types/table.ts';
import { audit } from '../audit/entries.ts';
import { writeDocuments } from './document-files.ts';
import { exportFileName } from './tables.ts';
import { streamXlsx, type XlsxSheet } from './xlsx.ts';

type Column = [header: string, expression: string, type?: ColumnType, width?: number];

interface ExportedTable {
  /** The table the sheet holds (the audit entry's count per table). */
  table: string;
  sheetName: string;
  columns: Column[];
  /** FROM … with the client's condition; `t` is the table. */
  from: string;
  order: string;
}

const utc = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')`;
const id = (header: string, column: string): Column => [header, `${column}::text`, 'text', 38];
const at = (header: string, column: string): Column => [`${header} (UTC)`, utc(column), 'datetime', 19];
const day = (header: string, column: string): Column => [header, `${column}::text`, 'date', 12];
const json = (header: string, column: string): Column => [header, `${column}::text`, 'text', 50];
const mine = 't.client_id = app_current_client()';

export const EXPORTED_TABLES: ExportedTable[] = [
  {
    table: 'clients', sheetName: 'Client',
    columns: [id('Client id', 't.id'), ['Name', 't.name', 'text', 30], ['Time zone', 't.time_zone', 'text', 20], ['Status', 't.status'],
      ['Support visits need approval', 't.support_approval_required'], json('Settings', 't.settings'), at('Created', 't.created_at'), at('Updated', 't.updated_at')],
    from: 'clients t WHERE t.id = app_current_client()', order: 't.id',
  },
  {
    table: 'org_units', sheetName: 'Organisation',
    columns: [id('Unit id', 't.id'), ['Kind', 't.kind'], ['Name', 't.name', 'text', 30], ['Code', 't.code'], id('Parent id', 't.parent_id'),
      ['Address', 't.address', 'text', 30], ['Time zone', 't.time_zone', 'text', 20], ['Active', 't.active'], at('Created', 't.created_at'), at('Updated', 't.updated_at')],
    from: `org_units t WHERE ${mine}`, order: "array_position(ARRAY['region', 'division', 'facility'], t.kind), t.name, t.id",
  },
  {
    table: 'users', sheetName: 'Users',
    columns: [id('User id', 't.id'), ['Name', 't.name', 'text', 28], ['E-mail', 't.email', 'text', 34], ['Rank', 't.rank'], ['Status', 't.status'],
      ['Time zone', 't.time_zone', 'text', 20], ['Digest hour', 't.digest_hour', 'number'], ['Notifications turned off', "array_to_string(t.notification_opt_outs, ', ')", 'text', 24],
      ['Has a password', 't.has_password'], at('Two-factor since', 't.totp_enabled_at'), ['Failed sign-ins', 't.failed_login_count', 'number'],
      at('Locked', 't.locked_at'), at('Last sign-in', 't.last_login_at'), at('Password changed', 't.password_changed_at'), at('Created', 't.created_at'), at('Updated', 't.updated_at')],
    from: `users t WHERE ${mine}`, order: 't.name, t.id',
  },
  {
    table: 'user_scopes', sheetName: 'User scopes',
    columns: [id('User id', 't.user_id'), ['Unit id', "coalesce(t.org_unit_id::text, 'whole organisation')", 'text', 38], at('Granted', 't.created_at')],
    from: `user_scopes t WHERE ${mine}`, order: 't.user_id, t.org_unit_id NULLS FIRST',
  },
  {
    table: 'plan_items', sheetName: 'Plan items',
    columns: [id('Plan Item id', 't.id'), id('Facility id', 't.facility_id'), ['Activity', 't.activity', 'text', 40], ['Description', 't.description', 'text', 40],
      ['Additional information', 't.additional_information', 'text', 40], ['Regulatory reference', 't.regulatory_reference', 'text', 24], ['Category', 't.category'],
      id('Assignee id', 't.assignee_id'), ['Requirement', 't.requirement'], json('Checklist', 't.checklist'), ['Schedule', 't.schedule_kind'], ['Rule', 't.rrule', 'text', 30],
      ['Every', 't.relative_every', 'number'], ['Unit', 't.relative_unit'], day('Schedule start', 't.schedule_start'), ['Month end', 't.month_end_policy'],
      day('Next due', 't.next_due_date'), day('Last scheduled', 't.last_scheduled_date'), ['Lead time (days)', 't.lead_time_days', 'number'],
      ['Reminder offsets', "array_to_string(t.reminder_offsets, ', ')"], ['Schedules events', 't.schedules_events'], ['Hidden', 't.hidden'],
      id('Created by', 't.created_by'), id('Updated by', 't.updated_by'), at('Created', 't.created_at'), at('Updated', 't.updated_at')],
    from: `plan_items t WHERE ${mine}`, order: 't.facility_id, t.activity, t.id',
  },
  {
    table: 'events', sheetName: 'Events',
    columns: [id('Event id', 't.id'), id('Plan Item id', 't.plan_item_id'), id('Facility id', 't.facility_id'), ['Activity', 't.activity', 'text', 40],
      ['Description', 't.description', 'text', 40], ['Additional information', 't.additional_information', 'text', 40], day('Scheduled', 't.scheduled_date'),
      day('Due', 't.due_date'), id('Assignee id', 't.assignee_id'), ['Status', 't.status'], day('Completed', 't.completed_on'), id('Closed by', 't.closed_by'),
      id('Closed by staff id', 't.closed_by_staff_id'), at('Closed', 't.closed_at'), ['Closing notes', 't.closing_notes', 'text', 40], ['Cancel reason', 't.cancel_reason', 'text', 30],
      ['Late', 't.late'], ['Recorded late', 't.recorded_late'], at('Created', 't.created_at'), at('Updated', 't.updated_at')],
    from: `events t WHERE ${mine}`, order: 't.due_date, t.id',
  },
  {
    table: 'checklist_responses', sheetName: 'Checklist answers',
    columns: [id('Event id', 't.event_id'), id('Facility id', 't.facility_id'), ['Item', 't.item_key', 'text', 20], ['Answer', 't.value', 'text', 30],
      id('Answered by', 't.answered_by'), id('Answered by staff id', 't.answered_by_staff_id'), at('Answered', 't.answered_at')],
    from: `checklist_responses t WHERE ${mine}`, order: 't.event_id, t.item_key',
  },
  {
    table: 'event_closures', sheetName: 'Close records',
    columns: [id('Close record id', 't.id'), id('Event id', 't.event_id'), id('Facility id', 't.facility_id'), id('Closed by', 't.closed_by'),
      id('Closed by staff id', 't.closed_by_staff_id'), at('Closed', 't.closed_at'), day('Completed', 't.completed_on'), day('Due', 't.due_date'), ['Late', 't.late'],
      ['Recorded late', 't.recorded_late'], ['Notes', 't.notes', 'text', 40], json('Checklist', 't.checklist'), json('Documents', 't.documents')],
    from: `event_closures t WHERE ${mine}`, order: 't.closed_at, t.id',
  },
  {
    table: 'event_comments', sheetName: 'Comments',
    columns: [id('Comment id', 't.id'), id('Event id', 't.event_id'), id('Facility id', 't.facility_id'), id('Author id', 't.author_id'),
      id('Author staff id', 't.author_staff_id'), ['Comment', 't.body', 'text', 60], at('Written', 't.created_at')],
    from: `event_comments t WHERE ${mine}`, order: 't.created_at, t.id',
  },
  {
    table: 'documents', sheetName: 'Documents',
    columns: [id('Document id', 't.id'), id('Event id', 't.event_id'), id('Facility id', 't.facility_id'), ['File name', 't.file_name', 'text', 36],
      ['Content type', 't.content_type', 'text', 24], ['Size (bytes)', 't.size_bytes', 'number', 12], ['SHA-256', 't.sha256', 'text', 66],
      id('Uploaded by', 't.uploaded_by'), id('Uploaded by staff id', 't.uploaded_by_staff_id'), at('Uploaded', 't.uploaded_at')],
    from: `documents t WHERE ${mine}`, order: 't.id',
  },
  {
    table: 'notifications', sheetName: 'Notifications',
    columns: [id('Notice id', 't.id'), id('Event id', 't.event_id'), id('Plan Item id', 't.plan_item_id'), id('Facility id', 't.facility_id'),
      id('Recipient id', 't.recipient_id'), ['Kind', 't.kind', 'text', 18], ['Level', 't.level', 'number'], day('Due for', 't.due_for'), ['Status', 't.status'],
      ['Skip reason', 't.skip_reason', 'text', 30], id('Mail id', 't.mail_id'), at('Created', 't.created_at'), at('Settled', 't.settled_at')],
    from: `notifications t WHERE ${mine}`, order: 't.created_at, t.id',
  },
  {
    table: 'audit_log', sheetName: 'Audit log',
    columns: [['Sequence', 't.seq::text', 'text', 10], id('Entry id', 't.id'), at('Time', 't.occurred_at'), ['Actor kind', 't.actor_kind'], id('Actor user id', 't.actor_user_id'),
      id('Actor staff id', 't.actor_staff_id'), id('Support session id', 't.support_session_id'), ['Action', 't.action', 'text', 24], ['Entity', 't.entity_type'],
      id('Entity id', 't.entity_id'), json('Changes', 't.changes'), ['IP', 'host(t.ip)'], ['User agent', 't.user_agent', 'text', 30], ['Request id', 't.request_id', 'text', 20]],
    from: `audit_log t WHERE ${mine}`, order: 't.seq',
  },
];

/** The client's tables the export leaves out, and why (every other one is a sheet). */
export const NOT_EXPORTED: Record<string, string> = {
  password_reset_tokens: 'sign-in secrets (reset and invitation links)',
  calendar_feeds: 'secret links (calendar feed URLs, kept as hashes)',
  recovery_codes: 'sign-in secrets (two-factor recovery codes)',
  document_blobs: 'the documents themselves, as files beside the workbook',
  mail_outbox: 'the mail sent: the notifications sheet lists every notice',
  notification_queue: 'the notices still waiting, as the notifications sheet already lists them',
  notification_digests: 'which day each person’s digest went out: working state of the mail job',
  support_sessions: 'support visits, each recorded in the audit log',
  closed_event_months: 'counts kept from the events and close records',
  closed_event_assignee_months: 'counts kept from the events and close records',
  facility_people: 'counts kept from the events, documents and close records',
  sensitive_data_warnings: 'counts of confirmed health-data warnings, never the text',
  plan_item_imports: 'uploaded import files, kept 24 hours for their uploader; each applied import is in the audit log',
};

/** A table's rows from a cursor, batch by batch, counted into `counts` as they go. */
async function* tableRows(table: ExportedTable, counts: Record<string, number>): AsyncGenerator<CellValue[][]> {
  const select = table.columns.map(([, expression], index) => `${expression} AS c${index}`).join(', ');
  counts[table.table] = 0;
  for await (const batch of cursorBatches<Record<string, CellValue>>(`SELECT ${select} FROM ${table.from} ORDER BY ${table.order}`)) {
    counts[table.table] += batch.length;
    yield batch.map((row) => table.columns.map((_column, index) => row[`c${index}`]));
  }
}

export const columnsOf = (table: ExportedTable): TableColumn[] => table.columns.map(([header, , type, width]) => ({ header, type, width: width ?? 15 }));

/** The whole client as one ZIP: `<client>-data-<date>.xlsx` and `documents/…`, audited once. */
export function clientExport(client: Client): StreamedArchive {
  const fileName = exportFileName(['full-export'], client, 'xlsx').replace(/\.xlsx$/, '.zip');
  return {
    fileName,
    async write(zip) {
      const counts: Record<string, number> = {};
      const sheets: XlsxSheet[] = EXPORTED_TABLES.map((table) => ({ sheetName: table.sheetName, columns: columnsOf(table), rows: tableRows(table, counts) }));
      await zip.addStream(fileName.replace(/\.zip$/, '.xlsx'), (out) => streamXlsx(out, sheets[0]!, ...sheets.slice(1)));
      let bytes = 0;
      const documents = await writeDocuments(zip, { where: 'true', bind: [] }, (doc) => {
        bytes += doc.writtenBytes ?? 0;
      });
      await audit({ action: 'client.exported', entityType: 'client', entityId: client.id, changes: { format: 'zip', rows: counts, documents, documentBytes: bytes } });
    },
  };
}
