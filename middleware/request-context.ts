// Per-request facts for logs, audit entries and views; enforces the absolute session lifetime.
import type { NextFunction, Request, Response } from 'express';
import type { Config } from '../config/index.ts';
import { pushFlash } from '../lib/flash.ts';

/** Some proxies forward 'address:port' ('[v6]:port'); throttling and audit want the address. */
export function clientAddress(ip: string | undefined): string | undefined {
  const withPort = ip && /^(?:\[([0-9a-f:.]+)\]|(\d{1,3}(?:\.\d{1,3}){3})):\d+$/i.exec(ip);
  return withPort ? withPort[1] ?? withPort[2] : ip;
}

export function requestContext(config: Config) {
  return (req: Request, res: Response, next: NextFunction): void => {
    req.context = { requestId: String(req.id), ip: clientAddress(req.ip), userAgent: req.get('user-agent') };
    res.locals.requestId = req.context.requestId;
    const auth = req.session.auth;
    if (auth && Date.now() - auth.signedInAt > config.session.absoluteMs) {
      delete req.session.auth;
      pushFlash(req, { kind: 'info', message: 'Your session reached its time limit. Please sign in again.' });
    }
    const staff = req.session.staff;
    if (staff && Date.now() - staff.signedInAt > config.staffSession.absoluteMs) {
      // The visit row stays 'active' until its expiry; nobody can use it without this session.
      delete req.session.staff;
      pushFlash(req, { kind: 'info', message: 'Your staff session reached its time limit. Please sign in again.' });
    }
    res.locals.signedIn = Boolean(req.session.auth || req.session.staff);
    next();
  };
}
