// Reading downloads back as a spreadsheet program would: CSV parsed (after checking its UTF-8
// byte-order mark), XLSX opened with exceljs; both as rows of cells.
import { expect } from 'chai';
import ExcelJS from 'exceljs';
import type { Agent } from '../support/http.ts';
import { getBytes, parseCsv } from '../audit-log/helpers.ts';

export { getBytes, parseCsv };

/** A CSV download's rows (header first), checked for its BOM, CRLF ends and headers. */
export async function csvRows(agent: Agent, url: string): Promise<string[][]> {
  const res = await getBytes(agent, url).expect(200);
  expect(res.headers['content-type'], url).to.equal('text/csv; charset=utf-8');
  expect(res.headers['content-disposition'], url).to.match(/^attachment; filename=[a-z0-9-]+-\d{4}-\d{2}-\d{2}\.csv$/);
  expect(res.headers['x-content-type-options']).to.equal('nosniff');
  const bytes = res.body as Buffer;
  expect([...bytes.subarray(0, 3)], 'UTF-8 byte-order mark').to.deep.equal([0xef, 0xbb, 0xbf]);
  const text = bytes.subarray(3).toString('utf8');
  expect(text.endsWith('\r\n')).to.equal(true);
  return parseCsv(text);
}

/** An XLSX download's workbook, checked for its type and name. */
export async function xlsxBook(agent: Agent, url: string): Promise<ExcelJS.Workbook> {
  const res = await getBytes(agent, url).expect(200);
  expect(res.headers['content-type'], url).to.equal('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  expect(res.headers['content-disposition'], url).to.match(/^attachment; filename=[a-z0-9-]+-\d{4}-\d{2}-\d{2}\.xlsx$/);
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(res.body as unknown as ArrayBuffer);
  return workbook;
}

/** A sheet's rows as values (header first), each as long as the header (empty cells null). */
export function sheetValues(sheet: ExcelJS.Worksheet): unknown[][] {
  const width = sheet.getRow(1).cellCount;
  const rows: unknown[][] = [];
  sheet.eachRow({ includeEmpty: true }, (row) => {
    const cells: unknown[] = [];
    for (let c = 1; c <= width; c += 1) cells.push(row.getCell(c).value ?? null);
    rows.push(cells);
  });
  return rows;
}

/** The workbook's one sheet, its header row bold and frozen. */
export async function xlsxSheet(agent: Agent, url: string): Promise<ExcelJS.Worksheet> {
  const book = await xlsxBook(agent, url);
  expect(book.worksheets, url).to.have.length(1);
  const sheet = book.worksheets[0]!;
  expect(sheet.getRow(1).getCell(1).font?.bold, 'bold header').to.equal(true);
  expect(sheet.views[0], 'frozen header').to.include({ state: 'frozen', ySplit: 1 });
  return sheet;
}

/** 'YYYY-MM-DD' of a date cell (exceljs reads them as UTC midnight). */
export const dayOf = (value: unknown): string => {
  expect(value, 'a date cell').to.be.instanceOf(Date);
  return (value as Date).toISOString().slice(0, 10);
};

/** The page's "Download CSV / XLSX" link of that format, as a URL to request. */
export function downloadLink(html: string, format: 'csv' | 'xlsx'): string {
  const match = new RegExp(`<p class="downloads">[\\s\\S]*?href="([^"]+\\.${format}(?:\\?[^"]*)?)"`).exec(html);
  expect(match, `a ${format} download link`).to.not.equal(null);
  return match![1]!.replaceAll('&amp;', '&');
}
