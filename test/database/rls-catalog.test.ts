// DESIGN.md §8.2, read from pg_catalog so that a table added later without row-level security,
// a view that bypasses it, or a careless SECURITY DEFINER function fails the suite.
import { expect } from 'chai';
import { FREEZE_EXEMPT } from '../../migrations/0021-freeze-mode.ts';
import { tenantTables } from '../support/db-roles.ts';
import { testEnv } from '../support/env.ts';
import { ownerQuery } from '../support/factories.ts';

/** Tables in public that legitimately carry no tenant data and so no row-level security. */
const NON_TENANT_TABLES = ['login_throttle', 'schema_migrations', 'session'];

/** Tenant tables whose writes are checked against app_current_client(), not app_write_client(). */
const WRITE_GUARD_EXEMPT = ['audit_log', 'support_sessions'];

interface TableSecurity {
  table: string;
  rls: boolean;
  forced: boolean;
  restrictive: string[];
  permissive: number;
}

async function tableSecurity(): Promise<TableSecurity[]> {
  return ownerQuery<TableSecurity>(`
    SELECT c.relname AS table, c.relrowsecurity AS rls, c.relforcerowsecurity AS forced,
           coalesce(array_agg(p.polname ORDER BY p.polname) FILTER (WHERE NOT p.polpermissive), '{}') AS restrictive,
           count(p.polname) FILTER (WHERE p.polpermissive)::int AS permissive
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_policy p ON p.polrelid = c.oid
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
     GROUP BY c.relname, c.relrowsecurity, c.relforcerowsecurity
     ORDER BY c.relname`);
}

