// Request ids and one JSON log line per request: method, path (no query string), status, time.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoHttp } from 'pino-http';
import { logger } from '../lib/logger.ts';

/** A path as the log may show it: no query string, and a calendar feed's secret token replaced. */
export const loggedPath = (url: string): string => url.split('?')[0]!.replace(/^\/calendar\/feed\/[^/]*$/, '/calendar/feed/[token]');

export const requestLog = pinoHttp({
  logger,
  genReqId(_req: IncomingMessage, res: ServerResponse) {
    const id = randomUUID();
    res.setHeader('X-Request-Id', id);
    return id;
  },
  serializers: {
    req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, path: loggedPath(req.url) }),
    res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
  },
  customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
  autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
});
