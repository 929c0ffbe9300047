// Hierarchy administration: each action works through the real forms, keeps
// ids, and is audited with before/after values; level labels show on the hierarchy pages.
import { expect } from 'chai';
import { auditRows } from '../support/auth-helpers.ts';
import { type ClientRow, createClient, createUser, ownerQuery, type UserRow } from '../support/factories.ts';
import { createUnit, grantScope, unitRow, type UnitRow } from '../support/hierarchy-factories.ts';
import { type Agent, signedInAgent, submitForm, testApp } from '../support/http.ts';

interface World {
  client: ClientRow;
  admin: UserRow;
  agent: Agent;
  region: UnitRow;
  division: UnitRow;
  facility: UnitRow;
}

async function world(): Promise<World> {
  const client = await createClient({ name: 'Acme Water', timeZone: 'America/Chicago' });
  const admin = await createUser(client, { rank: 'administrator' });
  const region = await createUnit(client, { kind: 'region', name: 'North', code: 'N' });
  const division = await createUnit(client, { kind: 'division', name: 'Lakes', code: 'N-L', parent: region });
  const facility = await createUnit(client, { kind: 'facility', name: 'Plant One', code: 'P1', parent: division });
  return { client, admin, region, division, facility, agent: await signedInAgent(testApp(), admin.email, admin.password) };
}

