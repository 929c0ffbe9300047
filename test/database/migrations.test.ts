// Every migration has a working down: up, down to nothing, and up again on a scratch database
// leaves exactly the schema a single up leaves (tables, policies, functions, grants).
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { withMigrator } from '../../services/database/migrator.ts';
import { urlFor } from '../../services/database/roles.ts';
import { TEST_PASSWORDS, testEnv } from '../support/env.ts';
import { createScratchDatabase, dropScratchDatabase, schemaSnapshot } from '../support/scratch-db.ts';

const SCRATCH_DB = `plantrak_migcheck_${process.pid}`;
const migrationFiles = fs
  .readdirSync(path.resolve(import.meta.dirname, '../../migrations'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.replace(/\.ts$/, ''))
  .sort();



describe('migrations', () => {
  before(async () => {
    await createScratchDatabase(SCRATCH_DB);
  });

  after(async () => {
    await dropScratchDatabase(SCRATCH_DB);
  });

  it('migrates up, all the way down, and up again to the same schema', async function () {
    this.timeout(60_000);
    const { roles } = testEnv();
    expect(migrationFiles.length).to.be.greaterThan(0);
    const ownerUrl = urlFor(testEnv().adminUrl, roles.owner, TEST_PASSWORDS.owner, SCRATCH_DB);
    const ledger = (c: pg.Client) => c.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name').then((r) => r.rows.map((row) => row.name));

    const inspector = new pg.Client({ connectionString: ownerUrl });
    await inspector.connect();
    try {
      const snapshots = await withMigrator(ownerUrl, roles, async (umzug) => {
        expect((await umzug.pending()).map((m) => m.name)).to.deep.equal(migrationFiles);
        expect((await umzug.up()).map((m) => m.name)).to.deep.equal(migrationFiles);
        expect(await ledger(inspector)).to.deep.equal(migrationFiles);
        const first = await schemaSnapshot(inspector);

        const reverted = await umzug.down({ to: 0 });
        expect(reverted.map((m) => m.name)).to.deep.equal([...migrationFiles].reverse());
        expect(await ledger(inspector)).to.deep.equal([]);
        const empty = await schemaSnapshot(inspector);

        expect((await umzug.up()).map((m) => m.name)).to.deep.equal(migrationFiles);
        expect(await ledger(inspector)).to.deep.equal(migrationFiles);
        expect(await umzug.pending()).to.deep.equal([]);
        const again = await schemaSnapshot(inspector);
        return { first, empty, again };
      });

      // Down leaves nothing behind but the migrations ledger itself.
      expect(snapshots.empty.relations.map((r) => r.split(' ').slice(0, 2).join(' '))).to.deep.equal(['i schema_migrations_pkey', 'r schema_migrations']);
      expect(snapshots.empty.policies).to.deep.equal([]);
      expect(snapshots.empty.functions).to.deep.equal([]);
      expect(snapshots.empty.triggers).to.deep.equal([]);
      // Up again rebuilds exactly what the first up built.
      expect(snapshots.first.relations.some((r) => r.startsWith('r users '))).to.equal(true);
      expect(snapshots.first.policies.length).to.be.greaterThan(0);
      expect(snapshots.again).to.deep.equal(snapshots.first);
    } finally {
      await inspector.end();
    }

    // The scratch schema is the one the test suite runs against.
    expect(await schemaSnapshot(testEnv().owner)).to.deep.equal(await scratchSnapshot(ownerUrl));
    const applied = await testEnv().owner.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
    expect(applied.rows.map((r) => r.name)).to.deep.equal(migrationFiles);
  });

  it('refuses to migrate as the runtime role', async () => {
    const { roles } = testEnv();
    const appUrl = urlFor(testEnv().adminUrl, roles.app, TEST_PASSWORDS.app, SCRATCH_DB);
    let caught: unknown;
    try {
      await withMigrator(appUrl, roles, (umzug) => umzug.up());
    } catch (error) {
      caught = error;
    }
    expect((caught as { code?: string } | undefined)?.code).to.equal('42501');
  });
});

async function scratchSnapshot(url: string): Promise<Record<string, string[]>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await schemaSnapshot(client);
  } finally {
    await client.end();
  }
}
