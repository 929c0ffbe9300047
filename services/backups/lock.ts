// One backup machinery at a time across every server and command sharing the database: a
// session advisory lock on a connection of its own, held for the whole run.
import pg from 'pg';

const LOCK_KEY = 'plantrak:backups';

/**
 * Runs `work` holding the backup lock. `wait` false: resolves to null at once when another
 * process holds it (the schedule on a second server); true: waits for it (a command).
 */
export async function withBackupLock<T>(url: string, options: { wait: boolean; onWait?: () => void }, work: () => Promise<T>): Promise<T | null> {
  const client = new pg.Client({ connectionString: url, application_name: 'plantrak-backup-lock' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [LOCK_KEY]);
    if (!rows[0]!.ok) {
      if (!options.wait) return null;
      options.onWait?.();
      // The lock has no timeout of its own; the runtime role's statement_timeout must not cut the wait short.
      await client.query(`SET statement_timeout = 0`);
      await client.query('SELECT pg_advisory_lock(hashtext($1))', [LOCK_KEY]);
    }
    try {
      return await work();
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [LOCK_KEY]).catch(() => undefined);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}
