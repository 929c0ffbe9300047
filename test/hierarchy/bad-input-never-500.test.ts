// Regression: bad input on the hierarchy and user pages answers 4xx, never a 500.
import { expect } from 'chai';
import { signedInAgent, testApp } from '../support/http.ts';
import { buildWorld, changeCounts, post, scopeOf, type World } from '../users/helpers.ts';

describe('bad input on hierarchy and user pages', () => {
  let world: World;
  let app: ReturnType<typeof testApp>;
  beforeEach(async () => {
    world = await buildWorld();
    app = testApp();
  });

  it('answers 404, not 500, for a unit id of 36 hex digits and dashes that is no UUID', async () => {
    const admin = await signedInAgent(app, world.admin.email, world.admin.password);
    for (const bad of ['-'.repeat(36), '0'.repeat(36), `${world.lakePlant.id.slice(0, 35)}-`]) {
      expect((await admin.get(`/units/${bad}`)).status, bad).to.equal(404);
      expect((await admin.get(`/units/select?unit=${bad}`)).status, bad).to.equal(404);
    }
  });

  it("refuses scope 'CLIENT' (the whole-client value in capitals) with 422, not 500, on invite and edit", async () => {
    const admin = await signedInAgent(app, world.admin.email, world.admin.password);
    const before = await changeCounts();
    const invited = await post(admin, '/users/invite', { name: 'Caps Lock', email: 'caps@acme.example', rank: 'associate', scope: 'CLIENT' }, '/users/invite');
    expect(invited.status).to.equal(422);
    const edited = await post(admin, `/users/${world.manager.id}`, { rank: 'manager', scope: ['Client', world.lakePlant.id] });
    expect(edited.status).to.equal(422);
    expect(await changeCounts()).to.deep.equal(before);
    expect(await scopeOf(world.manager.id)).to.deep.equal([world.lakePlant.id]);
  });
});
