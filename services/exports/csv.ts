// CSV files for downloads (RFC 4180): CRLF line ends, fields quoted when they hold a quote, a comma
// or a line break; UTF-8 with a byte-order mark so spreadsheet programs read accents right; and a
// text cell a spreadsheet would run as a formula (= + - @ tab CR) gets a leading apostrophe, which
// Excel, LibreOffice and Google Sheets all read as "this is text".
import { PassThrough, type Writable } from 'node:stream';
import { type CellValue, rowsOf, type TableRows } from '../../types/table.ts';
import { writeChunk } from './sink.ts';

export const FORMULA_START = /^[=+\-@\t\r]/;
/** A text that needs either treatment; most cells need neither and go out as they are. */
const NEEDS_CARE = /^[=+\-@\t\r]|[",\r\n]/;
const NEEDS_QUOTES = /[",\r\n]/;

export type CsvValue = CellValue;

export function csvCell(value: CsvValue): string {
  if (typeof value === 'string') {
    if (!NEEDS_CARE.test(value)) return value;
    const text = FORMULA_START.test(value) ? `'${value}` : value;
    return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  }
  // Numbers, booleans and instants never hold a quote, a comma or a line break.
  if (value == null) return '';
  return value instanceof Date ? value.toISOString() : String(value);
}

export function csvLine(cells: CsvValue[]): string {
  let line = cells.length ? csvCell(cells[0]) : '';
  for (let i = 1; i < cells.length; i += 1) line += `,${csvCell(cells[i])}`;
  return `${line}\r\n`;
}

/** Characters gathered per write: few enough writes, little enough memory. */
const CHUNK_CHARS = 64 * 1024;

/** The header line and every row, written into `out` as they come (never ended here: the caller
 *  ends it). Returns how many rows were written. */
export async function streamCsv(out: Writable, header: string[], rows: TableRows): Promise<number> {
  await writeChunk(out, Buffer.from(`\uFEFF${csvLine(header)}`, 'utf8'));
  let pending = '';
  let count = 0;
  for await (const item of rows) {
    // A batch becomes one string (and one write once enough has gathered), not one per row.
    const batch = rowsOf(item);
    for (const row of batch) pending += csvLine(row);
    count += batch.length;
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
