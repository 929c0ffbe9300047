// The audit pack of one facility over a period: one ZIP for an auditor, holding the facility's
// ledger of events due in the period with their close records (a workbook), every document of those
// events, and a manifest of each document's path, size and SHA-256 as written into the pack, set
// beside the hash recorded at upload and the hashes the close records froze. A difference is
// written into the manifest for the auditor to see, never smoothed over.
import { cursorBatches, sql } from '../../lib/unit-of-work.ts';
import type { Client, OrgUnit } from '../../models/index.ts';
import type { StreamedArchive } from '../../types/archive.ts';
import type { CellValue, TableColumn } from '../../types/table.ts';
import { audit } from '../audit/entries.ts';
import { staffNameOf } from '../events/lookups.ts';
import { csvLine } from './csv.ts';
import { type WrittenDocument, writeDocuments } from './document-files.ts';
import { mapBatches, slugOf } from './tables.ts';
import { streamXlsx } from './xlsx.ts';

export interface AuditPeriod {
  /** First and last due date, 'YYYY-MM-DD', inclusive. */
  from: string;
  to: string;
}

const EVENT_COLUMNS: TableColumn[] = [
  { header: 'Due date', width: 12, type: 'date' }, { header: 'Scheduled', width: 12, type: 'date' }, { header: 'Activity', width: 40 },
  { header: 'Assignee', width: 24 }, { header: 'Status', width: 10 }, { header: 'Completed', width: 12, type: 'date' }, { header: 'Closed at (UTC)', width: 19, type: 'datetime' },
  { header: 'Closed by', width: 24 }, { header: 'Late', width: 7 }, { header: 'Recorded late', width: 14 }, { header: 'Closing notes', width: 40 },
  { header: 'Cancel reason', width: 30 }, { header: 'Documents', width: 11, type: 'number' }, { header: 'Close records', width: 13, type: 'number' },
  { header: 'Event id', width: 38 }, { header: 'Plan Item id', width: 38 },
];

const CLOSURE_COLUMNS: TableColumn[] = [
  { header: 'Closed at (UTC)', width: 19, type: 'datetime' }, { header: 'Due date', width: 12, type: 'date' }, { header: 'Completed', width: 12, type: 'date' },
  { header: 'Activity', width: 40 }, { header: 'Closed by', width: 24 }, { header: 'Late', width: 7 }, { header: 'Recorded late', width: 14 },
  { header: 'Notes', width: 40 }, { header: 'Checklist', width: 50 }, { header: 'Documents (id, name, SHA-256)', width: 80 },
  { header: 'Close record id', width: 38 }, { header: 'Event id', width: 38 },
];

export const MANIFEST_HEADER = [
  'Path', 'Size (bytes)', 'SHA-256', 'SHA-256 recorded at upload', 'Close records', 'SHA-256 in the close records', 'Check', 'Document id', 'Event id',
];
const MANIFEST_COLUMNS: TableColumn[] = MANIFEST_HEADER.map((header, i) => ({ header, width: [70, 12, 66, 66, 40, 66, 50, 38, 38][i], type: i === 1 ? 'number' : 'text' }));

const yesNo = (value: boolean): string => (value ? 'Yes' : 'No');
const utc = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')`;

/** The events of the pack, e: the facility's, due in the period (facility, from, to bound from $n). */
const inPack = (n: number) => `e.client_id = app_current_client() AND e.facility_id = $${n} AND e.due_date BETWEEN $${n + 1}::date AND $${n + 2}::date`;

interface Citation {
  closureId: string;
  documentId: string;
  fileName: string | null;
  sha256: string | null;
}

