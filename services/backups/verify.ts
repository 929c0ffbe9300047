// A random restore check: a random backup, restored to a random restore marker's commit time
// after it into a scratch directory, started as a throw-away PostgreSQL, and compared table by
// table (row counts, checksums) with what the marker recorded the live database held then.
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../../lib/free-port.ts';
import { sql } from '../../lib/unit-of-work.ts';
import { queueRestoreCheckAlert } from './alerts.ts';
import { startScratchServer } from '../database/embedded.ts';
import { BackupError, type RepoBackup, lsnValue, repoInfo, repoNumber, runPgbackrest } from './pgbackrest.ts';
import { type BackupContext, type Trigger, asSystem } from './runs.ts';

export interface VerifyOptions {
  trigger: Trigger;
  /** A queued request (the Backups page's "Run now"). */
  checkId?: string;
  /** The restored cluster's superuser password (the live one's) and the app database's name. */
  superuserPassword: string;
  database: string;
  random?: () => number;
  /** Mail a failure to the Technical Directors (links to the Backups page under baseUrl). */
  alert?: { baseUrl: string; alertEmail?: string };
}

export interface VerifyResult {
  checkId: string;
  passed: boolean;
  backup?: RepoBackup;
  targetTime?: string;
  markerId?: string;
  tablesChecked?: number;
  error?: string;
}

interface Marker {
  id: string;
  target: string | null;
  lsn: string;
  wal: string;
  tables: Record<string, { rows: number | string; checksum: string }>;
}

