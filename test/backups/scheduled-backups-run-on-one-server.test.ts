// The server's backup schedule: of two servers ticking at the same moment, one backs up and the
// other finds the backup lock held; nothing runs twice, and a run staff asked for is picked up.
import { expect } from 'chai';
import { type Database, openDatabase } from '../../models/index.ts';
import { runDueBackupWork } from '../../services/backups/schedule.ts';
import { loadLocalSecrets } from '../../services/database/local-secrets.ts';
import { type BackupCluster, startBackupCluster } from '../support/backup-cluster.ts';

describe('scheduled backups', function () {
  this.timeout(180_000);
  let cluster: BackupCluster | undefined;
  let second: Database | undefined;
  after(async () => {
    await second?.close();
    await cluster?.stop();
  });

  it('run on one server at a time, each due tier once, then what staff queued', async () => {
    const c = (cluster = await startBackupCluster('schedule'));
    second = openDatabase(c.prepared.urls, 2);
    const secrets = await loadLocalSecrets(c.dataDir);
    const options = { lockUrl: c.prepared.urls.app, markerMinutes: 60, superuserPassword: secrets.superuser, database: c.prepared.roles.database };
    const servers = [{ ...c.ctx }, { setup: c.setup, sequelize: second.sequelize }];

    const results = await Promise.all(servers.map((ctx) => runDueBackupWork(ctx, options)));
    expect(results.filter((r) => r === 'busy'), JSON.stringify(results)).to.have.length(1);
    expect(results.find((r) => r !== 'busy')).to.deep.equal(['daily', 'monthly', 'marker']);
    const runs = async () => (await c.admin.query<{ tier: string; trigger: string; status: string; backup_type: string }>(
      'SELECT tier, trigger, status, backup_type FROM backup_runs ORDER BY requested_at')).rows;
    expect(await runs()).to.deep.equal([
      { tier: 'daily', trigger: 'schedule', status: 'succeeded', backup_type: 'full' },
      { tier: 'monthly', trigger: 'schedule', status: 'succeeded', backup_type: 'full' },
    ]);

    // The next tick, on either server: nothing is due yet.
    expect(await runDueBackupWork(servers[1]!, options)).to.deep.equal([]);
    expect(await runs()).to.have.length(2);

    // "Run now" on the Backups page queues a run; the next tick runs it (a differential).
    await c.owner.query(`INSERT INTO backup_runs (tier, trigger, status) VALUES ('daily', 'staff', 'queued')`);
    expect(await runDueBackupWork(servers[0]!, options)).to.deep.equal(['daily (requested)']);
    expect((await runs()).at(-1)).to.deep.equal({ tier: 'daily', trigger: 'staff', status: 'succeeded', backup_type: 'diff' });
  });
});
