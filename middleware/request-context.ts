// Per-request facts for logs, audit entries and views; enforces the absolute session lifetime.
import type { NextFunction, Request, Response } from 'express';
import type { Config } from '../config/index.ts';
import { pushFlash } from './flash.ts';

export function requestContext(config: Config) {
  return (req: Request, res: Response, next: NextFunction): void => {
    req.context = { requestId: String(req.id), ip: req.ip, userAgent: req.get('user-agent') };
    res.locals.requestId = req.context.requestId;
    const auth = req.session.auth;
    if (auth && Date.now() - auth.signedInAt > config.session.absoluteMs) {
      delete req.session.auth;
      pushFlash(req, { kind: 'info', message: 'Your session reached its time limit. Please sign in again.' });
    }
    res.locals.signedIn = Boolean(req.session.auth);
    next();
  };
}
