// npm run seed — seeds the demo client into an empty database and prints its logins.
import { loadConfig } from '../config/index.ts';
import { prepareDatabase } from '../services/database/bootstrap.ts';
import { readDemoLogins, seedDemoIfEmpty } from '../services/demo-seed.ts';
import { runScript, say } from './cli.ts';

runScript(async () => {
  const config = loadConfig();
  const server = await prepareDatabase(config, say);
  try {
    const created = await seedDemoIfEmpty(server.urls, { dataDir: config.dataDir, bcryptCost: config.bcryptCost, onProgress: say });
    const logins = created ?? (await readDemoLogins(config.dataDir));
    say(created ? 'Demo client created.' : 'The database already has clients; nothing seeded.');
    for (const l of logins) say(`  ${l.rank.padEnd(13)} ${l.email.padEnd(36)} ${l.password.padEnd(22)} ${l.scope ?? ''}`);
  } finally {
    await server.stop();
  }
});
