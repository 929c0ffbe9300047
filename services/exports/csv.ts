// CSV files for downloads (RFC 4180): CRLF line ends, fields quoted when they hold a quote, a comma
// or a line break; UTF-8 with a byte-order mark so spreadsheet programs read accents right; and a
// text cell a spreadsheet would run as a formula (= + - @ tab CR) gets a leading apostrophe, which
// Excel, LibreOffice and Google Sheets all read as "this is text".
import { PassThrough, type Writable } from 'node:stream';
import { type CellValue, rowsOf, type TableRows } from '../../types/table.ts';
import { writeChunk } from './sink.ts';

export const FORMULA_START = /^[=+\-@\t\r]/;

export type CsvValue = CellValue;

export function csvCell(value: CsvValue): string {
  let text = value == null ? '' : value instanceof Date ? value.toISOString() : String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(cells: CsvValue[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/** Rows gathered per write: few enough writes, little enough memory. */
const CHUNK_CHARS = 64 * 1024;

/** The header line and every row, written into `out` as they come (never ended here: the caller
 *  ends it). Returns how many rows were written. */
export async function streamCsv(out: Writable, header: string[], rows: TableRows): Promise<number> {
  await writeChunk(out, Buffer.from(`\uFEFF${csvLine(header)}`, 'utf8'));
  let pending = '';
  let count = 0;
  for await (const item of rows) {
    for (const row of rowsOf(item)) {
      pending += csvLine(row);
      count += 1;
    }
    if (pending.length >= CHUNK_CHARS) {
      await writeChunk(out, Buffer.from(pending, 'utf8'));
      pending = '';
    }
  }
  if (pending) await writeChunk(out, Buffer.from(pending, 'utf8'));
  return count;
}

/** The whole file in memory (small files and tests). */
export async function writeCsv(header: string[], rows: TableRows): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  await streamCsv(out, header, rows);
  out.end();
  return Buffer.concat(chunks);
}
