// What a controller action answers: a page, a redirect or a file. The adapters in middleware/
// send it once the unit of work has committed (DESIGN.md §8.2).
import type { Flash } from './flash.ts';
import type { StreamedArchive } from '../types/archive.ts';
import type { StreamedTable } from '../types/table.ts';

export type Outcome =
  | { kind: 'view'; view: string; locals: Record<string, unknown>; status: number; headers?: Record<string, string> }
  | { kind: 'redirect'; url: string; flash?: Flash; headers?: Record<string, string> }
  | { kind: 'download'; body: Buffer; fileName: string; contentType: string; headers?: Record<string, string> }
  | { kind: 'table'; table: StreamedTable }
  | { kind: 'archive'; archive: StreamedArchive };

export const view = (name: string, locals: Record<string, unknown> = {}, status = 200, headers?: Record<string, string>): Outcome => ({
  kind: 'view',
  view: name,
  locals,
  status,
  headers,
});
export const redirect = (url: string, flash?: Flash, headers?: Record<string, string>): Outcome => ({ kind: 'redirect', url, flash, headers });
/** A file to save, never to display: attachment, no sniffing, and a CSP that sandboxes it should a
 *  browser render it anyway. `fileName` must already be safe (services sanitise stored names). */
export const download = (body: Buffer, fileName: string, contentType: string, headers?: Record<string, string>): Outcome => ({
  kind: 'download',
  body,
  fileName,
  contentType,
  headers,
});

/** A list or report as a CSV or XLSX file, streamed: the adapter writes its rows into the response
 *  inside the unit of work (its cursor needs the transaction's connection and context) and ends
 *  the response only once that unit of work has committed. */
export const table = (file: StreamedTable): Outcome => ({ kind: 'table', table: file });

/** A ZIP (a workbook and documents), streamed like a table: written inside the unit of work,
 *  ended only once it has committed. */
export const archive = (file: StreamedArchive): Outcome => ({ kind: 'archive', archive: file });

/** Sent with every sign-out: the browser drops this site's cookies and stored data, so
 *  nothing of the session (or of a shared computer's last user) outlives it. */
export const SIGNED_OUT_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'Clear-Site-Data': '"cookies", "storage"' });
