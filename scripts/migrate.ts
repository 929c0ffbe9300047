// npm run migrate                 apply pending migrations
// npm run migrate -- down         undo the last migration
// npm run migrate -- down --all   undo every migration
// npm run migrate -- status       list applied and pending migrations
import { loadConfig } from '../config/index.ts';
import { connectServer } from '../services/database/bootstrap.ts';
import { withMigrator } from '../services/database/migrator.ts';
import { runScript, say } from './cli.ts';

runScript(async () => {
  const [command = 'up', flag] = process.argv.slice(2);
  if (!['up', 'down', 'status'].includes(command) || (flag && flag !== '--all')) {
    throw new Error('usage: npm run migrate [-- up | down [--all] | status]');
  }
  const config = loadConfig();
  const server = await connectServer(config, say);
  try {
    await withMigrator(server.urls.owner, server.roles, async (umzug) => {
      if (command === 'up') {
        const done = await umzug.up();
        say(done.length ? `Applied: ${done.map((m) => m.name).join(', ')}` : 'Nothing to apply.');
      } else if (command === 'down') {
        const done = await umzug.down(flag === '--all' ? { to: 0 } : undefined);
        say(done.length ? `Reverted: ${done.map((m) => m.name).join(', ')}` : 'Nothing to revert.');
      } else {
        for (const m of await umzug.executed()) say(`  applied  ${m.name}`);
        for (const m of await umzug.pending()) say(`  pending  ${m.name}`);
      }
    });
  } finally {
    await server.stop();
  }
});
