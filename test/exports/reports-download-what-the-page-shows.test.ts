// The reports' downloads: for each report, the CSV read back holds the rows of every page of the
// report in its order (the page's cells, from the file's), the XLSX holds the same values (dates as
// dates), with the page's filter; a Manager's files hold nothing outside their scope nor of
// another client; a node outside the scope is a 404; a filter the page drops refuses the download
// (422); zero rows is a file with its header; each download is audited.
import { expect } from 'chai';
import { auditRows } from '../support/auth-helpers.ts';
import { ownerQuery } from '../support/factories.ts';
import { type Agent, signedInAgent, testApp } from '../support/http.ts';
import { type ReportFixture, reportFixture, tableRows } from '../reports/report-fixture.ts';
import { csvRows, downloadLink, sheetValues, xlsxSheet } from './read-back.ts';

/** Each report's page cells, as worked out from a row of its file. */
const PAGE_CELLS: Record<string, { page: (cells: string[]) => string[]; file: (cells: string[]) => string[] }> = {
  open: { page: (p) => p, file: (r) => r.slice(0, 6) },
  upcoming: { page: (p) => p.slice(0, 4), file: (r) => r.slice(0, 4) },
  completed: { page: (p) => [p[0]!.replace(/ \S+$/, ''), ...p.slice(1)], file: (r) => [r[0]!, r[4]!, r[5]!, r[2]!, r[3]!, r[6]!, r[8] === 'Yes' ? `${r[7]} Recorded late` : r[7]!, r[9]!] },
  'on-time': { page: (p) => p, file: (r) => [...r.slice(0, 5), r[5] ? `${r[5]}%` : '—'] },
  'plan-summary': { page: (p) => [p[0]!, p[1]!.replace(/ Does not schedule events$/, ''), p[2]!, p[4]!, p[5]!], file: (r) => [r[0]!, r[1]!, r[2]!, r[4]!, r[5]!] },
  assignments: { page: (p) => p, file: (r) => [r[0]!, r[2]!, r[3]!, r[4]!] },
  documents: { page: (p) => [p[0]!, p[2]!, p[3]!, p[4]!], file: (r) => [r[2]!, r[4]!, `${r[5]} due ${r[6]}`, r[7]!] },
};
const KEYS = Object.keys(PAGE_CELLS);

/** Every page of a report's table, page after page. */
async function allPages(agent: Agent, key: string, query: string): Promise<string[][]> {
  const rows: string[][] = [];
  for (let page = 1; page < 100; page += 1) {
    const res = await agent.get(`/reports/${key}?${query}${query ? '&' : ''}page=${page}`).expect(200);
    if (res.text.includes('past the last page')) break;
    const onPage = tableRows(res.text);
    rows.push(...onPage);
    if (onPage.length < 50) break;
  }
  return rows;
}

/** An XLSX cell as the CSV writes it. */
const asCsvText = (value: unknown): string => (value === null ? '' : value instanceof Date ? value.toISOString().slice(0, value.getUTCHours() || value.getUTCMinutes() ? 16 : 10).replace('T', ' ') : String(value));

