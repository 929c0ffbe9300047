// npm run backup:verify   a random restore check now: a random backup restored to a random recorded
// moment after it, into a scratch directory, started and compared table by table with what the
// live database held then. Recorded in restore_checks; a failure exits 1 and mails the Technical Director.
import { loadConfig } from '../config/index.ts';
import { setLogLevel } from '../lib/logger.ts';
import { openDatabase } from '../models/index.ts';
import { withBackupLock } from '../services/backups/lock.ts';
import { INSTALL_HINT } from '../services/backups/pgbackrest.ts';
import { flushWal, recordMarker } from '../services/backups/runs.ts';
import { verifyRandomRestore } from '../services/backups/verify.ts';
import { prepareDatabase } from '../services/database/bootstrap.ts';
import { loadLocalSecrets } from '../services/database/local-secrets.ts';
import { runScript, say } from './cli.ts';

runScript(async () => {
  if (process.argv.length > 2) throw new Error(`unknown option ${process.argv[2]}; usage: npm run backup:verify`);
  const config = loadConfig();
  setLogLevel(config.logLevel);
  const prepared = await prepareDatabase(config, say);
  const db = openDatabase(prepared.urls, 2);
  let passed = false;
  try {
    if (!prepared.backups) throw new Error(`${prepared.backupsUnavailable ?? 'Backups are not set up.'} ${prepared.embedded ? INSTALL_HINT : ''}`.trim());
    const setup = prepared.backups;
    const secrets = await loadLocalSecrets(config.dataDir);
    const result = await withBackupLock(prepared.urls.app, { wait: true, onWait: () => say('Another backup or restore check is running; waiting for it to finish …') }, async () => {
      // A moment to restore to after the newest backup, even right after one: a marker, then a
      // later commit (a second marker, for the next check), each pushed to the archive.
      if (prepared.adminUrl) {
        say('Recording a restore marker and pushing it to the WAL archive …');
        for (let i = 0; i < 2; i += 1) {
          await recordMarker(db.sequelize);
          await flushWal(prepared.adminUrl);
        }
      } else await recordMarker(db.sequelize).catch(() => undefined);
      return verifyRandomRestore({ setup, sequelize: db.sequelize, onProgress: say }, {
        trigger: 'command', superuserPassword: secrets.superuser, database: prepared.roles.database,
        alert: { baseUrl: config.baseUrl, alertEmail: config.backups.alertEmail },
      });
    });
    passed = Boolean(result?.passed);
  } finally {
    await db.close();
    await prepared.stop();
  }
  if (!passed) throw new Error('the restore check failed (see above; recorded in restore_checks and on the admin Backups page)');
});
