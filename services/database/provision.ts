// Creates (or refreshes) the database and its four least-privilege roles. Needs a superuser
// connection, because BYPASSRLS roles can only be created by one.
import pg from 'pg';
import type { DatabaseUrls } from '../../config/index.ts';
import { type RoleNames, type RolePasswords, quotedRoles, urlFor } from './roles.ts';

export async function provisionDatabase(adminUrl: string, roles: RoleNames, passwords: RolePasswords): Promise<DatabaseUrls> {
  const q = quotedRoles(roles);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const lit = (s: string) => admin.escapeLiteral(s);
    const ensureRole = async (name: string, quoted: string, attributes: string, password: string) => {
      const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
      const verb = exists.rowCount ? 'ALTER' : 'CREATE';
      await admin.query(`${verb} ROLE ${quoted} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION ${attributes} PASSWORD ${lit(password)}`);
    };
    await ensureRole(roles.owner, q.owner, 'BYPASSRLS', passwords.owner);
    await ensureRole(roles.app, q.app, 'NOBYPASSRLS', passwords.app);
    await ensureRole(roles.session, q.session, 'NOBYPASSRLS', passwords.session);
    await ensureRole(roles.backup, q.backup, 'BYPASSRLS', passwords.backup);
    // Runaway statements and forgotten transactions must not hold locks for long.
    await admin.query(`ALTER ROLE ${q.app} SET statement_timeout = '15s'`);
    await admin.query(`ALTER ROLE ${q.app} SET idle_in_transaction_session_timeout = '60s'`);
    await admin.query(`ALTER ROLE ${q.session} SET statement_timeout = '5s'`);
    await admin.query(`ALTER ROLE ${q.backup} SET default_transaction_read_only = on`);
    await admin.query(`GRANT pg_read_all_data TO ${q.backup}`);

    const db = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [roles.database]);
    if (!db.rowCount) await admin.query(`CREATE DATABASE ${q.database} OWNER ${q.owner} ENCODING 'UTF8'`);
    await admin.query(`REVOKE ALL ON DATABASE ${q.database} FROM PUBLIC`);
    await admin.query(`GRANT CONNECT ON DATABASE ${q.database} TO ${q.app}, ${q.session}, ${q.backup}`);
  } finally {
    await admin.end();
  }

  const inDb = new pg.Client({ connectionString: urlFor(adminUrl, decodeURIComponent(new URL(adminUrl).username), decodeURIComponent(new URL(adminUrl).password), roles.database) });
  await inDb.connect();
  try {
    await inDb.query(`ALTER SCHEMA public OWNER TO ${q.owner}`);
    await inDb.query(`REVOKE ALL ON SCHEMA public FROM PUBLIC`);
    await inDb.query(`GRANT USAGE ON SCHEMA public TO ${q.app}, ${q.session}, ${q.backup}`);
  } finally {
    await inDb.end();
  }

  return {
    owner: urlFor(adminUrl, roles.owner, passwords.owner, roles.database),
    app: urlFor(adminUrl, roles.app, passwords.app, roles.database),
    session: urlFor(adminUrl, roles.session, passwords.session, roles.database),
    backup: urlFor(adminUrl, roles.backup, passwords.backup, roles.database),
  };
}
