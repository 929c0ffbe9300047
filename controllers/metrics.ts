// GET /metrics for Prometheus: not public. A scrape sends the configured bearer token; without a
// configured token the endpoint does not exist.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Config } from '../config/index.ts';
import type { Database } from '../models/index.ts';
import { metricsText } from '../services/operations/metrics.ts';

const digest = (value: string) => createHash('sha256').update(value).digest();

export function metricsController(db: Database, config: Config) {
  const expected = config.metricsToken ? digest(config.metricsToken) : undefined;
  return {
    /** Guard: the bearer token, compared in constant time (over digests, so lengths never leak). */
    authorized(req: Request, res: Response, next: NextFunction): void {
      res.set('Cache-Control', 'no-store');
      if (!expected) {
        res.status(404).type('text/plain').send('Not found: set METRICS_TOKEN to turn /metrics on.\n');
        return;
      }
      const match = /^Bearer (\S+)$/.exec(req.get('authorization') ?? '');
      if (!match || !timingSafeEqual(digest(match[1]!), expected)) {
        res.status(401).set('WWW-Authenticate', 'Bearer realm="metrics"').type('text/plain').send('Unauthorized: send the metrics bearer token.\n');
        return;
      }
      next();
    },

    // GET /metrics
    async show(_req: Request, res: Response): Promise<void> {
      const { contentType, body } = await metricsText(db.sequelize);
      res.type(contentType).send(body);
    },
  };
}
