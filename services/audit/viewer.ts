// The audit-log viewer and its downloads (DESIGN.md §8.5): one client's entries, filtered, newest
// first by seq (keyset pages), shaped for display with secrets redacted once more on the way out.
// Row-level security already confines the log to the actor's client; the explicit client_id
// condition lets the (client_id, seq DESC) index do the work.
import { addDays, isValidDate } from '../../lib/calendar-dates.ts';
import type { FieldErrors } from '../../lib/errors.ts';
import { cursorBatches, sql } from '../../lib/unit-of-work.ts';
import type { Client } from '../../models/index.ts';
import { STAFF_ROLE_LABELS, type StaffRole } from '../../models/staff-user.ts';
import { redactSecrets } from './entries.ts';
import { activeFilters as setFilters, exportFileName as tableFileName, mapBatches, tableDownload } from '../exports/tables.ts';
import type { ExportFormat, StreamedTable } from '../../types/table.ts';
import { type StaffName, staffNames } from '../staff/directory.ts';

export const AUDIT_PAGE_SIZE = 100;


/** The filters as the form sends them (already checked for shape by the controller). */
export interface AuditFilters {
  from?: string;
  to?: string;
  /** `user:<uuid>`, `staff:<uuid>`, `system` or `anonymous`. */
  actor?: string;
  action?: string;
  entityType?: string;
  entityId?: string;
}

export interface FilterOptions {
  actors: { value: string; text: string }[];
  actions: string[];
  entityTypes: string[];
}

export interface ChangeLine {
  field: string | null;
  text: string;
}

