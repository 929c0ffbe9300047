// npm run notifications:run   one notification pass now (the job's, once): plan, settle what went
// stale, and queue what is due; the outbox delivers it (SMTP_URL, or .eml files under var/mail/).
import { loadConfig } from '../config/index.ts';
import { setLogLevel } from '../lib/logger.ts';
import { initModels, openDatabase } from '../models/index.ts';
import { prepareDatabase } from '../services/database/bootstrap.ts';
import { loadLocalSecrets } from '../services/database/local-secrets.ts';
import { allClientIds } from '../services/events/generation.ts';
import { MailDelivery } from '../services/mail/delivery.ts';
import { createMailTransport } from '../services/mail/transport.ts';
import { runNotificationPass } from '../services/notifications/pass.ts';
import { runScript, say } from './cli.ts';

runScript(async () => {
  const config = loadConfig();
  setLogLevel(config.logLevel);
  const prepared = await prepareDatabase(config, say);
  const db = openDatabase(prepared.urls, 2, { readOnly: config.readOnly });
  initModels(db.sequelize);
  const transport = createMailTransport({ smtpUrl: config.smtpUrl, mailDir: config.mailDir, from: config.mailFrom });
  try {
    const secret = config.sessionSecret ?? prepared.sessionSecret ?? (await loadLocalSecrets(config.dataDir)).sessionSecret;
    const clientIds = await allClientIds(db.sequelize);
    say(`Notification pass for ${clientIds.length} client(s) …`);
    const totals = { planned: 0, skipped: 0, messages: 0 };
    for (const [i, clientId] of clientIds.entries()) {
      const r = await runNotificationPass(db.sequelize, { clientIds: [clientId], baseUrl: config.baseUrl, secret });
      totals.planned += r.planned;
      totals.skipped += r.skipped;
      totals.messages += r.messages;
      say(`  [${i + 1}/${clientIds.length}] client ${clientId}: ${r.busyClients.length ? 'skipped (another process is notifying it)' : `${r.planned} notice(s) planned, ${r.skipped} skipped as stale, ${r.messages} message(s) queued`}`);
    }
    const sent = await new MailDelivery(db.sequelize, transport).deliverDue();
    say(`Done: ${totals.planned} planned, ${totals.skipped} skipped, ${totals.messages} message(s) queued, ${sent} delivered now${config.smtpUrl ? '' : ` (written to ${config.mailDir}/)`}.`);
  } finally {
    transport.close();
    await db.close();
    await prepared.stop();
  }
});
