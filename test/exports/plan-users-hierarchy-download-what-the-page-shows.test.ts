// The management plan's, the users list's and the hierarchy's downloads: read back, each holds
// the rows of its page in its order, with its filters, and nothing outside the user's scope or of
// another client; a unit outside the scope is a 404; each download is audited.
import { expect } from 'chai';
import { auditRows } from '../support/auth-helpers.ts';
import { createUser, ownerQuery } from '../support/factories.ts';
import { createUnit, grantScope } from '../support/hierarchy-factories.ts';
import { item, listWorld, type ListWorld } from '../event-lists/list-world.ts';
import { csvRows, dayOf, downloadLink, sheetValues, xlsxSheet } from './read-back.ts';

const idsLinked = (html: string, table: RegExp, path: string): string[] => {
  const markup = table.exec(html)?.[0] ?? '';
  return [...markup.matchAll(new RegExp(`href="/${path}/([0-9a-f-]{36})"`, 'g'))].map((m) => m[1]!);
};
const planIds = (html: string) => idsLinked(html, /<table[^>]*id="plan-table"[\s\S]*?<\/table>/, 'plan-items');
const userIds = (html: string) => idsLinked(html, /<table[\s\S]*?<\/table>/, 'users');
const treeUnits = (html: string): string[][] => {
  const section = /<section aria-labelledby="tree-heading">[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
  return [...section.matchAll(/<span class="unit-kind">([^<]*)<\/span>\s*(?:<a [^>]*>|<span class="unit-context">)([^<]*)</g)].map((m) => [m[1]!, m[2]!]);
};

describe('plan, users and hierarchy: downloads hold what the page shows', () => {
  let w: ListWorld;
  let other: ListWorld;
  let items: Record<string, string>;
  beforeEach(async () => {
    w = await listWorld('Acme Water');
    other = await listWorld('Other Water');
    items = {
      outfall: await item(w, w.plantOne, w.alice, { activity: 'Outfall inspection', category: 'Stormwater', reference: '40 CFR 122.26' }),
      tank: await item(w, w.plantTwo, w.bob, { activity: 'Tank inspection', category: 'Tanks' }),
      alarm: await item(w, w.plantOne, w.bob, { activity: 'alarm test', category: 'Safety' }),
      hidden: await item(w, w.plantTwo, w.alice, { activity: 'Hidden duty', category: 'Tanks' }),
      south: await item(w, w.plantThree, w.sue, { activity: 'South secret duty' }),
      foreign: await item(other, other.plantOne, other.alice, { activity: 'Foreign secret duty' }),
    };
    await ownerQuery(`UPDATE plan_items SET hidden = true WHERE id = $1`, [items.hidden]);
    await ownerQuery(`UPDATE plan_items SET schedules_events = false WHERE id = $1`, [items.tank]);
    await ownerQuery(`UPDATE plan_items SET next_due_date = DATE '2031-05-31' WHERE id = $1`, [items.outfall]);
  });

  it('the management plan: every filter’s rows in the page’s order, in both formats', async () => {
    const director = await w.as(w.director);
    for (const unit of [w.north, w.lakes, w.plantOne]) {
      for (const query of ['', 'hidden=1', 'hidden=1&category=Tanks', 'status=inactive', 'status=active']) {
        const page = await director.get(`/units/${unit.id}/plan${query ? `?${query}` : ''}`).expect(200);
        const link = downloadLink(page.text, 'csv');
        expect(link).to.equal(`/units/${unit.id}/plan/export.csv${query ? `?${query}` : ''}`);
        const [header, ...rows] = await csvRows(director, link);
        expect(header![0]).to.equal('Facility');
        expect(rows.map((r) => r.at(-1)), `${unit.name} ${query}`).to.deep.equal(planIds(page.text));
        const sheet = await xlsxSheet(director, downloadLink(page.text, 'xlsx'));
        expect(sheetValues(sheet).slice(1).map((r) => r.at(-1)), `${unit.name} ${query} XLSX`).to.deep.equal(planIds(page.text));
      }
    }
    const [, ...rows] = await csvRows(director, `/units/${w.north.id}/plan/export.csv`);
    expect(rows.find((r) => r.at(-1) === items.outfall)!.slice(0, 9)).to.deep.equal(
      ['Plant One', 'Outfall inspection', 'Stormwater', 'Monthly on the last day', 'Alice Able', '2031-05-31', 'Schedules events', 'No', '40 CFR 122.26']);
    const sheet = await xlsxSheet(director, `/units/${w.north.id}/plan/export.xlsx`);
    expect(dayOf(sheetValues(sheet).find((r) => r.at(-1) === items.outfall)![5])).to.equal('2031-05-31');
    const text = rows.flat().join('|');
    expect(text).not.to.include('South secret duty').and.not.to.include('Foreign secret duty');
    for (const unit of [w.plantThree, w.south, other.plantOne]) await director.get(`/units/${unit.id}/plan/export.csv`).expect(404);
    const entries = await auditRows('plan.exported');
    expect(entries.at(-1)!.entity_id).to.equal(w.north.id);
    expect(entries.at(-1)!.changes).to.deep.equal({ format: 'xlsx', filters: {}, rows: 3 });
  });

  it('the users list: the page’s visibility rule, search and filters, in both formats', async () => {
    await createUser(w.client, { name: '=cmd|calc', rank: 'manager' }).then((u) => grantScope(u, w.plantOne));
    await createUser(w.client, { name: 'Ada Admin', rank: 'administrator' }).then((u) => grantScope(u, null));
    const director = await w.as(w.director);
    for (const query of ['', 'q=a', 'rank=associate', 'status=active', 'q=zzz-nobody']) {
      const page = await director.get(`/users${query ? `?${query}` : ''}`).expect(200);
      const [header, ...rows] = await csvRows(director, downloadLink(page.text, 'csv'));
      expect(header).to.deep.equal(['Name', 'E-mail', 'Rank', 'Status', 'Scope', 'User id']);
      expect(rows.map((r) => r.at(-1)), query).to.deep.equal(userIds(page.text));
      const sheet = await xlsxSheet(director, downloadLink(page.text, 'xlsx'));
      expect(sheetValues(sheet).slice(1).map((r) => r.at(-1)), query).to.deep.equal(userIds(page.text));
    }
    const [, ...rows] = await csvRows(director, '/users/export.csv');
    const names = rows.map((r) => r[0]);
    // The Director of North sees the users inside North only: not Sue (South), not the Administrator, no other client.
    expect(names).to.include('Alice Able').and.include('Bob Baker').and.include("'=cmd|calc");
    expect(names).not.to.include('Sue South').and.not.to.include('Ada Admin');
    expect(rows.flat().join('|')).not.to.include(other.alice.email);
    expect(rows.find((r) => r[0] === 'Alice Able')!.slice(2, 5)).to.deep.equal(['Associate', 'active', 'Plant One, Plant Two']);
    await director.get(`/users/export.csv?q=${'x'.repeat(101)}`).expect(422);
    const alice = await w.as(w.alice);
    await alice.get('/users/export.csv').expect(403);
    expect((await auditRows('users.exported')).map((e) => e.changes!.format)).to.have.length(11);
  });

  it('the hierarchy: the page’s tree, in its order, inactive units when asked', async () => {
    await createUnit(w.client, { name: 'Old Plant', parent: w.lakes, active: false, code: 'OLD-1' });
    const director = await w.as(w.director);
    for (const query of ['', 'inactive=1']) {
      const page = await director.get(`/units${query ? `?${query}` : ''}`).expect(200);
      const [header, ...rows] = await csvRows(director, downloadLink(page.text, 'csv'));
      expect(header![1]).to.equal('Name');
      expect(rows.map((r) => [r[0], r[1]]), query).to.deep.equal(treeUnits(page.text));
      const sheet = await xlsxSheet(director, downloadLink(page.text, 'xlsx'));
      expect(sheetValues(sheet).slice(1).map((r) => [r[0], r[1]]), query).to.deep.equal(treeUnits(page.text));
      expect(rows.flat().join('|')).not.to.include('Plant Three').and.not.to.include('South');
    }
    const [, ...rows] = await csvRows(director, '/units/export.csv?inactive=1');
    expect(rows.find((r) => r[1] === 'Old Plant')!.slice(0, 8)).to.deep.equal(['Facility', 'Old Plant', 'OLD-1', 'North › Lakes › Old Plant', '', 'America/Chicago', 'No', 'Yes']);
    expect(rows.find((r) => r[1] === 'Plant One')![5]).to.equal('Pacific/Auckland');
    const [entry] = await auditRows('hierarchy.exported');
    expect(entry!.changes).to.deep.equal({ format: 'csv', filters: {}, rows: 4 });
  });
});
