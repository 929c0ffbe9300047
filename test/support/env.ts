// The test environment: a real PostgreSQL (a fresh embedded cluster for each process that runs
// tests, or the server at DATABASE_URL), provisioned with the same roles as production. The app
// under test connects as the runtime role, so row-level security is really exercised; factories
// use the owner.
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { type Config, type Env, loadConfig } from '../../config/index.ts';
import { freePort } from '../../lib/free-port.ts';
import { setLogLevel } from '../../lib/logger.ts';
import { isAlive } from '../../lib/process-alive.ts';
import { type Database, initModels, openDatabase } from '../../models/index.ts';
import { ensureServerSystemUser, startEmbeddedPostgres } from '../../services/database/embedded.ts';
import { migrateUp } from '../../services/database/migrator.ts';
import { provisionDatabase } from '../../services/database/provision.ts';
import { type RoleNames, roleNames } from '../../services/database/roles.ts';
import type { DatabaseUrls } from '../../config/index.ts';

export interface TestEnv {
  config: Config;
  /** The app's own connections: runtime role (RLS applies) and session-store role. */
  db: Database;
  urls: DatabaseUrls;
  roles: RoleNames;
  /** A superuser URL on the same server, for tests that need one (creating scratch databases). */
  adminUrl: string;
  /** Owner connections, for factories and inspection; they bypass RLS. */
  owner: pg.Pool;
}

export const TEST_PASSWORDS = { owner: 'owner-test-pw', app: 'app-test-pw', session: 'session-test-pw', backup: 'backup-test-pw' };

/** Settings every test app uses unless a test overrides them. */
export const BASE_TEST_ENV: Env = {
  NODE_ENV: 'test',
  BCRYPT_COST: '4',
  LOG_LEVEL: 'silent',
  DB_POOL_MAX: '4',
  DB_ROLE_PREFIX: 'plantrak_test',
  SESSION_SECRET: 'test-session-secret-that-is-long-enough-0123456789',
  DATA_ENCRYPTION_KEY: '0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0',
  BASE_URL: 'http://plantrak.test',
};

let current: TestEnv | undefined;
let stopServer: (() => Promise<void>) | undefined;
let scratchDir: string | undefined;

export function testEnv(): TestEnv {
  if (!current) throw new Error('the test environment is not started (test/setup.ts)');
  return current;
}

export { freePort };

/** A Config for a test app, with overrides on top of the base test settings. */
export function testConfig(overrides: Env = {}): Config {
  return loadConfig({ ...BASE_TEST_ENV, DATA_DIR: scratchDir, ...overrides });
}

const varDir = path.resolve(import.meta.dirname, '../../var');
/** The run's mark, set by the process that starts the run and inherited by its parallel workers. */
const RUN_MARK = 'PLANTRAK_TEST_RUN';

/**
 * Once, in the process that starts the run: names the run, so that its workers' clusters can be
 * found at its end, and makes sure of the server's system user before workers initialise clusters.
 */
export async function prepareTestRun(): Promise<void> {
  process.env[RUN_MARK] ??= String(process.pid);
  if (!process.env.DATABASE_URL) await ensureServerSystemUser();
}

let starting: Promise<TestEnv> | undefined;

/** This process's environment, started on first use (each parallel worker has its own). */
export function ensureTestEnv(): Promise<TestEnv> {
  starting ??= startTestEnv();
  return starting;
}

async function startTestEnv(): Promise<TestEnv> {
  const roles = roleNames('plantrak_test');
  scratchDir = path.join(varDir, `test-run-${process.env[RUN_MARK] ?? process.pid}-${process.pid}`);
  await fs.rm(scratchDir, { recursive: true, force: true });
  await fs.mkdir(scratchDir, { recursive: true });

  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    // A throw-away cluster: nothing in it needs to survive a crash, so nothing waits for the disk.
    const server = await startEmbeddedPostgres({
      dataDir: scratchDir, port: await freePort(), superuserPassword: 'superuser-test-pw',
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' },
    });
    adminUrl = server.adminUrl;
    stopServer = server.stop;
  } else {
    // An external server: start from an empty test database every run.
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${roles.database}" WITH (FORCE)`);
    await admin.end();
  }
  const urls = await provisionDatabase(adminUrl, roles, TEST_PASSWORDS);
  await migrateUp(urls.owner, roles);

  const config = testConfig();
  setLogLevel(config.logLevel);
  const db = openDatabase(urls, config.poolMax);
  initModels(db.sequelize);
  const owner = new pg.Pool({ connectionString: urls.owner, max: 3 });
  // Idle connections get a termination notice when the cluster stops at the end of the run.
  owner.on('error', () => undefined);
  current = { config, db, urls, roles, adminUrl, owner };
  return current;
}

export async function stopTestEnv(): Promise<void> {
  if (current) {
    await current.db.close();
    await current.owner.end();
  }
  await stopServer?.();
  if (scratchDir) await fs.rm(scratchDir, { recursive: true, force: true });
}

/**
 * Stops and removes the clusters this run's parallel workers left: a worker ends with
 * process.exit, when its server has only just been told to stop.
 */
export async function removeWorkerClusters(): Promise<void> {
  const mine = `test-run-${process.env[RUN_MARK]}-`;
  for (const entry of (await fs.readdir(varDir).catch(() => [])).filter((e) => e.startsWith(mine))) {
    const dir = path.join(varDir, entry);
    const pid = Number((await fs.readFile(path.join(dir, 'postgres', 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
    if (pid && (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).includes(path.join(dir, 'postgres'))) {
      process.kill(pid, 'SIGINT');
      for (const deadline = Date.now() + 60_000; Date.now() < deadline && isAlive(pid); ) await new Promise((r) => setTimeout(r, 100));
    }
    await fs.rm(dir, { recursive: true, force: true });
  }
}

let tenantTables: string[] | undefined;

/** Empties every table but the migrations ledger (as owner; the runtime role cannot TRUNCATE). */
export async function truncateAll(): Promise<void> {
  const { owner } = testEnv();
  tenantTables ??= (
    await owner.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'`)
  ).rows.map((r) => `"${r.tablename}"`);
  await owner.query(`TRUNCATE ${tenantTables.join(', ')} RESTART IDENTITY CASCADE`);
}
