// Facility scope through the hierarchy pages: the tree, the facility selector and the unit pages
// show exactly the scope, and a unit outside it is a 404 (DESIGN.md §8.2), whoever asks.
import { expect } from 'chai';
import { statementsDuring } from '../support/statements.ts';
import type { Express } from 'express';
import { type Agent, signedInAgent, testApp } from '../support/http.ts';
import { createUser, ownerQuery } from '../support/factories.ts';
import { grantScope } from '../support/hierarchy-factories.ts';
import { A_UNITS, type ScopeWorld, buildScopeWorld, sorted } from './fixture.ts';

/** Unit ids linked from a page (`/units/<uuid>`), mapped back to names. */
function linkedUnits(html: string, w: ScopeWorld): string[] {
  const byId = new Map(Object.values(w.units).map((u) => [u.id, u.name]));
  const ids = new Set([...html.matchAll(/href="\/units\/([0-9a-f-]{36})"/g)].map((m) => m[1]));
  return [...ids].map((id) => byId.get(id) ?? id).sort();
}

/** Facility ids offered by the selector, mapped back to names. */
function selectorUnits(html: string, w: ScopeWorld): string[] {
  const byId = new Map(Object.values(w.units).map((u) => [u.id, u.name]));
  const select = /<select id="unit-select"[\s\S]*?<\/select>/.exec(html)?.[0] ?? '';
  return [...select.matchAll(/<option value="([0-9a-f-]{36})"/g)].map((m) => byId.get(m[1]) ?? m[1]).sort();
}

/** Names of client A's units appearing anywhere in the page. */
function namesIn(html: string): string[] {
  return A_UNITS.filter((name) => new RegExp(`>${name}<|>${name} \\(`).test(html)).sort();
}

