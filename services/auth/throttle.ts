// Attempt counters per account and per IP (failed sign-ins, reset requests), in PostgreSQL so
// every app server shares them. Account keys are hashes of the e-mail, so unknown and known
// accounts are throttled alike.
import { createHash } from 'node:crypto';
import { sql as query } from '../../lib/unit-of-work.ts';

export interface ThrottleLimits {
  windowMs: number;
  accountMax: number;
  ipMax: number;
}

export const accountKey = (email: string) => `acct:${createHash('sha256').update(email.trim().toLowerCase()).digest('hex')}`;
export const ipKey = (ip: string) => `ip:${ip}`;

/** Seconds until the sign-in may be tried again, or 0 when it is not throttled. */
export async function throttledFor(keys: { account: string; ip: string }, limits: ThrottleLimits): Promise<number> {
  const rows = await query<{ key: string; failures: number; remaining: number }>(
    `SELECT key, failures, ceil(extract(epoch FROM window_started_at + $3 * interval '1 millisecond' - now()))::int AS remaining
       FROM login_throttle WHERE key IN ($1, $2) AND window_started_at > now() - $3 * interval '1 millisecond'`,
    [keys.account, keys.ip, limits.windowMs],
  );
  const blocked = rows.filter((r) => r.failures >= (r.key === keys.ip ? limits.ipMax : limits.accountMax));
  return blocked.length ? Math.max(1, ...blocked.map((r) => r.remaining)) : 0;
}

export async function countAttempt(keys: { account: string; ip: string }, windowMs: number): Promise<void> {
  await countKeys([keys.account, keys.ip], windowMs);
}

export async function clearAccount(account: string): Promise<void> {
  await query('DELETE FROM login_throttle WHERE key = $1 RETURNING key', [account]);
}

/** Seconds until `key` may be used again once it has counted `max` in the window, or 0. */
export async function keyThrottledFor(key: string, max: number, windowMs: number): Promise<number> {
  const [row] = await query<{ failures: number; remaining: number }>(
    `SELECT failures, ceil(extract(epoch FROM window_started_at + $2 * interval '1 millisecond' - now()))::int AS remaining
       FROM login_throttle WHERE key = $1 AND window_started_at > now() - $2 * interval '1 millisecond'`,
    [key, windowMs],
  );
  return row && row.failures >= max ? Math.max(1, row.remaining) : 0;
}

/** Counts one use of each key in its window (a new window once the last has passed). */
export async function countKeys(keys: string[], windowMs: number): Promise<void> {
  await query(
    `INSERT INTO login_throttle AS t (key, window_started_at, failures)
       SELECT k, now(), 1 FROM unnest($1::text[]) AS k
     ON CONFLICT (key) DO UPDATE SET
       failures = CASE WHEN t.window_started_at > now() - $2 * interval '1 millisecond' THEN t.failures + 1 ELSE 1 END,
       window_started_at = CASE WHEN t.window_started_at > now() - $2 * interval '1 millisecond' THEN t.window_started_at ELSE now() END
     RETURNING t.key`,
    [keys, windowMs],
  );
}
