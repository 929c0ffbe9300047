// Event documents (DESIGN.md §5): evidence attached to an open event, stored in
// PostgreSQL under row-level security (metadata in documents, bytes in document_blobs), typed by
// content against an allowlist, named safely, hashed (SHA-256) and audited. Every change takes the
// event's row lock first, so uploads and deletes happen strictly before or after a close.
import { createHash } from 'node:crypto';
import { fileTypeFromBuffer } from 'file-type';
import { ConflictError, ForbiddenError, HttpError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { sql } from '../../lib/unit-of-work.ts';
import type { Principal } from '../../policies/index.ts';
import { canWorkEvent } from '../../policies/events.ts';
import { audit } from '../audit/entries.ts';
import { type EventRecord, lockEventInScope, staffNameOf } from './lookups.ts';
import { checkSensitiveData } from '../sensitive-data.ts';
import { UUID_PATTERN as UUID } from '../../lib/uuid.ts';

type Actor = Principal & { id: string };

export interface UploadedFile {
  originalName: string;
  buffer: Buffer;
}

export interface DocumentRow {
  id: string;
  eventId: string;
  fileName: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  uploadedBy: string | null;
  uploadedByName: string | null;
  uploadedAt: Date;
}

/** The longest stored file name (the column allows 200). */
export const FILE_NAME_MAX = 200;

/** The form's sensitive-data counter label (services/sensitive-data.ts). */
const SENSITIVE_FORM = 'document-upload';

/** What the allowlist accepts, by the type file-type detects from the bytes. */
const ALLOWED_MIME = new Map<string, string>([
  ['application/pdf', 'PDF'],
  ['image/png', 'PNG image'],
  ['image/jpeg', 'JPEG image'],
  ['image/gif', 'GIF image'],
  ['image/webp', 'WebP image'],
  ['image/tiff', 'TIFF image'],
  ['image/heic', 'HEIC image'],
  ['image/heif', 'HEIF image'],
  ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'Word document'],
  ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'Excel workbook'],
  ['application/vnd.openxmlformats-officedocument.presentationml.presentation', 'PowerPoint presentation'],
  ['application/vnd.oasis.opendocument.text', 'OpenDocument text'],
  ['application/vnd.oasis.opendocument.spreadsheet', 'OpenDocument spreadsheet'],
  ['application/vnd.oasis.opendocument.presentation', 'OpenDocument presentation'],
]);

/** Legacy Office files are Compound File Binary containers (as are Windows Installer packages):
 *  accepted only under a legacy Office name, and served as that type. */
const CFB_EXTENSIONS = new Map<string, string>([
  ['doc', 'application/msword'],
  ['xls', 'application/vnd.ms-excel'],
]);

/** CSV and plain text carry no magic bytes: accepted by name when the bytes are UTF-8 text. */
const TEXT_EXTENSIONS = new Map<string, string>([
  ['csv', 'text/csv; charset=utf-8'],
  ['txt', 'text/plain; charset=utf-8'],
]);

/** The accept list an upload form offers (the server decides by content, whatever it says). */
export const ACCEPT_LIST = [
  '.pdf', '.png', '.jpg', '.jpeg', '.gif', '.webp', '.tif', '.tiff', '.heic', '.heif',
  '.docx', '.xlsx', '.pptx', '.doc', '.xls', '.odt', '.ods', '.odp', '.csv', '.txt',
].join(',');

const ALLOWED_SUMMARY = 'PDF, images (PNG, JPEG, GIF, WebP, TIFF, HEIC), Word, Excel and PowerPoint files (.docx, .xlsx, .pptx, .doc, .xls), OpenDocument files (.odt, .ods, .odp), CSV and plain text (.txt)';

