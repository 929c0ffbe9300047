// The app's JSON log lines captured in a test.
import { pino } from 'pino';
import { logger } from '../../lib/logger.ts';

/** Points the app's logger (and every child, which inherits it) at an array for the duration. */
export function captureLogs(): { lines: string[]; restore(): void } {
  const target = logger as unknown as Record<symbol, unknown>;
  const streamSym = pino.symbols.streamSym;
  const hadOwn = Object.prototype.hasOwnProperty.call(target, streamSym);
  const original = target[streamSym];
  const level = logger.level;
  const lines: string[] = [];
  target[streamSym] = { write: (chunk: string) => void lines.push(chunk) };
  logger.level = 'debug';
  return {
    lines,
    restore() {
      logger.level = level;
      if (hadOwn) target[streamSym] = original;
      else delete target[streamSym];
    },
  };
}
