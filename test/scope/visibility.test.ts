// Facility-scope row-level security through the runtime role (migrations/0002, lib/unit-of-work.ts):
// each scope sees exactly its units (and, for navigation only, their ancestors), whatever the
// application code asks for.
import { expect } from 'chai';
import { statementsDuring } from '../support/statements.ts';
import { Sequelize } from 'sequelize';
import { inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { OrgUnit } from '../../models/index.ts';
import { expectPgError, withConnection } from '../support/db-roles.ts';
import { testEnv } from '../support/env.ts';
import { createUser, ownerQuery } from '../support/factories.ts';
import { createUnit, grantScope } from '../support/hierarchy-factories.ts';
import { A_UNITS, type ScopeWorld, buildScopeWorld, seenBy, sorted } from './fixture.ts';

describe('facility scope in the database', () => {
  let w: ScopeWorld;

  beforeEach(async () => {
    w = await buildScopeWorld();
  });

  it('shows a Manager of facility F only F, with F\'s ancestors for navigation (not in scope)', async () => {
    const seen = await seenBy(w.manager);
    expect(seen.whole).to.equal(false);
    expect(seen.inScope).to.deep.equal(['Alder']);
    expect(seen.ancestors).to.deep.equal(sorted(['North', 'North-East']));
    expect(seen.visible).to.deep.equal(sorted(['Alder', 'North-East', 'North']));
  });

  it('shows a Director of a division exactly its facilities (and the division), the region as context', async () => {
    const seen = await seenBy(w.director);
    expect(seen.inScope).to.deep.equal(sorted(['North-East', 'Alder', 'Aspen']));
    expect(seen.ancestors).to.deep.equal(['North']);
    expect(seen.visible).to.deep.equal(sorted(['North', 'North-East', 'Alder', 'Aspen']));
    const facilities = await inUnitOfWork(testEnv().db.sequelize, { actorKind: 'user', clientId: w.a.id, userId: w.director.id }, () =>
      OrgUnit.findAll({ where: { kind: 'facility' } }),
    );
    expect(facilities.map((f) => f.name).sort()).to.deep.equal(['Alder', 'Aspen']);
  });

  it('shows a region-scoped Executive the region\'s divisions and facilities, and nothing of other regions', async () => {
    const seen = await seenBy(w.executive);
    const north = ['North', 'North-East', 'Alder', 'Aspen', 'North-West', 'Beech'];
    expect(seen.inScope).to.deep.equal(sorted(north));
    expect(seen.ancestors).to.deep.equal([]);
    expect(seen.visible).to.deep.equal(sorted(north));
  });

  it('shows Administrators (no scope rows needed) and whole-client scopes the whole client', async () => {
    for (const user of [w.admin, w.wholeClient]) {
      const seen = await seenBy(user);
      expect(seen.whole, user.name).to.equal(true);
      expect(seen.visible, user.name).to.deep.equal(sorted(A_UNITS));
    }
  });

  it('unions several scope nodes, and a user without any scope row sees nothing', async () => {
    const multi = await createUser(w.a, { rank: 'manager' });
    await grantScope(multi, w.units.Beech);
    await grantScope(multi, w.units['South-East']);
    const seen = await seenBy(multi);
    expect(seen.inScope).to.deep.equal(sorted(['Beech', 'South-East', 'Cedar']));
    expect(seen.visible).to.deep.equal(sorted(['Beech', 'North-West', 'North', 'South-East', 'Cedar', 'South']));

    const none = await createUser(w.a, { rank: 'director' });
    expect(await seenBy(none)).to.deep.equal({ visible: [], inScope: [], ancestors: [], whole: false });
  });

  it('shows another client\'s users none of it, whatever their rank or scope', async () => {
    const seen = await seenBy(w.outsider);
    expect(seen.whole).to.equal(true);
    expect(seen.visible).to.deep.equal(sorted(['B-Region', 'B-Division', 'Birch-B']));
    const found = await inUnitOfWork(testEnv().db.sequelize, { actorKind: 'user', clientId: w.b.id, userId: w.outsider.id }, () =>
      OrgUnit.findByPk(w.units.Alder.id),
    );
    expect(found).to.equal(null);
  });

  it('moves visibility with a facility moved to another division, on the next unit of work', async () => {
    expect((await seenBy(w.director)).inScope).to.include('Aspen');
    const cedarDirector = await createUser(w.a, { rank: 'director' });
    await grantScope(cedarDirector, w.units['South-East']);
    expect((await seenBy(cedarDirector)).inScope).to.deep.equal(sorted(['South-East', 'Cedar']));

    await ownerQuery('UPDATE org_units SET parent_id = $1 WHERE id = $2', [w.units['South-East'].id, w.units.Aspen.id]);

    const before = await seenBy(w.director);
    expect(before.inScope).to.deep.equal(sorted(['North-East', 'Alder']));
    expect(before.visible).not.to.include('Aspen');
    expect((await seenBy(cedarDirector)).inScope).to.deep.equal(sorted(['South-East', 'Cedar', 'Aspen']));
    // The Executive of North lost it too; a Manager of Aspen now sees South as its region.
    expect((await seenBy(w.executive)).visible).not.to.include('Aspen');
    const aspenManager = await createUser(w.a, { rank: 'manager' });
    await grantScope(aspenManager, w.units.Aspen);
    expect((await seenBy(aspenManager)).ancestors).to.deep.equal(sorted(['South', 'South-East']));
  });

  it('keeps deactivated units visible to those in scope (and only to them)', async () => {
    await ownerQuery('UPDATE org_units SET active = false WHERE id = ANY($1)', [[w.units.Alder.id, w.units['North-East'].id]]);
    expect((await seenBy(w.manager)).inScope).to.deep.equal(['Alder']);
    expect((await seenBy(w.director)).inScope).to.deep.equal(sorted(['North-East', 'Alder', 'Aspen']));
    const cedarManager = await createUser(w.a, { rank: 'manager' });
    await grantScope(cedarManager, w.units.Cedar);
    expect((await seenBy(cedarManager)).visible).not.to.include('Alder');
  });

  it('cannot hold a scope row pointing to another client\'s unit (foreign key), even as the owner', async () => {
    await expectPgError(
      ownerQuery('INSERT INTO user_scopes (client_id, user_id, org_unit_id) VALUES ($1, $2, $3)', [w.a.id, w.manager.id, w.units['Birch-B'].id]),
      '23503',
    );
    // Nor one claiming the other client's id for our user.
    await expectPgError(
      ownerQuery('INSERT INTO user_scopes (client_id, user_id, org_unit_id) VALUES ($1, $2, $3)', [w.b.id, w.manager.id, w.units['Birch-B'].id]),
      '23503',
    );
    // Nor can a unit be hung under another client's unit.
    await expectPgError(createUnit(w.a, { kind: 'facility', name: 'Stray', parent: w.units['B-Division'] }), '23503');
    expect(await ownerQuery('SELECT 1 FROM user_scopes WHERE org_unit_id = $1', [w.units['Birch-B'].id])).to.have.length(0);
  });

  it('hides from app_scope_for any unit of another client, even when asked for that client\'s user directly', async () => {
    // SECURITY DEFINER: the function reads across RLS, so its arguments must not leak another
    // client's tree. Asked with client A and client B's user it finds no scope rows.
    const [row] = await withConnection('app', async (c) => (await c.query('SELECT * FROM app_scope_for($1, $2)', [w.a.id, w.outsider.id])).rows);
    expect(row).to.deep.equal({ whole: false, units: '{}', ancestors: '{}' });
  });

  it('computes the scope once, at the start of the unit of work, into transaction-local settings', async () => {
    const { urls } = testEnv();
    // A one-connection pool, so "after" runs on the very connection the unit of work used.
    const single = new Sequelize(urls.app, { dialect: 'postgres', logging: false, pool: { max: 1, min: 1 } });
    try {
      const settings = `SELECT pg_backend_pid() AS pid, current_setting('app.scope_all', true) AS whole,
                               current_setting('app.scope_units', true) AS units, current_setting('app.scope_ancestors', true) AS ancestors`;
      type Settings = { pid: number; whole: string | null; units: string | null; ancestors: string | null };
      const inside = await inUnitOfWork(single, { actorKind: 'user', clientId: w.a.id, userId: w.director.id }, async (transaction) => {
        const [first] = await single.query<Settings>(settings, { transaction, type: 'SELECT' as never });
        await single.query('SELECT id FROM org_units', { transaction });
        const [again] = await single.query<Settings>(settings, { transaction, type: 'SELECT' as never });
        expect(again).to.deep.equal(first);
        return first;
      });
      expect(inside.whole).to.equal('');
      expect(sorted(inside.units!.replace(/[{}]/g, '').split(','))).to.deep.equal(sorted([w.units['North-East'].id, w.units.Alder.id, w.units.Aspen.id]));
      expect(inside.ancestors).to.equal(`{${w.units.North.id}}`);

      const [after] = await single.query<Settings>(settings, { type: 'SELECT' as never });
      expect(after.pid).to.equal(inside.pid);
      expect(after.whole || '', 'scope_all after commit').to.equal('');
      expect(after.units || '', 'scope_units after commit').to.equal('');
      expect(after.ancestors || '', 'scope_ancestors after commit').to.equal('');
    } finally {
      await single.close();
    }
  });

  it('calls app_scope_for once per unit of work, however many scoped queries run in it', async () => {
    const { sequelize } = testEnv().db;
    const statements = (await statementsDuring(() =>
      inUnitOfWork(sequelize, { actorKind: 'user', clientId: w.a.id, userId: w.director.id }, async () => {
        await OrgUnit.findAll();
        await OrgUnit.findAll({ where: { kind: 'facility' } });
        await OrgUnit.findByPk(w.units.Alder.id);
        await sql('SELECT count(*) FROM org_units');
      }))).map((s) => s.text);
    expect(statements.filter((s) => s.includes('app_scope_for('))).to.have.length(1);
    expect(statements.filter((s) => /FROM "org_units"|FROM org_units/.test(s))).to.have.length(4);
  });

  it('evaluates the scope policy from the settings, not per row (no app_scope_for in any policy)', async () => {
    const policies = await ownerQuery<{ table: string; name: string; using: string | null; check: string | null }>(
      `SELECT polrelid::regclass::text AS table, polname AS name, pg_get_expr(polqual, polrelid) AS using, pg_get_expr(polwithcheck, polrelid) AS check
         FROM pg_policy`,
    );
    for (const p of policies) {
      const text = `${p.using ?? ''} ${p.check ?? ''}`;
      expect(text, `${p.table}.${p.name}`).not.to.include('app_scope_for');
      // Every scope reader is wrapped in a scalar subquery, so PostgreSQL runs it once per statement.
      for (const call of text.match(/app_scope_(all|units|ancestors)\(\)/g) ?? []) {
        expect(text, `${p.table}.${p.name}: ${call} inside (SELECT …)`).to.match(new RegExp(`SELECT ${call.replace(/[()]/g, '\\$&')}`));
      }
    }
    const scopeRead = policies.find((p) => p.table === 'org_units' && p.name === 'scope_read');
    expect(scopeRead, 'org_units.scope_read').to.exist;
  });
});
