// The streamed download outcome (lib/outcomes.ts `table`): rows go from the action's cursor into
// the response while the unit of work is open, so row-level security applies to every row and
// memory holds one batch at a time. The response is ended only after the unit of work commits
// (its audit entry with it); should anything fail once bytes are out, the connection is cut, so
// the browser reports a failed download rather than keeping a truncated file.
import type { Writable } from 'node:stream';
import type { Response } from 'express';
import { allowLongStatement } from '../lib/unit-of-work.ts';
import { streamCsv } from '../services/exports/csv.ts';
import { streamXlsx } from '../services/exports/xlsx.ts';
import { streamZip } from '../services/exports/zip.ts';
import type { StreamedArchive } from '../types/archive.ts';
import type { ExportFormat, StreamedTable } from '../types/table.ts';

const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** However slowly a browser takes a large file, its cursor may stay open this long. */
const LONGEST_DOWNLOAD_MINUTES = 30;

/** Writes the file's rows into the response, inside the current unit of work; leaves it open. */
export async function streamTable(res: Response, file: StreamedTable): Promise<void> {
  res.attachment(file.fileName);
  res.set({ 'Content-Type': CONTENT_TYPES[file.format], 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': "default-src 'none'; sandbox", 'Cache-Control': 'no-store' });
  res.status(200);
  await writeTable(res, file);
}

/** The file's rows into `out` (never ended here) and then its record, in the current unit of work.
 *  Returns the row count. (The benchmark writes through this too.) */
export async function writeTable(out: Writable, file: StreamedTable): Promise<number> {
  await allowLongStatement(LONGEST_DOWNLOAD_MINUTES);
  const rowCount = file.format === 'csv'
    ? await streamCsv(out, file.columns.map((c) => c.header), file.rows())
    : await streamXlsx(out, { sheetName: file.sheetName, columns: file.columns, rows: file.rows() });
  await file.written(rowCount);
  return rowCount;
}

/** Writes an archive's entries into the response, inside the current unit of work; leaves it open. */
export async function streamArchive(res: Response, file: StreamedArchive): Promise<void> {
  res.attachment(file.fileName);
  res.set({ 'Content-Type': 'application/zip', 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': "default-src 'none'; sandbox", 'Cache-Control': 'no-store' });
  res.status(200);
  await allowLongStatement(LONGEST_DOWNLOAD_MINUTES);
  await streamZip(res, file.write);
}

/** After commit: the last bytes go out with the end of the response. */
export function finishTable(res: Response): void {
  // Only userAction streams a table; from any other adapter it would end an empty response.
  if (!res.headersSent) throw new Error('a streamed table reached send() unwritten');
  res.end();
}

/** A failure once the file has begun: cut the connection (an ended response would look complete). */
export function abandonTable(res: Response): void {
  if (!res.destroyed) res.destroy();
}