/** One manifest line: what was written, against what was recorded, and whether they agree. */
function manifestLine(doc: WrittenDocument | undefined, citations: Citation[], cited?: Citation): CellValue[] {
  const problems: string[] = [];
  if (!doc) {
    problems.push('cited by a close record but no longer stored: not in this pack');
  } else if (doc.writtenSha256 === null) {
    problems.push('its bytes are missing: not in this pack');
  } else {
    if (doc.writtenSha256 !== doc.sha256) problems.push('differs from the SHA-256 recorded at upload');
    if (doc.writtenBytes !== doc.sizeBytes) problems.push(`size differs from the ${doc.sizeBytes} bytes recorded at upload`);
    for (const c of citations) if (c.sha256 !== doc.writtenSha256) problems.push(`differs from close record ${c.closureId}`);
  }
  const check = problems.length ? `MISMATCH: ${problems.join('; ')}` : citations.length ? 'matches the upload and the close records' : 'matches the upload (in no close record)';
  return [
    doc?.writtenSha256 != null ? doc.path : null,
    doc?.writtenBytes ?? null,
    doc?.writtenSha256 ?? null,
    doc?.sha256 ?? null,
    citations.map((c) => c.closureId).join(' '),
    [...new Set(citations.map((c) => c.sha256 ?? ''))].join(' '),
    check,
    doc?.id ?? cited?.documentId ?? null,
    doc?.eventId ?? null,
  ];
}

/** The pack as a streamed ZIP: documents first (hashed as written), then the workbook and manifests. */
export function auditPack(client: Client, facility: OrgUnit, period: AuditPeriod): StreamedArchive {
  const base = `audit-pack-${slugOf(facility.name, 'facility')}-${slugOf(client.name, 'client')}-${period.from}-to-${period.to}`;
  const bind = [facility.id, period.from, period.to];
  return {
    fileName: `${base}.zip`,
    async write(zip) {
      // What the close records froze, per document (a handful per event: held in memory).
      const citations = await sql<Citation>(
        `SELECT k.id AS "closureId", x->>'id' AS "documentId", x->>'fileName' AS "fileName", x->>'sha256' AS sha256
           FROM events e
           JOIN event_closures k ON k.client_id = e.client_id AND k.event_id = e.id
           CROSS JOIN LATERAL jsonb_array_elements(k.documents) x
          WHERE ${inPack(1)}
          ORDER BY k.closed_at, k.id`,
        bind,
      );
      const citedBy = new Map<string, Citation[]>();
      for (const c of citations) citedBy.set(c.documentId, [...(citedBy.get(c.documentId) ?? []), c]);

      const manifest: CellValue[][] = [];
      const written = new Set<string>();
      let mismatches = 0;
      const note = (line: CellValue[]) => {
        manifest.push(line);
        if (String(line[6]).startsWith('MISMATCH')) mismatches += 1;
      };
      const documents = await writeDocuments(zip, { where: inPack(2), bind }, (doc) => {
        written.add(doc.id);
        note(manifestLine(doc, citedBy.get(doc.id) ?? []));
      });
      for (const [documentId, cites] of citedBy) if (!written.has(documentId)) note(manifestLine(undefined, cites, cites[0]));

      const counts = { events: 0, closeRecords: 0 };
      const workbookSha256 = await zip.addStream(`${base}.xlsx`, (out) => streamXlsx(
        out,
        { sheetName: 'Events', columns: EVENT_COLUMNS, rows: countInto(counts, 'events', eventRows(bind)) },
        { sheetName: 'Close records', columns: CLOSURE_COLUMNS, rows: countInto(counts, 'closeRecords', closureRows(bind)) },
        { sheetName: 'Manifest', columns: MANIFEST_COLUMNS, rows: manifest },
      ));
      const manifestSha256 = await zip.addBytes('manifest.csv', Buffer.from(`\uFEFF${[MANIFEST_HEADER, ...manifest].map(csvLine).join('')}`, 'utf8'));
      // For `sha256sum -c MANIFEST.sha256`, run where the pack is unpacked: every other file of the
      // pack, so that what reaches an inspector can be checked whole.
      const sums = [...manifest.filter((l) => l[0] && l[2]).map((l) => [l[2], l[0]]), [workbookSha256, `${base}.xlsx`], [manifestSha256, 'manifest.csv']];
      await zip.addBytes('MANIFEST.sha256', Buffer.from(sums.map(([hash, path]) => `${hash}  ${path}\n`).join(''), 'utf8'));
      await audit({
        action: 'audit_pack.exported',
        entityType: 'org_unit',
        entityId: facility.id,
        changes: { format: 'zip', from: period.from, to: period.to, events: counts.events, closeRecords: counts.closeRecords, documents, mismatches },
      });
    },
  };
}

