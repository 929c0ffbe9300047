// XLSX files for downloads, through exceljs's streaming writer: a bold frozen header row, column
// widths, real dates, strings that are never formulas, and a second sheet (a third, …) when the
// rows would pass a sheet's 1,048,576; and reading uploaded workbooks (the Plan Item import).
// The only module that imports exceljs (DESIGN.md §10 rule 7).
import { PassThrough, type Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { type CellValue, type ColumnType, rowsOf, type TableColumn, type TableRows } from '../../types/table.ts';
import { FORMULA_START } from './csv.ts';
import { drained, ReaderGoneError } from './sink.ts';

export type XlsxValue = CellValue;
export type XlsxColumn = TableColumn;

export interface XlsxSheet {
  sheetName: string;
  columns: XlsxColumn[];
  rows: TableRows;
  /** Rows a sheet holds, its header included (Excel's limit unless told: tests use less). */
  maxSheetRows?: number;
}

/** Excel's limit on the rows of one sheet. */
export const XLSX_MAX_ROWS = 1_048_576;
/** Excel's limit on the text of one cell. */
const MAX_CELL_CHARS = 32_767;
/** Characters XML 1.0 cannot carry: left in, they would make the file unreadable. */
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/;
const FORMATS: Partial<Record<ColumnType, string>> = { date: 'yyyy-mm-dd', datetime: 'yyyy-mm-dd hh:mm' };
/** Rows written between looks at the compressor's and the reader's back-pressure (about 50 kB of
 *  sheet XML): often enough that the compressor, which runs beside this thread, is never starved of
 *  turns of the event loop. */
const ROWS_PER_CHECK = 50;

/** A cell as the workbook holds it. Dates and local times become date cells (their wall-clock
 *  reading, which is what the sheet should show); other strings stay strings, never formulas. */
function cellValue(value: XlsxValue, type: ColumnType | undefined): string | number | boolean | Date | null {
  if (value == null || value === '') return null;
  if (typeof value === 'string') {
    const date = type === 'date' ? DATE.exec(value) : type === 'datetime' ? DATE_TIME.exec(value) ?? DATE.exec(value) : null;
    if (date) {
      const [y, m, d, hh = '0', mm = '0', ss = '0'] = date.slice(1);
      return new Date(Date.UTC(Number(y), Number(m) - 1, Number(d), Number(hh), Number(mm), Number(ss)));
    }
    return value.replace(XML_INVALID, '').slice(0, MAX_CELL_CHARS);
  }
  return value;
}

/** Sheet names: at most 31 characters, none of \ / ? * [ ] : */
function sheetNameOf(name: string, part: number): string {
  const base = name.replace(/[\\/?*[\]:]/g, ' ').trim() || 'Sheet1';
  const suffix = part > 1 ? ` (${part})` : '';
  return `${base.slice(0, 31 - suffix.length)}${suffix}`;
}

/** In a workbook of several tables, where the next one begins (read between two tables' rows). */
class NextTable {
  constructor(readonly sheet: XlsxSheet) {}
}

/** The rows of every table, each after a marker naming its sheet. */
async function* tablesInTurn(sheets: XlsxSheet[]): AsyncGenerator<CellValue[] | CellValue[][] | NextTable> {
  for (const [index, sheet] of sheets.entries()) {
    if (index > 0) yield new NextTable(sheet);
    yield* sheet.rows;
  }
}

/** The stream exceljs writes a sheet's XML into, on its way to the compressor (archiver's input).
 *  exceljs writes into it without waiting, so when the compressor, or the reader behind it, is
 *  slower than the rows, this is where the XML piles up: the writer waits on it instead. */
interface SheetFeed {
  _writableState?: { needDrain?: boolean; length?: number };
  _readableState?: { length?: number };
  once(event: string, listener: () => void): unknown;
  off(event: string, listener: () => void): unknown;
}

function sheetFeed(worksheet: ExcelJS.Worksheet): SheetFeed | undefined {
  return (worksheet as unknown as { stream?: { pipes?: SheetFeed[] } }).stream?.pipes?.[0];
}

/** Sheet XML let wait for the compressor: enough for it to work on while rows are written, little
 *  enough memory. */
const MAX_BACKLOG_BYTES = 512 * 1024;

/** Resolves at once while the compressor's backlog is small, else once it has taken it; rejects
 *  if `out` closes first. */
function compressorCaughtUp(feed: SheetFeed | undefined, out: Writable): Promise<void> {
  const backlog = (feed?._writableState?.length ?? 0) + (feed?._readableState?.length ?? 0);
  if (!feed?._writableState?.needDrain || backlog <= MAX_BACKLOG_BYTES) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (error?: unknown) => {
      feed.off('drain', onDrain);
      feed.off('close', onFeedGone);
      feed.off('error', onFeedGone);
      out.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(new ReaderGoneError());
    // The archive failed (its own error reaches the caller through `finished`).
    const onFeedGone = () => done(new Error('the workbook’s compressor stopped'));
    feed.once('drain', onDrain);
    feed.once('close', onFeedGone);
    feed.once('error', onFeedGone);
    out.once('close', onClose);
  });
}

/**
 * Writes the workbook into `out` as rows come (never ending `out`: the caller does), pausing when
 * `out` is full. Returns how many rows were written (headers not counted). With more tables, each
 * follows on sheets of its own, split the same way (at the first table's maxSheetRows).
 */