describe('row-level security in the catalog', () => {
  it('finds the tenant tables (so the checks below cannot pass vacuously)', async () => {
    const tables = (await tenantTables()).map((t) => t.table);
    expect(tables).to.include.members(['clients', 'users', 'password_reset_tokens', 'mail_outbox', 'audit_log']);
  });

  it('enables and forces row-level security on every tenant table, with a restrictive policy', async () => {
    const tenant = new Set((await tenantTables()).map((t) => t.table));
    const rows = (await tableSecurity()).filter((r) => tenant.has(r.table));
    expect(rows).to.have.length(tenant.size);
    for (const row of rows) {
      expect(row.rls, `${row.table}: ENABLE ROW LEVEL SECURITY`).to.equal(true);
      expect(row.forced, `${row.table}: FORCE ROW LEVEL SECURITY`).to.equal(true);
      expect(row.restrictive, `${row.table}: a RESTRICTIVE tenant guard`).to.have.length.greaterThan(0);
      expect(row.permissive, `${row.table}: a permissive policy (or nothing is visible at all)`).to.be.greaterThan(0);
    }
  });

  it('guards every command on every tenant table by the current client, for every role', async () => {
    const tables = await tenantTables();
    for (const { table, column } of tables) {
      const guards = await ownerQuery<{ name: string; cmd: string; roles: string[]; using: string | null; check: string | null }>(
        `SELECT polname AS name, polcmd AS cmd, polroles::text[] AS roles,
                pg_get_expr(polqual, polrelid) AS using, pg_get_expr(polwithcheck, polrelid) AS check
           FROM pg_policy WHERE polrelid = $1::regclass AND NOT polpermissive`,
        [`public.${table}`],
      );
      // One restrictive policy for all commands (polcmd '*'), applying to PUBLIC (role oid 0),
      // comparing the tenant column with app_current_client() on read and with
      // app_write_client() (which refuses read-only support sessions) on write, plus a restrictive
      // DELETE guard on app_write_client(). The audit log and the visits themselves are exempt
      // from the write guard: a read-only visit is still recorded, and ends.
      // Tables that must keep accepting writes while the client is frozen (docs/FREEZE.md) check
      // app_account_write_client(): app_write_client() without the freeze.
      const writeGuarded = !WRITE_GUARD_EXEMPT.includes(table);
      const writeFunction = !writeGuarded ? 'app_current_client()' : FREEZE_EXEMPT.includes(table) ? 'app_account_write_client()' : 'app_write_client()';
      const complete = guards.filter(
        (g) =>
          g.cmd === '*' &&
          g.roles.length === 1 && g.roles[0] === '0' &&
          g.using !== null && g.using.includes(`${column} = `) && g.using.includes('app_current_client()') &&
          g.check !== null && g.check.includes(`${column} = `) && g.check.includes(writeFunction),
      );
      expect(complete, `${table}: restrictive guard on ${column} for all commands: ${JSON.stringify(guards)}`).to.have.length.greaterThan(0);
      if (!writeGuarded) continue;
      const name = writeFunction.replace('()', '');
      const deletes = guards.filter((g) => g.cmd === 'd' && g.roles[0] === '0' && g.using === `(${column} = ( SELECT ${name}() AS ${name}))`);
      expect(deletes, `${table}: restrictive DELETE guard on ${writeFunction}`).to.have.length(1);
    }
  });

  it('leaves no table in public without row-level security except the known non-tenant ones', async () => {
    const unprotected = (await tableSecurity()).filter((r) => !r.rls || !r.forced).map((r) => r.table);
    expect(unprotected, 'new tables holding tenant data need RLS (or a reasoned entry in NON_TENANT_TABLES)').to.deep.equal(NON_TENANT_TABLES);
  });

  it('has no view in public that would read tables with its owner\'s rights', async () => {
    const views = await ownerQuery<{ name: string }>(`
      SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('v', 'm')
         AND NOT coalesce('security_invoker=true' = ANY (c.reloptions), false)`);
    expect(views).to.deep.equal([]);
  });

  it('grants TRUNCATE (or TRIGGER) on no table to the runtime, session or backup roles', async () => {
    const { roles } = testEnv();
    const tables = await ownerQuery<{ oid: number }>(`SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')`);
    expect(tables.length).to.be.greaterThan(5);
    for (const role of [roles.app, roles.session, roles.backup]) {
      const granted = await ownerQuery<{ table: string; privilege: string }>(
        `SELECT c.relname AS table, p.privilege
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          CROSS JOIN unnest(ARRAY['TRUNCATE', 'TRIGGER', 'REFERENCES']) AS p(privilege)
          WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND has_table_privilege($1, c.oid, p.privilege)`,
        [role],
      );
      expect(granted, role).to.deep.equal([]);
    }
  });

  it('grants the runtime role only INSERT and SELECT on the audit log', async () => {
    const [audit] = await ownerQuery<Record<string, boolean>>(
      `SELECT has_table_privilege($1, 'audit_log', 'SELECT') AS select, has_table_privilege($1, 'audit_log', 'INSERT') AS insert,
              has_table_privilege($1, 'audit_log', 'UPDATE') AS update, has_table_privilege($1, 'audit_log', 'DELETE') AS delete`,
      [testEnv().roles.app],
    );
    expect(audit).to.deep.equal({ select: true, insert: true, update: false, delete: false });
  });

  it('pins search_path on every SECURITY DEFINER function and lets only the runtime role call them', async () => {
    const { roles } = testEnv();
    const definers = await ownerQuery<{ name: string; config: string[] | null; public_execute: boolean; app: boolean; session: boolean; backup: boolean }>(
      `SELECT p.oid::regprocedure::text AS name, p.proconfig AS config,
              p.proacl IS NULL OR EXISTS (SELECT 1 FROM aclexplode(p.proacl) a WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE') AS public_execute,
              has_function_privilege($1, p.oid, 'EXECUTE') AS app,
              has_function_privilege($2, p.oid, 'EXECUTE') AS session,
              has_function_privilege($3, p.oid, 'EXECUTE') AS backup
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public' AND p.prosecdef
        ORDER BY 1`,
      [roles.app, roles.session, roles.backup],
    );
    expect(definers.map((d) => d.name.replace(/\(.*/, ''))).to.include.members(['auth_user_by_email', 'auth_live_token', 'mail_outbox_claim', 'mail_outbox_settle']);
    for (const fn of definers) {
      expect(fn.config ?? [], `${fn.name} search_path`).to.include('search_path=public, pg_temp');
      expect(fn, fn.name).to.include({ public_execute: false, app: true, session: false, backup: false });
    }
  });
});
