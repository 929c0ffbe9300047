// npm run events:generate   materialise due events for every client now (the job's pass, once),
//                           then run the self-check (active items without a future occurrence).
import { loadConfig } from '../config/index.ts';
import { setLogLevel } from '../lib/logger.ts';
import { initModels, openDatabase } from '../models/index.ts';
import { prepareDatabase } from '../services/database/bootstrap.ts';
import { allClientIds, findItemsWithoutFutureOccurrence, generateEvents } from '../services/events/generation.ts';
import { runScript, say } from './cli.ts';

runScript(async () => {
  const config = loadConfig();
  setLogLevel(config.logLevel);
  const prepared = await prepareDatabase(config, say);
  // One connection holds the client's lock while two insert.
  const db = openDatabase(prepared.urls, 3);
  initModels(db.sequelize);
  try {
    const started = Date.now();
    const clientIds = await allClientIds(db.sequelize);
    say(`Generating events for ${clientIds.length} client(s) …`);
    const totals = { clients: 0, items: 0, created: 0, skipped: 0 };
    for (const [i, clientId] of clientIds.entries()) {
      const r = await generateEvents(db.sequelize, { clientIds: [clientId] });
      totals.clients += r.clients;
      totals.items += r.items;
      totals.created += r.created;
      totals.skipped += r.skippedClients.length;
      say(`  [${i + 1}/${clientIds.length}] client ${clientId}: ${r.skippedClients.length ? 'skipped (another process is generating it)' : `${r.items} item(s), ${r.created} event(s) created`}`);
    }
    say(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${totals.clients} client(s), ${totals.items} active item(s), ${totals.created} event(s) created${totals.skipped ? `, ${totals.skipped} client(s) skipped` : ''}.`);
    const missing = await findItemsWithoutFutureOccurrence(db.sequelize, new Date(), { clientIds });
    say(missing.length ? `Self-check: ${missing.length} active plan item(s) without a future occurrence:` : 'Self-check: every active plan item has a future occurrence.');
    for (const m of missing) say(`  client ${m.clientId} facility ${m.facilityId} plan item ${m.planItemId}`);
  } finally {
    await db.close();
    await prepared.stop();
  }
});
