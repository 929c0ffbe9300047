// Counts every request for /metrics under its route pattern ('/events/:id'), never its raw path:
// ids in paths would make a series per row, and paths may carry what a visitor typed.
import type { NextFunction, Request, Response } from 'express';
import { observeRequest } from '../services/operations/metrics.ts';

export function requestMetrics(req: Request, res: Response, next: NextFunction): void {
  const started = process.hrtime.bigint();
  res.once('finish', () => {
    const pattern = (req.route as { path?: unknown } | undefined)?.path;
    const route = typeof pattern === 'string' ? `${req.baseUrl}${pattern}` : res.statusCode === 404 ? 'not_found' : 'unmatched';
    observeRequest(route, req.method, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
  });
  next();
}
