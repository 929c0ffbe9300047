// The update and patch log (DESIGN.md §9): what each start runs — the app's version, Node's,
// PostgreSQL's, the lockfile's hash and the migrations applied with their times — recorded as a
// new row only when something differs from the last one, so the log lists changes, not restarts.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Sequelize } from 'sequelize';
import { inUnitOfWork, sql } from '../../lib/unit-of-work.ts';

export interface RunningVersions {
  appVersion: string;
  nodeVersion: string;
  postgresVersion: string;
  lockfileSha256: string;
  migrations: Array<{ name: string; applied_at: string }>;
}

export interface VersionLogEntry extends RunningVersions {
  id: string;
  recordedAt: Date;
}

/** First key of the advisory lock that keeps two starting servers from writing the same row. */
const LOCK_KEY = 727_021;

async function fileSha256(file: string): Promise<string> {
  try {
    return createHash('sha256').update(await fs.readFile(file)).digest('hex');
  } catch {
    return 'unknown';
  }
}

/** What this process runs (read in the current unit of work, as the system actor). */
export async function runningVersions(projectRoot: string): Promise<RunningVersions> {
  const pkg = JSON.parse(await fs.readFile(path.join(projectRoot, 'package.json'), 'utf8')) as { version?: string };
  const [pgRow] = await sql<{ version: string }>('SELECT version() AS version');
  const migrations = await sql<{ name: string; applied_at: Date }>('SELECT name, applied_at FROM ops_applied_migrations()');
  return {
    appVersion: pkg.version ?? 'unknown',
    nodeVersion: process.version,
    postgresVersion: pgRow!.version,
    lockfileSha256: await fileSha256(path.join(projectRoot, 'package-lock.json')),
    migrations: migrations.map((m) => ({ name: m.name, applied_at: new Date(m.applied_at).toISOString() })),
  };
}

const sameVersions = (a: RunningVersions, b: RunningVersions) =>
  a.appVersion === b.appVersion && a.nodeVersion === b.nodeVersion && a.postgresVersion === b.postgresVersion
  && a.lockfileSha256 === b.lockfileSha256 && JSON.stringify(a.migrations) === JSON.stringify(b.migrations);

/** Newest first. */
export async function versionLog(limit = 50): Promise<VersionLogEntry[]> {
  const rows = await sql<{ id: string; recorded_at: Date; app_version: string; node_version: string; postgres_version: string; lockfile_sha256: string; migrations: RunningVersions['migrations'] }>(
    'SELECT * FROM version_log ORDER BY recorded_at DESC, id LIMIT $1', [limit]);
  return rows.map((r) => ({ id: r.id, recordedAt: r.recorded_at, appVersion: r.app_version, nodeVersion: r.node_version, postgresVersion: r.postgres_version, lockfileSha256: r.lockfile_sha256, migrations: r.migrations }));
}

/**
 * Records the running versions when they differ from the last entry; returns whether it did.
 * `versions` defaults to what this process runs (tests pass their own).
 */
export async function recordVersionsIfChanged(sequelize: Sequelize, projectRoot: string, versions?: RunningVersions): Promise<boolean> {
  return inUnitOfWork(sequelize, { actorKind: 'system', requestId: 'start:versions' }, async () => {
    await sql('SELECT pg_advisory_xact_lock($1, 0)', [LOCK_KEY]);
    const now = versions ?? (await runningVersions(projectRoot));
    const [last] = await versionLog(1);
    if (last && sameVersions(last, now)) return false;
    await sql(
      `INSERT INTO version_log (app_version, node_version, postgres_version, lockfile_sha256, migrations) VALUES ($1, $2, $3, $4, $5::jsonb)`,
      [now.appVersion, now.nodeVersion, now.postgresVersion, now.lockfileSha256, JSON.stringify(now.migrations)],
    );
    return true;
  });
}