/** Plain words for what a refused file really is. */
const KNOWN_KINDS: Record<string, string> = {
  exe: 'a Windows program (EXE/DLL)',
  elf: 'a Linux program (ELF executable)',
  macho: 'a macOS program (Mach-O executable)',
  msi: 'a Windows installer',
  cfb: 'a Microsoft compound file (legacy Office document or Windows installer)',
  zip: 'a ZIP archive',
  rar: 'a RAR archive',
  '7z': 'a 7-Zip archive',
  gz: 'a gzip archive',
  tar: 'a tar archive',
  jar: 'a Java archive',
  apk: 'an Android package',
  wasm: 'a WebAssembly program',
  html: 'an HTML page',
  xml: 'an XML file',
  svg: 'an SVG image',
  swf: 'a Flash file',
};

export interface DetectedType {
  contentType: string;
  label: string;
  /** The extension that type is saved under. */
  ext: string;
}

/** Other spellings of a detected extension that name the same type. */
const EXTENSION_ALIASES: Record<string, string[]> = { jpg: ['jpeg', 'jpe'], tif: ['tiff'], heic: ['heif'] };

/**
 * The name a file is stored and downloaded under ends with its real type's extension: a PNG named
 * invoice.html becomes invoice.html.png, so a saved download never opens as something else.
 */
export function nameForType(fileName: string, type: DetectedType): string {
  const ext = extensionOf(fileName);
  if (ext === type.ext || EXTENSION_ALIASES[type.ext]?.includes(ext)) return fileName;
  return sanitizeFileName(`${fileName}.${type.ext}`);
}

class UnsupportedFileError extends HttpError {
  constructor(message: string) {
    super(415, message);
  }
}

/** The extension of a name (lower case, without the dot), or '' when it has none. */
const extensionOf = (name: string): string => /\.([A-Za-z0-9]{1,10})$/.exec(name)?.[1]?.toLowerCase() ?? '';

function isUtf8Text(buffer: Buffer): boolean {
  if (buffer.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buffer);
    return true;
  } catch {
    return false;
  }
}

/**
 * The file's type as its bytes say, checked against the allowlist; a 415 naming what the file
 * really is otherwise (a renamed program is refused whatever its name claims).
 */
