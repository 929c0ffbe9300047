// What every list's and report's download has in common: a file name that says what it holds and
// when it was taken, and the download's own audit entry (format, filters, row count), written in
// the request's unit of work once the last row is out.
import { todayIn } from '../../lib/calendar-dates.ts';
import type { Client } from '../../models/index.ts';
import type { CellValue, ExportFormat, StreamedTable, TableColumn, TableRows } from '../../types/table.ts';
import { audit } from '../audit/entries.ts';

/** 'Ärger & Söhne, "Water"' → 'arger-sohne-water' (at most 40 characters). */
export function slugOf(text: string, fallback = 'file'): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '') || fallback;
}

/** '<what>-<client>-<today in the client's zone>.<format>': 'open-events-north-plant-acme-2026-11-23.csv'. */
export function exportFileName(what: string[], client: Client, format: ExportFormat, now: Date = new Date()): string {
  const parts = [...what.map((w) => slugOf(w, '')).filter(Boolean), slugOf(client.name, 'client')];
  return `${parts.join('-')}-${todayIn(client.timeZone, now)}.${format}`;
}

/** Only the filters that are set, for the audit entry. */
export function activeFilters(filters: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(filters).filter(([, v]) => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0)),
  );
}

export interface TableSpec {
  /** What the file holds, for its name: ['open-events', unit name]. */
  what: string[];
  sheetName: string;
  columns: TableColumn[];
  /** Read once the response has begun, inside the unit of work (a cursor, typically). */
  rows: () => TableRows;
  /** The audit entry's action ('events.exported', …), entity and the filters in effect. */
  action: string;
  entityType: string;
  entityId?: string | null;
  filters: object;
}

export function tableDownload(client: Client, format: ExportFormat, spec: TableSpec): StreamedTable {
  return {
    format,
    fileName: exportFileName(spec.what, client, format),
    sheetName: spec.sheetName,
    columns: spec.columns,
    rows: spec.rows,
    written: (rows) => audit({ action: spec.action, entityType: spec.entityType, entityId: spec.entityId ?? null, changes: { format, filters: activeFilters(spec.filters), rows } }),
  };
}

/** Maps each batch of rows through `cells` as it comes. */
export async function* mapBatches<T>(batches: AsyncIterable<T[]>, cells: (row: T) => CellValue[]): AsyncGenerator<CellValue[][]> {
  for await (const batch of batches) yield batch.map(cells);
}

/** Maps each row of `rows` through `cells` as it comes. */
export async function* mapRows<T>(rows: AsyncIterable<T>, cells: (row: T) => CellValue[]): AsyncGenerator<CellValue[]> {
  for await (const row of rows) yield cells(row);
}
