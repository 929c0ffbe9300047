// Regression: hierarchy administration answers bad input with a 4xx and changes nothing.
import { expect } from 'chai';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { createUnit } from '../support/hierarchy-factories.ts';
import { signedInAgent, submitForm, testApp } from '../support/http.ts';

describe('unit administration bad input', () => {
  it('refuses a level label with a NUL character with a 422, not a 500, and changes nothing', async () => {
    const client = await createClient({ name: 'Acme' });
    const admin = await createUser(client, { rank: 'administrator' });
    const agent = await signedInAgent(testApp(), admin.email, admin.password);
    const before = await ownerQuery('SELECT settings FROM clients WHERE id = $1', [client.id]);
    const res = await submitForm(agent, '/settings/levels', '/settings/levels', { region: 'Area\u0000', division: 'District', facility: 'Site' });
    expect(res.status).to.equal(422);
    expect(res.text).to.include('region label');
    expect(await ownerQuery('SELECT settings FROM clients WHERE id = $1', [client.id])).to.deep.equal(before);
    const [audit] = await ownerQuery<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'client.level_labels'`);
    expect(audit.n).to.equal(0);
  });

  it('answers 404 on every unit admin route for an id that is 36 hex digits but no UUID', async () => {
    const client = await createClient({ name: 'Acme' });
    const admin = await createUser(client, { rank: 'administrator' });
    await createUnit(client, { kind: 'region', name: 'North' });
    const agent = await signedInAgent(testApp(), admin.email, admin.password);
    const bad = 'a'.repeat(36);
    expect((await agent.get(`/units/${bad}/edit`)).status).to.equal(404);
    for (const action of ['', '/move', '/deactivate', '/reactivate', '/delete']) {
      const res = await submitForm(agent, '/units', `/units/${bad}${action}`, { name: 'x' });
      expect(res.status, action).to.equal(404);
    }
  });
});
