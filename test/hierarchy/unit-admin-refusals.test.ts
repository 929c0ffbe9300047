// Hierarchy administration refuses bad input ("Bad input"): every refusal is a 4xx with
// a message, never a 500, and the database (units, labels, audit log) is checked unchanged.
import { expect } from 'chai';
import supertest from 'supertest';
import { ValidationError } from '../../lib/errors.ts';
import { inUnitOfWork } from '../../lib/unit-of-work.ts';
import { OrgUnit } from '../../models/index.ts';
import { guardedWrite } from '../../services/organisation/unit-admin.ts';
import { type ClientRow, createClient, createUser, ownerQuery, type UserRow } from '../support/factories.ts';
import { testEnv } from '../support/env.ts';
import { createUnit, grantScope, unitRow, type UnitRow } from '../support/hierarchy-factories.ts';
import { type Agent, csrfToken, signedInAgent, submitForm, testApp } from '../support/http.ts';

interface World {
  client: ClientRow;
  admin: UserRow;
  agent: Agent;
  region: UnitRow;
  division: UnitRow;
  facility: UnitRow;
  /** Another client with its own unit. */
  other: ClientRow;
  otherFacility: UnitRow;
}

async function world(): Promise<World> {
  const client = await createClient({ name: 'Acme Water' });
  const admin = await createUser(client, { rank: 'administrator' });
  const region = await createUnit(client, { kind: 'region', name: 'North', code: 'N' });
  const division = await createUnit(client, { kind: 'division', name: 'Lakes', code: 'N-L', parent: region });
  const facility = await createUnit(client, { kind: 'facility', name: 'Plant One', code: 'P1', parent: division });
  const other = await createClient({ name: 'Globex' });
  const otherFacility = await createUnit(other, { kind: 'facility', name: 'Globex Works', code: 'GX' });
  return { client, admin, region, division, facility, other, otherFacility, agent: await signedInAgent(testApp(), admin.email, admin.password) };
}

/** Everything an admin route could change, read as the owner. */
async function databaseState(): Promise<unknown> {
  return {
    units: await ownerQuery('SELECT id, client_id, kind, name, code, parent_id, address, time_zone, active, updated_at FROM org_units ORDER BY id'),
    settings: await ownerQuery('SELECT id, settings FROM clients ORDER BY id'),
    audit: await ownerQuery(`SELECT count(*)::int AS n FROM audit_log WHERE action LIKE 'org_unit.%' OR action LIKE 'client.%'`),
  };
}

/** Posts a form and expects the given status, a message, and no change in the database. */
async function expectRefused(agent: Agent, formPage: string, action: string, fields: Record<string, string>, status: number, message?: string | RegExp) {
  const before = await databaseState();
  const res = await submitForm(agent, formPage, action, fields);
  expect(res.status, `${action} ${JSON.stringify(fields)}: ${res.text.slice(0, 0)}`).to.equal(status);
  if (typeof message === 'string') expect(res.text).to.include(message);
  else if (message) expect(res.text).to.match(message);
  expect(await databaseState(), `${action} changed the database`).to.deep.equal(before);
  return res;
}

