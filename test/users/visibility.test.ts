// Who sees whom: a scoped Director sees exactly the users whose every scope node lies inside
// their scope (404 for all others); whole-client actors see the whole client; another client's
// administrator gets 404 on every user route and changes nothing; ranks without users.view get 403.
import { expect } from 'chai';
import { ownerQuery } from '../support/factories.ts';
import { signedInAgent, testApp, type Agent } from '../support/http.ts';
import { buildWorld, changeCounts, post, scopedUser, snapshotUser, type World } from './helpers.ts';

/** The ids of users linked from a users list page. */
const listedIds = (html: string) => [...html.matchAll(/href="\/users\/([0-9a-f-]{36})"/g)].map((m) => m[1]).sort();

describe('user visibility and isolation', () => {
  let world: World;
  let app: ReturnType<typeof testApp>;
  beforeEach(async () => {
    world = await buildWorld();
    app = testApp();
  });
  const agentOf = (user: { email: string; password: string }) => signedInAgent(app, user.email, user.password);

  it('shows a Director of a region exactly the users inside it, and 404 for every other', async () => {
    const director = await agentOf(world.director);
    const inside = [world.director, world.peerDirector, world.manager, world.associate];
    const outside = [world.admin, world.executive, world.southManager, world.straddler];
    const list = await director.get('/users').expect(200);
    expect(listedIds(list.text)).to.deep.equal(inside.map((u) => u.id).sort());
    for (const user of inside) expect((await director.get(`/users/${user.id}`)).status, user.name).to.equal(200);
    for (const user of outside) {
      expect((await director.get(`/users/${user.id}`)).status, user.name).to.equal(404);
      expect((await director.get(`/users/${user.id}/edit`)).status, user.name).to.equal(404);
    }
    // Writes to users outside the scope answer 404 and change nothing.
    const before = await Promise.all(outside.map((u) => snapshotUser(u.id)));
    const counts = await changeCounts();
    for (const user of outside) {
      for (const path of ['', '/deactivate', '/reactivate', '/unlock', '/resend-invite']) {
        const res = await post(director, `/users/${user.id}${path}`, { rank: 'associate', scope: [world.hillPlant.id] });
        expect(res.status, `${user.name} ${path}`).to.equal(404);
      }
    }
    expect(await Promise.all(outside.map((u) => snapshotUser(u.id)))).to.deep.equal(before);
    expect(await changeCounts()).to.deep.equal(counts);

    // Moving the straddler fully inside North makes them visible.
    await ownerQuery(`DELETE FROM user_scopes WHERE user_id = $1 AND org_unit_id = $2`, [world.straddler.id, world.southPlant.id]);
    expect((await director.get(`/users/${world.straddler.id}`)).status).to.equal(200);
  });

  it('shows whole-client actors every user of their client, and only of their client', async () => {
    const other = await buildWorld('Other Co', 'other.example');
    for (const actor of [world.admin, world.executive]) {
      const agent = await agentOf(actor);
      const list = await agent.get('/users').expect(200);
      const mine = (await ownerQuery<{ id: string }>('SELECT id FROM users WHERE client_id = $1', [world.client.id])).map((r) => r.id).sort();
      expect(listedIds(list.text)).to.deep.equal(mine);
      expect(list.text).to.not.include('other.example');
      expect((await agent.get(`/users/${other.manager.id}`)).status).to.equal(404);
    }
  });

  it('searches by name or e-mail and filters by rank and status, within scope', async () => {
    const director = await agentOf(world.director);
    expect(listedIds((await director.get('/users?q=morgan')).text)).to.deep.equal([world.manager.id]);
    expect(listedIds((await director.get('/users?q=ASH.ASSOCIATE%40')).text)).to.deep.equal([world.associate.id]);
    expect(listedIds((await director.get('/users?rank=director')).text)).to.deep.equal([world.director.id, world.peerDirector.id].sort());
    // Outside the scope, a search finds nothing, so it reveals nothing.
    expect(listedIds((await director.get('/users?q=sam')).text)).to.deep.equal([]);
    // Wildcards are literal.
    expect(listedIds((await director.get('/users?q=%25')).text)).to.deep.equal([]);
    const invited = await scopedUser(world.client, { name: 'Ina Invited', email: 'ina@acme.example', rank: 'associate', status: 'invited' }, [world.hillPlant]);
    expect(listedIds((await director.get('/users?status=invited')).text)).to.deep.equal([invited.id]);
    // Unknown filter values are ignored, not errors.
    expect((await director.get('/users?rank=emperor&status=x&page=-3')).status).to.equal(200);
  });

  it("gives another client's administrator 404 on every user route and changes nothing", async () => {
    const other = await buildWorld('Other Co', 'other.example');
    const intruder: Agent = await agentOf(other.admin);
    const targets = [world.admin, world.manager];
    const before = await Promise.all(targets.map((u) => snapshotUser(u.id)));
    const counts = await changeCounts();
    for (const user of targets) {
      expect((await intruder.get(`/users/${user.id}`)).status).to.equal(404);
      expect((await intruder.get(`/users/${user.id}/edit`)).status).to.equal(404);
      for (const path of ['', '/deactivate', '/reactivate', '/unlock', '/resend-invite']) {
        const res = await post(intruder, `/users/${user.id}${path}`, { rank: 'associate', scope: [other.hillPlant.id] });
        expect(res.status, path).to.equal(404);
      }
    }
    // Granting one's own client a unit of another client fails too.
    const res = await post(intruder, `/users/${other.manager.id}`, { rank: 'manager', scope: [world.lakePlant.id] });
    expect(res.status).to.equal(422);
    expect(await Promise.all(targets.map((u) => snapshotUser(u.id)))).to.deep.equal(before);
    expect(await changeCounts()).to.deep.equal(counts);
  });

  it('answers 404 for malformed ids and 403 for ranks without user management', async () => {
    const admin = await agentOf(world.admin);
    for (const id of ['not-a-uuid', '123', "x' OR 1=1 --"]) {
      expect((await admin.get(`/users/${encodeURIComponent(id)}`)).status).to.equal(404);
      expect((await post(admin, `/users/${encodeURIComponent(id)}/deactivate`)).status).to.equal(404);
    }
    expect((await admin.get('/').expect(200)).text).to.include('href="/users"');
    for (const user of [world.manager, world.associate]) {
      const agent = await agentOf(user);
      expect((await agent.get('/').expect(200)).text).to.not.include('href="/users"');
      expect((await agent.get('/users')).status).to.equal(403);
      expect((await agent.get('/users/invite')).status).to.equal(403);
      expect((await post(agent, '/users/invite', { name: 'X Y', email: 'xy@acme.example', rank: 'associate', scope: [world.hillPlant.id] })).status).to.equal(403);
      expect((await post(agent, `/users/${world.straddler.id}/deactivate`)).status).to.equal(403);
    }
    expect((await snapshotUser(world.straddler.id)).row.status).to.equal('active');
  });
});
