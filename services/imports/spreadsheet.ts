// An uploaded spreadsheet as a grid of cells, whatever form people have it in: an XLSX workbook
// (its first sheet; formula cells give the value Excel cached), or a CSV in UTF-8 (with or without
// a byte order mark) or UTF-16LE. The type is decided by the bytes (file-type), never the name.
// Every refusal is an HttpError whose message is for the user; the only importer of csv-parse.
import { parse } from 'csv-parse/sync';
import { fileTypeFromBuffer } from 'file-type';
import { HttpError } from '../../lib/errors.ts';
import { type ReadCell, readXlsxFirstSheet } from '../exports/xlsx.ts';

export type { ReadCell };
export type SpreadsheetFormat = 'xlsx' | 'csv';

/** Rows a file may hold besides its header. */
export const MAX_IMPORT_ROWS = 10_000;

const XLSX_MIME = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export class SpreadsheetError extends HttpError {
  constructor(status: number, message: string) {
    super(status, `${message} Nothing was saved.`);
  }
}

// CSV reading stops just past the limit, so the count is not always the file's own.
const tooMany = () => new SpreadsheetError(422, `The file has more than ${MAX_IMPORT_ROWS.toLocaleString('en')} rows below its header; at most ${MAX_IMPORT_ROWS.toLocaleString('en')} can be imported at once. Split it into smaller files.`);

/** The format of an upload, by its content. */
export async function detectFormat(buffer: Buffer, fileName: string): Promise<SpreadsheetFormat> {
  if (buffer.length === 0) throw new SpreadsheetError(422, `“${fileName}” is empty.`);
  // Text with a byte order mark is text, whatever a signature check makes of its first bytes
  // (file-type takes FF FE for MPEG audio).
  const bom = buffer.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])) || (buffer[0] === 0xff && buffer[1] === 0xfe) || (buffer[0] === 0xfe && buffer[1] === 0xff);
  if (bom) return 'csv';
  const detected = await fileTypeFromBuffer(buffer);
  if (detected?.mime === XLSX_MIME) return 'xlsx';
  if (detected) {
    const what = detected.ext === 'cfb' ? 'a legacy Excel (.xls) or other Office compound file; save it as .xlsx or CSV first' : `a ${detected.ext.toUpperCase()} file`;
    throw new SpreadsheetError(415, `“${fileName}” is ${what}, not a spreadsheet PlanTRAK can import (XLSX or CSV).`);
  }
  return 'csv';
}

/** CSV bytes as text: UTF-8 (a BOM is dropped) or UTF-16LE (with its BOM, or plainly so by its NULs). */
function decodeCsv(buffer: Buffer, fileName: string): string {
  if (buffer[0] === 0xfe && buffer[1] === 0xff) throw new SpreadsheetError(415, `“${fileName}” is UTF-16 big-endian text; save the CSV as UTF-8 (or UTF-16LE).`);
  const utf16le = (buffer[0] === 0xff && buffer[1] === 0xfe) || (buffer.length >= 4 && buffer[1] === 0 && buffer[3] === 0 && buffer[0] !== 0);
  try {
    const text = new TextDecoder(utf16le ? 'utf-16le' : 'utf-8', { fatal: true }).decode(buffer);
    if (text.includes('\u0000')) throw new TypeError('NUL');
    return text.replace(/^\ufeff/, '');
  } catch {
    throw new SpreadsheetError(415, `“${fileName}” is neither an XLSX workbook nor a CSV in UTF-8 or UTF-16LE (it may be in another encoding, such as Windows-1252, or not text at all). Save it as “CSV UTF-8” and upload it again.`);
  }
}

/** The cells of a CSV, with spreadsheet-style references. */
function csvGrid(text: string): ReadCell[][] {
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  // Spreadsheets set to a comma decimal separator write semicolons.
  const delimiter = (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ';' : firstLine.includes('\t') && !firstLine.includes(',') ? '\t' : ',';
  let records: string[][];
  try {
    records = parse(text, { delimiter, relax_column_count: true, skip_empty_lines: true, relax_quotes: true, to: MAX_IMPORT_ROWS + 2 }) as string[][];
  } catch (error) {
    throw new SpreadsheetError(422, `The CSV could not be read: ${(error as Error).message.replace(/\s+/g, ' ').slice(0, 200)}.`);
  }
  return records.map((record, r) => record.map((value, c) => ({ ref: `${letters(c + 1)}${r + 1}`, value: value === '' ? null : value, formula: false })));
}

export function letters(n: number): string {
  let s = '';
  for (let x = n; x > 0; x = Math.floor((x - 1) / 26)) s = String.fromCharCode(65 + ((x - 1) % 26)) + s;
  return s;
}

/** The grid of the file's first sheet (header row first), refusing what cannot be imported. */
export async function readSpreadsheet(buffer: Buffer, fileName: string, format: SpreadsheetFormat): Promise<ReadCell[][]> {
  let grid: ReadCell[][];
  if (format === 'xlsx') {
    let read: ReadCell[][] | null;
    try {
      read = await readXlsxFirstSheet(buffer, MAX_IMPORT_ROWS + 1);
    } catch (error) {
      if (error instanceof RangeError) throw tooMany();
      throw error;
    }
    if (!read) throw new SpreadsheetError(422, `“${fileName}” looks like an XLSX workbook but could not be read (it may be damaged or password-protected).`);
    grid = read;
  } else {
    grid = csvGrid(decodeCsv(buffer, fileName));
  }
  grid = grid.filter((row) => row.some((c) => c.value !== null && String(c.value).trim() !== ''));
  if (grid.length === 0) throw new SpreadsheetError(422, `“${fileName}” has no rows: the first sheet is empty.`);
  if (grid.length === 1) throw new SpreadsheetError(422, `“${fileName}” has a header row but no Plan Items below it.`);
  if (grid.length - 1 > MAX_IMPORT_ROWS) throw tooMany();
  return grid;
}
