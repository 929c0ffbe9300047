// Documents as files in an archive: a path that says where each belongs (its facility and event),
// the bytes read one document at a time (never all at once: each may be 25 MB), and the SHA-256 of
// exactly the bytes written, for a manifest to set beside the hash recorded at upload.
import { createHash } from 'node:crypto';
import { sql } from '../../lib/unit-of-work.ts';
import type { ZipEntries } from '../../types/archive.ts';
import { sanitizeFileName } from '../events/documents.ts';
import { slugOf } from './tables.ts';

export interface DocumentFile {
  id: string;
  eventId: string;
  facilityId: string;
  fileName: string;
  sizeBytes: number;
  /** As recorded at upload. */
  sha256: string;
  facilityName: string;
  activity: string;
  dueDate: string;
}

export interface WrittenDocument extends DocumentFile {
  /** Its path in the archive. */
  path: string;
  /** What was written: its size and SHA-256 (null when the bytes were not there to write). */
  writtenBytes: number | null;
  writtenSha256: string | null;
}

/** Documents looked up per round trip (their metadata only; the bytes come one by one). */
const PAGE = 200;

/** 'documents/springfield-plant/2026-03-31-stormwater-inspection/<id>-evidence.pdf': unique by the
 *  document's id, safe on any file system (no separators, reserved or control characters). */
export function documentPath(doc: DocumentFile): string {
  return `documents/${slugOf(doc.facilityName, 'facility')}/${doc.dueDate}-${slugOf(doc.activity, 'event')}/${doc.id}-${sanitizeFileName(doc.fileName)}`;
}

/**
 * Writes every document the condition selects (over documents d and their events e; `bind` from
 * $2) into the archive, one at a time, in id order, and hands each to `done` as written. The bytes
 * of one are read only after the last one's are in the archive.
 */
export async function writeDocuments(
  zip: ZipEntries,
  condition: { where: string; bind: unknown[] },
  done: (doc: WrittenDocument) => void | Promise<void>,
): Promise<number> {
  let after = '00000000-0000-0000-0000-000000000000';
  let count = 0;
  for (;;) {
    // Pages by id rather than a cursor: reading each document's bytes needs the connection between rows.
    const page = await sql<DocumentFile>(
      `SELECT d.id, d.event_id AS "eventId", d.facility_id AS "facilityId", d.file_name AS "fileName", d.size_bytes AS "sizeBytes",
              d.sha256, f.name AS "facilityName", e.activity, e.due_date::text AS "dueDate"
         FROM documents d
         JOIN events e ON e.client_id = d.client_id AND e.id = d.event_id
         JOIN org_units f ON f.client_id = d.client_id AND f.id = d.facility_id
        WHERE d.client_id = app_current_client() AND d.id > $1 AND (${condition.where})
        ORDER BY d.id LIMIT ${PAGE}`,
      [after, ...condition.bind],
    );
    for (const doc of page) {
      const [blob] = await sql<{ content: Buffer }>('SELECT content FROM document_blobs WHERE client_id = app_current_client() AND document_id = $1', [doc.id]);
      const path = documentPath(doc);
      if (blob) await zip.addBytes(path, blob.content);
      await done({
        ...doc,
        path,
        writtenBytes: blob ? blob.content.length : null,
        writtenSha256: blob ? createHash('sha256').update(blob.content).digest('hex') : null,
      });
      count += 1;
    }
    if (page.length < PAGE) return count;
    after = page[page.length - 1]!.id;
  }
}
