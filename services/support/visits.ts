// A support session from the inside (DESIGN.md §8.4): reading the visit a staff
// browser session claims to be in, and ending it. The database decides whether it is open
// (app_current_client() resolves a staff context only through an active, unexpired visit);
// this module reads the same row to tell the staff member why not, and records the end.
import type { Sequelize } from 'sequelize';
import { type UnitOfWorkContext, inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import type { StaffAuth, SupportVisitAuth } from '../../types/express.d.ts';
import { audit } from '../audit/entries.ts';
import type { RequestMeta } from '../auth/types.ts';

export type EndReason = 'exit' | 'expired' | 'signed_out' | 'revoked' | 'timed_out';

export interface VisitRow {
  id: string;
  clientId: string;
  staffId: string;
  status: 'pending' | 'approved' | 'denied' | 'cancelled' | 'active' | 'ended';
  readOnly: boolean;
  reason: string;
  expiresAt: Date | null;
  /** Active and before its expiry, by the database's clock. */
  open: boolean;
  /** Approved, and still within APPROVAL_VALID_MINUTES of the approval (the database's rule too). */
  approvalLive: boolean;
}

/** How long an approval may wait to be used (migrations/0007's trigger says the same). */
export const APPROVAL_VALID_MINUTES = 30;

/** The context a visit's requests run in: the staff member, in the client, through the visit. */
export function visitContext(staff: Pick<StaffAuth, 'staffId'>, visit: Pick<SupportVisitAuth, 'id' | 'clientId'>, meta: RequestMeta): UnitOfWorkContext {
  return { actorKind: 'staff', staffId: staff.staffId, clientId: visit.clientId, supportSessionId: visit.id, ...meta };
}

/** The staff member's own visit (staff see every visit row; nobody else's is theirs). */
export async function visitOf(id: string, staffId: string): Promise<VisitRow | undefined> {
  const [row] = await sql<VisitRow>(
    `SELECT id, client_id AS "clientId", staff_id AS "staffId", status, read_only AS "readOnly", reason,
            expires_at AS "expiresAt", status = 'active' AND expires_at > now() AS open,
            status = 'approved' AND decided_at > now() - interval '${APPROVAL_VALID_MINUTES} minutes' AS "approvalLive"
       FROM support_sessions WHERE id = $1 AND staff_id = $2`,
    [id, staffId],
  );
  return row;
}

/**
 * Ends the visit of the current unit of work's context if it is still active (an expired one
 * ends at its expiry), and records why in the client's audit log. Returns whether it ended now.
 */
export async function endVisit(id: string, staffId: string, reason: EndReason): Promise<boolean> {
  const visit = await visitOf(id, staffId);
  if (!visit || visit.status !== 'active') return false;
  const endReason: EndReason = visit.open ? reason : 'expired';
  await sql(`UPDATE support_sessions SET status = 'ended', end_reason = $2 WHERE id = $1 AND status = 'active' RETURNING id`, [id, endReason]);
  await audit({ action: 'support.ended', clientId: visit.clientId, entityType: 'support_session', entityId: id, changes: { end_reason: endReason } });
  return true;
}

/** Ends the visit a browser session is in, before that session is signed out or replaced by a
 *  new sign-in, so no visit is left 'active' with nobody in it. */
export async function endVisitOfSession(sequelize: Sequelize, staff: StaffAuth | undefined, meta: RequestMeta): Promise<void> {
  const visit = staff?.support;
  if (!staff || !visit) return;
  await inUnitOfWork(sequelize, visitContext(staff, visit, meta), () => endVisit(visit.id, staff.staffId, 'signed_out'));
}
