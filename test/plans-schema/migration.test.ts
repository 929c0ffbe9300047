// Migration 0004 alone: down leaves exactly the schema 0003 left (including org_units, which 0004
// gives an extra key), and up again rebuilds exactly what it built. The whole chain is covered by
// test/database/migrations.test.ts; this pins the one step, on a scratch database.
import { expect } from 'chai';
import pg from 'pg';
import { withMigrator } from '../../services/database/migrator.ts';
import { urlFor } from '../../services/database/roles.ts';
import { TEST_PASSWORDS, testEnv } from '../support/env.ts';
import { createScratchDatabase, dropScratchDatabase, schemaSnapshot } from '../support/scratch-db.ts';

const SCRATCH_DB = `plantrak_mig0004_${process.pid}`;
const MIGRATION = '0004-plan-items-and-events';



describe('migration 0004 (plan items and events)', () => {
  before(async () => {
    await createScratchDatabase(SCRATCH_DB);
  });

  after(async () => {
    await dropScratchDatabase(SCRATCH_DB);
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
        const without = await schemaSnapshot(inspector);
        expect(without.relations.some((r) => r.startsWith('r plan_items '))).to.equal(false);

        await umzug.up({ to: MIGRATION });
        const built = await schemaSnapshot(inspector);
        expect(built.relations.filter((r) => /^r (plan_items|events) /.test(r)).map((r) => r.split(' acl=')[0])).to.deep.equal([
          'r events owner=plantrak_test_owner rls=true force=true',
          'r plan_items owner=plantrak_test_owner rls=true force=true',
        ]);
        expect(built.policies.filter((p) => /^(plan_items|events) /.test(p)).map((p) => p.split(' ').slice(0, 2).join(' '))).to.deep.equal([
          'events facility_scope', 'events tenant_guard', 'plan_items facility_scope', 'plan_items tenant_guard',
        ]);
        expect(built.triggers).to.include('events events_keep_occurrence');

        expect((await umzug.down({ step: 1 })).map((m) => m.name)).to.deep.equal([MIGRATION]);
        expect(await schemaSnapshot(inspector)).to.deep.equal(without);
        await umzug.up({ to: MIGRATION });
        expect(await schemaSnapshot(inspector)).to.deep.equal(built);
      });
    } finally {
      await inspector.end();
    }
  });
});
