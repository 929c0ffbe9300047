// Editing rank and scope, deactivation (which ends sessions), reactivation and unlocking; the
// rank and scope rules under form tampering; and the audit trail with before and after.
import { expect } from 'chai';
import supertest from 'supertest';
import { createClient, ownerQuery } from '../support/factories.ts';
import { createUnit } from '../support/hierarchy-factories.ts';
import { sessionRowsOf } from '../support/auth-helpers.ts';
import { signedInAgent, signIn, testApp, type Agent } from '../support/http.ts';
import { buildWorld, changeCounts, follow, post, scopedUser, scopeOf, snapshotUser, userAudits, type World } from './helpers.ts';

describe('user management', () => {
  let world: World;
  let app: ReturnType<typeof testApp>;
  beforeEach(async () => {
    world = await buildWorld();
    app = testApp();
  });
  const agentOf = (user: { email: string; password: string }) => signedInAgent(app, user.email, user.password);

  describe('editing rank and scope', () => {
    it('lets an administrator change rank and scope, audited with before and after', async () => {
      const admin = await agentOf(world.admin);
      const form = await admin.get(`/users/${world.manager.id}/edit`).expect(200);
      expect(form.text).to.match(new RegExp(`value="${world.lakePlant.id}" checked`));

      const res = await post(admin, `/users/${world.manager.id}`, { rank: 'director', scope: [world.north.id, world.southPlant.id] });
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.equal(`/users/${world.manager.id}`);
      expect((await follow(admin, res)).text).to.include('Rank and scope saved.');

      const after = await snapshotUser(world.manager.id);
      expect(after.row.rank).to.equal('director');
      expect(after.scope).to.deep.equal([world.north.id, world.southPlant.id].sort());
      const [entry] = await userAudits('user.update');
      expect(entry).to.deep.include({ actor_user_id: world.admin.id, entity_id: world.manager.id, client_id: world.client.id });
      expect(entry.changes).to.deep.equal({ rank: ['manager', 'director'], scope: [[world.lakePlant.id], [world.north.id, world.southPlant.id].sort()] });

      // Nothing changed, nothing audited.
      await post(admin, `/users/${world.manager.id}`, { rank: 'director', scope: [world.southPlant.id, world.north.id] });
      expect(await userAudits('user.update')).to.have.length(1);
    });

    it('lets a director manage lower ranks inside their scope', async () => {
      const director = await agentOf(world.director);
      const res = await post(director, `/users/${world.associate.id}`, { rank: 'manager', scope: [world.lakes.id] });
      expect(res.status).to.equal(303);
      const after = await snapshotUser(world.associate.id);
      expect(after.row.rank).to.equal('manager');
      expect(after.scope).to.deep.equal([world.lakes.id]);
    });

    it('refuses rank escalation by form tampering (403, nothing changed)', async () => {
      const director = await agentOf(world.director);
      const form = await director.get(`/users/${world.manager.id}/edit`).expect(200);
      expect(form.text).to.not.include('value="director"');
      expect(form.text).to.not.include('value="administrator"');
      for (const rank of ['director', 'executive', 'administrator']) {
        const before = await snapshotUser(world.manager.id);
        const res = await post(director, `/users/${world.manager.id}`, { rank, scope: [world.lakePlant.id] });
        expect(res.status, rank).to.equal(403);
        expect(res.text).to.include('You may not grant the rank');
        expect(await snapshotUser(world.manager.id)).to.deep.equal(before);
      }
      // Inviting with a rank at or above one's own fails the same way.
      const counts = await changeCounts();
      for (const rank of ['director', 'administrator']) {
        const res = await post(director, '/users/invite', { name: 'Esc Alator', email: `esc-${rank}@acme.example`, rank, scope: [world.lakePlant.id] });
        expect(res.status).to.equal(403);
      }
      // An executive may not mint an executive or an administrator either.
      const executive = await agentOf(world.executive);
      const up = await post(executive, `/users/${world.director.id}`, { rank: 'executive', scope: [world.north.id] });
      expect(up.status).to.equal(403);
      expect(await changeCounts()).to.deep.equal(counts);
      expect((await snapshotUser(world.director.id)).row.rank).to.equal('director');
    });

    it('refuses scope escalation by form tampering (422, nothing changed)', async () => {
      const director = await agentOf(world.director);
      const other = await createClient({ name: 'Other Co' });
      const foreignUnit = await createUnit(other, { name: 'Foreign Plant' });
      const inactive = await createUnit(world.client, { name: 'Closed Plant', parent: world.north, active: false });
      const before = await snapshotUser(world.manager.id);
      const attempts: Array<[string, string | string[], string]> = [
        ['unit outside the scope', world.southPlant.id, 'not in your scope'],
        ['the region above a unit in scope', world.south.id, 'not in your scope'],
        ['in scope plus one outside', [world.lakePlant.id, world.southPlant.id], 'not in your scope'],
        ['the whole client', 'client', 'whole organisation'],
        ["another client's unit", foreignUnit.id, 'not in your scope'],
        ['an inactive unit', inactive.id, 'inactive'],
        ['a non-UUID', 'lake-plant', 'not valid'],
        ['no scope at all', [], 'at least one unit'],
      ];
      for (const [label, scope, message] of attempts) {
        const res = await post(director, `/users/${world.manager.id}`, { rank: 'manager', scope });
        expect(res.status, label).to.equal(422);
        expect(res.text, label).to.include(message);
        expect(await snapshotUser(world.manager.id), label).to.deep.equal(before);
      }
      // The same rules on invite; nothing is created.
      const counts = await changeCounts();
      for (const [label, scope] of attempts) {
        const res = await post(director, '/users/invite', { name: 'Scope Creep', email: 'creep@acme.example', rank: 'associate', scope });
        expect(res.status, label).to.equal(422);
      }
      expect(await changeCounts()).to.deep.equal(counts);
    });

    it('refuses malformed invitations and ignores a posted client_id', async () => {
      const admin = await agentOf(world.admin);
      const counts = await changeCounts();
      const bad = [
        { name: 'No Mail', email: 'not-an-address', rank: 'associate', scope: [world.hillPlant.id] },
        { name: '', email: 'noname@acme.example', rank: 'associate', scope: [world.hillPlant.id] },
        { name: 'No Rank', email: 'norank@acme.example', rank: 'emperor', scope: [world.hillPlant.id] },
        { name: ['Two', 'Names'], email: 'two@acme.example', rank: 'associate', scope: [world.hillPlant.id] },
      ];
      for (const fields of bad) {
        const res = await post(admin, '/users/invite', fields as Record<string, string | string[]>);
        expect(res.status, JSON.stringify(fields)).to.equal(422);
      }
      expect(await changeCounts()).to.deep.equal(counts);

      const other = await createClient({ name: 'Other Co' });
      const res = await post(admin, '/users/invite', { name: 'Pat Planted', email: 'pat@acme.example', rank: 'associate', scope: [world.hillPlant.id], client_id: other.id });
      expect(res.status).to.equal(303);
      const [pat] = await ownerQuery<{ client_id: string }>(`SELECT client_id FROM users WHERE email = 'pat@acme.example'`);
      expect(pat.client_id).to.equal(world.client.id);
    });

    it('refuses editing oneself and users of equal or higher rank (403, nothing changed)', async () => {
      const director = await agentOf(world.director);
      const cases: Array<[string, string]> = [
        ['self', world.director.id],
        ['equal rank', world.peerDirector.id],
      ];
      for (const [label, id] of cases) {
        const before = await snapshotUser(id);
        expect((await director.get(`/users/${id}/edit`)).status, label).to.equal(403);
        for (const path of ['', '/deactivate']) {
          const res = await post(director, `/users/${id}${path}`, { rank: 'associate', scope: [world.hillPlant.id] });
          expect(res.status, `${label} ${path}`).to.equal(403);
        }
        expect(await snapshotUser(id), label).to.deep.equal(before);
      }
      // Administrators may not edit or deactivate themselves either; another administrator may.
      const admin = await agentOf(world.admin);
      expect((await post(admin, `/users/${world.admin.id}`, { rank: 'associate', scope: [world.hillPlant.id] })).status).to.equal(403);
      expect((await post(admin, `/users/${world.admin.id}/deactivate`)).status).to.equal(403);
      const second = await scopedUser(world.client, { name: 'Second Admin', email: 'second@acme.example', rank: 'administrator' }, [null]);
      const res = await post(admin, `/users/${second.id}`, { rank: 'executive', scope: ['client'] });
      expect(res.status).to.equal(303);
      expect(await snapshotUser(second.id)).to.deep.include({ scope: ['client'] });
    });
  });

  describe('deactivation, reactivation and unlocking', () => {
    it('deactivation signs the user out everywhere; reactivation lets them back in; both audited', async () => {
      const managerAgent: Agent = await agentOf(world.manager);
      const secondAgent: Agent = await agentOf(world.manager);
      await managerAgent.get('/').expect(200);
      expect(await sessionRowsOf(world.manager.id)).to.equal(2);

      const admin = await agentOf(world.admin);
      const res = await post(admin, `/users/${world.manager.id}/deactivate`);
      expect(res.status).to.equal(303);
      expect((await follow(admin, res)).text).to.include('has been deactivated and signed out');
      expect(await sessionRowsOf(world.manager.id)).to.equal(0);
      for (const agent of [managerAgent, secondAgent]) {
        const home = await agent.get('/');
        expect(home.status).to.equal(303);
        expect(home.headers.location).to.equal('/login');
      }
      expect((await signIn(supertest.agent(app), world.manager.email, world.manager.password)).status).to.equal(401);
      const [deactivated] = await userAudits('user.deactivate');
      expect(deactivated).to.deep.include({ actor_user_id: world.admin.id, entity_id: world.manager.id });
      expect(deactivated.changes).to.deep.equal({ status: ['active', 'deactivated'] });
      expect((await post(admin, `/users/${world.manager.id}/deactivate`)).status).to.equal(409);

      const back = await post(admin, `/users/${world.manager.id}/reactivate`);
      expect(back.status).to.equal(303);
      expect((await snapshotUser(world.manager.id)).row.status).to.equal('active');
      expect((await signIn(supertest.agent(app), world.manager.email, world.manager.password)).status).to.equal(303);
      const [reactivated] = await userAudits('user.reactivate');
      expect(reactivated.changes).to.deep.equal({ status: ['deactivated', 'active'] });
    });

    it('unlocks a locked user, clearing the failure count, audited', async () => {
      const locked = await scopedUser(world.client, { name: 'Lou Locked', email: 'lou@acme.example', rank: 'associate', status: 'locked' }, [world.hillPlant]);
      await ownerQuery(`UPDATE users SET failed_login_count = 5, locked_at = now() WHERE id = $1`, [locked.id]);
      expect((await signIn(supertest.agent(app), locked.email, locked.password)).status).to.equal(401);

      const director = await agentOf(world.director);
      const page = await director.get(`/users/${locked.id}`).expect(200);
      expect(page.text).to.include('>Unlock<');
      const res = await post(director, `/users/${locked.id}/unlock`);
      expect(res.status).to.equal(303);
      const after = await snapshotUser(locked.id);
      expect(after.row).to.include({ status: 'active', failed_login_count: 0, locked_at: null });
      expect((await signIn(supertest.agent(app), locked.email, locked.password)).status).to.equal(303);
      const [entry] = await userAudits('user.unlock');
      expect(entry).to.deep.include({ actor_user_id: world.director.id, entity_id: locked.id });
      expect(entry.changes).to.deep.equal({ status: ['locked', 'active'], failed_login_count: [6, 0] }); // 5 + the refused sign-in above
      // Not locked any more: a second unlock is refused.
      expect((await post(director, `/users/${locked.id}/unlock`)).status).to.equal(409);
      expect(await scopeOf(locked.id)).to.deep.equal([world.hillPlant.id]);
    });
  });
});
