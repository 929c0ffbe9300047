// An archive to download (a ZIP of a workbook and documents): what a controller hands, through the
// download outcome (lib/outcomes.ts `archive`), to the adapter that streams it.

/** What an archive's contents are written through, one entry at a time. */
export interface ZipEntries {
  /** An entry of these bytes; resolves, with their SHA-256 (hex), once they are in the archive. */
  addBytes(name: string, bytes: Buffer): Promise<string>;
  /** An entry whose bytes `write` writes into the stream it is given (never ending it); resolves,
   *  with the SHA-256 (hex) of what it wrote, once they are all in the archive. */
  addStream(name: string, write: (out: import('node:stream').Writable) => Promise<unknown>): Promise<string>;
}

/** A ZIP file to stream: its entries are read only once the response has started, inside the
 *  request's unit of work, and `write` ends with the download's own record (its audit entry). */
export interface StreamedArchive {
  fileName: string;
  write: (zip: ZipEntries) => Promise<void>;
}
