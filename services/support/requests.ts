// Asking for, deciding on and starting support sessions (DESIGN.md §8.4). Staff choose
// a client they may enter; the database re-checks everything (app_staff_may_enter, the status
// trigger, the tenant guards). A client that requires approval gets a pending request that its
// Administrators approve or deny on /settings/support; the window starts when the visit does.
import { randomUUID } from 'node:crypto';
import type { Sequelize } from 'sequelize';
import { inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import type { StaffUser } from '../../models/index.ts';
import { STAFF_ROLE_LABELS } from '../../models/staff-user.ts';
import { audit } from '../audit/entries.ts';
import type { RequestMeta } from '../auth/types.ts';
import { queueMail } from '../mail/outbox.ts';
import { staffNames } from '../staff/directory.ts';
import { type VisitRow, visitContext, visitOf } from './visits.ts';
import { UUID_PATTERN as UUID } from '../../lib/uuid.ts';


export interface DirectoryClient {
  id: string;
  name: string;
  timeZone: string;
  status: string;
  representativeId: string | null;
  supportApprovalRequired: boolean;
}

/** Every client in the directory (staff unit of work). */
export function clientDirectory(): Promise<DirectoryClient[]> {
  return sql<DirectoryClient>(
    `SELECT id, name, time_zone AS "timeZone", status, representative_id AS "representativeId",
            support_approval_required AS "supportApprovalRequired" FROM admin_clients()`,
  );
}

export type EntryRefusal = 'unknown_client' | 'client_suspended' | 'not_assigned';

/** Why this staff member may not enter the client, if they may not (the database agrees). */
export function entryRefusal(staff: Pick<StaffUser, 'id' | 'role'>, client: DirectoryClient | undefined): EntryRefusal | undefined {
  if (!client) return 'unknown_client';
  if (client.status !== 'active') return 'client_suspended';
  if (staff.role === 'client_representative' && client.representativeId !== staff.id) return 'not_assigned';
  return undefined;
}

/** The active clients this staff member may enter (staff unit of work). */
export async function enterableClients(staff: Pick<StaffUser, 'id' | 'role'>): Promise<DirectoryClient[]> {
  return (await clientDirectory()).filter((client) => !entryRefusal(staff, client));
}

/** The durations offered, in minutes: the usual ones up to the configured maximum, and that maximum. */
export function durationChoices(maxMinutes: number): number[] {
  const choices = [15, 30, 60, 120].filter((m) => m <= maxMinutes);
  if (!choices.includes(maxMinutes) && maxMinutes >= 5) choices.push(maxMinutes);
  return choices;
}

export interface VisitRequest {
  reason: string;
  readOnly: boolean;
  durationMinutes: number;
}

export interface OpenedVisit {
  id: string;
  clientId: string;
  status: 'pending' | 'active';
  readOnly: boolean;
  expiresAt: Date | null;
}

/**
 * Opens a visit: pending when the client requires approval (its Administrators are told by mail),
 * else active at once. One unit of work in the visit's own context, so the request's audit entry
 * lands in the client's log.
 */
export async function openVisit(
  sequelize: Sequelize,
  staff: Pick<StaffUser, 'id' | 'name' | 'role'>,
  client: DirectoryClient,
  request: VisitRequest,
  meta: RequestMeta,
  baseUrl: string,
): Promise<OpenedVisit> {
  const id = randomUUID();
  const status = client.supportApprovalRequired ? 'pending' : 'active';
  return inUnitOfWork(sequelize, visitContext({ staffId: staff.id }, { id, clientId: client.id }, meta), async () => {
    const [row] = await sql<{ expiresAt: Date | null }>(
      `INSERT INTO support_sessions (id, client_id, staff_id, reason, read_only, duration_minutes, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING expires_at AS "expiresAt"`,
      [id, client.id, staff.id, request.reason, request.readOnly, request.durationMinutes, status],
    );
    await audit({
      action: status === 'pending' ? 'support.requested' : 'support.started',
      clientId: client.id,
      entityType: 'support_session',
      entityId: id,
      changes: { reason: request.reason, read_only: request.readOnly, duration_minutes: request.durationMinutes },
    });
    if (status === 'pending') await tellAdministrators(id, staff, client, request.reason, baseUrl);
    return { id, clientId: client.id, status, readOnly: request.readOnly, expiresAt: row.expiresAt };
  });
}

/** One mail per active Administrator of the client. Written with no client: a pending visit does
 *  not open the client to the staff member, so its outbox rows stay vendor-level. */
async function tellAdministrators(id: string, staff: Pick<StaffUser, 'name' | 'role'>, client: DirectoryClient, reason: string, baseUrl: string): Promise<void> {
  const recipients = await sql<{ email: string; name: string }>('SELECT email, name FROM support_request_recipients($1)', [id]);
  const who = `${staff.name} (SolutionsTRAK ${STAFF_ROLE_LABELS[staff.role]})`;
  for (const recipient of recipients) {
    await queueMail({
      clientId: null,
      to: recipient.email,
      kind: 'support_request',
      subject: `PlanTRAK: ${staff.name} asks to enter ${client.name} for support`,
      text:
        `Hello ${recipient.name},\n\n${who} asks to enter ${client.name} for support: ${reason}\n\n` +
        `Approve or deny at ${baseUrl}/settings/support\n\nNobody from SolutionsTRAK can enter until an Administrator approves.\n`,
    });
  }
}

/** Records a refused entry in the vendor-level log (staff unit of work). */
export function auditRefusedEntry(clientId: string, reason: EntryRefusal): Promise<void> {
  return audit({ action: 'support.refused', clientId: null, entityType: 'client', entityId: UUID.test(clientId) ? clientId : null, changes: { reason } });
}

/** Starts the staff member's own approved visit: the window starts now. Undefined if it is not
 *  (or no longer) approved. */
export async function startApprovedVisit(sequelize: Sequelize, visit: VisitRow, meta: RequestMeta): Promise<OpenedVisit | undefined> {
  return inUnitOfWork(sequelize, visitContext({ staffId: visit.staffId }, visit, meta), async () => {
    const [row] = await sql<{ expiresAt: Date }>(
      `UPDATE support_sessions SET status = 'active' WHERE id = $1 AND staff_id = $2 AND status = 'approved' RETURNING expires_at AS "expiresAt"`,
      [visit.id, visit.staffId],
    );
    if (!row) return undefined;
    await audit({
      action: 'support.started',
      clientId: visit.clientId,
      entityType: 'support_session',
      entityId: visit.id,
      changes: { reason: visit.reason, read_only: visit.readOnly, approved: true },
    });
    return { id: visit.id, clientId: visit.clientId, status: 'active', readOnly: visit.readOnly, expiresAt: row.expiresAt };
  });
}

/** Withdraws the staff member's own pending or approved request. Whether it was withdrawn now. */
export async function cancelVisit(sequelize: Sequelize, visit: VisitRow, meta: RequestMeta): Promise<boolean> {
  return inUnitOfWork(sequelize, visitContext({ staffId: visit.staffId }, visit, meta), async () => {
    const rows = await sql(
      `UPDATE support_sessions SET status = 'cancelled' WHERE id = $1 AND staff_id = $2 AND status IN ('pending', 'approved') RETURNING id`,
      [visit.id, visit.staffId],
    );
    if (!rows.length) return false;
    await audit({ action: 'support.cancelled', clientId: visit.clientId, entityType: 'support_session', entityId: visit.id });
    return true;
  });
}

/** The staff member's own visit with its client's name (staff unit of work). */
export async function ownVisit(id: string, staffId: string): Promise<(VisitRow & { clientName: string }) | undefined> {
  if (!UUID.test(id)) return undefined;
  const visit = await visitOf(id, staffId);
  if (!visit) return undefined;
  const client = (await clientDirectory()).find((c) => c.id === visit.clientId);
  return { ...visit, clientName: client?.name ?? 'the client' };
}

// ---------------------------------------------------------------------------------------------
// The client's side (a client Administrator's unit of work)

export interface HistoryRow {
  id: string;
  staffId: string;
  staffName: string;
  staffRole: string;
  reason: string;
  readOnly: boolean;
  durationMinutes: number;
  status: VisitRow['status'];
  open: boolean;
  requestedAt: Date;
  startedAt: Date | null;
  expiresAt: Date | null;
  endedAt: Date | null;
  endReason: string | null;
  decidedByName: string | null;
  decidedAt: Date | null;
}

/** Every visit to the current client, newest first, with the staff members' names and roles. */
export async function supportHistory(): Promise<HistoryRow[]> {
  const rows = await sql<Omit<HistoryRow, 'staffName' | 'staffRole'>>(
    `SELECT s.id, s.staff_id AS "staffId", s.reason, s.read_only AS "readOnly", s.duration_minutes AS "durationMinutes",
            s.status, s.status = 'active' AND s.expires_at > now() AS open, s.requested_at AS "requestedAt",
            s.started_at AS "startedAt", s.expires_at AS "expiresAt", s.ended_at AS "endedAt", s.end_reason AS "endReason",
            u.name AS "decidedByName", s.decided_at AS "decidedAt"
       FROM support_sessions s LEFT JOIN users u ON u.client_id = s.client_id AND u.id = s.decided_by
      WHERE s.client_id = app_current_client()
      ORDER BY s.requested_at DESC, s.id`,
  );
  const byId = await staffNames(rows.map((r) => r.staffId));
  return rows.map((r) => {
    const member = byId.get(r.staffId);
    return { ...r, staffName: member?.name ?? 'SolutionsTRAK staff', staffRole: member ? STAFF_ROLE_LABELS[member.role] : '' };
  });
}

export type Decision = 'approved' | 'denied';

/** A client Administrator approves or denies a pending request. Whether it was pending. */
export async function decideVisit(id: string, decision: Decision, userId: string): Promise<boolean> {
  if (!UUID.test(id)) return false;
  const rows = await sql<{ id: string }>(
    `UPDATE support_sessions SET status = $2, decided_by = $3 WHERE id = $1 AND status = 'pending' AND client_id = app_current_client() RETURNING id`,
    [id, decision, userId],
  );
  if (!rows.length) return false;
  await audit({ action: decision === 'approved' ? 'support.approved' : 'support.denied', entityType: 'support_session', entityId: id, changes: { status: ['pending', decision] } });
  return true;
}

/** A client Administrator ends a visit in progress. Whether one was in progress. */
export async function revokeVisit(id: string): Promise<boolean> {
  if (!UUID.test(id)) return false;
  const rows = await sql<{ id: string }>(
    `UPDATE support_sessions SET status = 'ended', end_reason = 'revoked' WHERE id = $1 AND status = 'active' AND client_id = app_current_client() RETURNING id`,
    [id],
  );
  if (!rows.length) return false;
  await audit({ action: 'support.revoked', entityType: 'support_session', entityId: id, changes: { status: ['active', 'ended'], end_reason: 'revoked' } });
  return true;
}

/** The client's own choice to approve each visit first (never a staff member's: a trigger agrees). */
export async function setApprovalRequired(clientId: string, required: boolean): Promise<boolean> {
  const [before] = await sql<{ required: boolean }>('SELECT support_approval_required AS required FROM clients WHERE id = $1', [clientId]);
  if (!before || before.required === required) return false;
  await sql('UPDATE clients SET support_approval_required = $2, updated_at = now() WHERE id = $1 RETURNING id', [clientId, required]);
  await audit({ action: 'settings.support_approval', entityType: 'client', entityId: clientId, changes: { support_approval_required: [before.required, required] } });
  return true;
}

