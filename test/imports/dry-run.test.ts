// The dry run: every row with its schedule in words, its next three due dates and its errors by
// cell; nothing is saved but the uploaded file, kept under row-level security for its uploader.
import { expect } from 'chai';
import ExcelJS from 'exceljs';
import { createUser, ownerQuery } from '../support/factories.ts';
import { signedInAgent, testApp } from '../support/http.ts';
import { counts, csvOf, fiveRows, HEADER, importWorld, upload, uploaded, xlsxOf } from './world.ts';

describe('Plan Item import: the dry run', () => {
  it('shows five rows in five schedule styles with their schedules in words and next due dates, and saves only the file', async () => {
    const w = await importWorld();
    const path = await uploaded(w.agent, csvOf(fiveRows()));
    const page = await w.agent.get(path).expect(200);
    expect(page.text).to.include('Dry run').and.to.include('5 ready, 0 with errors');
    for (const words of ['Daily', 'Every 2 weeks on Tuesday and Thursday', 'Monthly on the last day', 'Monthly on the first Monday', 'Every 90 days after completion']) {
      expect(page.text).to.include(words);
    }
    expect(page.text).to.include('2031-01-06, 2031-01-07, 2031-01-08');
    expect(page.text).to.include('2031-01-31, 2031-02-28, 2031-03-31');
    expect(page.text).to.include('2031-01-07, 2031-01-09, 2031-01-21');
    expect(page.text).to.include('Import 5 Plan Items');
    expect(page.text, 'times of day show their zone').to.match(/Uploaded \d{4}-\d{2}-\d{2} \d{2}:\d{2} (GMT|BST|UTC|[A-Z]{2,5}|[+-]\d)/);
    const c = await counts();
    expect(c).to.deep.equal({ items: 0, events: 0, imports: 1, audit: 0 });
    const [kept] = await ownerQuery<{ uploaded_by: string; hours: number }>(`SELECT uploaded_by, round(extract(epoch FROM expires_at - created_at) / 3600)::int AS hours FROM plan_item_imports`);
    expect(kept).to.deep.equal({ uploaded_by: w.director.id, hours: 24 });
  });

  it('names every row\'s errors with the cell they come from', async () => {
    const w = await importWorld();
    const rows = [
      ['Nowhere Plant', 'Unknown facility', '', '', '', '', 'walt@acme.test', '', '', 'Daily', '2031-01-06', '', ''],
      ['P1', 'Unknown assignee', '', '', '', '', 'nobody@acme.test', '', '', 'Daily', '2031-01-06', '', ''],
      ['P1', 'Assignee elsewhere', '', '', '', '', 'fay@acme.test', '', '', 'Daily', '2031-01-06', '', ''],
      ['P1', 'Bad schedule', '', '', '', '', 'walt@acme.test', '', '', 'When it rains', '2031-01-06', '', ''],
      ['P1', 'Bad date', '', '', '', '', 'walt@acme.test', '', '', 'Daily', '31/02/2031', '', ''],
    ];
    const page = await w.agent.get(await uploaded(w.agent, csvOf(rows))).expect(200);
    expect(page.text).to.include('0 ready, 5 with errors');
    expect(page.text).to.include('A2: no facility in your scope has the code or name “Nowhere Plant”');
    expect(page.text).to.include('G3: no active user has the e-mail address “nobody@acme.test”');
    expect(page.text).to.include('G4: Fay Far&#39;s scope does not cover Plant One');
    expect(page.text).to.include('J5: PlanTRAK cannot read &#34;When it rains&#34;');
    expect(page.text).to.include('K6: “31/02/2031” is not a date');
    expect(page.text).not.to.include('/apply');
    expect((await counts()).items).to.equal(0);
  });

  it('reads an XLSX: real date cells, and a formula cell by its cached value with a warning on that row', async () => {
    const w = await importWorld();
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Plan Items');
    sheet.addRow(HEADER);
    sheet.addRow(['P1', 'Weekly walk', '', '', '', '', 'walt@acme.test', '', '', 'Weekly on Monday', new Date(Date.UTC(2031, 0, 6)), '', '']);
    const row = sheet.addRow(['P1', 'Formula row', '', '', '', '', 'walt@acme.test', '', '', 'Monthly on the 15th', '2031-01-15', '', '']);
    row.getCell(2).value = { formula: 'CONCAT("Formula"," row")', result: 'Formula row' } as ExcelJS.CellFormulaValue;
    const buffer = Buffer.from(await workbook.xlsx.writeBuffer());
    const page = await w.agent.get(await uploaded(w.agent, buffer, 'plan.xlsx')).expect(200);
    expect(page.text).to.include('2 ready, 0 with errors');
    expect(page.text).to.include('Weekly on Monday').and.to.include('2031-01-06, 2031-01-13, 2031-01-20');
    expect(page.text).to.include('B3: a formula; its last calculated value (Formula row) is used.');
  });

  it('reads CSV in UTF-8 with a BOM and in UTF-16LE, and the app\'s own XLSX writer\'s files', async () => {
    const w = await importWorld();
    const csv = csvOf(fiveRows().slice(0, 2));
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv, 'utf8')]);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(csv, 'utf16le')]);
    for (const [content, name] of [[bom, 'bom.csv'], [utf16, 'utf16.csv'], [await xlsxOf(fiveRows().slice(0, 2)), 'plan.xlsx']] as const) {
      const page = await w.agent.get(await uploaded(w.agent, content, name)).expect(200);
      expect(page.text, name).to.include('2 ready, 0 with errors');
    }
  });

  it('keeps the file for its uploader only: even an Administrator of the client gets a 404, and after 24 hours so does the uploader', async () => {
    const w = await importWorld();
    const path = await uploaded(w.agent, csvOf(fiveRows()));
    const other = await createUser(w.client, { rank: 'administrator' });
    const otherAgent = await signedInAgent(testApp(), other.email, other.password);
    await otherAgent.get(path).expect(404);
    // After 24 hours the file is gone.
    await ownerQuery(`UPDATE plan_item_imports SET expires_at = now() - interval '1 second'`);
    const gone = await w.agent.get(path).expect(404);
    expect(gone.text).to.include('kept for 24 hours');
    // …and is deleted when anyone of the client uploads the next one.
    await otherAgent.get('/plan-imports/new').expect(200);
    expect((await upload(otherAgent, csvOf(fiveRows()), 'next.csv')).status).to.equal(303);
    const left = await ownerQuery<{ uploaded_by: string }>('SELECT uploaded_by FROM plan_item_imports');
    expect(left).to.deep.equal([{ uploaded_by: other.id }]);
  });
});
