// Restoring the embedded cluster from a repository into an empty data directory: to a point in
// time or to the end of the archived WAL, then started once so recovery runs to its end and the
// server is promoted (it then archives into the same repositories, on a new timeline).
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { Config } from '../../config/index.ts';
import { type EmbeddedServer, startEmbeddedPostgres } from '../database/embedded.ts';
import { loadLocalSecrets } from '../database/local-secrets.ts';
import { type BackupSetup, BackupError, type RepoBackup, type Tier, archiveSettings, backupSetup, passphrases, repoInfo, repoNumber, runPgbackrest, writeBackupConfig } from './pgbackrest.ts';

/** Files a restore target may already hold: the escrowed secrets of the lost server. */
const ALLOWED_IN_TARGET = new Set(['secrets.json']);

export interface RestoreRequest {
  /** The new DATA_DIR: empty, or holding only the escrowed secrets.json. */
  target: string;
  /** A point in time, or undefined for the end of the archived WAL. */
  time?: Date;
  tier: Tier;
  port: number;
  executable: string;
  onProgress?: (message: string) => void;
  /** Leave the restored server running (tests); otherwise it is stopped once recovered. */
  keepRunning?: boolean;
}

export interface RestoreResult {
  backup: RepoBackup;
  setup: BackupSetup;
  /** The latest commit the restored cluster holds. */
  lastCommit: Date | null;
  server?: EmbeddedServer;
}

export async function restoreCluster(config: Config, request: RestoreRequest): Promise<RestoreResult> {
  const say = request.onProgress ?? (() => undefined);
  const target = path.resolve(request.target);
  await assertEmptyTarget(target);
  if (!(await fs.stat(path.join(target, 'secrets.json')).catch(() => null))) {
    throw new BackupError(
      `${target} has no secrets.json. Copy the lost server's escrowed secrets.json into it first (the restored cluster keeps that server's role passwords; see docs/DISASTER-RECOVERY.md).`,
    );
  }
  const secrets = await loadLocalSecrets(target);
  const setup = await backupSetup(config, request.executable, target, request.port);
  await writeBackupConfig(setup, config, passphrases(config, secrets));
  if (request.time && Number.isNaN(request.time.getTime())) throw new BackupError('The time is not a valid timestamp (e.g. 2026-12-02T16:45:02Z).');

  const info = await repoInfo(setup).catch((error: Error) => {
    throw new BackupError(`The ${request.tier} repository at ${setup.repoPaths[request.tier]} cannot be read: ${error.message}`);
  });
  const backups = info.backups.filter((b) => b.tier === request.tier && !b.error);
  if (!backups.length) throw new BackupError(`The ${request.tier} repository at ${setup.repoPaths[request.tier]} holds no backup.`);
  const backup = chooseBackup(backups, request.time);

  const pgDir = setup.pgDataDir;
  await fs.mkdir(pgDir, { recursive: true, mode: 0o700 });
  await fs.chown(pgDir, setup.user.uid, setup.user.gid);
  const targetArgs = request.time ? ['--type=time', `--target=${recoveryTime(request.time)}`, '--target-action=promote'] : [];
  say(`Restoring backup ${backup.label} (${request.tier}) into ${pgDir}${request.time ? `, to ${request.time.toISOString()}` : ', to the end of the archived WAL'} …`);
  await runPgbackrest(setup, [`--repo=${repoNumber(request.tier)}`, `--set=${backup.label}`, ...targetArgs, 'restore'], { onProgress: say, detail: true });

  say('Starting the restored cluster to replay the archived WAL …');
  let server: EmbeddedServer;
  try {
    server = await startEmbeddedPostgres({
      dataDir: target, port: request.port, superuserPassword: secrets.superuser, kind: 'cli', onProgress: say,
      socketDir: setup.socketDir, settings: archiveSettings(setup),
    });
  } catch (error) {
    const reason = /recovery ended before configured recovery target was reached/.test((error as Error).message)
      ? `the archived WAL ends before ${request.time?.toISOString()}: choose an earlier time`
      : (error as Error).message;
    throw new BackupError(`The restored cluster did not recover: ${reason}. Empty ${target} (keep secrets.json) before trying again.`);
  }
  const client = new pg.Client({ connectionString: server.adminUrl });
  let lastCommit: Date | null = null;
  try {
    await client.connect();
    const { rows } = await client.query<{ at: Date | null }>(`SELECT (pg_last_committed_xact()).timestamp AS at`);
    lastCommit = rows[0]?.at ?? null;
  } catch {
    // Only informative.
  } finally {
    await client.end().catch(() => undefined);
  }
  if (!request.keepRunning) await server.stop();
  say(`Restored: the cluster in ${pgDir} holds what was committed up to ${lastCommit ? lastCommit.toISOString() : 'the end of the archive'}.`);
  return { backup, setup, lastCommit, server: request.keepRunning ? server : undefined };
}

/** The newest backup that ended before `time` (the newest of all for the end of the archive). */
export function chooseBackup(backups: RepoBackup[], time?: Date): RepoBackup {
  if (!time) return backups.at(-1)!;
  if (time.getTime() > Date.now()) throw new BackupError(`${time.toISOString()} is in the future.`);
  // pgBackRest gives the stop time in whole seconds: a second more is surely after the backup's end.
  const before = backups.filter((b) => b.stoppedAt.getTime() + 1000 < time.getTime());
  if (!before.length) {
    throw new BackupError(`${time.toISOString()} is before the oldest backup in the repository ends (${backups[0]!.stoppedAt.toISOString()}; pgBackRest counts whole seconds, so choose a time at least a second after that): no backup covers it.`);
  }
  return before.at(-1)!;
}

/** PostgreSQL's recovery_target_time wants a space, not ISO's T: "2026-12-02 16:45:02.691+00". */
export function recoveryTime(time: Date): string {
  return `${time.toISOString().replace('T', ' ').replace('Z', '')}+00`;
}

async function assertEmptyTarget(target: string): Promise<void> {
  let entries: string[];
  try {
    entries = await fs.readdir(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new BackupError(`${target} does not exist: create it and put the escrowed secrets.json in it.`);
    throw error;
  }
  const other = entries.filter((e) => !ALLOWED_IN_TARGET.has(e));
  if (other.length) throw new BackupError(`${target} is not empty (${other.slice(0, 5).join(', ')}${other.length > 5 ? ', …' : ''}): restore only into an empty directory; nothing was changed.`);
}
