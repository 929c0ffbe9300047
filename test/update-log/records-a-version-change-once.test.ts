// The update and patch log: a start records what runs (app, Node, PostgreSQL, the lockfile's hash,
// the migrations with their times) only when it differs from the last entry, so a change shows
// once however many restarts follow.
import { expect } from 'chai';
import { inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { recordVersionsIfChanged, runningVersions } from '../../services/operations/versions.ts';
import { testEnv } from '../support/env.ts';
import { ownerQuery } from '../support/factories.ts';

describe('update and patch log', () => {
  it('records the running versions at a first start, and a change exactly once', async () => {
    const { db, config } = { db: testEnv().db, config: { projectRoot: process.cwd() } };
    expect(await recordVersionsIfChanged(db.sequelize, config.projectRoot)).to.equal(true);
    expect(await recordVersionsIfChanged(db.sequelize, config.projectRoot)).to.equal(false);
    const [first] = await ownerQuery<{ app_version: string; node_version: string; postgres_version: string; lockfile_sha256: string; migrations: Array<{ name: string; applied_at: string }> }>(
      'SELECT app_version, node_version, postgres_version, lockfile_sha256, migrations FROM version_log');
    expect(first!.node_version).to.equal(process.version);
    expect(first!.postgres_version).to.match(/^PostgreSQL 15\./);
    expect(first!.lockfile_sha256).to.match(/^[0-9a-f]{64}$/);
    const applied = await ownerQuery<{ name: string; applied_at: Date }>('SELECT name, applied_at FROM schema_migrations ORDER BY name');
    expect(first!.migrations).to.deep.equal(applied.map((m) => ({ name: m.name, applied_at: m.applied_at.toISOString() })));

    // An upgrade: a new app version (as after a deploy), recorded once, however many restarts.
    const now = await inUnitOfWork(db.sequelize, { actorKind: 'system' }, () => runningVersions(config.projectRoot));
    const upgraded = { ...now, appVersion: `${now.appVersion}-next` };
    expect(await recordVersionsIfChanged(db.sequelize, config.projectRoot, upgraded)).to.equal(true);
    expect(await recordVersionsIfChanged(db.sequelize, config.projectRoot, upgraded)).to.equal(false);
    expect(await recordVersionsIfChanged(db.sequelize, config.projectRoot, { ...upgraded })).to.equal(false);
    const rows = await ownerQuery<{ app_version: string }>('SELECT app_version FROM version_log ORDER BY recorded_at, id');
    expect(rows.map((r) => r.app_version)).to.deep.equal([now.appVersion, `${now.appVersion}-next`]);
  });

  it('is written only by the system actor, never by a client user or staff context', async () => {
    const insert = `INSERT INTO version_log (app_version, node_version, postgres_version, lockfile_sha256, migrations) VALUES ('x', 'x', 'x', 'unknown', '[]')`;
    for (const actorKind of ['user', 'staff', 'anonymous'] as const) {
      let refused = false;
      try {
        await inUnitOfWork(testEnv().db.sequelize, { actorKind }, () => sql(insert));
      } catch {
        refused = true;
      }
      expect(refused, actorKind).to.equal(true);
    }
    expect(await ownerQuery('SELECT 1 FROM version_log')).to.deep.equal([]);
  });
});
