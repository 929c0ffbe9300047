// Writing a download into a stream the writers do not own (the HTTP response): respect its
// back-pressure, and stop at once when the browser goes away, rather than wait for a 'drain' that
// never comes while the transaction stays open.
import type { Writable } from 'node:stream';
import { HttpError } from '../../lib/errors.ts';

/** The reader went away before the file was complete (browser closed, download cancelled): the
 *  unit of work rolls back, nobody is left to answer, and it is no server error (499). */
export class ReaderGoneError extends HttpError {
  constructor() {
    super(499, 'The download was closed before it was complete.');
  }
}

/** Resolves once `out` can take more; rejects if it closes or fails first. */
export function drained(out: Writable): Promise<void> {
  if (out.destroyed || out.writableEnded) return Promise.reject(new ReaderGoneError());
  if (!out.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (error?: unknown) => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      out.off('error', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(new ReaderGoneError());
    out.on('drain', onDrain);
    out.on('close', onClose);
    out.on('error', onClose);
  });
}

/** Writes a chunk, waiting when `out` asks to. */
export async function writeChunk(out: Writable, chunk: string | Buffer): Promise<void> {
  if (out.destroyed || out.writableEnded) throw new ReaderGoneError();
  if (!out.write(chunk)) await drained(out);
}
