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