describe('facility scope on the hierarchy pages', () => {
  let w: ScopeWorld;
  let app: Express;
  const agentFor = (user: { email: string; password: string }): Promise<Agent> => signedInAgent(app, user.email, user.password);

  beforeEach(async () => {
    w = await buildScopeWorld();
    app = testApp();
  });

  describe('a Manager of facility F', () => {
    let agent: Agent;
    beforeEach(async () => {
      agent = await agentFor(w.manager);
    });

    it('lists only F as a link, with F\'s division and region shown as unlinked context', async () => {
      const res = await agent.get('/units').expect(200);
      expect(linkedUnits(res.text, w)).to.deep.equal(['Alder']);
      expect(selectorUnits(res.text, w)).to.deep.equal(['Alder']);
      expect(namesIn(res.text)).to.deep.equal(sorted(['Alder', 'North-East', 'North']));
      expect(res.text).to.match(/<span class="unit-context">North-East<\/span>/);
      expect(res.text).to.match(/<span class="unit-context">North<\/span>/);
    });

    it('opens F, and gets 404 for every other unit, its ancestors and another client\'s units included', async () => {
      const page = await agent.get(`/units/${w.units.Alder.id}`).expect(200);
      expect(selectorUnits(page.text, w)).to.deep.equal(['Alder']);
      for (const name of [...A_UNITS.filter((n) => n !== 'Alder'), 'B-Region', 'B-Division', 'Birch-B']) {
        await agent.get(`/units/${w.units[name].id}`).expect(404);
      }
    });

    it('is sent to F by the selector, and gets 404 from it for any other unit', async () => {
      const res = await agent.get(`/units/select?unit=${w.units.Alder.id}`).expect(303);
      expect(res.headers.location).to.equal(`/units/${w.units.Alder.id}`);
      for (const name of ['Aspen', 'Beech', 'Cedar', 'North-East', 'Birch-B']) {
        await agent.get(`/units/select?unit=${w.units[name].id}`).expect(404);
      }
      await agent.get('/units/select?unit=not-a-uuid').expect(404);
      await agent.get('/units/select').expect(404);
    });
  });

  it('gives a Director of a division exactly its facilities, in the tree, the selector and the roll-up', async () => {
    const agent = await agentFor(w.director);
    const index = await agent.get('/units').expect(200);
    expect(linkedUnits(index.text, w)).to.deep.equal(sorted(['North-East', 'Alder', 'Aspen']));
    expect(selectorUnits(index.text, w)).to.deep.equal(['Alder', 'Aspen']);
    const rollup = await agent.get(`/units/${w.units['North-East'].id}`).expect(200);
    expect(linkedUnits(rollup.text, w)).to.deep.equal(['Alder', 'Aspen']);
    await agent.get(`/units/${w.units.North.id}`).expect(404);
    await agent.get(`/units/${w.units.Beech.id}`).expect(404);
  });

  it('gives a region-scoped Executive the region\'s divisions and facilities, and its roll-up', async () => {
    const agent = await agentFor(w.executive);
    const index = await agent.get('/units').expect(200);
    const north = ['North', 'North-East', 'Alder', 'Aspen', 'North-West', 'Beech'];
    expect(linkedUnits(index.text, w)).to.deep.equal(sorted(north));
    expect(selectorUnits(index.text, w)).to.deep.equal(['Alder', 'Aspen', 'Beech']);
    const rollup = await agent.get(`/units/${w.units.North.id}`).expect(200);
    expect(linkedUnits(rollup.text, w)).to.deep.equal(['Alder', 'Aspen', 'Beech']);
    for (const name of ['South', 'South-East', 'Cedar', 'Cypress', 'Dogwood']) await agent.get(`/units/${w.units[name].id}`).expect(404);
  });

  it('gives an Administrator and a whole-client scope every unit of their client', async () => {
    for (const user of [w.admin, w.wholeClient]) {
      const agent = await agentFor(user);
      const index = await agent.get('/units').expect(200);
      expect(linkedUnits(index.text, w), user.name).to.deep.equal(sorted(A_UNITS));
      expect(selectorUnits(index.text, w), user.name).to.deep.equal(sorted(['Alder', 'Aspen', 'Beech', 'Cedar', 'Cypress', 'Dogwood']));
      for (const name of A_UNITS) await agent.get(`/units/${w.units[name].id}`).expect(200);
      await agent.get(`/units/${w.units['Birch-B'].id}`).expect(404);
    }
  });

  it('shows a user of another client none of it: 404 for every unit, nothing in the tree or selector', async () => {
    const agent = await agentFor(w.outsider);
    const index = await agent.get('/units?inactive=1').expect(200);
    expect(namesIn(index.text)).to.deep.equal([]);
    expect(selectorUnits(index.text, w)).to.deep.equal(['Birch-B']);
    for (const name of A_UNITS) {
      await agent.get(`/units/${w.units[name].id}`).expect(404);
      await agent.get(`/units/select?unit=${w.units[name].id}`).expect(404);
    }
  });

  it('computes the scope once per request, in the request\'s single unit of work', async () => {
    const agent = await agentFor(w.director);
    const statements = (await statementsDuring(() => agent.get(`/units/${w.units['North-East'].id}`).expect(200))).map((s) => s.text);
    expect(statements.filter((s) => s.includes('app_scope_for(')), 'scope computations').to.have.length(1);
    expect(statements.filter((s) => /\bSTART TRANSACTION\b|\bBEGIN\b/.test(s)), 'transactions').to.have.length(1);
    expect(statements.filter((s) => /org_units/.test(s)).length, 'several scoped reads share it').to.be.greaterThan(2);
  });

  it('moves a facility\'s visibility with it on the next request', async () => {
    const agent = await agentFor(w.director);
    await agent.get(`/units/${w.units.Aspen.id}`).expect(200);
    await ownerQuery('UPDATE org_units SET parent_id = $1 WHERE id = $2', [w.units['North-West'].id, w.units.Aspen.id]);
    await agent.get(`/units/${w.units.Aspen.id}`).expect(404);
    await agent.get(`/units/select?unit=${w.units.Aspen.id}`).expect(404);
    const index = await agent.get('/units').expect(200);
    expect(selectorUnits(index.text, w)).to.deep.equal(['Alder']);
    // Back again: visible again.
    await ownerQuery('UPDATE org_units SET parent_id = $1 WHERE id = $2', [w.units['North-East'].id, w.units.Aspen.id]);
    await agent.get(`/units/${w.units.Aspen.id}`).expect(200);
  });

  it('keeps a deactivated facility open to those in scope (shown with inactive units), and 404 to others', async () => {
    await ownerQuery('UPDATE org_units SET active = false WHERE id = $1', [w.units.Alder.id]);
    const manager = await agentFor(w.manager);
    const page = await manager.get(`/units/${w.units.Alder.id}`).expect(200);
    expect(page.text).to.include('inactive');
    const all = await manager.get('/units?inactive=1').expect(200);
    expect(linkedUnits(all.text, w)).to.deep.equal(['Alder']);
    const active = await manager.get('/units').expect(200);
    expect(linkedUnits(active.text, w)).to.deep.equal([]);

    const executive = await agentFor(w.executive);
    await executive.get(`/units/${w.units.Alder.id}`).expect(200);
    const cedarManager = await createUser(w.a, { rank: 'manager', email: 'cedar@acme.example' });
    await grantScope(cedarManager, w.units.Cedar);
    await (await agentFor(cedarManager)).get(`/units/${w.units.Alder.id}`).expect(404);
    await (await agentFor(w.outsider)).get(`/units/${w.units.Alder.id}`).expect(404);
  });
});