describe('hierarchy administration', () => {
  it('creates a region, a division and a facility, each audited with its values', async () => {
    const { agent, client, admin } = await world();
    let res = await submitForm(agent, '/units/new?kind=region', '/units', { kind: 'region', name: 'South', code: 'S' });
    expect(res.status).to.equal(303);
    const [south] = await ownerQuery<UnitRow>("SELECT * FROM org_units WHERE name = 'South'");
    expect(res.headers.location).to.equal(`/units/${south.id}`);
    expect(south).to.include({ client_id: client.id, kind: 'region', code: 'S', parent_id: null, active: true });

    res = await submitForm(agent, '/units/new?kind=division', '/units', { kind: 'division', parentId: south.id, name: 'Coast' });
    expect(res.status).to.equal(303);
    const [coast] = await ownerQuery<UnitRow>("SELECT * FROM org_units WHERE name = 'Coast'");
    expect(coast).to.include({ kind: 'division', parent_id: south.id, code: null });

    res = await submitForm(agent, '/units/new?kind=facility', '/units', {
      kind: 'facility', parentId: coast.id, name: 'Harbour Works', code: 'HW-1', address: '1 Quay Street\nPort Town', timeZone: 'Europe/Berlin',
    });
    expect(res.status).to.equal(303);
    const [harbour] = await ownerQuery<UnitRow>("SELECT * FROM org_units WHERE name = 'Harbour Works'");
    expect(harbour).to.include({ kind: 'facility', parent_id: coast.id, address: '1 Quay Street\nPort Town', time_zone: 'Europe/Berlin' });

    // A facility directly under the client, with the organisation's default time zone.
    res = await submitForm(agent, '/units/new?kind=facility', '/units', { kind: 'facility', parentId: '', name: 'HQ', code: '', address: '', timeZone: '' });
    expect(res.status).to.equal(303);
    const [hq] = await ownerQuery<UnitRow>("SELECT * FROM org_units WHERE name = 'HQ'");
    expect(hq).to.include({ parent_id: null, time_zone: null, code: null, address: null });
    const page = await agent.get(`/units/${hq.id}`).expect(200);
    expect(page.text).to.include('America/Chicago (organisation default)');

    const created = await auditRows('org_unit.create');
    expect(created.map((r) => r.entity_id)).to.deep.equal([south.id, coast.id, harbour.id, hq.id]);
    expect(created.every((r) => r.client_id === client.id && r.actor_user_id === admin.id && r.entity_type === 'org_unit')).to.equal(true);
    expect(created[2].changes).to.deep.include({
      kind: [null, 'facility'], name: [null, 'Harbour Works'], code: [null, 'HW-1'], parent_id: [null, coast.id], time_zone: [null, 'Europe/Berlin'], active: [null, true],
    });
  });

  it('offers the create form with allowed parents and the time zone list', async () => {
    const { agent, region, division, facility } = await world();
    const res = await agent.get(`/units/new?kind=facility&parent=${division.id}`).expect(200);
    expect(res.text).to.include(`<option value="${division.id}" selected>`);
    expect(res.text).to.include(`value="${region.id}"`);
    expect(res.text).not.to.include(`value="${facility.id}"`);
    expect(res.text).to.include('<option value="Europe/Berlin" >');
    expect(res.text).to.include('Organisation default (America/Chicago)');
    const divisionForm = await agent.get('/units/new?kind=division').expect(200);
    expect(divisionForm.text).not.to.include(`value="${division.id}"`);
  });

  it('renames and edits a facility, auditing only the fields that changed', async () => {
    const { agent, facility } = await world();
    const res = await submitForm(agent, `/units/${facility.id}/edit`, `/units/${facility.id}`, {
      name: 'Plant One North', code: 'P1', address: '2 Mill Lane', timeZone: 'Asia/Tokyo',
    });
    expect(res.status).to.equal(303);
    expect(await unitRow(facility.id)).to.include({ name: 'Plant One North', code: 'P1', address: '2 Mill Lane', time_zone: 'Asia/Tokyo' });
    const [entry] = await auditRows('org_unit.update');
    expect(entry.entity_id).to.equal(facility.id);
    expect(entry.changes).to.deep.equal({ name: ['Plant One', 'Plant One North'], address: [null, '2 Mill Lane'], time_zone: [null, 'Asia/Tokyo'] });

    // Saving unchanged values writes no audit entry.
    await submitForm(agent, `/units/${facility.id}/edit`, `/units/${facility.id}`, { name: 'Plant One North', code: 'P1', address: '2 Mill Lane', timeZone: 'Asia/Tokyo' });
    expect(await auditRows('org_unit.update')).to.have.length(1);
  });

  it('renames a region (which has no address or time zone)', async () => {
    const { agent, region } = await world();
    const res = await submitForm(agent, `/units/${region.id}/edit`, `/units/${region.id}`, { name: 'Northern Region', code: 'NR' });
    expect(res.status).to.equal(303);
    expect(await unitRow(region.id)).to.include({ name: 'Northern Region', code: 'NR', address: null, time_zone: null });
    expect((await auditRows('org_unit.update'))[0].changes).to.deep.equal({ name: ['North', 'Northern Region'], code: ['N', 'NR'] });
  });

  it('moves a facility and a division, keeping their ids; the subtree moves along', async () => {
    const { agent, client, region, division, facility } = await world();
    const other = await createUnit(client, { kind: 'division', name: 'Hills', parent: region });
    let res = await submitForm(agent, `/units/${facility.id}/edit`, `/units/${facility.id}/move`, { parentId: other.id });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal(`/units/${facility.id}`);
    expect((await unitRow(facility.id))!.parent_id).to.equal(other.id);

    // Divisions may also sit directly under the client.
    res = await submitForm(agent, `/units/${other.id}/edit`, `/units/${other.id}/move`, { parentId: '' });
    expect(res.status).to.equal(303);
    expect((await unitRow(other.id))!.parent_id).to.equal(null);
    expect((await unitRow(facility.id))!.parent_id).to.equal(other.id);

    const moves = await auditRows('org_unit.move');
    expect(moves.map((m) => [m.entity_id, m.changes])).to.deep.equal([
      [facility.id, { parent_id: [division.id, other.id] }],
      [other.id, { parent_id: [region.id, null] }],
    ]);
  });

  it('moving a facility moves its visibility: a Director of the old division loses it, of the new one gains it', async () => {
    const { agent, client, region, division, facility } = await world();
    const hills = await createUnit(client, { kind: 'division', name: 'Hills', parent: region });
    const lakesDirector = await createUser(client, { rank: 'director' });
    const hillsDirector = await createUser(client, { rank: 'director' });
    await grantScope(lakesDirector, division);
    await grantScope(hillsDirector, hills);
    const app = testApp();
    const lakes = await signedInAgent(app, lakesDirector.email, lakesDirector.password);
    const hillsAgent = await signedInAgent(app, hillsDirector.email, hillsDirector.password);
    await lakes.get(`/units/${facility.id}`).expect(200);
    await hillsAgent.get(`/units/${facility.id}`).expect(404);

    await submitForm(agent, `/units/${facility.id}/edit`, `/units/${facility.id}/move`, { parentId: hills.id }).then((r) => expect(r.status).to.equal(303));
    await lakes.get(`/units/${facility.id}`).expect(404);
    await hillsAgent.get(`/units/${facility.id}`).expect(200);
  });

  it('deactivates a leaf at once, and a parent only after confirming the active units below it', async () => {
    const { agent, client, region, division, facility } = await world();
    let res = await submitForm(agent, `/units/${facility.id}`, `/units/${facility.id}/deactivate`, {});
    expect(res.status).to.equal(303);
    expect((await unitRow(facility.id))!.active).to.equal(false);
    expect((await auditRows('org_unit.deactivate')).map((r) => [r.entity_id, r.changes])).to.deep.equal([[facility.id, { active: [true, false] }]]);

    // Reactivate it; then deactivating the region asks first and lists what would go with it.
    await submitForm(agent, `/units/${facility.id}`, `/units/${facility.id}/reactivate`, {}).then((r) => expect(r.status).to.equal(303));
    res = await submitForm(agent, `/units/${region.id}`, `/units/${region.id}/deactivate`, {});
    expect(res.status).to.equal(200);
    expect(res.text).to.include('Deactivate North?');
    expect(res.text).to.include('Lakes').and.to.include('Plant One');
    expect((await unitRow(region.id))!.active).to.equal(true);

    // A confirmation that no longer matches the subtree (a unit was added meanwhile) asks again.
    const added = await createUnit(client, { kind: 'facility', name: 'Plant Two', parent: division });
    res = await submitForm(agent, `/units/${region.id}`, `/units/${region.id}/deactivate`, { confirm: 'subtree', expected: '2' });
    expect(res.status).to.equal(200);
    expect(res.text).to.include('changed since you looked').and.to.include('Plant Two');
    expect((await unitRow(region.id))!.active).to.equal(true);

    res = await submitForm(agent, `/units/${region.id}`, `/units/${region.id}/deactivate`, { confirm: 'subtree', expected: '3' });
    expect(res.status).to.equal(303);
    for (const unit of [region, division, facility, added]) expect((await unitRow(unit.id))!.active, unit.name).to.equal(false);
    const entries = (await auditRows('org_unit.deactivate')).slice(1);
    expect(entries.map((r) => r.entity_id)).to.have.members([region.id, division.id, facility.id, added.id]);
    expect(entries.find((r) => r.entity_id === facility.id)!.changes).to.deep.equal({ active: [true, false], with_ancestor: region.id });
  });

  it('reactivates a unit alone or with its subtree, never under an inactive parent', async () => {
    const { agent, region, division, facility } = await world();
    await submitForm(agent, `/units/${region.id}`, `/units/${region.id}/deactivate`, { confirm: 'subtree', expected: '2' });

    // The facility cannot come back while its division is inactive.
    let res = await submitForm(agent, `/units/${facility.id}`, `/units/${facility.id}/reactivate`, {});
    expect(res.status).to.equal(422);
    expect(res.text).to.include('Lakes, which is inactive. Reactivate Lakes first');
    expect((await unitRow(facility.id))!.active).to.equal(false);

    res = await submitForm(agent, `/units/${region.id}`, `/units/${region.id}/reactivate`, {});
    expect(res.status).to.equal(303);
    expect((await unitRow(region.id))!.active).to.equal(true);
    expect((await unitRow(division.id))!.active).to.equal(false);

    res = await submitForm(agent, `/units/${division.id}`, `/units/${division.id}/reactivate`, { subtree: '1' });
    expect(res.status).to.equal(303);
    expect((await unitRow(division.id))!.active).to.equal(true);
    expect((await unitRow(facility.id))!.active).to.equal(true);
    expect((await auditRows('org_unit.reactivate')).map((r) => [r.entity_id, r.changes])).to.deep.equal([
      [region.id, { active: [false, true] }],
      [division.id, { active: [false, true] }],
      [facility.id, { active: [false, true], with_ancestor: division.id }],
    ]);
  });

  it('deletes a unit nothing depends on, after confirmation, auditing what it was', async () => {
    const { agent, facility } = await world();
    let res = await submitForm(agent, `/units/${facility.id}`, `/units/${facility.id}/delete`, {});
    expect(res.status).to.equal(200);
    expect(res.text).to.include('Delete Plant One?');
    expect(await unitRow(facility.id)).to.not.equal(undefined);

    res = await submitForm(agent, `/units/${facility.id}`, `/units/${facility.id}/delete`, { confirm: 'yes' });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/units');
    expect(await unitRow(facility.id)).to.equal(undefined);
    const [entry] = await auditRows('org_unit.delete');
    expect(entry.entity_id).to.equal(facility.id);
    expect(entry.changes).to.deep.include({ name: ['Plant One', null], code: ['P1', null], kind: ['facility', null] });
  });

  it('refuses to delete a unit with children or user scopes, offering deactivation instead', async () => {
    const { agent, client, division, facility } = await world();
    let res = await submitForm(agent, `/units/${division.id}`, `/units/${division.id}/delete`, { confirm: 'yes' });
    expect(res.status).to.equal(409);
    expect(res.text).to.include('Lakes cannot be deleted').and.to.include('Plant One').and.to.include('Deactivate instead');
    expect(await unitRow(division.id)).to.not.equal(undefined);

    const manager = await createUser(client, { rank: 'manager' });
    await grantScope(manager, facility);
    res = await submitForm(agent, `/units/${facility.id}`, `/units/${facility.id}/delete`, { confirm: 'yes' });
    expect(res.status).to.equal(409);
    expect(res.text).to.include('1 user have it in their scope');
    expect(await unitRow(facility.id)).to.not.equal(undefined);
    expect(await auditRows('org_unit.delete')).to.deep.equal([]);
  });

  it('renames the level labels; the hierarchy pages use them, and the change is audited', async () => {
    const { agent, client, region } = await world();
    const res = await submitForm(agent, '/settings/levels', '/settings/levels', { region: 'Zone', division: 'District', facility: 'Site' });
    expect(res.status).to.equal(303);
    const [row] = await ownerQuery<{ settings: Record<string, unknown> }>('SELECT settings FROM clients WHERE id = $1', [client.id]);
    expect(row.settings.levelLabels).to.deep.equal({ region: 'Zone', division: 'District', facility: 'Site' });

    const units = await agent.get('/units').expect(200);
    expect(units.text).to.include('<span class="unit-kind">Zone</span>').and.to.include('<span class="unit-kind">District</span>').and.to.include('<span class="unit-kind">Site</span>');
    expect(units.text).to.include('New site');
    const show = await agent.get(`/units/${region.id}`).expect(200);
    expect(show.text).to.include('Site list');

    const [entry] = await auditRows('client.level_labels');
    expect(entry.entity_id).to.equal(client.id);
    expect(entry.changes).to.deep.equal({ region: ['Region', 'Zone'], division: ['Division', 'District'], facility: ['Facility', 'Site'] });
  });

  it('shows administration buttons to Administrators only', async () => {
    const { agent, client, facility } = await world();
    const page = await agent.get(`/units/${facility.id}`).expect(200);
    expect(page.text).to.include(`action="/units/${facility.id}/deactivate"`).and.to.include(`/units/${facility.id}/edit`);
    expect((await agent.get('/units').expect(200)).text).to.include('/settings/levels');

    const executive = await createUser(client, { rank: 'executive' });
    await grantScope(executive, null);
    const exec = await signedInAgent(testApp(), executive.email, executive.password);
    const seen = await exec.get(`/units/${facility.id}`).expect(200);
    expect(seen.text).not.to.include('/deactivate').and.not.to.include('/edit');
    const tree = await exec.get('/units').expect(200);
    expect(tree.text).not.to.include('/units/new').and.not.to.include('/settings/levels');
  });
});
