// The writers every download goes through: a cell that starts with = + - @, a tab or a carriage
// return never runs as a formula (CSV: a leading apostrophe; XLSX: a text cell, formatted as text);
// the header row is bold and frozen; dates are date cells; an XLSX sheet never passes 1,048,576
// rows, the rest continuing on a second sheet with its own header (on a generated sheet).
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { expect } from 'chai';
import ExcelJS from 'exceljs';
import { csvLine, writeCsv } from '../../services/exports/csv.ts';
import { streamXlsx, writeXlsx, XLSX_MAX_ROWS } from '../../services/exports/xlsx.ts';
import { parseCsv } from './read-back.ts';

const DANGEROUS = ['=1+2', '+1', '-1+1', '@SUM(A1)', '\t=1', '\r=1', '=HYPERLINK("http://evil.example","x")', "-2+3"];

async function book(bytes: Buffer): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  return workbook;
}

describe('download files open cleanly', () => {
  it('CSV: UTF-8 with a byte-order mark, and every would-be formula starts with an apostrophe', async () => {
    const bytes = await writeCsv(['Text', 'Number'], DANGEROUS.map((d) => [d, -5]));
    expect([...bytes.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
    const [header, ...rows] = parseCsv(bytes.subarray(3).toString('utf8'));
    expect(header).to.deep.equal(['Text', 'Number']);
    expect(rows.map((r) => r[0])).to.deep.equal(DANGEROUS.map((d) => `'${d}`));
    // Numbers are numbers, never defused (a negative count stays -5).
    expect(rows.map((r) => r[1])).to.deep.equal(DANGEROUS.map(() => '-5'));
    expect(csvLine(['Ärger, "quoted"', null, 'ok'])).to.equal('"Ärger, ""quoted""",,ok\r\n');
  });

  it('XLSX: would-be formulas are text cells formatted as text, never formulas; dates are dates', async () => {
    const bytes = await writeXlsx({
      sheetName: 'Checks',
      columns: [{ header: 'Text' }, { header: 'Due', type: 'date' }, { header: 'At', type: 'datetime' }, { header: 'Count', type: 'number' }],
      rows: DANGEROUS.map((d) => [d, '2026-03-31', '2026-03-31 14:05', -5]),
    });
    const sheet = (await book(bytes)).worksheets[0]!;
    expect(sheet.getRow(1).font?.bold).to.equal(true);
    expect(sheet.views[0]).to.include({ state: 'frozen', ySplit: 1 });
    DANGEROUS.forEach((d, i) => {
      const row = sheet.getRow(i + 2);
      const cell = row.getCell(1);
      expect(cell.type, d).to.equal(ExcelJS.ValueType.String);
      expect(cell.formula, d).to.equal(undefined);
      // XML reads a bare carriage return as a line feed: the text is kept, as text.
      expect(cell.value, d).to.equal(d.replace(/\r/g, '\n'));
      expect(cell.numFmt, d).to.equal('@');
      expect((row.getCell(2).value as Date).toISOString()).to.equal('2026-03-31T00:00:00.000Z');
      expect(row.getCell(2).numFmt).to.equal('yyyy-mm-dd');
      expect((row.getCell(3).value as Date).toISOString()).to.equal('2026-03-31T14:05:00.000Z');
      expect(row.getCell(4).value).to.equal(-5);
    });
    // Nowhere in the sheet's XML is there a formula element.
    expect(bytes.includes(Buffer.from('<f>'))).to.equal(false);
  });

  it('XLSX: rows past a sheet’s limit continue on the next sheet, each with its header', async () => {
    const rows = Array.from({ length: 7 }, (_, i) => [`row ${i + 1}`]);
    const workbook = await book(await writeXlsx({ sheetName: 'Events', columns: [{ header: 'Name' }], rows, maxSheetRows: 3 }));
    expect(workbook.worksheets.map((s) => s.name)).to.deep.equal(['Events', 'Events (2)', 'Events (3)', 'Events (4)']);
    const values = workbook.worksheets.map((s) => s.getSheetValues().slice(1).map((r) => (r as unknown[])[1]));
    expect(values).to.deep.equal([['Name', 'row 1', 'row 2'], ['Name', 'row 3', 'row 4'], ['Name', 'row 5', 'row 6'], ['Name', 'row 7']]);
    for (const sheet of workbook.worksheets) expect(sheet.views[0]).to.include({ state: 'frozen', ySplit: 1 });
  });

  it(`XLSX: ${XLSX_MAX_ROWS.toLocaleString('en-US')} rows in all on the first sheet, header included; the next row on a second`, async function () {
    this.timeout(300_000);
    const dir = await mkdtemp(join(tmpdir(), 'xlsx-split-'));
    try {
      const path = join(dir, 'big.xlsx');
      const out = createWriteStream(path);
      function* generated() {
        for (let i = 1; i <= XLSX_MAX_ROWS; i += 1) yield [i];
      }
      const written = await streamXlsx(out, { sheetName: 'Generated', columns: [{ header: 'N', type: 'number' }], rows: generated() });
      out.end();
      await finished(out);
      expect(written).to.equal(XLSX_MAX_ROWS);
      // Read back as a stream: counting rows per sheet, the last row of each.
      const reader = new ExcelJS.stream.xlsx.WorkbookReader(createReadStream(path), { worksheets: 'emit', sharedStrings: 'cache', styles: 'ignore', hyperlinks: 'ignore' });
      const sheets: Array<{ name: string; rows: number; first: unknown; last: unknown }> = [];
      for await (const sheet of reader) {
        const seen = { name: (sheet as unknown as { name: string }).name, rows: 0, first: undefined as unknown, last: undefined as unknown };
        for await (const row of sheet as AsyncIterable<ExcelJS.Row>) {
          seen.rows += 1;
          const value = (row.values as unknown[])[1];
          if (seen.rows === 1) seen.first = value;
          seen.last = value;
        }
        sheets.push(seen);
      }
      expect(sheets.map((s) => [s.rows, s.first, s.last])).to.deep.equal([[XLSX_MAX_ROWS, 'N', XLSX_MAX_ROWS - 1], [2, 'N', XLSX_MAX_ROWS]]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