export async function verifyRandomRestore(ctx: BackupContext, options: VerifyOptions): Promise<VerifyResult> {
  const say = ctx.onProgress ?? (() => undefined);
  const random = options.random ?? Math.random;
  const checkId = await asSystem(ctx.sequelize, async () => {
    if (options.checkId) {
      await sql(`UPDATE restore_checks SET status = 'running', started_at = now() WHERE id = $1`, [options.checkId]);
      return options.checkId;
    }
    const [row] = await sql<{ id: string }>(`INSERT INTO restore_checks (trigger, status, started_at) VALUES ($1, 'running', now()) RETURNING id`, [options.trigger]);
    return row!.id;
  });
  const scratch = path.join(ctx.setup.dataDir, 'restore-checks', checkId);
  let chosen: { backup: RepoBackup; marker: Marker } | undefined;
  try {
    const info = await repoInfo(ctx.setup);
    const { markers, lastArchived } = await asSystem(ctx.sequelize, async () => ({
      markers: await sql<Marker>(
        `SELECT id::text, to_char(committed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS target, lsn,
                pg_walfile_name(lsn::pg_lsn) AS wal, tables FROM backup_markers()`,
      ),
      lastArchived: (await sql<{ wal: string | null }>('SELECT last_archived_wal AS wal FROM pg_stat_archiver'))[0]?.wal ?? null,
    }));
    // Only markers whose WAL is surely archived (a later segment is), each after the backup's end.
    const archived = markers.filter((m) => m.target && lastArchived && m.wal.slice(8) < lastArchived.slice(8));
    const newestMonthly = info.backups.filter((b) => b.tier === 'monthly' && !b.error).at(-1);
    const candidates = info.backups
      .filter((b) => !b.error && (b.tier === 'daily' || b === newestMonthly))
      .map((backup) => ({ backup, markers: archived.filter((m) => lsnValue(m.lsn) > lsnValue(backup.lsnStop)) }))
      .filter((c) => c.markers.length > 0);
    if (!candidates.length) throw new BackupError('No backup has a restore marker archived after it yet: back up, wait a minute for the WAL archive, and check again.');
    const candidate = candidates[Math.floor(random() * candidates.length)]!;
    chosen = { backup: candidate.backup, marker: candidate.markers[Math.floor(random() * candidate.markers.length)]! };
    const { backup, marker } = chosen;
    await asSystem(ctx.sequelize, () =>
      sql(`UPDATE restore_checks SET tier = $2, backup_label = $3, target_time = $4::timestamptz, marker_id = $5 WHERE id = $1`, [checkId, backup.tier, backup.label, marker.target, marker.id]),
    );

    say(`Restore check: backup ${backup.label} (${backup.tier}) to ${marker.target} (marker ${marker.id}) into ${scratch} …`);
    const pgDir = path.join(scratch, 'postgres');
    await fs.mkdir(pgDir, { recursive: true, mode: 0o700 });
    for (const dir of [path.dirname(scratch), scratch, pgDir]) await fs.chown(dir, ctx.setup.user.uid, ctx.setup.user.gid);
    await runPgbackrest(
      ctx.setup,
      [`--repo=${repoNumber(backup.tier)}`, `--set=${backup.label}`, `--pg1-path=${pgDir}`, '--type=time', `--target=${marker.target}`, '--target-action=promote', '--archive-mode=off', 'restore'],
      { onProgress: say, detail: true },
    );
    say('Starting a throw-away PostgreSQL on the restored copy …');
    const server = await startScratchServer({ dataDir: pgDir, port: await freePort(), user: 'postgres', password: options.superuserPassword });
    let mismatches: string[];
    let tablesChecked: number;
    try {
      const client = new pg.Client({ connectionString: server.url(options.database) });
      await client.connect();
      try {
        const { rows } = await client.query<{ table_name: string; row_count: string; checksum: string }>('SELECT table_name, row_count::text, checksum FROM backup_table_checksums()');
        const { rows: held } = await client.query<{ latest: string | null }>('SELECT max(id)::text AS latest FROM restore_markers');
        ({ mismatches, tablesChecked } = compareTables(marker, rows, held[0]?.latest ?? null));
      } finally {
        await client.end();
      }
    } finally {
      await server.stop();
    }
    if (mismatches.length) throw new BackupError(`The restored copy differs from what the database held at ${marker.target}: ${mismatches.slice(0, 10).join('; ')}`);
    await asSystem(ctx.sequelize, () =>
      sql(`UPDATE restore_checks SET status = 'passed', finished_at = now(), tables_checked = $2, details = $3 WHERE id = $1`, [checkId, tablesChecked, JSON.stringify({ lsn: marker.lsn })]),
    );
    say(`Restore check passed: ${tablesChecked} tables hold exactly what they held at ${marker.target}.`);
    return { checkId, passed: true, backup, targetTime: marker.target ?? undefined, markerId: marker.id, tablesChecked };
  } catch (error) {
    const message = (error as Error).message.slice(0, 4000);
    await asSystem(ctx.sequelize, async () => {
      await sql(`UPDATE restore_checks SET status = 'failed', finished_at = now(), error = $2 WHERE id = $1`, [checkId, message]);
      if (options.alert) {
        const to = await queueRestoreCheckAlert({ checkId, backupLabel: chosen?.backup.label, tier: chosen?.backup.tier, targetTime: chosen?.marker.target ?? undefined, error: message }, options.alert);
        say(`Alert mailed to ${to.join(', ') || 'nobody (no active Technical Director)'}.`);
      }
    }).catch((alertError: Error) => say(`Could not record the failure: ${alertError.message}`));
    say(`RESTORE CHECK FAILED: ${message}`);
    return { checkId, passed: false, backup: chosen?.backup, targetTime: chosen?.marker.target ?? undefined, markerId: chosen?.marker.id, error: message };
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

/** The restored tables against the marker's record: same tables, same counts, same checksums, and no later marker. */
export function compareTables(marker: Marker, rows: { table_name: string; row_count: string; checksum: string }[], latestMarker: string | null): { mismatches: string[]; tablesChecked: number } {
  const mismatches: string[] = [];
  const restored = new Map(rows.map((r) => [r.table_name, r]));
  for (const [table, expected] of Object.entries(marker.tables)) {
    const got = restored.get(table);
    if (!got) mismatches.push(`${table} is missing`);
    else if (String(expected.rows) !== got.row_count) mismatches.push(`${table} has ${got.row_count} rows, not ${expected.rows}`);
    else if (expected.checksum !== got.checksum) mismatches.push(`${table}'s rows differ (checksum)`);
  }
  for (const table of restored.keys()) if (!(table in marker.tables)) mismatches.push(`${table} was not there`);
  if (latestMarker !== marker.id) mismatches.push(`the newest restore marker restored is ${latestMarker ?? 'none'}, not ${marker.id} (the time target was not honoured)`);
  return { mismatches, tablesChecked: Object.keys(marker.tables).length };
}
