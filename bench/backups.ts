// npm run bench:backups [-- --size-mb 1024]
// Backup and restore of a database of the given size (default 1 GB) on this machine: fills a
// throw-away embedded cluster (archiving into its own encrypted repositories), takes a full daily
// backup, writes a little more, then restores to the end of the archived WAL into a fresh
// DATA_DIR and starts it. Reports times and sizes; the target (DESIGN.md §12) is a restore ≤ 10 minutes.
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../config/index.ts';
import { openDatabase } from '../models/index.ts';
import { restoreCluster } from '../services/backups/restore.ts';
import { formatBytes, runBackup } from '../services/backups/runs.ts';
import { prepareDatabase } from '../services/database/bootstrap.ts';
import { freePort } from '../lib/free-port.ts';
import { benchScratch } from './scratch.ts';

const say = (line: string) => process.stdout.write(`${line}\n`);
const RESTORE_TARGET_S = 600;

async function main(): Promise<void> {
  const sizeArg = process.argv.indexOf('--size-mb');
  const sizeMb = sizeArg > 0 ? Number(process.argv[sizeArg + 1]) : 1024;
  if (!Number.isInteger(sizeMb) || sizeMb < 16) throw new Error('--size-mb must be a whole number of at least 16');
  const scratch = await benchScratch('backups', say);
  try {
    const dataDir = path.join(scratch.dir, 'data');
    await fs.mkdir(dataDir, { recursive: true });
    const env = { NODE_ENV: 'development', LOG_LEVEL: 'silent', DB_ROLE_PREFIX: 'plantrak_bench', DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()) };
    const config = loadConfig(env);
    const prepared = await prepareDatabase(config, say, { kind: 'app' });
    scratch.defer(prepared.stop);
    if (!prepared.backups) throw new Error(`no backups: ${prepared.backupsUnavailable}`);
    const db = openDatabase(prepared.urls, 2);
    scratch.defer(() => db.close());
    const owner = new pg.Client({ connectionString: prepared.urls.owner });
    await owner.connect();
    scratch.defer(() => owner.end());

    // Rows of hex digests: about as compressible as real text columns (lz4 halves them).
    say(`Filling the database to ${sizeMb} MB …`);
    await owner.query('CREATE TABLE bench_rows (id bigint PRIMARY KEY, payload text NOT NULL)');
    const fillStarted = Date.now();
    const rowsPerMb = 8_000;
    const batch = 250_000;
    const totalRows = sizeMb * rowsPerMb;
    for (let from = 1; from <= totalRows; from += batch) {
      const to = Math.min(totalRows, from + batch - 1);
      await owner.query(`INSERT INTO bench_rows SELECT n, md5(n::text) || md5((n * 7)::text) FROM generate_series($1::bigint, $2::bigint) n`, [from, to]);
      const { rows } = await owner.query<{ size: string }>('SELECT pg_database_size(current_database())::text AS size');
      say(`  ${Math.round((to / totalRows) * 100)}% — ${formatBytes(Number(rows[0]!.size))}`);
    }
    const { rows: sized } = await owner.query<{ size: string }>('SELECT pg_database_size(current_database())::text AS size');
    const dbSize = Number(sized[0]!.size);
    say(`Filled in ${((Date.now() - fillStarted) / 1000).toFixed(1)} s: the database is ${formatBytes(dbSize)}.`);

    const backupStarted = Date.now();
    const { backup } = await runBackup({ setup: prepared.backups, sequelize: db.sequelize, onProgress: say }, 'daily', { trigger: 'command' });
    const backupSeconds = (Date.now() - backupStarted) / 1000;

    // Work after the backup, which the restore must replay from the archive.
    await owner.query(`INSERT INTO bench_rows SELECT n, 'after the backup' FROM generate_series($1::bigint, $2::bigint) n`, [totalRows + 1, totalRows + 10_000]);
    const admin = new pg.Client({ connectionString: prepared.adminUrl });
    await admin.connect();
    await admin.query('SELECT pg_switch_wal()');
    for (let i = 0; i < 300; i++) {
      const { rows } = await admin.query<{ pending: boolean }>(`SELECT last_archived_wal < pg_walfile_name(pg_current_wal_lsn()) AND last_archived_wal IS NOT NULL AS pending FROM pg_stat_archiver`);
      if (rows[0] && !rows[0].pending) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await admin.end();

    const target = path.join(scratch.dir, 'restored');
    await fs.mkdir(target);
    await fs.copyFile(path.join(dataDir, 'secrets.json'), path.join(target, 'secrets.json'));
    const restoreStarted = Date.now();
    const restored = await restoreCluster(config, { target, tier: 'daily', port: await freePort(), executable: prepared.backups.executable, onProgress: say, keepRunning: true });
    const restoreSeconds = (Date.now() - restoreStarted) / 1000;
    scratch.defer(() => restored.server!.stop());
    const check = new pg.Client({ connectionString: restored.server!.adminUrl.replace(/\/postgres$/, `/${prepared.roles.database}`) });
    await check.connect();
    const { rows: counted } = await check.query<{ n: string }>('SELECT count(*)::text AS n FROM bench_rows');
    await check.end();
    if (Number(counted[0]!.n) !== totalRows + 10_000) throw new Error(`the restored copy holds ${counted[0]!.n} rows, not ${totalRows + 10_000}`);

    say('\nResults');
    say(`  database size          ${formatBytes(dbSize)}`);
    say(`  full backup            ${backupSeconds.toFixed(1)} s  (${formatBytes(backup.size)} of data, ${formatBytes(backup.repoSize)} in the repository, lz4 + AES-256)`);
    say(`  restore + WAL replay   ${restoreSeconds.toFixed(1)} s  (target ≤ ${RESTORE_TARGET_S} s for 1 GB: ${restoreSeconds <= RESTORE_TARGET_S ? 'met' : 'MISSED'})`);
    say(`  rows checked           ${counted[0]!.n}`);
  } finally {
    await scratch.cleanup();
  }
}

main().then(() => process.exit(0), (error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).message}\n`);
  process.exit(1);
});
