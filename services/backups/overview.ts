// The admin area's Backups page: the last runs of each tier, the WAL archive's state, the last
// restore checks and the age of the newest good backup; and staff's "Run now" requests, which
// the server's backup job runs within a minute (it holds the backup lock, not the web request).
import { sql } from '../../lib/unit-of-work.ts';
import { audit } from '../audit/entries.ts';
import type { Tier } from './pgbackrest.ts';

export const RUNS_SHOWN = 10;
export const CHECKS_SHOWN = 10;

export interface BackupRunRow {
  id: string; tier: Tier; trigger: string; status: string; requested_at: Date; started_at: Date | null; finished_at: Date | null;
  backup_type: string | null; label: string | null; size_bytes: string | null; repo_size_bytes: string | null;
  wal_start: string | null; wal_stop: string | null; error: string | null;
}

export interface RestoreCheckRow {
  id: string; trigger: string; status: string; requested_at: Date; started_at: Date | null; finished_at: Date | null; tier: string | null;
  backup_label: string | null; target_time: Date | null; tables_checked: number | null; error: string | null;
}

export interface ArchiverState {
  archive_mode: string; archived_count: string; last_archived_wal: string | null; last_archived_time: Date | null;
  failed_count: string; last_failed_wal: string | null; last_failed_time: Date | null;
}

export interface BackupsOverview {
  runs: Record<Tier, BackupRunRow[]>;
  checks: RestoreCheckRow[];
  archiver: ArchiverState;
  newestGood: BackupRunRow | null;
  /** Hours since the newest good backup finished. */
  newestGoodAgeHours: number | null;
  /** The latest finished restore check failed: the page leads with it. */
  failedCheck: RestoreCheckRow | null;
}

export async function backupsOverview(now = new Date()): Promise<BackupsOverview> {
  const runs = await sql<BackupRunRow>(
    `SELECT * FROM (SELECT id, tier, trigger, status, requested_at, started_at, finished_at, backup_type, label, size_bytes::text, repo_size_bytes::text,
                           wal_start, wal_stop, error, row_number() OVER (PARTITION BY tier ORDER BY requested_at DESC) AS n
                      FROM backup_runs) r WHERE n <= $1 ORDER BY requested_at DESC`,
    [RUNS_SHOWN],
  );
  const checks = await sql<RestoreCheckRow>(
    `SELECT id, trigger, status, requested_at, started_at, finished_at, tier, backup_label, target_time, tables_checked, error
       FROM restore_checks ORDER BY requested_at DESC LIMIT $1`,
    [CHECKS_SHOWN],
  );
  const [archiver] = await sql<ArchiverState>(
    `SELECT current_setting('archive_mode') AS archive_mode, archived_count::text, last_archived_wal, last_archived_time,
            failed_count::text, last_failed_wal, last_failed_time FROM pg_stat_archiver`,
  );
  const [newestGood] = await sql<BackupRunRow>(
    `SELECT id, tier, trigger, status, requested_at, started_at, finished_at, backup_type, label, size_bytes::text, repo_size_bytes::text, wal_start, wal_stop, error
       FROM backup_runs WHERE status = 'succeeded' ORDER BY finished_at DESC LIMIT 1`,
  );
  const latestFinished = checks.find((c) => c.status === 'passed' || c.status === 'failed');
  return {
    runs: { daily: runs.filter((r) => r.tier === 'daily'), monthly: runs.filter((r) => r.tier === 'monthly') },
    checks,
    archiver: archiver!,
    newestGood: newestGood ?? null,
    newestGoodAgeHours: newestGood?.finished_at ? (now.getTime() - newestGood.finished_at.getTime()) / 3_600_000 : null,
    failedCheck: latestFinished?.status === 'failed' ? latestFinished : null,
  };
}

export type RunRequest = Tier | 'check';

/** Queues a run (or a restore check) for the backup job, with its audit entry; false when one is already waiting. */
export async function requestRun(what: RunRequest, staffId: string): Promise<boolean> {
  const waiting = what === 'check'
    ? await sql(`SELECT 1 FROM restore_checks WHERE status IN ('queued', 'running')`)
    : await sql(`SELECT 1 FROM backup_runs WHERE tier = $1 AND status IN ('queued', 'running')`, [what]);
  if (waiting.length) return false;
  const [row] = what === 'check'
    ? await sql<{ id: string }>(`INSERT INTO restore_checks (trigger, requested_by, status) VALUES ('staff', $1, 'queued') RETURNING id`, [staffId])
    : await sql<{ id: string }>(`INSERT INTO backup_runs (tier, trigger, requested_by, status) VALUES ($1, 'staff', $2, 'queued') RETURNING id`, [what, staffId]);
  await audit({ action: what === 'check' ? 'backup.restore_check_requested' : 'backup.run_requested', clientId: null, entityType: what === 'check' ? 'restore_check' : 'backup_run', entityId: row!.id, changes: what === 'check' ? {} : { tier: [null, what] } });
  return true;
}
