// Point-in-time recovery: restored to a random moment between two commits, the cluster holds
// exactly the rows committed before it. Bad requests are refused before anything is written.
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { restoreCluster } from '../../services/backups/restore.ts';
import { runBackup } from '../../services/backups/runs.ts';
import { type BackupCluster, inDatabase, requirePgbackrest, restoreTarget, startBackupCluster } from '../support/backup-cluster.ts';
import { freePort } from '../support/env.ts';
import { removeDir } from '../support/mail-helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('point-in-time restore', function () {
  this.timeout(180_000);
  let cluster: BackupCluster | undefined;
  const dirs: string[] = [];
  before(async () => {
    cluster = await startBackupCluster('pitr');
    await cluster.owner.query('CREATE TABLE ledger (n integer PRIMARY KEY)');
    await runBackup(cluster.ctx, 'daily', { trigger: 'command' });
  });
  after(async () => {
    await cluster?.stop();
    for (const dir of dirs) await removeDir(dir);
  });

  it('returns exactly the rows committed before a random time', async () => {
    const c = cluster!;
    // pgBackRest records the backup's end in whole seconds: a target must be a second past it.
    await sleep(1_100);
    const commits: Date[] = [];
    for (let n = 1; n <= 6; n++) {
      await c.owner.query('INSERT INTO ledger (n) VALUES ($1)', [n]);
      const { rows } = await c.admin.query<{ at: Date }>('SELECT pg_xact_commit_timestamp(xmin) AS at FROM ledger WHERE n = $1', [n]);
      commits.push(rows[0]!.at);
      await sleep(120);
    }
    await c.flushWal();
    const kept = 1 + Math.floor(Math.random() * 5); // 1 … 5 rows
    const time = new Date((commits[kept - 1]!.getTime() + commits[kept]!.getTime()) / 2);

    const target = await restoreTarget(c.dataDir, 'pitr');
    dirs.push(target);
    const restored = await restoreCluster(c.config, { target, time, tier: 'daily', port: await freePort(), executable: await requirePgbackrest(), keepRunning: true });
    try {
      const client = new pg.Client({ connectionString: inDatabase(restored.server!.adminUrl, c.prepared.roles.database) });
      await client.connect();
      const { rows } = await client.query<{ n: number }>('SELECT n FROM ledger ORDER BY n');
      await client.end();
      expect(rows.map((r) => r.n), `restored to ${time.toISOString()}`).to.deep.equal(Array.from({ length: kept }, (_, i) => i + 1));
    } finally {
      await restored.server!.stop();
    }
  });

  it('refuses a target that is not empty, and leaves it as it was', async () => {
    const target = await restoreTarget(cluster!.dataDir, 'not-empty');
    dirs.push(target);
    await fs.writeFile(path.join(target, 'keep.txt'), 'mine');
    const error = await restoreCluster(cluster!.config, { target, tier: 'daily', port: await freePort(), executable: await requirePgbackrest() }).catch((e: Error) => e);
    expect((error as Error).message).to.match(/is not empty \(keep\.txt\)/);
    expect((await fs.readdir(target)).sort()).to.deep.equal(['keep.txt', 'secrets.json']);
  });

  it('refuses a time before every backup, and one in the future', async () => {
    for (const [time, message] of [[new Date('2001-01-01T00:00:00Z'), /before the oldest backup/], [new Date(Date.now() + 3_600_000), /in the future/]] as const) {
      const target = await restoreTarget(cluster!.dataDir, 'out-of-range');
      dirs.push(target);
      const error = await restoreCluster(cluster!.config, { target, time, tier: 'daily', port: await freePort(), executable: await requirePgbackrest() }).catch((e: Error) => e);
      expect((error as Error).message).to.match(message);
      expect(await fs.stat(path.join(target, 'postgres')).catch(() => null), 'no cluster was written').to.equal(null);
    }
  });
});
