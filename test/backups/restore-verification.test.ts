// backup:verify proves a backup by restoring it: a passing check is recorded; a corrupted
// repository file makes the check fail loudly (recorded, and mailed to the Technical Director).
import fs from 'node:fs/promises';
import { expect } from 'chai';
import { recordMarker, runBackup } from '../../services/backups/runs.ts';
import { verifyRandomRestore } from '../../services/backups/verify.ts';
import { loadLocalSecrets } from '../../services/database/local-secrets.ts';
import { type BackupCluster, filesUnder, startBackupCluster } from '../support/backup-cluster.ts';

describe('random restore verification', function () {
  this.timeout(180_000);
  let cluster: BackupCluster | undefined;
  let label: string;
  before(async () => {
    const c = (cluster = await startBackupCluster('verify'));
    await c.owner.query(`INSERT INTO staff_users (email, name, role, status) VALUES ('td@vendor.example', 'Tess Director', 'technical_director', 'active')`);
    await c.owner.query('CREATE TABLE ledger (n integer PRIMARY KEY, note text)');
    await c.owner.query(`INSERT INTO ledger SELECT n, 'before the backup' FROM generate_series(1, 200) n`);
    label = (await runBackup(c.ctx, 'daily', { trigger: 'command' })).backup.label;
    await c.owner.query(`INSERT INTO ledger SELECT n, 'after the backup' FROM generate_series(201, 300) n`);
    await recordMarker(c.db.sequelize);
    await c.flushWal();
    // Written after the marker: a restore to the marker must not hold these.
    await c.owner.query(`INSERT INTO ledger SELECT n, 'after the marker' FROM generate_series(301, 350) n`);
    await c.owner.query(`DELETE FROM ledger WHERE n <= 10`);
    await c.flushWal();
  });
  after(async () => cluster?.stop());

  const verify = async () => {
    const c = cluster!;
    const secrets = await loadLocalSecrets(c.dataDir);
    return verifyRandomRestore(c.ctx, { trigger: 'command', superuserPassword: secrets.superuser, database: c.prepared.roles.database, alert: { baseUrl: 'http://plantrak.test' } });
  };

  it('records a passing check: the restored copy holds exactly what the marker recorded', async () => {
    const result = await verify();
    expect(result.error, result.error).to.equal(undefined);
    expect(result.passed).to.equal(true);
    expect(result.backup!.label).to.equal(label);
    const { rows } = await cluster!.admin.query(`SELECT status, tier, backup_label, marker_id::text, tables_checked, target_time FROM restore_checks WHERE id = $1`, [result.checkId]);
    expect(rows[0]).to.include({ status: 'passed', tier: 'daily', backup_label: label, marker_id: result.markerId });
    expect(rows[0].tables_checked).to.be.greaterThan(20);
    expect(rows[0].target_time).to.be.an.instanceOf(Date);
    // The scratch directory is gone.
    expect(await fs.readdir(`${cluster!.dataDir}/restore-checks`)).to.deep.equal([]);
  });

  it('fails loudly when a repository file is corrupted', async () => {
    const c = cluster!;
    const files = (await filesUnder(`${c.setup.repoPaths.daily}/backup`)).filter((f) => f.includes(`/${label}/pg_data/`));
    const sizes = await Promise.all(files.map(async (f) => ({ f, size: (await fs.stat(f)).size })));
    const biggest = sizes.sort((a, b) => b.size - a.size)[0]!;
    const bytes = await fs.readFile(biggest.f);
    for (let i = 64; i < Math.min(bytes.length, 64 + 256); i++) bytes[i] = bytes[i]! ^ 0xff;
    await fs.writeFile(biggest.f, bytes);
    await c.admin.query('DELETE FROM mail_outbox');

    const result = await verify();
    expect(result.passed).to.equal(false);
    expect(result.error).to.match(/pgbackrest restore failed/);
    const { rows } = await c.admin.query(`SELECT status, error FROM restore_checks WHERE id = $1`, [result.checkId]);
    expect(rows[0].status).to.equal('failed');
    expect(rows[0].error).to.equal(result.error);
    const mail = await c.admin.query(`SELECT to_address, subject FROM mail_outbox WHERE kind = 'backup_alert'`);
    expect(mail.rows).to.deep.equal([{ to_address: 'td@vendor.example', subject: 'PlanTRAK: a restore check of the backups failed' }]);
  });
});
