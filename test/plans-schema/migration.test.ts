// Migration 0004 alone: down leaves exactly the schema 0003 left (including org_units, which 0004
// gives an extra key), and up again rebuilds exactly what it built. The whole chain is covered by
// test/database/migrations.test.ts; this pins the one step, on a scratch database.
import { expect } from 'chai';
import pg from 'pg';
import { withMigrator } from '../../services/database/migrator.ts';
import { quotedRoles, urlFor } from '../../services/database/roles.ts';
import { TEST_PASSWORDS, testEnv } from '../support/env.ts';

const SCRATCH_DB = `plantrak_mig0004_${process.pid}`;
const MIGRATION = '0004-plan-items-and-events';

async function withAdmin<T>(database: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const url = new URL(testEnv().adminUrl);
  const client = new pg.Client({ connectionString: urlFor(testEnv().adminUrl, decodeURIComponent(url.username), decodeURIComponent(url.password), database) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function snapshot(client: pg.Client): Promise<Record<string, string[]>> {
  const rows = async (text: string) => (await client.query<{ item: string }>(text)).rows.map((r) => r.item);
  return {
    relations: await rows(`
      SELECT c.relkind::text || ' ' || c.relname || ' rls=' || c.relrowsecurity || ' force=' || c.relforcerowsecurity || ' acl=' || coalesce(c.relacl::text, '') AS item
        FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace ORDER BY 1`),
    constraints: await rows(`
      SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) AS item
        FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1`),
    policies: await rows(`SELECT tablename || ' ' || policyname || ' ' || coalesce(qual, '') || ' / ' || coalesce(with_check, '') AS item FROM pg_policies WHERE schemaname = 'public' ORDER BY 1`),
    functions: await rows(`SELECT p.oid::regprocedure::text AS item FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace ORDER BY 1`),
    triggers: await rows(`SELECT tgrelid::regclass::text || ' ' || tgname AS item FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                           WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal ORDER BY 1`),
  };
}

describe('migration 0004 (plan items and events)', () => {
  before(async () => {
    const q = quotedRoles(testEnv().roles);
    await withAdmin('postgres', async (admin) => {
      await admin.query(`DROP DATABASE IF EXISTS "${SCRATCH_DB}" WITH (FORCE)`);
      await admin.query(`CREATE DATABASE "${SCRATCH_DB}" OWNER ${q.owner}`);
      await admin.query(`REVOKE ALL ON DATABASE "${SCRATCH_DB}" FROM PUBLIC`);
      await admin.query(`GRANT CONNECT ON DATABASE "${SCRATCH_DB}" TO ${q.app}, ${q.session}, ${q.backup}`);
    });
    await withAdmin(SCRATCH_DB, async (admin) => {
      await admin.query(`ALTER SCHEMA public OWNER TO ${q.owner}`);
      await admin.query(`REVOKE ALL ON SCHEMA public FROM PUBLIC`);
      await admin.query(`GRANT USAGE ON SCHEMA public TO ${q.app}, ${q.session}, ${q.backup}`);
    });
  });

  after(async () => {
    await withAdmin('postgres', (admin) => admin.query(`DROP DATABASE IF EXISTS "${SCRATCH_DB}" WITH (FORCE)`));
  });

  it('goes down to exactly the schema before it, and up again to exactly the schema it built', async function () {
    this.timeout(60_000);
    const { roles } = testEnv();
    const ownerUrl = urlFor(testEnv().adminUrl, roles.owner, TEST_PASSWORDS.owner, SCRATCH_DB);
    const inspector = new pg.Client({ connectionString: ownerUrl });
    await inspector.connect();
    try {
      await withMigrator(ownerUrl, roles, async (umzug) => {
        const names = (await umzug.pending()).map((m) => m.name);
        const before = names[names.indexOf(MIGRATION) - 1];
        expect(before, 'a migration precedes 0004').to.be.a('string');
        await umzug.up({ to: before });
        const without = await snapshot(inspector);
        expect(without.relations.some((r) => r.startsWith('r plan_items '))).to.equal(false);

        await umzug.up({ to: MIGRATION });
        const built = await snapshot(inspector);
        expect(built.relations.filter((r) => /^r (plan_items|events) /.test(r)).map((r) => r.split(' acl=')[0])).to.deep.equal([
          'r events rls=true force=true',
          'r plan_items rls=true force=true',
        ]);
        expect(built.policies.filter((p) => /^(plan_items|events) /.test(p)).map((p) => p.split(' ').slice(0, 2).join(' '))).to.deep.equal([
          'events facility_scope', 'events tenant_guard', 'plan_items facility_scope', 'plan_items tenant_guard',
        ]);
        expect(built.triggers).to.include('events events_keep_occurrence');

        expect((await umzug.down({ step: 1 })).map((m) => m.name)).to.deep.equal([MIGRATION]);
        expect(await snapshot(inspector)).to.deep.equal(without);
        await umzug.up({ to: MIGRATION });
        expect(await snapshot(inspector)).to.deep.equal(built);
      });
    } finally {
      await inspector.end();
    }
  });
});
