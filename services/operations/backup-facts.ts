// What PlanTRAK knows about its backups, for the operations that must speak of them (offboarding's
// note, the System page, /metrics), read from backup_runs and restore_checks (services/backups
// writes them); null where there is none yet.
import { sql } from '../../lib/unit-of-work.ts';

/** How long backups still hold a deleted client's data: the monthly archival repository keeps one
 *  backup a month, `retentionMonths` of them (BACKUP_MONTHLY_KEEP). */
export function archivalRetentionNote(retentionMonths?: number): string {
  const archival = retentionMonths
    ? `the monthly archival repository for ${retentionMonths} month(s) after its newest backup taken before this deletion`
    : 'the monthly archival repository until its retention expires';
  return `Backups still hold this client's data: the daily repository until its retention by count rotates those backups out, and ${archival}.`;
}

export interface BackupFacts {
  /** Null when unknown: no backup_runs table yet, or no successful run. */
  lastGoodBackupAt: Date | null;
  lastRestoreCheckAt: Date | null;
  lastRestoreCheckOk: boolean | null;
}

/** The newest successful backup and the newest finished restore check (ops_backup_facts(),
 *  migration 0024); null where there is none yet. */
export async function backupFacts(): Promise<BackupFacts> {
  const [row] = await sql<{ last_good_backup_at: Date | null; last_restore_check_at: Date | null; last_restore_check_ok: boolean | null }>(
    'SELECT * FROM ops_backup_facts()');
  return { lastGoodBackupAt: row?.last_good_backup_at ?? null, lastRestoreCheckAt: row?.last_restore_check_at ?? null, lastRestoreCheckOk: row?.last_restore_check_ok ?? null };
}
