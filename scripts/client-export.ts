// npm run client:export -- <client> [--out <dir>]
//   writes the client's full export (the workbook and documents ZIP an Administrator downloads)
//   as the system actor, so it works for a suspended client; <client> is its id or exact name.
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../config/index.ts';
import { setLogLevel } from '../lib/logger.ts';
import { initModels, openDatabase } from '../models/index.ts';
import { prepareDatabase } from '../services/database/bootstrap.ts';
import { OffboardingError, exportClientToFile, findClient } from '../services/operations/offboarding.ts';
import { runScript, say } from './cli.ts';

runScript(async () => {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  const outDir = outAt >= 0 ? args[outAt + 1] : undefined;
  const names = args.filter((_a, i) => outAt < 0 || (i !== outAt && i !== outAt + 1));
  if (names.length !== 1 || (outAt >= 0 && !outDir)) throw new OffboardingError('Usage: npm run client:export -- <client id or exact name> [--out <dir>]');
  const config = loadConfig();
  setLogLevel(config.logLevel);
  const prepared = await prepareDatabase(config, say);
  try {
    const owner = new pg.Client({ connectionString: prepared.urls.owner });
    await owner.connect();
    const client = await findClient(owner, names[0]!).finally(() => owner.end());
    const db = openDatabase(prepared.urls, 2);
    initModels(db.sequelize);
    try {
      const file = await exportClientToFile(db.sequelize, client.id, path.resolve(outDir ?? path.join(config.dataDir, 'exports')));
      say(`Exported ${client.name} (${client.status}) to ${file}`);
    } finally {
      await db.close();
    }
  } finally {
    await prepared.stop();
  }
});
