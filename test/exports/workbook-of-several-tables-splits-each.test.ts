// A workbook of several tables (the full export, the audit pack): each table on sheets of its own,
// in order, with its own header, column types and widths; a table longer than a sheet continues on
// "Name (2)", "Name (3)", … exactly like a single table; an empty table is its header alone.
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import ExcelJS from 'exceljs';
import { streamXlsx } from '../../services/exports/xlsx.ts';
import { sheetValues } from './read-back.ts';

async function* batches<T>(items: T[][]): AsyncGenerator<T[]> {
  for (const batch of items) yield batch;
}

describe('a workbook of several tables', () => {
  it('puts each table on sheets of its own, split at the sheet size, empty ones as a header', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (chunk: Buffer) => chunks.push(chunk));
    const rows = await streamXlsx(
      out,
      { sheetName: 'Alpha', columns: [{ header: 'Name' }], rows: ['a1', 'a2', 'a3', 'a4', 'a5'].map((v) => [v]), maxSheetRows: 3 },
      { sheetName: 'Bravo', columns: [{ header: 'Empty' }, { header: 'Still empty' }], rows: [] },
      // Batches of rows, as cursors give them, with a date column of its own.
      { sheetName: 'Charlie', columns: [{ header: 'Due', type: 'date' }, { header: 'Count', type: 'number' }], rows: batches([[['2026-03-31', 1], ['2026-04-30', 2]], [['2026-05-31', 3]]]) },
    );
    out.end();
    expect(rows).to.equal(8);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(Buffer.concat(chunks) as unknown as ArrayBuffer);
    expect(book.worksheets.map((s) => s.name)).to.deep.equal(['Alpha', 'Alpha (2)', 'Alpha (3)', 'Bravo', 'Charlie', 'Charlie (2)']);
    const values = book.worksheets.map((s) => sheetValues(s));
    expect(values.slice(0, 3)).to.deep.equal([[['Name'], ['a1'], ['a2']], [['Name'], ['a3'], ['a4']], [['Name'], ['a5']]]);
    expect(values[3]).to.deep.equal([['Empty', 'Still empty']]);
    expect(values[4]![0]).to.deep.equal(['Due', 'Count']);
    expect((values[4]![1]![0] as Date).toISOString()).to.equal('2026-03-31T00:00:00.000Z');
    expect(values[4]![1]![1]).to.equal(1);
    expect(values[5]!.map((r) => r[1])).to.deep.equal(['Count', 3]);
    for (const sheet of book.worksheets) {
      expect(sheet.getRow(1).font?.bold, sheet.name).to.equal(true);
      expect(sheet.views[0], sheet.name).to.include({ state: 'frozen', ySplit: 1 });
    }
  });
});
