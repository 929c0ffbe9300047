// npm run seed — seeds the demo client into an empty database and prints its logins.
import { loadConfig } from '../config/index.ts';
import { prepareDatabase } from '../services/database/bootstrap.ts';
import { demoLoginLines, readDemoLogins, seedDemoIfEmpty } from '../services/demo/seed.ts';
import { runScript, say } from './cli.ts';

runScript(async () => {
  const config = loadConfig();
  const server = await prepareDatabase(config, say);
  try {
    const created = await seedDemoIfEmpty(server.urls, { dataDir: config.dataDir, bcryptCost: config.bcryptCost, onProgress: say });
    const logins = created ?? (await readDemoLogins(config.dataDir));
    say(created ? 'Demo client created.' : 'The database already has clients; nothing seeded.');
    for (const line of demoLoginLines(logins, config.baseUrl)) say(line);
  } finally {
    await server.stop();
  }
});
