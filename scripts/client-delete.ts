// npm run client:delete -- <client>
//   deletes every row of a suspended client in one transaction (as the owner role), after the
//   client's exact name is typed as confirmation; records the deletion in the vendor-level audit
//   log with the rows per table and how long backups still hold the data. Export it first.
import readline from 'node:readline/promises';
import { loadConfig } from '../config/index.ts';
import { setLogLevel } from '../lib/logger.ts';
import { prepareDatabase } from '../services/database/bootstrap.ts';
import { OffboardingError, deleteClient } from '../services/operations/offboarding.ts';
import { runScript, say } from './cli.ts';

/** One line from the terminal (or from a pipe); empty when input ends first. */
async function typed(question: string): Promise<string> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  const closed = new Promise<string>((resolve) => rl.once('close', () => resolve('')));
  try {
    return (await Promise.race([rl.question(question), closed])).trim();
  } finally {
    rl.close();
  }
}

runScript(async () => {
  const names = process.argv.slice(2);
  if (names.length !== 1) throw new OffboardingError('Usage: npm run client:delete -- <client id or exact name>');
  const config = loadConfig();
  setLogLevel(config.logLevel);
  const prepared = await prepareDatabase(config, say);
  try {
    say(`This deletes every row of the client "${names[0]}" for good. Backups still hold it until their retention ends.`);
    const confirmation = await typed('Type the client\'s name to confirm: ');
    const done = await deleteClient(prepared.urls.owner, names[0]!, confirmation, config.backups.monthlyKeep);
    const total = Object.values(done.rows).reduce((a, b) => a + b, 0);
    say(`Deleted ${done.client.name} (${done.client.id}): ${total} row(s).`);
    for (const [table, n] of Object.entries(done.rows)) if (n) say(`  ${table}: ${n}`);
    say(done.backups);
  } finally {
    await prepared.stop();
  }
});
