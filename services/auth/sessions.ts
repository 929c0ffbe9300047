// Ends sessions server-side through the session-store role, the only role that may touch them.
import type pg from 'pg';

export async function endSessionsOf(sessionPool: pg.Pool, userId: string, exceptSid?: string): Promise<number> {
  const result = await sessionPool.query(
    `DELETE FROM session WHERE sess -> 'auth' ->> 'userId' = $1 AND ($2::text IS NULL OR sid <> $2)`,
    [userId, exceptSid ?? null],
  );
  return result.rowCount ?? 0;
}