describe('hierarchy administration refusals', () => {
  describe('tampered and invalid forms (422, nothing changes)', () => {
    it('refuses client_id, kind and other unexpected fields on create, edit and move', async () => {
      const { agent, other, facility, region } = await world();
      await expectRefused(agent, '/units/new', '/units', { kind: 'facility', name: 'Sneaky', client_id: other.id }, 422, 'does not accept the field client_id');
      await expectRefused(agent, `/units/${facility.id}/edit`, `/units/${facility.id}`, { name: 'Renamed', client_id: other.id }, 422, 'does not accept the field client_id');
      await expectRefused(agent, `/units/${facility.id}/edit`, `/units/${facility.id}`, { name: 'Renamed', kind: 'region' }, 422, 'does not accept the field kind');
      await expectRefused(agent, `/units/${facility.id}/edit`, `/units/${facility.id}`, { name: 'Renamed', active: 'false', id: region.id }, 422, 'does not accept the fields');
      await expectRefused(agent, `/units/${region.id}/edit`, `/units/${region.id}`, { name: 'Renamed', timeZone: 'UTC' }, 422, 'does not accept the field timeZone');
      await expectRefused(agent, `/units/${facility.id}/edit`, `/units/${facility.id}/move`, { parentId: '', client_id: other.id }, 422, 'does not accept the field client_id');
      await expectRefused(agent, `/units/${region.id}`, `/units/${region.id}/deactivate`, { confirm: 'everything' }, 422);
      await expectRefused(agent, `/units/${facility.id}`, `/units/${facility.id}/delete`, { confirm: 'yes', cascade: '1' }, 422, 'does not accept the field cascade');
      await expectRefused(agent, `/units/${facility.id}`, `/units/${facility.id}/reactivate`, { subtree: '1', active: 'true' }, 422, 'does not accept the field active');
    });

    it('refuses an unknown kind, a non-UUID parent and a parent of another client', async () => {
      const { agent, otherFacility, region } = await world();
      await expectRefused(agent, '/units/new', '/units', { kind: 'campus', name: 'X' }, 422, 'Unknown kind of unit');
      await expectRefused(agent, '/units/new', '/units', { name: 'X' }, 422, 'Unknown kind of unit');
      await agent.get('/units/new?kind=campus').expect(422);
      await expectRefused(agent, '/units/new', '/units', { kind: 'facility', name: 'X', parentId: 'not-a-uuid' }, 422, 'Choose a parent from the list.');
      await expectRefused(agent, '/units/new', '/units', { kind: 'facility', name: 'X', parentId: "' OR 1=1 --" }, 422, 'Choose a parent from the list.');
      await expectRefused(agent, '/units/new', '/units', { kind: 'facility', name: 'X', parentId: otherFacility.id }, 422, 'That parent unit does not exist');
      await expectRefused(agent, `/units/${region.id}/edit`, `/units/${region.id}/move`, { parentId: otherFacility.id }, 422);
      // The other client's unit is untouched too (checked by databaseState), and never named.
      const res = await submitForm(agent, '/units/new', '/units', { kind: 'facility', name: 'X', parentId: otherFacility.id });
      expect(res.text).not.to.include('Globex Works');
    });

    it('refuses an invalid time zone on create and on edit', async () => {
      const { agent, facility } = await world();
      for (const timeZone of ['Mars/Olympus', 'europe/berlin ', 'EST5EDT; DROP TABLE org_units', '+02:00']) {
        await expectRefused(agent, '/units/new', '/units', { kind: 'facility', name: 'X', timeZone }, 422, 'Choose a time zone from the list');
        await expectRefused(agent, `/units/${facility.id}/edit`, `/units/${facility.id}`, { name: 'Plant One', timeZone }, 422, 'Choose a time zone from the list');
      }
    });

    it('refuses a duplicate code, ignoring case, on create and on edit', async () => {
      const { agent, facility, region, other } = await world();
      await expectRefused(agent, '/units/new', '/units', { kind: 'facility', name: 'Plant Two', code: 'p1' }, 422, 'The code p1 is already used by Plant One');
      await expectRefused(agent, `/units/${region.id}/edit`, `/units/${region.id}`, { name: 'North', code: 'P1' }, 422, 'already used by Plant One');
      // Keeping one's own code is fine; another client's codes do not collide.
      await submitForm(agent, `/units/${facility.id}/edit`, `/units/${facility.id}`, { name: 'Plant One', code: 'p1' }).then((r) => expect(r.status).to.equal(303));
      await submitForm(agent, '/units/new', '/units', { kind: 'facility', name: 'Mirror', code: 'GX' }).then((r) => expect(r.status).to.equal(303));
      expect(other.id).to.be.a('string');
    });

    it('refuses over-long, empty and repeated fields', async () => {
      const { agent, facility } = await world();
      await expectRefused(agent, '/units/new', '/units', { kind: 'facility', name: 'x'.repeat(201) }, 422, 'Name must be at most 200 characters.');
      await expectRefused(agent, '/units/new', '/units', { kind: 'facility', name: '   ' }, 422, 'Name is required.');
      await expectRefused(agent, '/units/new', '/units', { kind: 'facility', name: 'X', code: 'c'.repeat(41) }, 422, 'Code must be at most 40 characters.');
      await expectRefused(agent, '/units/new', '/units', { kind: 'facility', name: 'X', address: 'a'.repeat(501) }, 422, 'Address must be at most 500 characters.');
      await expectRefused(agent, `/units/${facility.id}/edit`, `/units/${facility.id}`, { name: 'y'.repeat(201) }, 422, 'Name must be at most 200 characters.');
      // A field sent twice arrives as an array; it is refused, not crashed on.
      const before = await databaseState();
      const token = await csrfToken(agent, `/units/${facility.id}/edit`);
      const res = await agent.post(`/units/${facility.id}`).type('form').send(`_csrf=${encodeURIComponent(token)}&name=A&name=B`);
      expect(res.status).to.equal(422);
      expect(await databaseState()).to.deep.equal(before);
    });

    it('refuses a unit whose id is not a UUID or does not exist with 404', async () => {
      const { agent } = await world();
      await agent.get('/units/not-a-uuid/edit').expect(404);
      await expectRefused(agent, '/units', '/units/not-a-uuid/deactivate', {}, 404);
      await expectRefused(agent, '/units', '/units/00000000-0000-4000-8000-000000000000/delete', { confirm: 'yes' }, 404);
    });
  });

  describe('moves the hierarchy does not allow (422 with a message, nothing moves)', () => {
    it('refuses moving a unit under its own descendant, saying so', async () => {
      const { agent, client, region, division, facility } = await world();
      await expectRefused(agent, `/units/${division.id}/edit`, `/units/${division.id}/move`, { parentId: facility.id }, 422,
        'Lakes cannot be moved under Plant One, because it is one of its own descendants.');
      await expectRefused(agent, `/units/${region.id}/edit`, `/units/${region.id}/move`, { parentId: division.id }, 422, 'one of its own descendants');
      await expectRefused(agent, `/units/${division.id}/edit`, `/units/${division.id}/move`, { parentId: division.id }, 422, 'Lakes cannot be placed under itself.');
      expect(client.id).to.be.a('string');
    });

    it('refuses a parent of the wrong kind: under a facility, a region under anything, a division under a division', async () => {
      const { agent, client, region, division, facility } = await world();
      const other = await createUnit(client, { kind: 'facility', name: 'Plant Two', parent: region });
      const otherRegion = await createUnit(client, { kind: 'region', name: 'South' });
      await expectRefused(agent, `/units/${other.id}/edit`, `/units/${other.id}/move`, { parentId: facility.id }, 422,
        'A facility can only be placed directly under the organisation, a region or a division, not under a facility.');
      await expectRefused(agent, `/units/${otherRegion.id}/edit`, `/units/${otherRegion.id}/move`, { parentId: region.id }, 422, 'A region can only be placed directly under the organisation');
      await expectRefused(agent, '/units/new', '/units', { kind: 'division', name: 'Sub', parentId: division.id }, 422, 'A division can only be placed directly under the organisation or a region');
      await expectRefused(agent, '/units/new', '/units', { kind: 'region', name: 'Sub', parentId: region.id }, 422, 'A region can only be placed directly under the organisation');
    });

    it('refuses an inactive parent', async () => {
      const { agent, client, region } = await world();
      const closed = await createUnit(client, { kind: 'division', name: 'Closed', parent: region, active: false });
      await expectRefused(agent, '/units/new', '/units', { kind: 'facility', name: 'X', parentId: closed.id }, 422, 'Closed is inactive. Reactivate it first');
    });

    it("maps the database trigger's refusal to a field error and keeps the transaction usable", async () => {
      const { client, admin, region, facility } = await world();
      const { db } = testEnv();
      const outcome = await inUnitOfWork(db.sequelize, { actorKind: 'user', clientId: client.id, userId: admin.id }, async () => {
        const unit = (await OrgUnit.findByPk(region.id))!;
        const error = await guardedWrite(() => unit.update({ parentId: facility.id })).catch((e: unknown) => e);
        // After the refusal the same transaction still answers queries.
        return { error, stillThere: (await OrgUnit.findByPk(region.id))?.parentId };
      });
      expect(outcome.error).to.be.instanceOf(ValidationError);
      expect((outcome.error as ValidationError).fields.parentId).to.include('a region cannot be placed under a facility');
      expect(outcome.stillThere).to.equal(null);
      expect((await unitRow(region.id))!.parent_id).to.equal(null);
    });
  });

  describe('level labels', () => {
    it('refuses empty, over-long, duplicate and unexpected labels', async () => {
      const { agent, other } = await world();
      await expectRefused(agent, '/settings/levels', '/settings/levels', { region: '', division: 'D', facility: 'F' }, 422, 'The region label is required.');
      await expectRefused(agent, '/settings/levels', '/settings/levels', { region: 'R'.repeat(41), division: 'D', facility: 'F' }, 422, 'at most 40 characters');
      await expectRefused(agent, '/settings/levels', '/settings/levels', { region: 'Site', division: 'D', facility: 'site' }, 422, 'Each level needs its own name.');
      await expectRefused(agent, '/settings/levels', '/settings/levels', { region: 'R', division: 'D', facility: 'F', client_id: other.id }, 422, 'does not accept the field client_id');
    });
  });

  describe('who may administer', () => {
    const adminPosts = (w: World): Array<[string, Record<string, string>]> => [
      ['/units', { kind: 'facility', name: 'Sneaky' }],
      [`/units/${w.facility.id}`, { name: 'Renamed' }],
      [`/units/${w.facility.id}/move`, { parentId: w.region.id }],
      [`/units/${w.facility.id}/deactivate`, { confirm: 'subtree' }],
      [`/units/${w.facility.id}/reactivate`, {}],
      [`/units/${w.facility.id}/delete`, { confirm: 'yes' }],
      ['/settings/levels', { region: 'Zone', division: 'District', facility: 'Site' }],
    ];
    const adminPages = (w: World) => ['/units/new', '/units/new?kind=region', `/units/${w.facility.id}/edit`, '/settings/levels'];

    for (const rank of ['executive', 'director', 'manager', 'associate'] as const) {
      it(`refuses a${rank === 'executive' || rank === 'associate' ? 'n' : ''} ${rank} with 403 on every page and post, in scope or whole-client, changing nothing`, async () => {
        const w = await world();
        const user = await createUser(w.client, { rank });
        // Whole-client scope: RLS would let the write through; the policy must refuse it.
        await grantScope(user, rank === 'executive' ? null : w.division);
        const agent = await signedInAgent(testApp(), user.email, user.password);
        for (const page of adminPages(w)) await agent.get(page).expect(403);
        for (const [action, fields] of adminPosts(w)) await expectRefused(agent, '/units', action, fields, 403, 'You do not have permission to do that.');
      });
    }

    it("gives another client's Administrator 404 for this client's units, and their posts change nothing", async () => {
      const w = await world();
      const stranger = await createUser(w.other, { rank: 'administrator' });
      const agent = await signedInAgent(testApp(), stranger.email, stranger.password);
      await agent.get(`/units/${w.facility.id}`).expect(404);
      await agent.get(`/units/${w.facility.id}/edit`).expect(404);
      for (const [action, fields] of adminPosts(w).filter(([a]) => a.startsWith(`/units/${w.facility.id}`))) {
        await expectRefused(agent, '/units', action, fields, 404);
      }
      // Creating under, or moving their own unit under, this client's unit: the parent does not exist for them.
      await expectRefused(agent, '/units/new', '/units', { kind: 'facility', name: 'Sneaky', parentId: w.division.id }, 422, 'That parent unit does not exist');
      await expectRefused(agent, `/units/${w.otherFacility.id}/edit`, `/units/${w.otherFacility.id}/move`, { parentId: w.division.id }, 422, 'That parent unit does not exist');
      // Their own label change touches only their client.
      await submitForm(agent, '/settings/levels', '/settings/levels', { region: 'Zone', division: 'District', facility: 'Site' }).then((r) => expect(r.status).to.equal(303));
      const [ours] = await ownerQuery<{ settings: Record<string, unknown> }>('SELECT settings FROM clients WHERE id = $1', [w.client.id]);
      expect(ours.settings).to.deep.equal({});
    });

    it('refuses posts without a CSRF token and anonymous posts', async () => {
      const w = await world();
      const before = await databaseState();
      const res = await w.agent.post(`/units/${w.facility.id}/delete`).type('form').send({ confirm: 'yes' });
      expect(res.status).to.equal(403);
      const anonymous = await supertest(testApp()).post(`/units/${w.facility.id}/delete`).type('form').send({ confirm: 'yes' });
      expect(anonymous.status).to.be.within(401, 403);
      expect(await databaseState()).to.deep.equal(before);
    });
  });
});
