// A throw-away embedded cluster with WAL archiving into its own pgBackRest repositories (its own
// pgbackrest.conf under its DATA_DIR), for the backup tests. They need pgBackRest (.ci/run installs it).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { Config, Env } from '../../config/index.ts';
import { type Database, openDatabase } from '../../models/index.ts';
import { findPgbackrest, type BackupSetup } from '../../services/backups/pgbackrest.ts';
import { type BackupContext, flushWal } from '../../services/backups/runs.ts';
import { type PreparedDatabase, prepareDatabase } from '../../services/database/bootstrap.ts';
import { serverSystemUser } from '../../services/database/embedded.ts';
import { freePort, testConfig } from './env.ts';
import { removeDir, scratchPath } from './mail-helpers.ts';

export interface BackupCluster {
  dataDir: string;
  config: Config;
  prepared: PreparedDatabase;
  setup: BackupSetup;
  db: Database;
  ctx: BackupContext;
  /** Superuser connections to the cluster's app database. */
  admin: pg.Pool;
  /** The owner role's connections (tables made here are the app's, like a migration's). */
  owner: pg.Pool;
  /** Closes the segment in progress and waits until the archive has it (instead of archive_timeout). */
  flushWal(): Promise<void>;
  stop(): Promise<void>;
}

/** Fails at once, and says how to fix it, when pgBackRest is missing. */
export async function requirePgbackrest(): Promise<string> {
  const found = await findPgbackrest(testConfig());
  if (!found) throw new Error('pgBackRest is not installed: the backup tests need it (sudo apt-get install -y pgbackrest; .ci/run does this)');
  return found;
}

/** A directory the database's system user owns, for repositories outside DATA_DIR ("off-host"). */
export async function userOwnedDir(label: string): Promise<string> {
  const dir = scratchPath(label);
  await fs.mkdir(dir, { recursive: true, mode: 0o750 });
  const user = await serverSystemUser();
  await fs.chown(dir, user.uid, user.gid);
  return dir;
}

export async function startBackupCluster(label: string, env: Env = {}): Promise<BackupCluster> {
  await requirePgbackrest();
  const dataDir = scratchPath(`backup-${label}`);
  await fs.mkdir(dataDir, { recursive: true });
  const config = testConfig({ DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()), ...env });
  const prepared = await prepareDatabase(config, () => undefined, { kind: 'app' });
  if (!prepared.backups) throw new Error(`no backups: ${prepared.backupsUnavailable}`);
  // No initModels: the models stay bound to the shared test database; the backup services use SQL only.
  const db = openDatabase(prepared.urls, 2);
  const admin = new pg.Pool({ connectionString: inDatabase(prepared.adminUrl!, prepared.roles.database), max: 2 });
  admin.on('error', () => undefined);
  const owner = new pg.Pool({ connectionString: prepared.urls.owner, max: 2 });
  owner.on('error', () => undefined);
  const setup = prepared.backups;
  return {
    dataDir, config, prepared, setup, db, admin, owner,
    ctx: { setup, sequelize: db.sequelize },
    flushWal: () => flushWal(inDatabase(prepared.adminUrl!, prepared.roles.database)),
    async stop() {
      await db.close().catch(() => undefined);
      await admin.end().catch(() => undefined);
      await owner.end().catch(() => undefined);
      await prepared.stop().catch(() => undefined);
      await removeDir(dataDir);
    },
  };
}

export function inDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}


/** Every file under a directory, recursively. */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

/** A fresh DATA_DIR holding only the escrowed secrets.json of `from`. */
export async function restoreTarget(from: string, label: string): Promise<string> {
  const dir = scratchPath(`restore-${label}`);
  await fs.mkdir(dir, { recursive: true });
  await fs.copyFile(path.join(from, 'secrets.json'), path.join(dir, 'secrets.json'));
  return dir;
}

export const pgbackrestVersion = () => execFileSync('pgbackrest', ['version']).toString().trim();
