// One backup of a tier: pgBackRest into the tier's repository, recorded in backup_runs, then a
// restore marker (what the database holds now), which restore checks compare against.
import pg from 'pg';
import type { Sequelize } from 'sequelize';
import { allowLongStatement, inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { type BackupSetup, BackupError, type RepoBackup, type Tier, repoInfo, repoNumber, runPgbackrest } from './pgbackrest.ts';

export type Trigger = 'command' | 'schedule' | 'staff';

export interface BackupContext {
  setup: BackupSetup;
  /** The runtime role's connections; backup records are written as the system. */
  sequelize: Sequelize;
  onProgress?: (message: string) => void;
}

/** A full backup a week in the daily tier, a differential on the other days. */
export const DAILY_FULL_EVERY_MS = 7 * 24 * 3_600_000;

export const asSystem = <T>(sequelize: Sequelize, work: () => Promise<T>): Promise<T> => inUnitOfWork(sequelize, { actorKind: 'system' }, work);

export interface BackupResult {
  runId: string;
  backup: RepoBackup;
}

/** Runs a backup of `tier` now. `runId` names a queued request (the Backups page's "Run now"). */
export async function runBackup(ctx: BackupContext, tier: Tier, options: { trigger: Trigger; runId?: string }): Promise<BackupResult> {
  const say = ctx.onProgress ?? (() => undefined);
  const runId = await asSystem(ctx.sequelize, async () => {
    if (options.runId) {
      await sql(`UPDATE backup_runs SET status = 'running', started_at = now() WHERE id = $1`, [options.runId]);
      return options.runId;
    }
    const [row] = await sql<{ id: string }>(
      `INSERT INTO backup_runs (tier, trigger, status, started_at) VALUES ($1, $2, 'running', now()) RETURNING id`,
      [tier, options.trigger],
    );
    return row!.id;
  });
  try {
    await assertArchiving(ctx.sequelize);
    await runPgbackrest(ctx.setup, ['stanza-create']);
    const before = await repoInfo(ctx.setup);
    const type = backupTypeFor(tier, before.backups, new Date());
    say(`Backing up the ${tier} tier (${type === 'full' ? 'full' : 'differential'}) into ${ctx.setup.repoPaths[tier]} …`);
    await asSystem(ctx.sequelize, () => sql(`UPDATE backup_runs SET backup_type = $2 WHERE id = $1`, [runId, type]));
    await runPgbackrest(ctx.setup, [`--repo=${repoNumber(tier)}`, `--type=${type}`, 'backup'], { onProgress: say, detail: true });
    const known = new Set(before.backups.filter((b) => b.tier === tier).map((b) => b.label));
    const backup = (await repoInfo(ctx.setup)).backups.filter((b) => b.tier === tier && !known.has(b.label)).at(-1);
    if (!backup) throw new BackupError('pgBackRest reported success but the repository lists no new backup');
    await asSystem(ctx.sequelize, () =>
      sql(
        `UPDATE backup_runs SET status = 'succeeded', finished_at = now(), backup_type = $2, label = $3, size_bytes = $4,
                repo_size_bytes = $5, wal_start = $6, wal_stop = $7 WHERE id = $1`,
        [runId, backup.type, backup.label, backup.size, backup.repoSize, backup.walStart, backup.walStop],
      ),
    );
    // The backup stands even if the marker cannot be taken now (writers held their locks too long).
    await recordMarker(ctx.sequelize).catch((error: Error) => say(`Note: no restore marker recorded after this backup (${error.message}).`));
    say(`Backup ${backup.label} done: ${formatBytes(backup.size)} of data, ${formatBytes(backup.repoSize)} in the repository (compressed, encrypted); WAL ${backup.walStart} … ${backup.walStop}.`);
    return { runId, backup };
  } catch (error) {
    const message = (error as Error).message.slice(0, 4000);
    await asSystem(ctx.sequelize, () => sql(`UPDATE backup_runs SET status = 'failed', finished_at = now(), error = $2 WHERE id = $1`, [runId, message])).catch(() => undefined);
    throw error;
  }
}

export function backupTypeFor(tier: Tier, backups: RepoBackup[], now: Date): 'full' | 'diff' {
  if (tier === 'monthly') return 'full';
  const lastFull = backups.filter((b) => b.tier === 'daily' && b.type === 'full' && !b.error).at(-1);
  return lastFull && now.getTime() - lastFull.startedAt.getTime() < DAILY_FULL_EVERY_MS ? 'diff' : 'full';
}

/** A server started before pgBackRest was installed (or adopted from such a start) does not archive yet. */
async function assertArchiving(sequelize: Sequelize): Promise<void> {
  const [row] = await asSystem(sequelize, () => sql<{ mode: string; command: string }>(`SELECT current_setting('archive_mode') AS mode, current_setting('archive_command') AS command`));
  if (row!.mode !== 'on' || !row!.command.includes('archive-push')) {
    throw new BackupError('The running PostgreSQL does not archive its WAL (it was started before backups were set up): restart PlanTRAK (npm start), then back up.');
  }
}

/** Records what every table holds now (row counts, checksums) as a restore marker; its id. */
export async function recordMarker(sequelize: Sequelize): Promise<string> {
  const [row] = await asSystem(sequelize, async () => {
    // It reads every table: longer than a request may take, on a large database.
    await allowLongStatement(30);
    return sql<{ id: string }>('SELECT backup_record_marker() AS id');
  });
  return String(row!.id);
}

/**
 * Closes the current WAL segment and waits until the archive holds it, so that what was committed
 * before is restorable at once rather than after archive_timeout. Needs the superuser (whose
 * function pg_switch_wal is).
 */
export async function flushWal(adminUrl: string, timeoutMs = 60_000): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl, application_name: 'plantrak-backup' });
  // Dropped while it waits between polls (a shutdown): the next query fails instead of the process.
  admin.on('error', () => undefined);
  await admin.connect();
  try {
    const { rows } = await admin.query<{ wal: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS wal');
    for (const deadline = Date.now() + timeoutMs; ; ) {
      const { rows: state } = await admin.query<{ last: string | null; failed: string | null }>('SELECT last_archived_wal AS last, last_failed_wal AS failed FROM pg_stat_archiver');
      if (state[0]!.last && state[0]!.last.slice(8) >= rows[0]!.wal.slice(8)) return;
      if (Date.now() > deadline) throw new BackupError(`WAL ${rows[0]!.wal} did not reach the archive within ${timeoutMs / 1000} s (last archived ${state[0]!.last ?? 'none'}, last failed ${state[0]!.failed ?? 'none'}).`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await admin.end().catch(() => undefined);
  }
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit ? 1 : 0)} ${units[unit]}`;
}
