// Starts PlanTRAK: database (embedded under var/ unless DATABASE_URL), migrations, demo seed on
// first run, the web server and the jobs; stops all of it cleanly on Ctrl-C / SIGTERM.
import type { Server } from 'node:http';
import { buildApp } from './app.ts';
import { ConfigError, loadConfig } from './config/index.ts';
import { startBackupJob } from './jobs/backups.ts';
import { startEventGenerationJob } from './jobs/event-generation.ts';
import { startMailDeliveryJob } from './jobs/mail-delivery.ts';
import { notificationJob } from './jobs/notifications.ts';
import { startPruningJob } from './jobs/pruning.ts';
import { loggableError, logger, setLogLevel } from './lib/logger.ts';
import { initModels, openDatabase } from './models/index.ts';
import { prepareDatabase } from './services/database/bootstrap.ts';
import { loadLocalSecrets } from './services/database/local-secrets.ts';
import { demoLoginLines, readDemoLogins, seedDemoIfEmpty } from './services/demo/seed.ts';
import { MailDelivery } from './services/mail/delivery.ts';
import { recordVersionsIfChanged } from './services/operations/versions.ts';
import { createMailTransport } from './services/mail/transport.ts';

const say = (message: string) => process.stdout.write(`${message}\n`);

async function main(): Promise<void> {
  const config = loadConfig();
  setLogLevel(config.logLevel);
  say(`PlanTRAK starting (${config.env}) …`);
  // The app owns the embedded server: it adopts one an earlier run left behind (killed hard).
  const prepared = await prepareDatabase(config, say, { kind: 'app' });
  const db = openDatabase(prepared.urls, config.poolMax, { readOnly: config.readOnly, replicaUrl: config.replica?.url });
  initModels(db.sequelize);
  // The update and patch log: a row whenever what runs changed since the last start.
  if (await recordVersionsIfChanged(db.sequelize, config.projectRoot)) say('Recorded the running versions in the update log.');
  if (config.env !== 'production') await seedDemoIfEmpty(prepared.urls, { dataDir: config.dataDir, bcryptCost: config.bcryptCost, onProgress: say });

  const transport = createMailTransport({ smtpUrl: config.smtpUrl, mailDir: config.mailDir, from: config.mailFrom });
  const stopMail = startMailDeliveryJob(new MailDelivery(db.sequelize, transport));
  const sessionSecret = config.sessionSecret ?? prepared.sessionSecret;
  if (!sessionSecret) throw new ConfigError('SESSION_SECRET is required with DATABASE_URL');
  const notifications = notificationJob(db.sequelize, { baseUrl: config.baseUrl, secret: sessionSecret });
  const stopPruning = startPruningJob(db.sequelize);
  const stopGeneration = startEventGenerationJob(db.sequelize, { afterPass: notifications.afterGeneration });
  // Outside production (config refuses it there) a missing key is generated into var/secrets.json.
  const dataEncryptionKey = config.dataEncryptionKey ?? (await loadLocalSecrets(config.dataDir)).dataEncryptionKey;
  // Backups on their schedule, when pgBackRest archives this server's WAL.
  const localSecrets = prepared.embedded ? await loadLocalSecrets(config.dataDir) : undefined;
  const stopBackups = prepared.backups && localSecrets
    ? startBackupJob({ setup: prepared.backups, sequelize: db.sequelize }, {
        lockUrl: prepared.urls.app, markerMinutes: config.backups.markerMinutes, superuserPassword: localSecrets.superuser,
        database: prepared.roles.database, alert: { baseUrl: config.baseUrl, alertEmail: config.backups.alertEmail },
      })
    : async () => undefined;
  const app = buildApp({ config, db, sessionSecret, dataEncryptionKey, backups: { available: Boolean(prepared.backups), unavailable: prepared.backupsUnavailable } });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.on('error', reject);
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`\n${signal}: stopping …`);
    stopMail();
    stopPruning();
    await stopGeneration();
    await stopBackups();
    await notifications.stop();
    await new Promise((resolve) => server.close(resolve));
    server.closeAllConnections();
    transport.close();
    await db.close();
    await prepared.stop();
    say('Stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  say(`\nPlanTRAK is running at ${config.baseUrl}`);
  say(prepared.backups ? `Backups: WAL archived to ${prepared.backups.repoPaths.daily} and ${prepared.backups.repoPaths.monthly} (encrypted); the daily, monthly and restore-check schedule runs.` : `Backups: none. ${prepared.backupsUnavailable ?? ''}`);
  if (config.replica) say(`Reports and downloads read from DATABASE_REPLICA_URL while it lags at most ${config.replica.maxLagSeconds} s (else the primary).`);
  say(config.smtpUrl ? 'Mail goes out through SMTP_URL.' : `No SMTP_URL: mail is kept in the outbox and written to ${config.mailDir}/`);
  const logins = config.env === 'production' ? [] : await readDemoLogins(config.dataDir);
  for (const line of demoLoginLines(logins, config.baseUrl)) say(line);
  say('\nPress Ctrl-C to stop.');
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
  else {
    logger.fatal({ err: loggableError(error) }, 'start-up failed');
    process.stderr.write(`PlanTRAK could not start: ${(error as Error).message}\n`);
  }
  process.exit(1);
});
