import type { Request, Response } from 'express';
import type { Database } from '../models/index.ts';

export function healthController(db: Database) {
  return {
    // GET /healthz — the process is up (for an uptime monitor).
    live(_req: Request, res: Response) {
      res.set('Cache-Control', 'no-store').json({ status: 'ok' });
    },

    // GET /readyz — the database answers.
    async ready(_req: Request, res: Response) {
      res.set('Cache-Control', 'no-store');
      try {
        await db.ping();
        res.json({ status: 'ok', database: 'ok' });
      } catch {
        res.status(503).json({ status: 'unavailable', database: 'unreachable' });
      }
    },
  };
}
