// The repositories hold only ciphertext: a marker string written to the database appears in no
// file of either repository (backups and archived WAL), and every file is OpenSSL-encrypted.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import { expect } from 'chai';
import { runBackup } from '../../services/backups/runs.ts';
import { type BackupCluster, filesUnder, startBackupCluster } from '../support/backup-cluster.ts';

describe('backup repositories are encrypted', function () {
  this.timeout(120_000);
  let cluster: BackupCluster | undefined;
  after(async () => cluster?.stop());

  it('stores no plaintext of what the database holds, in the daily and monthly repositories', async () => {
    cluster = await startBackupCluster('encrypted');
    const marker = `PLAINTEXT-MARKER-${randomUUID()}`;
    await cluster.owner.query('CREATE TABLE probe (note text)');
    await cluster.owner.query('INSERT INTO probe (note) VALUES ($1)', [marker]);
    // In a base backup (the table's file) and, written after it, in archived WAL only.
    const daily = await runBackup(cluster.ctx, 'daily', { trigger: 'command' });
    const monthly = await runBackup(cluster.ctx, 'monthly', { trigger: 'command' });
    expect(daily.backup.type).to.equal('full');
    expect(monthly.backup.tier).to.equal('monthly');
    await cluster.owner.query('INSERT INTO probe (note) VALUES ($1)', [`${marker}-after`]);
    await cluster.flushWal();

    const needle = Buffer.from('PLAINTEXT-MARKER-');
    let checked = 0;
    for (const repo of [cluster.setup.repoPaths.daily, cluster.setup.repoPaths.monthly]) {
      const files = await filesUnder(repo);
      expect(files.some((f) => f.includes('/archive/')), `${repo} has archived WAL`).to.equal(true);
      expect(files.some((f) => f.includes('/backup/') && f.includes('/pg_data/')), `${repo} has a backup`).to.equal(true);
      for (const file of files) {
        const bytes = await fs.readFile(file);
        expect(bytes.includes(needle), `${file} holds the marker in plaintext`).to.equal(false);
        if (bytes.length) expect(bytes.subarray(0, 8).toString('latin1'), `${file} is not encrypted`).to.equal('Salted__');
        checked += 1;
      }
    }
    expect(checked).to.be.greaterThan(20);
    // And the database itself really holds it (the check above is not vacuous).
    const { rows } = await cluster.admin.query('SELECT count(*)::int AS n FROM probe WHERE note LIKE $1', [`${marker}%`]);
    expect(rows[0].n).to.equal(2);
    const [run] = (await cluster.admin.query(`SELECT status, label, size_bytes, wal_start, wal_stop FROM backup_runs WHERE tier = 'daily'`)).rows;
    expect(run).to.include({ status: 'succeeded', label: daily.backup.label });
    expect(Number(run.size_bytes)).to.be.greaterThan(0);
    expect(run.wal_start).to.match(/^[0-9A-F]{24}$/);
  });
});
