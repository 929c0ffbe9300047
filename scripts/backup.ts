// npm run backup                 the daily tier now (a full backup weekly, a differential otherwise)
// npm run backup -- --monthly    the monthly archival tier (a full backup)
// Beside a running server (it uses that server's PostgreSQL), or alone (it starts and stops one).
import { loadConfig } from '../config/index.ts';
import { setLogLevel } from '../lib/logger.ts';
import { initModels, openDatabase } from '../models/index.ts';
import { withBackupLock } from '../services/backups/lock.ts';
import { INSTALL_HINT } from '../services/backups/pgbackrest.ts';
import { runBackup } from '../services/backups/runs.ts';
import { prepareDatabase } from '../services/database/bootstrap.ts';
import { runScript, say } from './cli.ts';

runScript(async () => {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--monthly' && a !== '--daily');
  if (unknown.length) throw new Error(`unknown option ${unknown[0]}; usage: npm run backup [-- --monthly]`);
  const tier = args.includes('--monthly') ? 'monthly' : 'daily';
  const config = loadConfig();
  setLogLevel(config.logLevel);
  const prepared = await prepareDatabase(config, say);
  const db = openDatabase(prepared.urls, 2);
  initModels(db.sequelize);
  try {
    if (!prepared.backups) throw new Error(`${prepared.backupsUnavailable ?? 'Backups are not set up.'} ${prepared.embedded ? INSTALL_HINT : ''}`.trim());
    const setup = prepared.backups;
    await withBackupLock(prepared.urls.app, { wait: true, onWait: () => say('Another backup or restore check is running; waiting for it to finish …') }, () =>
      runBackup({ setup, sequelize: db.sequelize, onProgress: say }, tier, { trigger: 'command' }),
    );
  } finally {
    await db.close();
    await prepared.stop();
  }
});
