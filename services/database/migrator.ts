// Schema migrations with umzug, run as the owner role. Each migration and its bookkeeping row
// commit together, and an advisory lock keeps two servers from migrating at once.
import path from 'node:path';
import pg from 'pg';
import { Umzug } from 'umzug';
import { type RoleNames, quotedRoles } from './roles.ts';

export interface MigrationContext {
  sql(text: string, params?: unknown[]): Promise<pg.QueryResult>;
  /** Quoted role identifiers to splice into GRANT statements. */
  roles: RoleNames;
}

export interface MigrationModule {
  up(context: MigrationContext): Promise<void>;
  down(context: MigrationContext): Promise<void>;
}

const migrationsDir = path.resolve(import.meta.dirname, '../../migrations');
const LOCK_KEY = 'plantrak:migrations';

export async function withMigrator<T>(ownerUrl: string, roles: RoleNames, fn: (umzug: Umzug<MigrationContext>) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ownerUrl, application_name: 'plantrak-migrate' });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [LOCK_KEY]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const context: MigrationContext = { sql: (text, params) => client.query(text, params), roles: quotedRoles(roles) };
    const inTransaction = async (work: () => Promise<unknown>) => {
      await client.query('BEGIN');
      try {
        await work();
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    };
    const umzug = new Umzug<MigrationContext>({
      context,
      logger: undefined,
      migrations: {
        glob: ['*.ts', { cwd: migrationsDir }],
        resolve: ({ name: fileName, path: file }) => {
          const load = async () => (await import(file!)) as MigrationModule;
          const name = fileName.replace(/\.ts$/, '');
          return {
            name,
            up: async () => inTransaction(async () => {
              await (await load()).up(context);
              await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [name]);
            }),
            down: async () => inTransaction(async () => {
              await (await load()).down(context);
              await client.query('DELETE FROM schema_migrations WHERE name = $1', [name]);
            }),
          };
        },
      },
      // The rows are written inside each migration's transaction above.
      storage: {
        executed: async () => (await client.query('SELECT name FROM schema_migrations ORDER BY name')).rows.map((r) => r.name as string),
        logMigration: async () => undefined,
        unlogMigration: async () => undefined,
      },
    });
    return await fn(umzug);
  } finally {
    await client.end();
  }
}

export async function migrateUp(ownerUrl: string, roles: RoleNames): Promise<string[]> {
  return withMigrator(ownerUrl, roles, async (umzug) => (await umzug.up()).map((m) => m.name));
}
