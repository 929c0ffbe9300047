// Scratch databases on the test server, provisioned like the real one, for migration tests.
import pg from 'pg';
import { quotedRoles, urlFor } from '../../services/database/roles.ts';
import { TEST_PASSWORDS, testEnv } from './env.ts';

/** Runs fn on a superuser connection to the named database of the test server. */
export async function withAdmin<T>(database: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const url = new URL(testEnv().adminUrl);
  const client = new pg.Client({ connectionString: urlFor(testEnv().adminUrl, decodeURIComponent(url.username), decodeURIComponent(url.password), database) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Everything the migrations create in public, by name, with ownership, security and grants. */
export async function schemaSnapshot(client: pg.Client | pg.Pool): Promise<Record<string, string[]>> {
  const rows = async (text: string) => (await client.query<{ item: string }>(text)).rows.map((r) => r.item);
  return {
    relations: await rows(`
      SELECT c.relkind::text || ' ' || c.relname || ' owner=' || pg_get_userbyid(c.relowner)
             || ' rls=' || c.relrowsecurity || ' force=' || c.relforcerowsecurity || ' acl=' || coalesce(c.relacl::text, '') AS item
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' ORDER BY 1`),
    columns: await rows(`
      SELECT table_name || '.' || column_name || ' ' || data_type || ' null=' || is_nullable || ' default=' || coalesce(column_default, '') AS item
        FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1`),
    constraints: await rows(`
      SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) AS item
        FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1`),
    policies: await rows(`
      SELECT tablename || ' ' || policyname || ' ' || permissive || ' ' || cmd || ' ' || roles::text || ' ' || coalesce(qual, '') || ' / ' || coalesce(with_check, '') AS item
        FROM pg_policies WHERE schemaname = 'public' ORDER BY 1`),
    functions: await rows(`
      SELECT p.oid::regprocedure::text || ' secdef=' || p.prosecdef || ' config=' || coalesce(p.proconfig::text, '') || ' acl=' || coalesce(p.proacl::text, '') AS item
        FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace ORDER BY 1`),
    triggers: await rows(`
      SELECT tgrelid::regclass::text || ' ' || tgname AS item FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
       WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal ORDER BY 1`),
  };
}

/** Creates an empty database owned by the owner role, with the same grants provisioning gives;
 *  returns the owner's URL to it. */
export async function createScratchDatabase(name: string): Promise<string> {
  const { roles, adminUrl } = testEnv();
  const q = quotedRoles(roles);
  await withAdmin('postgres', async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}" OWNER ${q.owner}`);
    await admin.query(`REVOKE ALL ON DATABASE "${name}" FROM PUBLIC`);
    await admin.query(`GRANT CONNECT ON DATABASE "${name}" TO ${q.app}, ${q.session}, ${q.backup}`);
  });
  await withAdmin(name, async (admin) => {
    await admin.query(`ALTER SCHEMA public OWNER TO ${q.owner}`);
    await admin.query(`REVOKE ALL ON SCHEMA public FROM PUBLIC`);
    await admin.query(`GRANT USAGE ON SCHEMA public TO ${q.app}, ${q.session}, ${q.backup}`);
  });
  return urlFor(adminUrl, roles.owner, TEST_PASSWORDS.owner, name);
}

export async function dropScratchDatabase(name: string): Promise<void> {
  await withAdmin('postgres', (admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}
