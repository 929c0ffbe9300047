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
  const { context } = currentUnit();
  // A plain INSERT without RETURNING: rows with no client may be written but not read back.
  await sql(
    `INSERT INTO audit_log (client_id, actor_kind, actor_user_id, actor_staff_id, support_session_id,
                          action, entity_type, entity_id, changes, ip, user_agent, request_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [
      entry.clientId === undefined ? context.clientId ?? null : entry.clientId,
      context.actorKind,
      entry.actorUserId === undefined ? context.userId ?? null : entry.actorUserId,
      context.staffId ?? null,
      context.supportSessionId ?? null,
      entry.action,
      entry.entityType ?? null,
      entry.entityId ?? null,
      entry.changes ? JSON.stringify(redactSecrets(entry.changes)) : null,
      // The ip column is inet; behind a proxy req.ip comes from X-Forwarded-For and need not be
      // a bare address (a port appended, or anything at all with TRUST_PROXY=true).
      context.ip && isIP(context.ip) ? context.ip : null,
      context.userAgent?.slice(0, 400) ?? null,
      context.requestId ?? null,
    ],
  );
}
