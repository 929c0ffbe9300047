// Scope rows can be granted and revoked only inside the writer's own scope, whatever the code
// asks: the database refuses a Director who tries to widen anyone's scope (DESIGN.md §2, §8.2).
import { expect } from 'chai';
import { inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { testEnv } from '../support/env.ts';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { createUnit, grantScope } from '../support/hierarchy-factories.ts';

describe('user_scopes row-level security', () => {
  it('lets a scoped director grant and revoke only inside their scope, never whole-client', async () => {
    const client = await createClient();
    const north = await createUnit(client, { kind: 'region', name: 'North' });
    const south = await createUnit(client, { kind: 'region', name: 'South' });
    const plant = await createUnit(client, { kind: 'facility', name: 'Plant', parent: north });
    const director = await createUser(client, { rank: 'director' });
    await grantScope(director, north);
    const member = await createUser(client, { rank: 'associate' });
    await grantScope(member, south);
    const asDirector = <T>(work: () => Promise<T>) =>
      inUnitOfWork(testEnv().db.sequelize, { actorKind: 'user', clientId: client.id, userId: director.id }, work);
    const insert = (unitId: string | null) =>
      asDirector(() => sql('INSERT INTO user_scopes (client_id, user_id, org_unit_id) VALUES ($1, $2, $3) RETURNING id', [client.id, member.id, unitId]));
    const refused = async (work: Promise<unknown>) => work.then(() => 'accepted', (e: Error) => e.message);

    expect(await insert(plant.id)).to.have.length(1);
    expect(await refused(insert(south.id))).to.match(/row-level security/);
    expect(await refused(insert(null))).to.match(/row-level security/);
    // Revoking: the in-scope row goes; the out-of-scope one is not even touched.
    const removed = await asDirector(() => sql('DELETE FROM user_scopes WHERE user_id = $1 RETURNING org_unit_id', [member.id]));
    expect(removed).to.deep.equal([{ org_unit_id: plant.id }]);
    const left = await ownerQuery<{ org_unit_id: string }>('SELECT org_unit_id FROM user_scopes WHERE user_id = $1', [member.id]);
    expect(left).to.deep.equal([{ org_unit_id: south.id }]);
    // Reading stays open within the client, so user lists can show everyone's scope.
    const seen = await asDirector(() => sql<{ n: number }>('SELECT count(*)::int AS n FROM user_scopes'));
    expect(seen[0].n).to.equal(2);
  });
});
