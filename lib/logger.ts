// JSON logs (pino). Logs carry request ids, routes and outcomes; never bodies, cookies,
// query strings, e-mail addresses or other client data.
import { pino } from 'pino';

export const logger = pino({
  level: 'info',
  base: { service: 'plantrak' },
  redact: { paths: ['password', '*.password', 'email', '*.email', 'token', '*.token', 'req.headers', 'res.headers'], remove: true },
});

export function setLogLevel(level: string): void {
  logger.level = level;
}

interface ErrorLike {
  name?: string;
  message?: string;
  stack?: string;
  code?: unknown;
  table?: string;
  constraint?: string;
  parent?: ErrorLike;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** What a log line may say about an error. Database errors can quote row values in their message
 *  and detail ('invalid input syntax … "x@y"'), so for them only SQLSTATE, table and constraint. */
export function loggableError(error: unknown): Record<string, unknown> {
  const e = (error ?? {}) as ErrorLike;
  const database = e.parent ?? (typeof e.code === 'string' && SQLSTATE.test(e.code) ? e : undefined);
  const frames = e.stack?.split('\n').filter((line) => line.trimStart().startsWith('at ')).join('\n');
  if (database) return { name: e.name, code: database.code, table: database.table, constraint: database.constraint, stack: frames };
  return { name: e.name, message: e.message, stack: e.stack };
}
