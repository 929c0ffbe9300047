// A table to download: what every list and report hands to the CSV and XLSX writers, and what a
// download outcome carries (lib/outcomes.ts) from a controller to the adapter that streams it.

export type CellValue = string | number | boolean | Date | null | undefined;

/** How a column's cells are written: `date` cells are 'YYYY-MM-DD' text, `datetime` cells local
 *  'YYYY-MM-DD HH:MM[:SS]' text (or a Date, an instant); XLSX makes both real dates. */
export type ColumnType = 'text' | 'number' | 'date' | 'datetime';

export interface TableColumn {
  header: string;
  /** In characters; 15 unless told. */
  width?: number;
  type?: ColumnType;
}

export type ExportFormat = 'csv' | 'xlsx';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'xlsx'];

/** What the writers read: each item one row, or a batch of rows (an array of rows: a row's cells
 *  are never arrays), so a cursor's batches go through without a promise per row. */
export type TableRows = AsyncIterable<CellValue[] | CellValue[][]> | Iterable<CellValue[] | CellValue[][]>;

/** The rows of one item of TableRows. */
export const rowsOf = (item: CellValue[] | CellValue[][]): CellValue[][] => (item.length > 0 && Array.isArray(item[0]) ? (item as CellValue[][]) : item.length > 0 ? [item as CellValue[]] : []);

/** A table file to stream: its rows are read only once the response has started, inside the
 *  request's unit of work, and `written` runs after the last row, still inside it. */
export interface StreamedTable {
  format: ExportFormat;
  fileName: string;
  sheetName: string;
  columns: TableColumn[];
  rows: () => TableRows;
  /** The download's own record (its audit entry), given how many rows went out. */
  written: (rowCount: number) => Promise<void>;
}
