// One-click unsubscribe (RFC 8058) for the optional kinds: a link signed per user and kind, so
// the one route that takes a POST without a session or CSRF token is authorised by the link
// itself. Signed with a key derived from the session secret; it expires.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isUuid } from '../../lib/uuid.ts';
import { isOptionalKind, type OptionalKind } from './settings.ts';

/** How long an unsubscribe link in a message works. */
export const UNSUBSCRIBE_DAYS = 90;

const keyOf = (secret: string) => createHmac('sha256', secret).update('plantrak notification unsubscribe v1').digest();
const signatureOf = (secret: string, payload: string) => createHmac('sha256', keyOf(secret)).update(payload).digest('base64url');

export function unsubscribeToken(secret: string, userId: string, kind: OptionalKind, now: Date = new Date()): string {
  const expires = Math.floor(now.getTime() / 1000) + UNSUBSCRIBE_DAYS * 86_400;
  const payload = `${userId}.${kind}.${expires}`;
  return `${payload}.${signatureOf(secret, payload)}`;
}

export type UnsubscribeCheck = { ok: true; userId: string; kind: OptionalKind } | { ok: false; reason: 'malformed' | 'forged' | 'expired' };

export function checkUnsubscribeToken(secret: string, token: unknown, now: Date = new Date()): UnsubscribeCheck {
  if (typeof token !== 'string' || token.length > 300) return { ok: false, reason: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 4) return { ok: false, reason: 'malformed' };
  const [userId, kind, expires, signature] = parts as [string, string, string, string];
  if (!isUuid(userId) || !isOptionalKind(kind) || !/^\d{1,12}$/.test(expires)) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(signatureOf(secret, `${userId}.${kind}.${expires}`));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'forged' };
  if (Number(expires) * 1000 < now.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, userId, kind };
}