describe('reports: downloads hold what the pages show', () => {
  let fx: ReportFixture;
  let admin: Agent;
  beforeEach(async () => {
    fx = await reportFixture();
    // Enough open events for the open and upcoming reports to run over two pages.
    await ownerQuery(
      `INSERT INTO events (client_id, plan_item_id, facility_id, activity, scheduled_date, due_date, assignee_id)
       SELECT $1, $2, $3, 'Alpha logbook check', $4::date + n, $4::date + n, $5 FROM generate_series(10, 70) n`,
      [fx.client.id, fx.items.alpha, fx.alpha.id, fx.today, fx.ann.id],
    );
    admin = await signedInAgent(testApp(), fx.admin.email, fx.admin.password);
  });

  for (const key of KEYS) {
    it(`${key}: the CSV and the XLSX hold every page's rows, in order, linked from the page`, async () => {
      for (const query of ['', `node=${fx.north.id}`, `assignee=${fx.ann.id}&category=Safety`, ...(key === 'on-time' ? ['by=assignee', 'by=region'] : [])]) {
        const page = await admin.get(`/reports/${key}?${query}`).expect(200);
        const link = downloadLink(page.text, 'csv');
        expect(link).to.equal(`/reports/${key}/export.csv${query ? `?${query}` : ''}`);
        const [header, ...rows] = await csvRows(admin, link);
        const expected = (await allPages(admin, key, query)).map(PAGE_CELLS[key]!.page);
        expect(rows.map(PAGE_CELLS[key]!.file), `${key}?${query}`).to.deep.equal(expected);
        if (key === 'open' && !query) expect(rows.length, 'more than a page').to.be.greaterThan(50);
        const sheet = await xlsxSheet(admin, downloadLink(page.text, 'xlsx'));
        const values = sheetValues(sheet);
        expect(values[0]).to.deep.equal(header);
        expect(values.slice(1).map((r) => r.map(asCsvText)), `${key}?${query} as XLSX`).to.deep.equal(rows);
      }
    });
  }

  it('writes dates as date cells and counts as numbers in XLSX', async () => {
    const sheet = await xlsxSheet(admin, '/reports/completed/export.xlsx');
    const [, first] = sheetValues(sheet);
    expect(first![0]).to.be.instanceOf(Date);
    expect(first![2]).to.be.instanceOf(Date);
    expect(first![9]).to.equal(1);
    expect(sheet.getColumn(1).numFmt).to.equal('yyyy-mm-dd hh:mm');
  });

  it('a Manager’s downloads hold only their scope; a node outside it is a 404', async () => {
    const manager = await signedInAgent(testApp(), fx.manager.email, fx.manager.password);
    for (const key of KEYS) {
      const text = (await csvRows(manager, `/reports/${key}/export.csv`)).flat().join('|');
      for (const secret of ['Gamma', 'gamma-evidence', fx.foreign.activity, fx.foreign.fileName, 'Foreign Works', 'Fran Foreign']) {
        expect(text, `${key} holds ${secret}`).not.to.include(secret);
      }
      await manager.get(`/reports/${key}/export.csv?node=${fx.south.id}`).expect(404);
      await manager.get(`/reports/${key}/export.xlsx?facility=${fx.gamma.id}`).expect(404);
      await manager.get(`/reports/${key}/export.csv?node=${fx.foreign.facility.id}`).expect(404);
    }
    expect((await csvRows(manager, '/reports/open/export.csv')).flat().join('|')).to.include('Beta pump inspection');
    const associate = await signedInAgent(testApp(), fx.associate.email, fx.associate.password);
    await associate.get('/reports/open/export.csv').expect(403);
  });

  it('refuses a filter the page would drop, with the page’s message (422), and writes no file', async () => {
    for (const query of [`from=2026-05-01&to=2026-04-01`, 'assignee=not-a-uuid', 'category=Nope', 'by=week']) {
      const res = await admin.get(`/reports/on-time/export.csv?${query}`).expect(422);
      expect(res.headers['content-type']).to.match(/^text\/html/);
      expect(res.text).to.include('The report below is shown without those filters.');
    }
    expect(await auditRows('report.exported')).to.deep.equal([]);
  });

  it('downloads zero rows as a file with its header', async () => {
    const rows = await csvRows(admin, '/reports/documents/export.csv?q=nothing-by-this-name');
    expect(rows).to.have.length(1);
    expect(rows[0]![2]).to.equal('File name');
    expect(sheetValues(await xlsxSheet(admin, '/reports/documents/export.xlsx?q=nothing-by-this-name'))).to.have.length(1);
  });

  it('audits each download with the report, its format, filter and row count', async () => {
    await csvRows(admin, `/reports/open/export.csv?node=${fx.north.id}&page=3`);
    await xlsxSheet(admin, '/reports/on-time/export.xlsx?by=assignee');
    const entries = await auditRows('report.exported');
    expect(entries.map((e) => [e.entity_type, e.actor_user_id])).to.deep.equal([['report', fx.admin.id], ['report', fx.admin.id]]);
    expect(entries[0]!.changes).to.deep.include({ format: 'csv', filters: { report: 'open', node: fx.north.id } });
    expect(entries[1]!.changes).to.deep.equal({ format: 'xlsx', filters: { report: 'on-time', by: 'assignee' }, rows: 2 });
    expect(entries[0]!.changes!.rows).to.be.greaterThan(50);
  });
});
