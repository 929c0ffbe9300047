// Writes audit entries inside the current unit of work, so a change and its audit entry commit
// or roll back together (DESIGN.md §8.5).
import { isIP } from 'node:net';
import { currentUnit, sql } from '../../lib/unit-of-work.ts';

export interface AuditEntry {
  action: string;
  entityType?: string;
  entityId?: string | null;
  changes?: Record<string, unknown>;
  /** Defaults to the unit of work's client. */
  clientId?: string | null;
  /** Defaults to the unit of work's user (for sign-in attempts, the account tried). */
  actorUserId?: string | null;
}

/** Keys whose values are secrets: password, password_hash, totp_secret, token, recovery_codes …
 *  (not token_id, and not a unit's code). */
const SECRET_KEY = /(^|_)(password|passphrase|secret|token|hash|totp|recovery_codes?|totp_code)$/i;

/** Replaces secret values by a marker, at any depth, keeping the fact that they changed. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? '[redacted]' : redactSecrets(v)]));
  }
  return value;
}

export async function audit(entry: AuditEntry): Promise<void> {
  await auditMany([entry]);
}

/** Several entries in one statement (a bulk change writes one entry per row it changed). */
export async function auditMany(entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const { context } = currentUnit();
  const column = <T>(pick: (e: AuditEntry) => T) => entries.map(pick);
  // A plain INSERT without RETURNING: rows with no client may be written but not read back.
  await sql(
    `INSERT INTO audit_log (client_id, actor_kind, actor_user_id, actor_staff_id, support_session_id,
                          action, entity_type, entity_id, changes, ip, user_agent, request_id)
     SELECT e.client_id, $1::text, e.actor_user_id, $2::uuid, $3::uuid, e.action, e.entity_type, e.entity_id, e.changes, $4::inet, $5::text, $6::text
       FROM unnest($7::uuid[], $8::uuid[], $9::text[], $10::text[], $11::uuid[], $12::jsonb[])
            AS e(client_id, actor_user_id, action, entity_type, entity_id, changes)`,
    [
      context.actorKind,
      context.staffId ?? null,
      context.supportSessionId ?? null,
      // The ip column is inet; behind a proxy req.ip comes from X-Forwarded-For and need not be
      // a bare address (a port appended, or anything at all with TRUST_PROXY=true).
      context.ip && isIP(context.ip) ? context.ip : null,
      context.userAgent?.slice(0, 400) ?? null,
      context.requestId ?? null,
      column((e) => (e.clientId === undefined ? context.clientId ?? null : e.clientId)),
      column((e) => (e.actorUserId === undefined ? context.userId ?? null : e.actorUserId)),
      column((e) => e.action),
      column((e) => e.entityType ?? null),
      column((e) => e.entityId ?? null),
      column((e) => (e.changes ? JSON.stringify(redactSecrets(e.changes)) : null)),
    ],
  );
}
