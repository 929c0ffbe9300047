// npm run events:generate   materialise due events for every client now (the job's pass, once),
//                           then run the self-check (active items without a future occurrence).
import { loadConfig } from '../config/index.ts';
import { setLogLevel } from '../lib/logger.ts';
import { initModels, openDatabase } from '../models/index.ts';
import { prepareDatabase } from '../services/database/bootstrap.ts';
import { type GenerationFailure, allClientIds, findItemsWithoutFutureOccurrence, generateEvents } from '../services/events/generation.ts';
import { runScript, say } from './cli.ts';

runScript(async () => {
  const config = loadConfig();
  setLogLevel(config.logLevel);
  const prepared = await prepareDatabase(config, say);
  // One connection holds the client's lock while two insert.
  const db = openDatabase(prepared.urls, 3, { readOnly: config.readOnly });
  initModels(db.sequelize);
  try {
    const started = Date.now();
    const clientIds = await allClientIds(db.sequelize);
    say(`Generating events for ${clientIds.length} client(s) …`);
    const totals = { clients: 0, items: 0, created: 0, skipped: 0 };
    const failures: GenerationFailure[] = [];
    for (const [i, clientId] of clientIds.entries()) {
      const r = await generateEvents(db.sequelize, { clientIds: [clientId] });
      totals.clients += r.clients;
      totals.items += r.items;
      totals.created += r.created;
      totals.skipped += r.skippedClients.length;
      failures.push(...r.failures);
      const failed = r.failures.length ? `, ${r.failures.some((f) => !f.planItemId) ? 'FAILED' : `${r.failures.length} item(s) failed`} (see the self-check below)` : '';
      say(`  [${i + 1}/${clientIds.length}] client ${clientId}: ${r.skippedClients.length ? 'skipped (another process is generating it)' : `${r.items} item(s), ${r.created} event(s) created`}${failed}`);
    }
    say(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${totals.clients} client(s), ${totals.items} active item(s), ${totals.created} event(s) created${totals.skipped ? `, ${totals.skipped} client(s) skipped` : ''}.`);
    const found = await findItemsWithoutFutureOccurrence(db.sequelize, new Date(), { clientIds, generationFailures: failures });
    const ended = found.filter((f) => !f.failure);
    const failing = found.filter((f) => f.failure);
    say(ended.length ? `Self-check: ${ended.length} active plan item(s) without a future occurrence:` : 'Self-check: every active plan item has a future occurrence.');
    for (const m of ended) say(`  client ${m.clientId} facility ${m.facilityId} plan item ${m.planItemId}`);
    const failedClients = failures.filter((f) => !f.planItemId);
    if (failing.length || failedClients.length) {
      say(`Self-check: ${failing.length} active plan item(s) failing event generation${failedClients.length ? ` and ${failedClients.length} client(s) whose generation failed` : ''} (also on the admin errors page):`);
      for (const m of failing) say(`  client ${m.clientId} facility ${m.facilityId} plan item ${m.planItemId}: ${m.failure}`);
      for (const f of failedClients) say(`  client ${f.clientId}: ${f.error}`);
    }
  } finally {
    await db.close();
    await prepared.stop();
  }
});