async function* countInto<K extends string>(counts: Record<K, number>, key: K, batches: AsyncIterable<CellValue[][]>): AsyncGenerator<CellValue[][]> {
  for await (const batch of batches) {
    counts[key] += batch.length;
    yield batch;
  }
}

interface EventLine {
  id: string; plan_item_id: string; due: string; scheduled: string; activity: string; assignee: string | null; status: string; completed: string | null;
  closed_at: string | null; closed_by: string | null; late: boolean; recorded_late: boolean; closing_notes: string | null; cancel_reason: string | null;
  documents: number; closures: number;
}

function eventRows(bind: unknown[]): AsyncIterable<CellValue[][]> {
  return mapBatches(
    cursorBatches<EventLine>(
      `SELECT e.id, e.plan_item_id, e.due_date::text AS due, e.scheduled_date::text AS scheduled, e.activity, a.name AS assignee, e.status,
              e.completed_on::text AS completed, ${utc('e.closed_at')} AS closed_at, coalesce(c.name, ${staffNameOf('e.closed_by_staff_id')}) AS closed_by,
              e.late, e.recorded_late, e.closing_notes, e.cancel_reason,
              (SELECT count(*)::int FROM documents d WHERE d.client_id = e.client_id AND d.event_id = e.id) AS documents,
              (SELECT count(*)::int FROM event_closures k WHERE k.client_id = e.client_id AND k.event_id = e.id) AS closures
         FROM events e
         LEFT JOIN users a ON a.client_id = e.client_id AND a.id = e.assignee_id
         LEFT JOIN users c ON c.client_id = e.client_id AND c.id = e.closed_by
        WHERE ${inPack(1)}
        ORDER BY e.due_date, e.activity, e.id`,
      bind,
    ),
    (e) => [e.due, e.scheduled, e.activity, e.assignee, e.status, e.completed, e.closed_at, e.closed_by, e.status === 'closed' ? yesNo(e.late) : null,
      e.status === 'closed' ? yesNo(e.recorded_late) : null, e.closing_notes, e.cancel_reason, e.documents, e.closures, e.id, e.plan_item_id],
  );
}

interface ClosureLine {
  id: string; event_id: string; closed_at: string; due: string; completed: string; activity: string; closed_by: string | null; late: boolean;
  recorded_late: boolean; notes: string | null; checklist: string; documents: Array<{ id: string; fileName?: string; sha256?: string }>;
}

function closureRows(bind: unknown[]): AsyncIterable<CellValue[][]> {
  return mapBatches(
    cursorBatches<ClosureLine>(
      `SELECT k.id, k.event_id, ${utc('k.closed_at')} AS closed_at, k.due_date::text AS due, k.completed_on::text AS completed, e.activity,
              coalesce(u.name, ${staffNameOf('k.closed_by_staff_id')}) AS closed_by, k.late, k.recorded_late, k.notes, k.checklist::text AS checklist, k.documents
         FROM events e
         JOIN event_closures k ON k.client_id = e.client_id AND k.event_id = e.id
         LEFT JOIN users u ON u.client_id = k.client_id AND u.id = k.closed_by
        WHERE ${inPack(1)}
        ORDER BY k.closed_at, k.id`,
      bind,
    ),
    (k) => [k.closed_at, k.due, k.completed, k.activity, k.closed_by, yesNo(k.late), yesNo(k.recorded_late), k.notes, k.checklist,
      k.documents.map((d) => `${d.id} ${d.fileName ?? ''} ${d.sha256 ?? ''}`).join('\n'), k.id, k.event_id],
  );
}