export interface AuditRow {
  seq: string;
  /** The local time with its offset, as the downloads hold it. */
  time: string;
  /** The instant, which the page shows through lib/display-dates.ts. */
  occurredAt: Date;
  actorKind: string;
  /** The user's or staff member's name, "System" or "Anonymous". */
  actorName: string;
  /** The user's e-mail, the staff member's role, or (anonymous) the account tried. */
  actorDetail: string | null;
  /** One line for downloads: "Name <e-mail>", "Name (role)", "System", … */
  actorLabel: string;
  actingFor: string | null;
  supportSessionId: string | null;
  action: string;
  entityType: string | null;
  entityId: string | null;
  changes: ChangeLine[];
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

interface RawEntry {
  seq: string;
  occurredAt: Date;
  localTime: string;
  offsetSeconds: number;
  actorKind: string;
  actorUserId: string | null;
  userName: string | null;
  userEmail: string | null;
  actorStaffId: string | null;
  supportSessionId: string | null;
  action: string;
  entityType: string | null;
  entityId: string | null;
  changes: unknown;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}


// ---------------------------------------------------------------------------------------------
// Filter choices and checks

/** What the filter selects offer: the client's users, staff seen in its log, and the actions and
 *  entity types its log holds. */
export async function filterOptions(client: Client): Promise<FilterOptions> {
  const [users, [present]] = await Promise.all([
    sql<{ id: string; name: string; email: string }>(
      'SELECT id, name, email FROM users WHERE client_id = $1 ORDER BY lower(name), email',
      [client.id],
    ),
    sql<{ actions: string[] | null; entityTypes: string[] | null; staffIds: string[] | null }>(
      `SELECT array(SELECT DISTINCT action FROM audit_log WHERE client_id = $1 ORDER BY 1) AS actions,
              array(SELECT DISTINCT entity_type FROM audit_log WHERE client_id = $1 AND entity_type IS NOT NULL ORDER BY 1) AS "entityTypes",
              array(SELECT DISTINCT actor_staff_id::text FROM audit_log WHERE client_id = $1 AND actor_staff_id IS NOT NULL) AS "staffIds"`,
      [client.id],
    ),
  ]);
  const staff = await staffNames(present.staffIds ?? []);
  const staffOptions = [...staff.entries()]
    .map(([id, s]) => ({ value: `staff:${id}`, text: staffLabel(s) }))
    .sort((a, b) => a.text.localeCompare(b.text));
  return {
    actors: [
      ...users.map((u) => ({ value: `user:${u.id}`, text: `${u.name} <${u.email}>` })),
      ...staffOptions,
      { value: 'system', text: 'System' },
      { value: 'anonymous', text: 'Anonymous' },
    ],
    actions: present.actions ?? [],
    entityTypes: present.entityTypes ?? [],
  };
}

/** Checks what the form's shape cannot: the date range, and that each choice is one offered. */
export function checkFilters(filters: AuditFilters, options: FilterOptions): FieldErrors {
  const errors: FieldErrors = {};
  if (filters.from && filters.to && filters.from > filters.to) errors.to = 'The end date must be on or after the start date.';
  if (filters.actor && !options.actors.some((a) => a.value === filters.actor!.toLowerCase())) errors.actor = 'Choose an actor from the list.';
  if (filters.action && !options.actions.includes(filters.action)) errors.action = 'Choose an action from the list.';
  if (filters.entityType && !options.entityTypes.includes(filters.entityType)) errors.entityType = 'Choose an entity type from the list.';
  return errors;
}

/** The filters as a query string, for the page links and the downloads (empty ones left out). */
export function filterQuery(filters: AuditFilters): string {
  const params = new URLSearchParams();
  for (const key of ['from', 'to', 'actor', 'action', 'entityType', 'entityId'] as const) {
    if (filters[key]) params.set(key, filters[key]!);
  }
  return params.toString();
}

/** Only the filters that are set, for the export's own audit entry. */
export function activeFilters(filters: AuditFilters): Record<string, string> {
  return setFilters(filters) as Record<string, string>;
}

// ---------------------------------------------------------------------------------------------
// Reading entries

/** $2 is the client's time zone: PostgreSQL renders the local time and its offset, far faster
 *  than Intl would for a 100,000-row download. */
const ENTRY_COLUMNS = `a.seq::text AS seq, a.occurred_at AS "occurredAt",
  to_char(a.occurred_at AT TIME ZONE $2::text, 'YYYY-MM-DD HH24:MI:SS') AS "localTime",
  extract(epoch FROM (a.occurred_at AT TIME ZONE $2::text) - (a.occurred_at AT TIME ZONE 'UTC'))::int AS "offsetSeconds",
  a.actor_kind AS "actorKind",
  a.actor_user_id AS "actorUserId", u.name AS "userName", u.email AS "userEmail", a.actor_staff_id AS "actorStaffId",
  a.support_session_id AS "supportSessionId", a.action, a.entity_type AS "entityType", a.entity_id AS "entityId",
  a.changes, host(a.ip) AS ip, a.user_agent AS "userAgent", a.request_id AS "requestId"`;

/** WHERE conditions and their bound values for the client and filters (dates in the client's zone).
 *  $1 is the client, $2 its time zone (always bound, the select list uses it). */
function whereClause(client: Client, filters: AuditFilters): { conditions: string[]; bind: unknown[] } {
  const bind: unknown[] = [client.id, client.timeZone];
  const conditions = ['a.client_id = $1'];
  const param = (value: unknown) => {
    bind.push(value);
    return `$${bind.length}`;
  };
  // A day starts at local midnight, whatever its offset (DST days are 23 or 25 hours long).
  if (filters.from && isValidDate(filters.from)) conditions.push(`a.occurred_at >= (${param(filters.from)}::date::timestamp AT TIME ZONE $2::text)`);
  if (filters.to && isValidDate(filters.to)) conditions.push(`a.occurred_at < (${param(addDays(filters.to, 1))}::date::timestamp AT TIME ZONE $2::text)`);
  if (filters.actor) {
    const [kind, id] = filters.actor.toLowerCase().split(':');
    if (kind === 'user') conditions.push(`a.actor_kind = 'user' AND a.actor_user_id = ${param(id)}::uuid`);
    else if (kind === 'staff') conditions.push(`a.actor_kind = 'staff' AND a.actor_staff_id = ${param(id)}::uuid`);
    else conditions.push(`a.actor_kind = ${param(kind)}`);
  }
  if (filters.action) conditions.push(`a.action = ${param(filters.action)}`);
  if (filters.entityType) conditions.push(`a.entity_type = ${param(filters.entityType)}`);
  if (filters.entityId) conditions.push(`a.entity_id = ${param(filters.entityId.toLowerCase())}::uuid`);
  return { conditions, bind };
}

/** The entries matching the filters, newest first, older than `before` and at most `limit` when given. */
function entriesQuery(client: Client, filters: AuditFilters, before: string | null, limit: number | null): { text: string; bind: unknown[] } {
  const { conditions, bind } = whereClause(client, filters);
  if (before) {
    bind.push(before);
    conditions.push(`a.seq < $${bind.length}::bigint`);
  }
  if (limit !== null) bind.push(limit);
  const text = `SELECT ${ENTRY_COLUMNS}
       FROM audit_log a LEFT JOIN users u ON u.client_id = a.client_id AND u.id = a.actor_user_id
      WHERE ${conditions.join(' AND ')}
      ORDER BY a.seq DESC${limit !== null ? ` LIMIT $${bind.length}` : ''}`;
  return { text, bind };
}

function selectEntries(client: Client, filters: AuditFilters, before: string | null, limit: number): Promise<RawEntry[]> {
  const { text, bind } = entriesQuery(client, filters, before, limit);
  return sql<RawEntry>(text, bind);
}

const staffRoleLabel = (role: StaffRole): string => (STAFF_ROLE_LABELS[role] ? `SolutionsTRAK ${STAFF_ROLE_LABELS[role]}` : 'SolutionsTRAK staff');
const staffLabel = (staff: StaffName): string => `${staff.name} (${staffRoleLabel(staff.role)})`;

export interface AuditPage {
  rows: AuditRow[];
  /** The `before` value of the next (older) page, if there is one. */
  nextBefore: string | null;
}

export async function auditPage(client: Client, filters: AuditFilters, before: string | null): Promise<AuditPage> {
  const raw = await selectEntries(client, filters, before, AUDIT_PAGE_SIZE + 1);
  const more = raw.length > AUDIT_PAGE_SIZE;
  const entries = raw.slice(0, AUDIT_PAGE_SIZE);
  const staff = await staffNames(entries.flatMap((e) => (e.actorStaffId ? [e.actorStaffId] : [])));
  return {
    rows: entries.map((e) => shapeEntry(e, client, staff)),
    nextBefore: more ? entries[entries.length - 1].seq : null,
  };
}

/** Every matching entry, newest first, from a cursor. The names of the staff in the client's log
 *  are read first: while the cursor is open, no other query can run. */
async function* auditEntriesForExport(client: Client, filters: AuditFilters, staff: Map<string, StaffName>): AsyncGenerator<AuditRow[]> {
  const { text, bind } = entriesQuery(client, filters, null, null);
  for await (const batch of cursorBatches<RawEntry>(text, bind)) yield batch.map((entry) => shapeEntry(entry, client, staff));
}

async function staffOfLog(client: Client): Promise<Map<string, StaffName>> {
  const rows = await sql<{ id: string }>('SELECT DISTINCT actor_staff_id::text AS id FROM audit_log WHERE client_id = $1 AND actor_staff_id IS NOT NULL', [client.id]);
  return staffNames(rows.map((r) => r.id));
}

// ---------------------------------------------------------------------------------------------
// Shaping for display

/** '2026-03-29 02:30:00 +02:00': the local time in the client's zone with that moment's offset. */
export function withOffset(localTime: string, offsetSeconds: number): string {
  const sign = offsetSeconds < 0 ? '-' : '+';
  const minutes = Math.round(Math.abs(offsetSeconds) / 60);
  return `${localTime} ${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** One value of a change, readably: text as it is, nothing as "(none)", the rest as compact JSON. */
function showValue(value: unknown): string {
  if (value === null || value === undefined) return '(none)';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** The changed fields: `[before, after]` pairs as "before → after", other values as they are.
 *  Secrets are redacted again here, whatever was stored. */
export function formatChanges(changes: unknown): ChangeLine[] {
  if (changes === null || changes === undefined) return [];
  const safe = redactSecrets(changes);
  if (typeof safe !== 'object' || Array.isArray(safe)) return [{ field: null, text: showValue(safe) }];
  return Object.entries(safe as Record<string, unknown>).map(([field, value]) => ({
    field,
    text: Array.isArray(value) && value.length === 2 ? `${showValue(value[0])} → ${showValue(value[1])}` : showValue(value),
  }));
}

export const changesText = (lines: ChangeLine[]): string => lines.map((l) => (l.field ? `${l.field}: ${l.text}` : l.text)).join('; ');

function shapeEntry(entry: RawEntry, client: Client, staff: Map<string, StaffName>): AuditRow {
  let actorName: string;
  let actorDetail: string | null = null;
  let actorLabel: string;
  switch (entry.actorKind) {
    case 'staff': {
      const who = entry.actorStaffId ? staff.get(entry.actorStaffId) : undefined;
      actorName = who?.name ?? `Staff member ${entry.actorStaffId?.slice(0, 8) ?? ''}`.trim();
      actorDetail = who ? staffRoleLabel(who.role) : 'SolutionsTRAK staff';
      actorLabel = `${actorName} (${actorDetail})`;
      break;
    }
    case 'user':
      actorName = entry.userName ?? 'Unknown user';
      actorDetail = entry.userEmail;
      actorLabel = entry.userEmail ? `${actorName} <${entry.userEmail}>` : actorName;
      break;
    case 'system':
      actorName = 'System';
      actorLabel = actorName;
      break;
    default:
      // Sign-in attempts and reset links: nobody signed in, but the account concerned is known.
      actorName = 'Anonymous';
      actorDetail = entry.userEmail ? `account ${entry.userName} <${entry.userEmail}>` : null;
      actorLabel = actorDetail ? `Anonymous (${actorDetail})` : actorName;
  }
  return {
    seq: entry.seq,
    time: withOffset(entry.localTime, entry.offsetSeconds),
    occurredAt: entry.occurredAt,
    actorKind: entry.actorKind,
    actorName,
    actorDetail,
    actorLabel,
    // Staff act in a client during a support session: the client they acted for is this one.
    actingFor: entry.actorKind === 'staff' ? client.name : null,
    supportSessionId: entry.supportSessionId,
    action: entry.action,
    entityType: entry.entityType,
    entityId: entry.entityId,
    changes: formatChanges(entry.changes),
    ip: entry.ip,
    userAgent: entry.userAgent,
    requestId: entry.requestId,
  };
}

// ---------------------------------------------------------------------------------------------
// Downloads

export const EXPORT_COLUMNS = [
  { header: 'Seq', width: 10 },
  { header: 'Time', width: 27 },
  { header: 'Actor', width: 36 },
  { header: 'Acting for', width: 22 },
  { header: 'Support session', width: 38 },
  { header: 'Action', width: 26 },
  { header: 'Entity type', width: 14 },
  { header: 'Entity id', width: 38 },
  { header: 'Changes', width: 60 },
  { header: 'IP', width: 16 },
  { header: 'User agent', width: 40 },
  { header: 'Request id', width: 38 },
];

export function exportCells(row: AuditRow): (string | null)[] {
  return [
    row.seq, row.time, row.actorLabel, row.actingFor, row.supportSessionId, row.action, row.entityType, row.entityId,
    changesText(row.changes), row.ip, row.userAgent, row.requestId,
  ];
}

/** 'audit-log-acme-water-2026-11-23.csv': the client's name as a slug, and today in its zone. */
export function exportFileName(client: Client, extension: ExportFormat, now: Date = new Date()): string {
  return tableFileName(['audit-log'], client, extension, now);
}

/** The filtered log as a streamed file, audited (in the same unit of work) once it is out. */
export async function exportAuditLog(client: Client, filters: AuditFilters, format: ExportFormat): Promise<StreamedTable> {
  const staff = await staffOfLog(client);
  return tableDownload(client, format, {
    what: ['audit-log'],
    sheetName: 'Audit log',
    columns: EXPORT_COLUMNS,
    rows: () => mapBatches(auditEntriesForExport(client, filters, staff), exportCells),
    action: 'audit.exported',
    entityType: 'audit_log',
    filters,
  });
}