export async function detectAllowedType(buffer: Buffer, fileName: string): Promise<DetectedType> {
  const detected = await fileTypeFromBuffer(buffer);
  const ext = extensionOf(fileName);
  const refuse = (what: string): never => {
    throw new UnsupportedFileError(`“${fileName}” is ${what}, which cannot be attached. Nothing was saved. Allowed: ${ALLOWED_SUMMARY}.`);
  };
  if (detected) {
    const label = ALLOWED_MIME.get(detected.mime);
    if (label) return { contentType: detected.mime, label, ext: detected.ext };
    if (detected.ext === 'cfb') {
      const contentType = CFB_EXTENSIONS.get(ext);
      if (contentType) return { contentType, label: ext === 'doc' ? 'Word document (legacy)' : 'Excel workbook (legacy)', ext };
      return refuse(`${KNOWN_KINDS.cfb} not named .doc or .xls`);
    }
    return refuse(KNOWN_KINDS[detected.ext] ?? `a ${detected.ext.toUpperCase()} file (${detected.mime})`);
  }
  const textType = TEXT_EXTENSIONS.get(ext);
  if (textType && isUtf8Text(buffer)) return { contentType: textType, label: ext === 'csv' ? 'CSV' : 'Plain text', ext };
  if (textType) throw new UnsupportedFileError(`“${fileName}” is not plain UTF-8 text, as a .${ext} file must be. Nothing was saved.`);
  throw new UnsupportedFileError(`PlanTRAK does not recognise the type of “${fileName}” from its content. Nothing was saved. Allowed: ${ALLOWED_SUMMARY}.`);
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
/** Bidirectional overrides and invisible formatting: they make "gpj.exe" read as "exe.jpg". */
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;
/** Reserved on Windows, or meaningful to shells and headers. */
const RESERVED = /[<>:"|?*;]/g;
/** Device names Windows will not open as files, whatever the extension. */
const DEVICE = /^(con|prn|aux|nul|com\d|lpt\d)$/i;

/**
 * A safe name to store and to offer in Content-Disposition: the last path component only (both
 * / and \), without control, invisible or reserved characters, leading dots or surrounding spaces,
 * whitespace collapsed, the extension kept, at most 200 characters; "document.<ext>" when nothing
 * is left.
 */
export function sanitizeFileName(original: string): string {
  const base = (original.normalize('NFC').split(/[\\/]/).pop() ?? '').replace(CONTROL, '').replace(INVISIBLE, '').replace(RESERVED, '');
  const ext = extensionOf(base);
  let stem = (ext ? base.slice(0, -(ext.length + 1)) : base).replace(/\s+/g, ' ').replace(/^[\s.]+/, '').replace(/[\s.]+$/, '');
  if (DEVICE.test(stem)) stem = `${stem}_`;
  const suffix = ext ? `.${base.slice(-ext.length)}` : '';
  const room = FILE_NAME_MAX - suffix.length;
  stem = Array.from(stem).slice(0, room).join('').trim();
  return `${stem || 'document'}${suffix}`;
}

export const sha256Hex = (buffer: Buffer): string => createHash('sha256').update(buffer).digest('hex');

class EventClosedError extends ConflictError {
  constructor(status: string) {
    super(`This event is ${status}: its evidence is frozen, so documents can no longer be added or removed.${status === 'closed' ? ' A Manager can reopen it first.' : ''}`);
  }
}

/** The locked event, if the actor may work it now: 404 when invisible, 409 when not open, 403 otherwise. */
async function lockWorkableEvent(actor: Actor, eventId: string): Promise<EventRecord> {
  const event = await lockEventInScope(eventId);
  if (event.status !== 'open') throw new EventClosedError(event.status);
  if (!canWorkEvent(actor, event)) throw new ForbiddenError('Only the assignee, or a Manager or above, can add or remove documents on this event.');
  return event;
}

/**
 * Attaches a file to an open event: lock, authorise, validate (present, not empty, allowed type by
 * content, name not health data unless confirmed), then store metadata and bytes and audit it.
 */
export async function uploadDocument(actor: Actor, eventId: string, file: UploadedFile | undefined, confirmed: boolean): Promise<DocumentRow> {
  const event = await lockWorkableEvent(actor, eventId);
  if (!file) throw new ValidationError({ file: 'Choose a file to upload.' }, 'Choose a file to upload. Nothing was saved.');
  const givenName = sanitizeFileName(file.originalName);
  if (file.buffer.length === 0) throw new ValidationError({ file: 'That file is empty.' }, `“${givenName}” is empty (0 bytes). Nothing was saved.`);
  const type = await detectAllowedType(file.buffer, givenName);
  const fileName = nameForType(givenName, type);
  await checkSensitiveData(SENSITIVE_FORM, confirmed, fileName, file.originalName);

  const sha256 = sha256Hex(file.buffer);
  const [doc] = await sql<{ id: string; uploadedAt: Date }>(
    `INSERT INTO documents (client_id, event_id, facility_id, file_name, content_type, size_bytes, sha256, uploaded_by)
     VALUES (app_current_client(), $1, $2, $3, $4, $5, $6, $7) RETURNING id, uploaded_at AS "uploadedAt"`,
    [event.id, event.facilityId, fileName, type.contentType, file.buffer.length, sha256, actor.id],
  );
  await sql(`INSERT INTO document_blobs (client_id, document_id, facility_id, content) VALUES (app_current_client(), $1, $2, $3)`, [
    doc!.id,
    event.facilityId,
    file.buffer,
  ]);
  await audit({
    action: 'document.uploaded',
    entityType: 'event',
    entityId: event.id,
    changes: { documentId: doc!.id, fileName, contentType: type.contentType, sizeBytes: file.buffer.length, sha256 },
  });
  return {
    id: doc!.id, eventId: event.id, fileName, contentType: type.contentType, sizeBytes: file.buffer.length, sha256,
    uploadedBy: actor.id, uploadedByName: null, uploadedAt: doc!.uploadedAt,
  };
}

const DOCUMENT_COLUMNS = `d.id, d.event_id AS "eventId", d.file_name AS "fileName", d.content_type AS "contentType",
  d.size_bytes AS "sizeBytes", d.sha256, d.uploaded_by AS "uploadedBy", coalesce(u.name, ${staffNameOf('d.uploaded_by_staff_id')}) AS "uploadedByName", d.uploaded_at AS "uploadedAt"`;
const DOCUMENT_FROM = `FROM documents d LEFT JOIN users u ON u.client_id = d.client_id AND u.id = d.uploaded_by`;

/** A document's metadata, if row-level security shows it; 404 otherwise (a malformed id included). */
export async function findDocumentInScope(id: string): Promise<DocumentRow> {
  const [doc] = UUID.test(id) ? await sql<DocumentRow>(`SELECT ${DOCUMENT_COLUMNS} ${DOCUMENT_FROM} WHERE d.id = $1`, [id]) : [];
  if (!doc) throw new NotFoundError();
  return doc;
}

/** The bytes of a visible document, for its download; audited. Anyone who may see the event may. */
export async function downloadDocument(_actor: Actor, documentId: string): Promise<DocumentRow & { content: Buffer }> {
  const doc = await findDocumentInScope(documentId);
  const [blob] = await sql<{ content: Buffer }>(`SELECT content FROM document_blobs WHERE document_id = $1 AND client_id = app_current_client()`, [doc.id]);
  if (!blob) throw new NotFoundError();
  await audit({
    action: 'document.downloaded',
    entityType: 'event',
    entityId: doc.eventId,
    changes: { documentId: doc.id, fileName: doc.fileName, sha256: doc.sha256 },
  });
  return { ...doc, content: blob.content };
}

/** Removes a document (and its bytes) from an open event the actor may work; audited with its hash. */
export async function deleteDocument(actor: Actor, documentId: string): Promise<DocumentRow> {
  const found = await findDocumentInScope(documentId);
  const event = await lockWorkableEvent(actor, found.eventId);
  // Read again under the event's lock: a concurrent delete may have removed it meanwhile.
  const doc = await findDocumentInScope(documentId);
  const [cited] = await sql<{ yes: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM event_closures WHERE client_id = app_current_client() AND event_id = $1
                      AND documents @> jsonb_build_array(jsonb_build_object('id', $2::text))) AS yes`,
    [event.id, doc.id],
  );
  if (cited!.yes) throw new ConflictError(`“${doc.fileName}” is evidence in an earlier close record of this event, so it stays. Upload a corrected document alongside it instead.`);
  // Its bytes go with it (ON DELETE CASCADE); the runtime role cannot delete bytes on their own.
  const removed = await sql<{ id: string }>(`DELETE FROM documents WHERE id = $1 RETURNING id`, [doc.id]);
  if (removed.length !== 1) throw new NotFoundError();
  await audit({
    action: 'document.deleted',
    entityType: 'event',
    entityId: event.id,
    changes: { documentId: doc.id, fileName: doc.fileName, sizeBytes: doc.sizeBytes, sha256: doc.sha256 },
  });
  return doc;
}

/** An event's documents ($1), oldest first, without their bytes. */
export const EVENT_DOCUMENTS_SQL = `SELECT ${DOCUMENT_COLUMNS} ${DOCUMENT_FROM} WHERE d.event_id = $1 ORDER BY d.uploaded_at, d.id`;

/** "2.4 MB", "812 KB", "17 bytes". */
export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} byte${bytes === 1 ? '' : 's'}`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}
