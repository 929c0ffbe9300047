// A throw-away primary and a streaming hot standby from Debian's postgresql-15 (initdb, pg_ctl,
// pg_basebackup -R), run as the database's system user ('postgres' when we are root), TCP on
// 127.0.0.1 only; the app's database, roles and migrations provisioned on the primary as in
// production. .ci/run installs postgresql-15.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { DatabaseUrls } from '../../config/index.ts';
import { freePort } from '../../lib/free-port.ts';
import { serverSystemUser } from '../../services/database/embedded.ts';
import { migrateUp } from '../../services/database/migrator.ts';
import { provisionDatabase } from '../../services/database/provision.ts';
import { roleNames, urlFor } from '../../services/database/roles.ts';
import { inDatabase } from './backup-cluster.ts';
import { TEST_PASSWORDS } from './env.ts';
import { removeDir, scratchPath } from './mail-helpers.ts';

export const PG_BIN = '/usr/lib/postgresql/15/bin';
const SUPERUSER_PASSWORD = 'streaming-superuser-pw';
const run = promisify(execFile);

export interface StreamingPair {
  /** The primary's URLs for the app's roles, provisioned and migrated. */
  urls: DatabaseUrls;
  /** The runtime role on the standby (what DATABASE_REPLICA_URL names). */
  replicaUrl: string;
  /** Superuser connections to the app's database on each server. */
  primaryAdmin: pg.Pool;
  standbyAdmin: pg.Pool;
  stopStandby(): Promise<void>;
  startStandby(): Promise<void>;
  /** Waits until the standby has replayed everything the primary has written so far. */
  caughtUp(): Promise<void>;
  /** Waits until the standby has received (not necessarily replayed) everything written so far. */
  received(): Promise<void>;
  stop(): Promise<void>;
}

/** Fails at once, saying how to fix it, without Debian's PostgreSQL 15. */
export function requireDebianPostgres(): void {
  if (!existsSync(path.join(PG_BIN, 'pg_ctl'))) throw new Error(`Debian's postgresql-15 is not installed (${PG_BIN}/pg_ctl): sudo apt-get install -y postgresql-15 (.ci/run does this)`);
}

/** Starts both; whatever was started is stopped and removed again if a step fails. */
export async function startStreamingPair(label: string): Promise<StreamingPair> {
  requireDebianPostgres();
  const user = await serverSystemUser();
  const root = scratchPath(`streaming-${label}`);
  const primaryDir = path.join(root, 'primary');
  const standbyDir = path.join(root, 'standby');
  const primaryPort = await freePort();
  const standbyPort = await freePort();
  const asServer = { uid: user.uid, gid: user.gid, cwd: root, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PGPASSWORD: SUPERUSER_PASSWORD, LC_ALL: 'C' } };
  const pgCtl = (dir: string, ...args: string[]) => run(path.join(PG_BIN, 'pg_ctl'), ['-D', dir, '-l', `${dir}.log`, ...args], asServer);
  const started = new Set<string>();
  const start = async (dir: string, port: number) => {
    await pgCtl(dir, '-w', '-t', '60', '-o', `-p ${port}`, 'start');
    started.add(dir);
  };
  const stopServer = async (dir: string) => {
    if (!started.has(dir)) return;
    await pgCtl(dir, '-w', '-t', '60', '-m', 'fast', 'stop');
    started.delete(dir);
  };
  const pools: pg.Pool[] = [];
  const stop = async () => {
    await Promise.allSettled(pools.map((p) => p.end()));
    for (const dir of [standbyDir, primaryDir]) await stopServer(dir).catch(() => undefined);
    await removeDir(root);
  };

  try {
    await fs.mkdir(root, { recursive: true, mode: 0o700 });
    await fs.chown(root, user.uid, user.gid);
    const pwfile = path.join(root, 'superuser-password');
    await fs.writeFile(pwfile, SUPERUSER_PASSWORD, { mode: 0o600 });
    await fs.chown(pwfile, user.uid, user.gid);
    await run(path.join(PG_BIN, 'initdb'), ['-D', primaryDir, '-U', 'postgres', `--pwfile=${pwfile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync'], asServer);
    // The standby copies these settings; fsync off: a throw-away pair need not survive a power cut.
    await fs.appendFile(path.join(primaryDir, 'postgresql.conf'), [
      "listen_addresses = '127.0.0.1'", "unix_socket_directories = ''", 'shared_buffers = 16MB', 'fsync = off',
      'wal_level = replica', 'max_wal_senders = 4', 'hot_standby = on', 'wal_receiver_status_interval = 1s', '',
    ].join('\n'));
    await start(primaryDir, primaryPort);

    const adminUrl = `postgres://postgres:${SUPERUSER_PASSWORD}@127.0.0.1:${primaryPort}/postgres`;
    const roles = roleNames('plantrak_test');
    const urls = await provisionDatabase(adminUrl, roles, TEST_PASSWORDS);
    await migrateUp(urls.owner, roles);

    await run(path.join(PG_BIN, 'pg_basebackup'), ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', standbyDir, '-R', '-X', 'stream', '-c', 'fast', '--no-sync'], asServer);
    await start(standbyDir, standbyPort);

    const standbyAdminUrl = `postgres://postgres:${SUPERUSER_PASSWORD}@127.0.0.1:${standbyPort}/postgres`;
    const pool = (url: string) => {
      const p = new pg.Pool({ connectionString: inDatabase(url, roles.database), max: 2 });
      // Idle connections are cut when the standby stops (the fallback test).
      p.on('error', () => undefined);
      pools.push(p);
      return p;
    };
    const primaryAdmin = pool(adminUrl);
    const standbyAdmin = pool(standbyAdminUrl);
    const waitFor = async (what: string, lsnFunction: string) => {
      const { rows } = await primaryAdmin.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
      for (const deadline = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 50))) {
        const found = await standbyAdmin.query<{ ok: boolean }>(`SELECT coalesce(${lsnFunction}() >= $1::pg_lsn, false) AS ok`, [rows[0]!.lsn]).catch(() => null);
        if (found?.rows[0]?.ok) return;
        if (Date.now() > deadline) throw new Error(`the standby has not ${what} ${rows[0]!.lsn} within 30 s`);
      }
    };
    const pair: StreamingPair = {
      urls,
      replicaUrl: urlFor(standbyAdminUrl, roles.app, TEST_PASSWORDS.app, roles.database),
      primaryAdmin,
      standbyAdmin,
      stopStandby: () => stopServer(standbyDir),
      startStandby: () => start(standbyDir, standbyPort),
      caughtUp: () => waitFor('replayed', 'pg_last_wal_replay_lsn'),
      received: () => waitFor('received', 'pg_last_wal_receive_lsn'),
      stop,
    };
    await pair.caughtUp();
    return pair;
  } catch (error) {
    await stop();
    throw error;
  }
}
