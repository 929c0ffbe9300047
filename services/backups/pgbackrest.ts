// pgBackRest for the embedded server: where it is, its configuration file (two encrypted
// repositories, one stanza), and running it as the database's system user, who owns the
// repositories and whose archive_command pushes WAL into them.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import os from 'node:os';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Config } from '../../config/index.ts';
import { type ServerUser, serverSystemUser } from '../database/embedded.ts';
import type { LocalSecrets } from '../database/local-secrets.ts';

export const STANZA = 'plantrak';
export type Tier = 'daily' | 'monthly';
export const TIERS: readonly Tier[] = ['daily', 'monthly'];
/** The daily tier is pgBackRest's repo1, the monthly archival tier repo2. */
export const repoNumber = (tier: Tier) => (tier === 'daily' ? 1 : 2);

export const INSTALL_HINT = 'Install pgBackRest from Debian: sudo apt-get install -y pgbackrest (version 2.45 supports PostgreSQL 15).';

export class BackupError extends Error {}

export interface BackupSetup {
  executable: string;
  configFile: string;
  /** Extra settings (an off-host archival repository), passed to every command when set. */
  configIncludePath?: string;
  /** The embedded cluster's data directory, private socket directory and port. */
  pgDataDir: string;
  socketDir: string;
  port: number;
  user: ServerUser;
  dataDir: string;
  repoPaths: Record<Tier, string>;
}