export async function streamXlsx(out: Writable, sheet: XlsxSheet, ...moreSheets: XlsxSheet[]): Promise<number> {
  const zip = new PassThrough();
  zip.pipe(out, { end: false });
  const finished = new Promise<void>((resolve, reject) => {
    zip.on('end', resolve);
    zip.on('error', reject);
    out.on('close', () => reject(new ReaderGoneError()));
  });
  finished.catch(() => undefined);
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: zip, useStyles: true, useSharedStrings: false });
  const perSheet = Math.max(2, sheet.maxSheetRows ?? XLSX_MAX_ROWS) - 1;
  let types = sheet.columns.map((c) => c.type);
  let worksheet: ExcelJS.Worksheet | undefined;
  let feed: SheetFeed | undefined;
  let part = 0;
  let onSheet = 0;
  let count = 0;
  const nextSheet = () => {
    worksheet?.commit();
    part += 1;
    onSheet = 0;
    worksheet = workbook.addWorksheet(sheetNameOf(sheet.sheetName, part), { views: [{ state: 'frozen', ySplit: 1 }] });
    worksheet.columns = sheet.columns.map((column, index) => ({
      header: column.header,
      key: `c${index}`,
      width: column.width ?? 15,
      ...(column.type && FORMATS[column.type] ? { style: { numFmt: FORMATS[column.type] } } : {}),
    }));
    const header = worksheet.getRow(1);
    header.font = { bold: true };
    header.commit();
    feed = sheetFeed(worksheet);
  };
  nextSheet();
  for await (const item of moreSheets.length ? tablesInTurn([sheet, ...moreSheets]) : sheet.rows) {
    if (item instanceof NextTable) {
      ({ sheet } = item);
      types = sheet.columns.map((c) => c.type);
      part = 0;
      nextSheet();
      continue;
    }
    for (const values of rowsOf(item)) {
      if (onSheet === perSheet) nextSheet();
      const row = worksheet!.addRow(values.map((v, i) => cellValue(v, types[i])));
      // Text that looks like a formula is held as text even when someone edits the cell later.
      values.forEach((v, i) => {
        if (typeof v === 'string' && FORMULA_START.test(v)) row.getCell(i + 1).numFmt = '@';
      });
      row.commit();
      onSheet += 1;
      count += 1;
      if (count % ROWS_PER_CHECK === 0) {
        if (out.destroyed) throw new ReaderGoneError();
        // Let the compressor's callbacks run (it works beside this thread), and wait for it when
        // it, or the reader behind it, is slower than the rows (the reader's back-pressure reaches
        // the compressor through the pipes between them).
        await new Promise((resolve) => setImmediate(resolve));
        await compressorCaughtUp(feed, out);
        if (zip.writableNeedDrain) await drained(zip);
        if (out.writableNeedDrain) await drained(out);
      }
    }
  }
  worksheet!.commit();
  await workbook.commit();
  await finished;
  return count;
}

/** The whole workbook in memory (small files and tests). */
export async function writeXlsx(sheet: XlsxSheet): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  await streamXlsx(out, sheet);
  out.end();
  return Buffer.concat(chunks);
}

/** One cell of an uploaded workbook: its value as text or a date, its reference ("C5"), and
 *  whether it holds a formula (its value is then the one Excel cached when the file was saved). */
export interface ReadCell {
  ref: string;
  value: string | Date | null;
  formula: boolean;
}

/** The first worksheet of an uploaded workbook, row by row (header first), or null when the bytes
 *  are no workbook exceljs can read. Refuses (RangeError) a sheet with more than `maxRows` rows
 *  before reading its cells, so a huge file costs little. */
export async function readXlsxFirstSheet(buffer: Buffer, maxRows: number): Promise<ReadCell[][] | null> {
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
  } catch {
    return null;
  }
  const sheet = workbook.worksheets[0];
  if (!sheet) return [];
  if (sheet.actualRowCount > maxRows) throw new RangeError(`${sheet.actualRowCount}`);
  const rows: ReadCell[][] = [];
  sheet.eachRow({ includeEmpty: false }, (row) => {
    const cells: ReadCell[] = [];
    row.eachCell({ includeEmpty: true }, (cell, col) => {
      cells[col - 1] = { ref: cell.address, ...cellText(cell.value) };
    });
    for (let i = 0; i < cells.length; i++) cells[i] ??= { ref: `${columnLetters(i + 1)}${row.number}`, value: null, formula: false };
    rows.push(cells);
  });
  return rows;
}

function columnLetters(n: number): string {
  let s = '';
  for (let x = n; x > 0; x = Math.floor((x - 1) / 26)) s = String.fromCharCode(65 + ((x - 1) % 26)) + s;
  return s;
}

function cellText(value: ExcelJS.CellValue): { value: string | Date | null; formula: boolean } {
  if (value === null || value === undefined) return { value: null, formula: false };
  if (value instanceof Date) return { value, formula: false };
  if (typeof value !== 'object') return { value: String(value), formula: false };
  if ('formula' in value || 'sharedFormula' in value) {
    const result = (value as { result?: unknown }).result;
    const inner = result === undefined || (typeof result === 'object' && result !== null && 'error' in result) ? { value: null } : cellText(result as ExcelJS.CellValue);
    return { value: inner.value, formula: true };
  }
  if ('richText' in value) return { value: value.richText.map((r) => r.text).join(''), formula: false };
  if ('text' in value) return { value: String((value as { text: unknown }).text), formula: false };
  if ('error' in value) return { value: null, formula: false };
  return { value: null, formula: false };
}
