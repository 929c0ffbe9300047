// A change to a signed-in user holds on their very next request, whatever the app keeps between
// requests (a session that reads less, a session deadline written in steps): a lower rank, a
// narrower scope, a deactivation and a password change made elsewhere.
import { expect } from 'chai';
import { changePasswordForm } from '../support/auth-helpers.ts';
import { ownerQuery } from '../support/factories.ts';
import { listWorld } from '../event-lists/list-world.ts';

describe('changes to a signed-in user hold on their next request', () => {
  it('a lower rank: the users list is refused on the next request', async () => {
    const w = await listWorld();
    const director = await w.as(w.director);
    await director.get('/users').expect(200);
    await director.get('/users').expect(200);
    await ownerQuery(`UPDATE users SET rank = 'associate' WHERE id = $1`, [w.director.id]);
    const res = await director.get('/users');
    expect(res.status).to.equal(403);
  });

  it('a narrower scope: the region left is not found on the next request, the one given is shown', async () => {
    const w = await listWorld();
    const director = await w.as(w.director);
    await director.get(`/units/${w.north.id}`).expect(200);
    await director.get(`/units/${w.south.id}`).expect(404);
    await ownerQuery('DELETE FROM user_scopes WHERE user_id = $1', [w.director.id]);
    await ownerQuery('INSERT INTO user_scopes (client_id, user_id, org_unit_id) VALUES ($1, $2, $3)', [w.client.id, w.director.id, w.south.id]);
    await director.get(`/units/${w.north.id}`).expect(404);
    await director.get(`/units/${w.south.id}`).expect(200);
    await director.get(`/units/${w.plantOne.id}/events?status=open`).expect(404);
  });

  it('a deactivation: the next request is signed out', async () => {
    const w = await listWorld();
    const alice = await w.as(w.alice);
    await alice.get('/events').expect(200);
    await alice.get('/events').expect(200);
    await ownerQuery(`UPDATE users SET status = 'deactivated' WHERE id = $1`, [w.alice.id]);
    const res = await alice.get('/events');
    expect(res.status).not.to.equal(200);
    expect(res.text).not.to.include('id="my-events"');
    await alice.get('/').expect((r) => expect(r.status).to.be.oneOf([303, 401]));
  });

  it('a password changed in another session: this one is signed out on its next request', async () => {
    const w = await listWorld();
    const here = await w.as(w.bob);
    const elsewhere = await w.as(w.bob);
    await here.get('/events').expect(200);
    await here.get('/events').expect(200);
    const changed = await changePasswordForm(elsewhere, w.bob.password, 'Amber-Fjord-Piston-92');
    expect(changed.status).to.equal(303);
    const res = await here.get('/events');
    expect(res.status).not.to.equal(200);
    expect(res.text).not.to.include('id="my-events"');
    await elsewhere.get('/events').expect(200);
  });
});
