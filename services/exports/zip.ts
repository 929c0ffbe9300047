// ZIP files for downloads, through archiver's streaming zip writer: each entry is compressed and
// written out as it comes, one at a time, and the next is taken only once the last is in the
// archive, so memory holds one entry's worth (one document, a workbook's buffers), however large
// the archive. The only module that imports archiver (DESIGN.md §10 rule 7).
import { createHash } from 'node:crypto';
import { PassThrough, Writable } from 'node:stream';
import { ZipArchive } from 'archiver';
import type { ZipEntries } from '../../types/archive.ts';
import { ReaderGoneError } from './sink.ts';

/**
 * What a streamed entry's writer writes into: the entry's bytes, passed on with its back-pressure.
 * When the archive fails, it gives way rather than closing: it reads as destroyed (so the writer
 * stops at its next look), yet takes and drops whatever is still on its way, so that a writer
 * waiting on a full buffer of its own (exceljs's zip, say) is never left waiting for ever.
 */
class EntrySink extends Writable {
  private gaveWay = false;
  private waiting: Array<() => void> = [];
  /** Of every byte the writer wrote, for the entry's checksum. */
  readonly hash = createHash('sha256');

  constructor(private readonly entry: PassThrough) {
    super();
    // What writers look at to stop (`out.destroyed`): true once it gave way, or once really closed.
    Object.defineProperty(this, 'destroyed', { get: () => this.gaveWay || this.closed, configurable: true });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.hash.update(chunk);
    if (this.gaveWay || this.entry.write(chunk)) return callback();
    this.waiting.push(callback);
    this.entry.once('drain', () => this.release());
  }

  override _final(callback: (error?: Error | null) => void): void {
    callback();
  }

  giveWay(): void {
    this.gaveWay = true;
    this.release();
    this.entry.destroy();
  }

  private release(): void {
    for (const callback of this.waiting.splice(0)) callback();
  }
}

/**
 * Writes an archive into `out` (never ending `out`: the caller does) with the entries `build`
 * adds; resolves once the archive's last byte is written to `out`. Should `out` close first, the
 * archive is abandoned and this rejects (ReaderGoneError), whatever `build` was waiting for.
 */
export async function streamZip(out: Writable, build: (zip: ZipEntries) => Promise<void>): Promise<void> {
  const archive = new ZipArchive({ zlib: { level: 6 } });
  let current: EntrySink | undefined;
  let settled = false;
  let fail: (error: Error) => void = () => undefined;
  const failed = new Promise<never>((_resolve, reject) => {
    fail = (error) => {
      if (settled) return;
      settled = true;
      current?.giveWay();
      archive.abort();
      reject(error);
    };
  });
  failed.catch(() => undefined);
  const onClose = () => fail(new ReaderGoneError());
  const onError = (error: Error) => fail(error);
  out.on('close', onClose);
  archive.on('error', onError);
  // Entries are appended one at a time, so the next 'entry' is always the one just added.
  const entryDone = () => new Promise<void>((resolve) => archive.once('entry', () => resolve()));
  // For what only the archive can end (an entry taken in, the last byte out): a failure ends the wait.
  const until = <T>(work: Promise<T>): Promise<T> => Promise.race([work, failed]);
  const date = new Date();

  const entries: ZipEntries = {
    async addBytes(name, bytes) {
      if (out.destroyed) throw new ReaderGoneError();
      const done = entryDone();
      archive.append(bytes, { name, date });
      await until(done);
      return createHash('sha256').update(bytes).digest('hex');
    },
    async addStream(name, write) {
      if (out.destroyed) throw new ReaderGoneError();
      const entry = new PassThrough();
      const sink = new EntrySink(entry);
      current = sink;
      const done = entryDone();
      archive.append(entry, { name, date });
      // Not raced: on failure the sink gives way (see EntrySink), so the writer stops by itself,
      // and only once it has (its cursor closed) may the unit of work roll back on that connection.
      try {
        await write(sink);
      } finally {
        current = undefined;
      }
      entry.end();
      await until(done);
      return sink.hash.digest('hex');
    },
  };

  try {
    archive.pipe(out, { end: false });
    // Each step of build ends by itself once the archive has failed (see addStream).
    await build(entries);
    const ended = new Promise<void>((resolve) => archive.once('end', () => resolve()));
    await until(archive.finalize());
    await until(ended);
    settled = true;
  } catch (error) {
    fail(error instanceof Error ? error : new Error(String(error)));
    throw error;
  } finally {
    out.off('close', onClose);
  }
}
