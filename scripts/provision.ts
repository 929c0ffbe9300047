// npm run db:provision -- <superuser-url> [prefix]
// Creates the database and its four roles on an external PostgreSQL server with fresh random
// passwords, migrates it, and prints the settings for PlanTRAK's environment.
import { randomBytes } from 'node:crypto';
import { migrateUp } from '../services/database/migrator.ts';
import { provisionDatabase } from '../services/database/provision.ts';
import { roleNames } from '../services/database/roles.ts';
import { runScript, say } from './cli.ts';

runScript(async () => {
  const [adminUrl, prefix = 'plantrak'] = process.argv.slice(2);
  if (!adminUrl || !/^postgres(ql)?:\/\//.test(adminUrl) || !/^[a-z][a-z0-9_]{0,40}$/.test(prefix)) {
    throw new Error('usage: npm run db:provision -- postgres://superuser:password@host:5432/postgres [prefix]');
  }
  const fresh = () => randomBytes(24).toString('hex');
  const roles = roleNames(prefix);
  const urls = await provisionDatabase(adminUrl, roles, { owner: fresh(), app: fresh(), session: fresh(), backup: fresh() });
  say(`Database "${roles.database}" and roles created. Migrating …`);
  await migrateUp(urls.owner, roles);
  say('\nPut these in PlanTRAK\'s environment (keep them secret):');
  say(`DATABASE_URL=${urls.owner}`);
  say(`DATABASE_APP_URL=${urls.app}`);
  say(`DATABASE_SESSION_URL=${urls.session}`);
  say(`DATABASE_BACKUP_URL=${urls.backup}`);
  say(`SESSION_SECRET=${randomBytes(48).toString('hex')}`);
  say(`DATA_ENCRYPTION_KEY=${randomBytes(32).toString('hex')}`);
});
