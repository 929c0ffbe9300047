// ZIP files for downloads, through archiver's streaming zip writer: each entry is compressed and
// written out as it comes, one at a time, and the next is taken only once the last is in the
// archive, so memory holds one entry's worth (one document, a workbook's buffers), however large
// the archive. The only module that imports archiver (DESIGN.md §10 rule 7).
import { PassThrough, type Writable } from 'node:stream';
import { ZipArchive } from 'archiver';
import type { ZipEntries } from '../../types/archive.ts';
import { ReaderGoneError } from './sink.ts';

/**
 * Writes an archive into `out` (never ending `out`: the caller does) with the entries `build`
 * adds; resolves once the archive's last byte is written to `out`. Should `out` close first, the
 * archive is abandoned and this rejects (ReaderGoneError), whatever `build` was waiting for.
 */
export async function streamZip(out: Writable, build: (zip: ZipEntries) => Promise<void>): Promise<void> {
  const archive = new ZipArchive({ zlib: { level: 6 } });
  let current: PassThrough | undefined;
  let settled = false;
  let fail: (error: Error) => void = () => undefined;
  const failed = new Promise<never>((_resolve, reject) => {
    fail = (error) => {
      if (settled) return;
      settled = true;
      current?.destroy(error);
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
  const until = <T>(work: Promise<T>): Promise<T> => Promise.race([work, failed]);
  const date = new Date();

  const entries: ZipEntries = {
    async addBytes(name, bytes) {
      if (out.destroyed) throw new ReaderGoneError();
      const done = entryDone();
      archive.append(bytes, { name, date });
      await until(done);
    },
    async addStream(name, write) {
      if (out.destroyed) throw new ReaderGoneError();
      const entry = new PassThrough();
      current = entry;
      const done = entryDone();
      archive.append(entry, { name, date });
      await until(write(entry));
      entry.end();
      await until(done);
      current = undefined;
    },
  };

  try {
    archive.pipe(out, { end: false });
    await until(build(entries));
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
