// The events lists as files: every event the list's filters match, in its order (not one page of
// it), with the columns of the table and the rest of what a row knows.
import type { Client } from '../../models/index.ts';
import type { CellValue, ExportFormat, StreamedTable, TableColumn } from '../../types/table.ts';
import { mapBatches, tableDownload } from '../exports/tables.ts';
import { type EventDownloadRow, type EventListQuery, type EventListRow, eventBatches } from './lists.ts';

export const EVENT_STATUS_TEXT: Record<EventListRow['status'], string> = {
  open: 'Open', overdue: 'Overdue', closed: 'Closed on time', 'closed late': 'Closed late', cancelled: 'Cancelled',
};

export const EVENT_EXPORT_COLUMNS: TableColumn[] = [
  { header: 'Due date', width: 12, type: 'date' },
  { header: 'Days overdue', width: 13, type: 'number' },
  { header: 'Facility', width: 28 },
  { header: 'Activity', width: 40 },
  { header: 'Assignee', width: 24 },
  { header: 'Status', width: 15 },
  { header: 'Recorded late', width: 14 },
  { header: 'Completed', width: 12, type: 'date' },
  { header: 'Closed by', width: 24 },
  { header: 'Cancel reason', width: 30 },
  { header: 'Event id', width: 38 },
];

export function eventCells(row: EventDownloadRow): CellValue[] {
  return [
    row.dueDate, row.daysOverdue, row.facilityName, row.activity, row.assigneeName, EVENT_STATUS_TEXT[row.status], row.recordedLate ? 'Yes' : 'No',
    row.completedOn, row.closedByName, row.cancelReason, row.id,
  ];
}

/** Rows per batch read from the cursor. An XLSX row takes long to write, so its rows come in small
 *  batches, each used and gone soon after it arrives (rather than kept long enough to be promoted
 *  to the old generation and fill it with garbage); CSV rows are written fast, in larger batches. */
const BATCH_ROWS: Record<ExportFormat, number> = { csv: 1_000, xlsx: 250 };

export interface EventListExport {
  /** What the file holds, for its name and the sheet: 'Open events', 'Springfield Plant'. */
  title: string;
  place?: string;
  /** The list the audit entry names: the unit's, or null for My events. */
  unitId: string | null;
  /** The filters in effect, as the URL gave them. */
  filters: object;
}

export function eventListExport(client: Client, query: EventListQuery, format: ExportFormat, file: EventListExport): StreamedTable {
  return tableDownload(client, format, {
    what: [file.title, file.place ?? ''],
    sheetName: file.title,
    columns: EVENT_EXPORT_COLUMNS,
    rows: () => mapBatches(eventBatches(client, query, BATCH_ROWS[format]), eventCells),
    action: 'events.exported',
    entityType: file.unitId ? 'org_unit' : 'events',
    entityId: file.unitId,
    filters: file.filters,
  });
}
