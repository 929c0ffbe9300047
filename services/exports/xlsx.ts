// XLSX files for downloads: one sheet, a bold frozen header row, column widths, then the rows,
// through exceljs's streaming writer. The only module that imports exceljs (DESIGN.md §10 rule 7).
import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';

export type XlsxValue = string | number | boolean | Date | null | undefined;

export interface XlsxColumn {
  header: string;
  /** In characters; 15 unless told. */
  width?: number;
}

export interface XlsxSheet {
  sheetName: string;
  columns: XlsxColumn[];
  rows: AsyncIterable<XlsxValue[]> | Iterable<XlsxValue[]>;
}

/** Excel's limit on the text of one cell. */
const MAX_CELL_CHARS = 32_767;
/** Characters XML 1.0 cannot carry: left in, they would make the file unreadable. */
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** Strings stay strings (never formulas, whatever they start with). */
function cellValue(value: XlsxValue): string | number | boolean | Date | null {
  if (value == null) return null;
  if (typeof value === 'string') return value.replace(XML_INVALID, '').slice(0, MAX_CELL_CHARS);
  return value;
}

/** Sheet names: at most 31 characters, none of \ / ? * [ ] : */
function sheetNameOf(name: string): string {
  return name.replace(/[\\/?*[\]:]/g, ' ').trim().slice(0, 31) || 'Sheet1';
}

export async function writeXlsx(sheet: XlsxSheet): Promise<Buffer> {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  const finished = new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream, useStyles: true, useSharedStrings: false });
  const worksheet = workbook.addWorksheet(sheetNameOf(sheet.sheetName), { views: [{ state: 'frozen', ySplit: 1 }] });
  worksheet.columns = sheet.columns.map((column, index) => ({ header: column.header, key: `c${index}`, width: column.width ?? 15 }));
  const header = worksheet.getRow(1);
  header.font = { bold: true };
  header.commit();
  for await (const row of sheet.rows) worksheet.addRow(row.map(cellValue)).commit();
  worksheet.commit();
  await workbook.commit();
  await finished;
  return Buffer.concat(chunks);
}