/** The pgbackrest executable, or null when it is not installed. */
export async function findPgbackrest(config: Config): Promise<string | null> {
  const name = config.backups.pgbackrest;
  const candidates = name.includes('/') ? [name] : (process.env.PATH ?? '/usr/bin:/bin').split(':').map((dir) => path.join(dir, name));
  for (const candidate of candidates) {
    try {
      await fs.access(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return null;
}

export function passphrases(config: Config, secrets: Pick<LocalSecrets, 'backupPassphrase' | 'archivePassphrase'>): Record<Tier, string> {
  return {
    daily: config.backups.dailyPassphrase ?? secrets.backupPassphrase,
    monthly: config.backups.monthlyPassphrase ?? secrets.archivePassphrase,
  };
}

/** Where everything lives for an embedded cluster under `dataDir`. */
export async function backupSetup(config: Config, executable: string, dataDir = config.dataDir, port = config.embeddedPort): Promise<BackupSetup> {
  return {
    executable,
    configFile: path.join(dataDir, 'pgbackrest', 'pgbackrest.conf'),
    configIncludePath: config.backups.configIncludePath,
    pgDataDir: path.join(dataDir, 'postgres'),
    socketDir: socketDirFor(dataDir),
    port,
    user: await serverSystemUser(),
    dataDir,
    repoPaths: { daily: config.backups.dailyRepoPath, monthly: config.backups.monthlyRepoPath },
  };
}

/** Beside the data, unless that path is too long for a Unix socket (about 107 bytes): then a private directory in the system's temporary one. */
function socketDirFor(dataDir: string): string {
  const beside = path.join(dataDir, 'postgres-socket');
  if (path.join(beside, '.s.PGSQL.65535').length <= 100) return beside;
  return path.join(os.tmpdir(), `plantrak-pg-${createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16)}`);
}

/** The options every command takes: the configuration file, and the include path when set. */
export function baseArgs(setup: BackupSetup): string[] {
  return [`--config=${setup.configFile}`, ...(setup.configIncludePath ? [`--config-include-path=${setup.configIncludePath}`] : []), `--stanza=${STANZA}`];
}

/** The embedded server's settings with archiving on: every WAL segment to both repositories, within a minute. */
export function archiveSettings(setup: BackupSetup): Record<string, string> {
  return {
    archive_mode: 'on',
    archive_command: `${setup.executable} ${baseArgs(setup).join(' ')} archive-push %p`,
    archive_timeout: '60',
    wal_level: 'replica',
    // A restore check targets a marker's exact commit time.
    track_commit_timestamp: 'on',
  };
}

/**
 * Writes pgbackrest.conf (passphrases inside, so readable by the database user only) and makes
 * the repositories and pgBackRest's own directories, refusing a repository path that user cannot write.
 */
export async function writeBackupConfig(setup: BackupSetup, config: Config, phrases: Record<Tier, string>): Promise<void> {
  const own = path.dirname(setup.configFile);
  const dirs = [own, path.join(own, 'log'), path.join(own, 'lock'), path.join(own, 'spool')];
  for (const dir of dirs) {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    await fs.chown(dir, setup.user.uid, setup.user.gid);
  }
  for (const tier of TIERS) await assertWritableRepo(setup, setup.repoPaths[tier]);
  const b = config.backups;
  const text = [
    '# Written by PlanTRAK from its configuration (BACKUP_* settings); changes here are overwritten.',
    '[global]',
    `repo1-path=${setup.repoPaths.daily}`,
    'repo1-cipher-type=aes-256-cbc',
    `repo1-cipher-pass=${phrases.daily}`,
    'repo1-retention-full-type=count',
    `repo1-retention-full=${b.dailyKeepFull}`,
    // A differential a day between weekly fulls.
    'repo1-retention-diff=7',
    `repo2-path=${setup.repoPaths.monthly}`,
    'repo2-cipher-type=aes-256-cbc',
    `repo2-cipher-pass=${phrases.monthly}`,
    'repo2-retention-full-type=count',
    `repo2-retention-full=${b.monthlyKeep}`,
    // Older archival backups keep the WAL that makes them consistent; only the newest keeps all of it.
    'repo2-retention-archive-type=full',
    'repo2-retention-archive=1',
    `log-path=${path.join(own, 'log')}`,
    `lock-path=${path.join(own, 'lock')}`,
    `spool-path=${path.join(own, 'spool')}`,
    'log-level-file=info',
    'log-level-console=warn',
    'compress-type=lz4',
    'process-max=2',
    'start-fast=y',
    '',
    `[${STANZA}]`,
    `pg1-path=${setup.pgDataDir}`,
    `pg1-socket-path=${setup.socketDir}`,
    `pg1-port=${setup.port}`,
    'pg1-user=postgres',
    '',
  ].join('\n');
  await fs.writeFile(setup.configFile, text, { mode: 0o600 });
  await fs.chmod(setup.configFile, 0o600);
  await fs.chown(setup.configFile, setup.user.uid, setup.user.gid);
}

/** Creates the repository directory as the database user, who must be able to write it. */
async function assertWritableRepo(setup: BackupSetup, repo: string): Promise<void> {
  if (setup.configIncludePath) return; // an S3/SFTP repository may replace the path's meaning
  // The default repositories live under DATA_DIR, which is ours: hand them to the database user.
  const relative = path.relative(setup.dataDir, repo);
  if (relative && !relative.startsWith('..') && !path.isAbsolute(relative)) {
    for (let dir = repo; dir !== setup.dataDir; dir = path.dirname(dir)) {
      await fs.mkdir(dir, { recursive: true, mode: 0o750 });
    }
    for (let dir = repo; dir !== setup.dataDir; dir = path.dirname(dir)) {
      const { uid } = await fs.stat(dir);
      if (uid !== setup.user.uid) await fs.chown(dir, setup.user.uid, setup.user.gid).catch(() => undefined);
    }
  }
  try {
    await promisify(execFile)('sh', ['-c', 'mkdir -p -m 0750 "$1" && test -w "$1" && test -x "$1"', 'sh', repo], { uid: setup.user.uid, gid: setup.user.gid });
  } catch {
    throw new BackupError(`The repository path ${repo} cannot be written by the database's system user '${setup.user.name}'. Choose another path (BACKUP_REPO_PATH / BACKUP_ARCHIVE_REPO_PATH) or give that user the directory.`);
  }
}

export interface RunOptions {
  /** Called with each progress line (a percentage, or pgBackRest's INFO lines). */
  onProgress?: (message: string) => void;
  /** Console detail for progress lines. */
  detail?: boolean;
}

/** Runs pgbackrest as the database user; resolves with its standard output, rejects with its last error lines. */
export function runPgbackrest(setup: BackupSetup, args: string[], options: RunOptions = {}): Promise<string> {
  const fullArgs = [...baseArgs(setup), ...(options.detail ? ['--log-level-console=detail'] : []), ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(setup.executable, fullArgs, {
      uid: setup.user.uid,
      gid: setup.user.gid,
      cwd: '/',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', HOME: setup.dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let lastPercent = -5;
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      out += text;
      if (!options.onProgress) return;
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const percent = /\((?:[\d.]+[KMGT]?B, )?(\d+(?:\.\d+)?)%\)/.exec(line);
        if (percent) {
          const value = Number(percent[1]);
          if (value - lastPercent >= 5 || (value >= 100 && lastPercent < 100)) {
            lastPercent = value;
            options.onProgress(`  ${args.at(-1)} ${Math.floor(value)}%`);
          }
        } else if (/ (INFO|WARN): /.test(line) && !/command begin/.test(line)) {
          options.onProgress(`  ${line.replace(/^.*? P\d+ +/, '')}`);
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
    });
    child.on('error', (error) => reject(new BackupError(`pgbackrest could not run: ${error.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else {
        const lines = `${err}\n${out}`.split('\n').filter((l) => /ERROR|WARN/.test(l)).slice(-5).join('\n') || err.trim() || out.trim().split('\n').slice(-5).join('\n');
        reject(new BackupError(`pgbackrest ${args.at(-1)} failed (exit ${code}): ${lines}`));
      }
    });
  });
}

export interface RepoBackup {
  tier: Tier;
  label: string;
  type: 'full' | 'diff' | 'incr';
  startedAt: Date;
  stoppedAt: Date;
  size: number;
  repoSize: number;
  walStart: string;
  walStop: string;
  lsnStop: string;
  error: boolean;
}

export interface RepoInfo {
  backups: RepoBackup[];
  /** The archived WAL range in each repository. */
  archive: Partial<Record<Tier, { min: string; max: string }>>;
}

interface InfoJson {
  archive?: { database: { 'repo-key': number }; min: string | null; max: string | null }[];
  backup?: {
    label: string; type: 'full' | 'diff' | 'incr'; error?: boolean;
    archive: { start: string; stop: string }; database: { 'repo-key': number };
    info: { size: number; repository: { delta: number; size?: number } };
    lsn: { start: string; stop: string }; timestamp: { start: number; stop: number };
  }[];
}

export async function repoInfo(setup: BackupSetup): Promise<RepoInfo> {
  const parsed = JSON.parse(await runPgbackrest(setup, ['--output=json', 'info'])) as InfoJson[];
  const stanza = parsed[0] ?? {};
  const tierOf = (key: number): Tier => (key === 1 ? 'daily' : 'monthly');
  const archive: RepoInfo['archive'] = {};
  for (const a of stanza.archive ?? []) if (a.min && a.max) archive[tierOf(a.database['repo-key'])] = { min: a.min, max: a.max };
  const backups = (stanza.backup ?? []).map((b) => ({
    tier: tierOf(b.database['repo-key']),
    label: b.label,
    type: b.type,
    startedAt: new Date(b.timestamp.start * 1000),
    stoppedAt: new Date(b.timestamp.stop * 1000),
    size: b.info.size,
    repoSize: b.info.repository.size ?? b.info.repository.delta,
    walStart: b.archive.start,
    walStop: b.archive.stop,
    lsnStop: b.lsn.stop,
    error: Boolean(b.error),
  }));
  return { backups, archive };
}

/** An LSN ("16/B374D848") as a number, for ordering. */
export function lsnValue(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}
