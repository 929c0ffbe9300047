// Who may import, and where to: Directors and above, into facilities in their scope only (row-level
// security hides the others, so they are "no facility in your scope"), with assignees who cover
// the facility. The template downloads and, filled as given, dry-runs clean.
import { expect } from 'chai';
import ExcelJS from 'exceljs';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { signedInAgent, testApp } from '../support/http.ts';
import { apply, counts, csvOf, fiveRows, importWorld, uploaded } from './world.ts';

describe('Plan Item import: rank, scope and the template', () => {
  it('refuses a facility outside the Director\'s scope, by code or by name, and another client\'s', async () => {
    const w = await importWorld();
    const other = await createClient({ name: 'Other Water' });
    await ownerQuery(`INSERT INTO org_units (client_id, kind, name, code) VALUES ($1, 'facility', 'Other Plant', 'OP')`, [other.id]);
    const rows = [
      ['FAR', 'Outside by code', '', '', '', '', 'fay@acme.test', '', '', 'Daily', '2031-01-06', '', ''],
      ['Far Away Works', 'Outside by name', '', '', '', '', 'fay@acme.test', '', '', 'Daily', '2031-01-06', '', ''],
      ['OP', 'Other client', '', '', '', '', 'walt@acme.test', '', '', 'Daily', '2031-01-06', '', ''],
    ];
    const path = await uploaded(w.agent, csvOf(rows));
    const page = await w.agent.get(path).expect(200);
    expect(page.text).to.include('A2: no facility in your scope has the code or name “FAR”');
    expect(page.text).to.include('A3: no facility in your scope has the code or name “Far Away Works”');
    expect(page.text).to.include('A4: no facility in your scope has the code or name “OP”');
    expect((await apply(w.agent, path)).status).to.equal(422);
    expect((await counts()).items).to.equal(0);
  });

  it('re-checks the scope at apply: a Director who lost a facility since the dry run imports nothing', async () => {
    const w = await importWorld();
    const path = await uploaded(w.agent, csvOf(fiveRows()));
    await ownerQuery('DELETE FROM user_scopes WHERE user_id = $1', [w.director.id]);
    await ownerQuery('INSERT INTO user_scopes (client_id, user_id, org_unit_id) VALUES ($1, $2, $3)', [w.client.id, w.director.id, w.east.id]);
    const res = await apply(w.agent, path);
    expect(res.status).to.equal(422);
    expect(res.text).to.include('no facility in your scope has the code or name “P1”');
    expect((await counts()).items).to.equal(0);
  });

  it('is for Directors and above: a Manager gets a 403 on every import page', async () => {
    const w = await importWorld();
    const manager = await createUser(w.client, { rank: 'manager' });
    await ownerQuery('INSERT INTO user_scopes (client_id, user_id, org_unit_id) VALUES ($1, $2, $3)', [w.client.id, manager.id, w.region.id]);
    const agent = await signedInAgent(testApp(), manager.email, manager.password);
    await agent.get('/plan-imports/new').expect(403);
    await agent.get('/plan-imports/template.xlsx').expect(403);
    const path = await uploaded(w.agent, csvOf(fiveRows()));
    await agent.get(path).expect(403);
    const units = await agent.get('/units').expect(200);
    expect(units.text).not.to.include('/plan-imports/new');
    const directorUnits = await w.agent.get('/units').expect(200);
    expect(directorUnits.text).to.include('/plan-imports/new');
  });

  it('downloads a template with a header row, one example per schedule style and a sheet explaining each column, which dry-runs clean', async () => {
    const w = await importWorld();
    const res = await w.agent.get('/plan-imports/template.xlsx').buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    }).expect(200);
    expect(res.headers['content-disposition']).to.match(/attachment/);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(res.body as ArrayBuffer);
    const [items, columns] = workbook.worksheets;
    expect(items!.getRow(1).values).to.include('Schedule').and.to.include('Month-end policy').and.to.include('Checklist');
    const schedules = items!.getColumn(10).values.slice(2).map(String);
    for (const style of ['Daily', 'Weekly on Monday', 'Every 2 weeks on Tue and Thu', 'Monthly on the 15th', 'Last day of each month', 'First Monday of the month', 'Last Friday', 'Quarterly', 'Semi-annually', 'Annually on 29 Feb', 'January, April, July and October on the 1st', 'Every 90 days after completion', 'Once']) {
      expect(schedules).to.include(style);
    }
    expect(columns!.actualRowCount).to.equal(14);
    const page = await w.agent.get(await uploaded(w.agent, Buffer.from(res.body as Uint8Array), 'template.xlsx')).expect(200);
    expect(page.text).to.include(`${schedules.length} ready, 0 with errors`);
  });
});
