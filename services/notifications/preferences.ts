// A user's notification preferences (DESIGN.md §6): the zone and hour of their daily digest, and
// which optional kinds they receive; and the one-click unsubscribe (RFC 8058) that turns one of
// those kinds off from a link in the message, without a session.
import type { Sequelize } from 'sequelize';
import { inUnitOfWork, sql, type UnitOfWorkContext } from '../../lib/unit-of-work.ts';
import { RANKS, type Rank, type User } from '../../models/user.ts';
import { audit } from '../audit/entries.ts';
import type { RequestMeta } from '../auth/types.ts';
import { OPTIONAL_KINDS, type OptionalKind, isOptionalKind } from './settings.ts';
import { checkUnsubscribeToken } from './unsubscribe.ts';

export interface NotificationPreferences {
  /** The user's own zone; null means the organisation's. */
  timeZone: string | null;
  /** The local hour (0–23) of the daily digest. */
  digestHour: number;
  /** The optional kinds turned off, in OPTIONAL_KINDS order. */
  optOuts: OptionalKind[];
}

export const OPTIONAL_KIND_LABELS: Record<OptionalKind, string> = {
  weekly_summary: 'Weekly summary',
  escalation: 'Escalations beyond the first level',
};

/** The least senior rank an optional kind can reach: the weekly summary goes to Directors and
 *  above, escalations to Managers and above. */
const KIND_MINIMUM_RANK: Record<OptionalKind, Rank> = { weekly_summary: 'director', escalation: 'manager' };

/** The optional kinds that can reach someone of this rank (the ones worth offering). */
export function optionalKindsFor(rank: Rank): OptionalKind[] {
  const seniority = RANKS.indexOf(rank);
  return OPTIONAL_KINDS.filter((kind) => seniority >= 0 && seniority <= RANKS.indexOf(KIND_MINIMUM_RANK[kind]));
}

const ordered = (kinds: Iterable<string>): OptionalKind[] => {
  const set = new Set(kinds);
  return OPTIONAL_KINDS.filter((k) => set.has(k));
};

export function preferencesOf(user: Pick<User, 'timeZone' | 'digestHour' | 'notificationOptOuts'>): NotificationPreferences {
  return { timeZone: user.timeZone ?? null, digestHour: user.digestHour, optOuts: ordered(user.notificationOptOuts ?? []) };
}

/** Saves the user's own preferences (already checked by the form) in the current unit of work,
 *  audited with before and after. Returns whether anything changed. */
export async function saveNotificationPreferences(user: User, next: NotificationPreferences): Promise<boolean> {
  const before = preferencesOf(user);
  const after: NotificationPreferences = { timeZone: next.timeZone, digestHour: next.digestHour, optOuts: ordered(next.optOuts) };
  if (JSON.stringify(before) === JSON.stringify(after)) return false;
  await sql(
    `UPDATE users SET time_zone = $2, digest_hour = $3, notification_opt_outs = $4::text[], updated_at = now()
      WHERE client_id = app_current_client() AND id = $1`,
    [user.id, after.timeZone, after.digestHour, after.optOuts],
  );
  user.set({ timeZone: after.timeZone, digestHour: after.digestHour, notificationOptOuts: after.optOuts });
  await audit({ action: 'account.notification_preferences_changed', entityType: 'user', entityId: user.id, changes: { before, after } });
  return true;
}

// ---------------------------------------------------------------------------------------------
// One-click unsubscribe

export type UnsubscribeRefusal = 'malformed' | 'forged' | 'expired' | 'unknown' | 'deactivated';
export type UnsubscribeLink = { ok: true; kind: OptionalKind; clientId: string; userId: string; alreadyOff: boolean } | { ok: false; reason: UnsubscribeRefusal };

interface Recipient {
  id: string;
  clientId: string;
  status: string;
  optOuts: string[];
}

const recipientQuery = (userId: string, lock: boolean) =>
  sql<Recipient>(
    `SELECT id, client_id AS "clientId", status, notification_opt_outs AS "optOuts" FROM users
      WHERE client_id = app_current_client() AND id = $1${lock ? ' FOR UPDATE' : ''}`,
    [userId],
  );

/** The link's user and their client. The link names the user only, and the runtime role reads a
 *  user only inside their client: a narrow function tells the system actor which client that is.
 *  Only a link with a good signature gets here, so a forged one costs a single HMAC. */
async function findRecipient(sequelize: Sequelize, userId: string, meta: RequestMeta): Promise<Recipient | undefined> {
  const [owner] = await inUnitOfWork(sequelize, { actorKind: 'system', ...meta }, () => sql<{ id: string | null }>('SELECT notification_recipient_client($1) AS id', [userId]));
  if (!owner?.id) return undefined;
  const [row] = await inUnitOfWork(sequelize, { actorKind: 'system', clientId: owner.id, ...meta }, () => recipientQuery(userId, false));
  return row;
}

/** What an unsubscribe link stands for, or why it does not work; changes nothing. */
export async function readUnsubscribeLink(sequelize: Sequelize, secret: string, token: unknown, meta: RequestMeta, now: Date = new Date()): Promise<UnsubscribeLink> {
  const check = checkUnsubscribeToken(secret, token, now);
  if (!check.ok) return check;
  const recipient = await findRecipient(sequelize, check.userId, meta);
  if (!recipient) return { ok: false, reason: 'unknown' };
  if (recipient.status === 'deactivated') return { ok: false, reason: 'deactivated' };
  return { ok: true, kind: check.kind, clientId: recipient.clientId, userId: recipient.id, alreadyOff: recipient.optOuts.includes(check.kind) };
}

/** Turns the link's kind off for its user, as the system actor in the user's client, audited.
 *  Already off: nothing changes and nothing is audited, but the answer is the same. */
export async function unsubscribe(sequelize: Sequelize, secret: string, token: unknown, meta: RequestMeta, now: Date = new Date()): Promise<UnsubscribeLink> {
  const link = await readUnsubscribeLink(sequelize, secret, token, meta, now);
  if (!link.ok) return link;
  const context: UnitOfWorkContext = { actorKind: 'system', clientId: link.clientId, ...meta };
  return inUnitOfWork(sequelize, context, async (): Promise<UnsubscribeLink> => {
    const [user] = await recipientQuery(link.userId, true);
    if (!user) return { ok: false, reason: 'unknown' };
    if (user.status === 'deactivated') return { ok: false, reason: 'deactivated' };
    const before = ordered(user.optOuts.filter(isOptionalKind));
    if (before.includes(link.kind)) return { ...link, alreadyOff: true };
    const after = ordered([...before, link.kind]);
    await sql(
      `UPDATE users SET notification_opt_outs = $2::text[], updated_at = now() WHERE client_id = app_current_client() AND id = $1`,
      [user.id, after],
    );
    await audit({
      action: 'notification.unsubscribed', entityType: 'user', entityId: user.id, actorUserId: user.id,
      changes: { kind: link.kind, via: 'one-click link', optOuts: [before, after] },
    });
    return { ...link, alreadyOff: false };
  });
}
