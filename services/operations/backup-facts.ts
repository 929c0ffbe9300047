// What PlanTRAK knows about its backups, for the operations that must speak of them (offboarding's
// note, the System page, the compliance report, /metrics). The backups themselves (pgBackRest,
// backup_runs and restore_checks) are built apart; until their tables exist these read as
// "unknown", never as an error.
import { inSavepoint, sql } from '../../lib/unit-of-work.ts';

/** How long backups still hold a deleted client's data: the monthly archival repository's retention. */
export function archivalRetentionNote(retentionMonths?: number): string {
  const archival = retentionMonths
    ? `the monthly archival repository for ${retentionMonths} month(s) after its newest backup taken before this deletion`
    : 'the monthly archival repository until its retention expires (BACKUP_ARCHIVE_RETENTION_MONTHS is not set)';
  return `Backups still hold this client's data: the daily repository until its retention by count rotates those backups out, and ${archival}.`;
}

export interface BackupFacts {
  /** Null when unknown: no backup_runs table yet, or no successful run. */
  lastGoodBackupAt: Date | null;
  lastRestoreCheckAt: Date | null;
  lastRestoreCheckOk: boolean | null;
}

/**
 * The newest successful backup and restore check, read defensively: the tables (and their column
 * names, status 'succeeded'/'passed' and finished_at) come from the backups work; a missing table
 * or column reads as unknown. Runs inside the current unit of work, in a savepoint of its own.
 */
export async function backupFacts(): Promise<BackupFacts> {
  const [present] = await sql<{ runs: boolean; checks: boolean }>(
    `SELECT to_regclass('public.backup_runs') IS NOT NULL AS runs, to_regclass('public.restore_checks') IS NOT NULL AS checks`);
  const facts: BackupFacts = { lastGoodBackupAt: null, lastRestoreCheckAt: null, lastRestoreCheckOk: null };
  if (!present) return facts;
  if (present.runs) {
    try {
      const [row] = await inSavepoint(() => sql<{ at: Date | null }>(`SELECT max(finished_at) AS at FROM backup_runs WHERE status IN ('succeeded', 'success', 'ok')`));
      facts.lastGoodBackupAt = row?.at ?? null;
    } catch {
      // The backups' schema differs from what is read here: unknown, not an error.
    }
  }
  if (present.checks) {
    try {
      const [row] = await inSavepoint(() => sql<{ at: Date | null; ok: boolean | null }>(
        `SELECT finished_at AS at, status IN ('passed', 'succeeded', 'ok') AS ok FROM restore_checks ORDER BY finished_at DESC NULLS LAST LIMIT 1`));
      facts.lastRestoreCheckAt = row?.at ?? null;
      facts.lastRestoreCheckOk = row?.ok ?? null;
    } catch {
      // As above.
    }
  }
  return facts;
}
