// CSRF protection: csurf in session mode (never cookie mode), confined to this file, plus a
// refusal of state changes that the browser marks as cross-site (DESIGN.md §8.3, §13).
import csurf from 'csurf';
import type { NextFunction, Request, Response } from 'express';
import { ForbiddenError } from '../lib/errors.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** The token is read from the form body (or a header), never from the query string: a token in
 *  a URL leaks through logs, history and Referer. */
const tokenOf = (req: Request): string => {
  const body = (req.body ?? {}) as Record<string, unknown>;
  if (typeof body._csrf === 'string') return body._csrf;
  return req.get('csrf-token') ?? req.get('x-csrf-token') ?? '';
};
const protect = csurf({ cookie: false, value: tokenOf });

/**
 * One-click unsubscribe (RFC 8058): a mail provider POSTs the link of the List-Unsubscribe
 * header with no cookie and no token, possibly from another site. Exactly this method and path
 * (compared as written: any other spelling meets the checks) are let through, because the signed
 * token in the link authorises the request instead (controllers/notification-unsubscribe.ts).
 */
export const ONE_CLICK_UNSUBSCRIBE_PATH = '/notifications/unsubscribe';
const isOneClickUnsubscribe = (req: Request): boolean => req.method === 'POST' && req.path === ONE_CLICK_UNSUBSCRIBE_PATH;

function refuseCrossSite(req: Request, _res: Response, next: NextFunction): void {
  if (isOneClickUnsubscribe(req)) return next();
  const site = req.get('sec-fetch-site');
  if (!SAFE_METHODS.has(req.method) && site && site !== 'same-origin' && site !== 'none') {
    return next(new ForbiddenError('Forms sent from another site are refused.'));
  }
  next();
}

/**
 * Routes that take a file (multipart/form-data). csurf cannot read a multipart body: it is parsed
 * later, by the route's own multer guard, so for exactly these paths (POST, multipart) the global
 * check stands aside and the route checks the token itself right after parsing, with
 * `csrfAfterUpload` below. Any other multipart request still meets the global check (and fails
 * it: fail closed). The token travels in the form body, never in the URL.
 */
const UPLOAD_PATHS: RegExp[] = [/^\/events\/[^/]+\/documents$/, /^\/plan-imports$/];

const isDeferredUpload = (req: Request): boolean =>
  req.method === 'POST' && Boolean(req.is('multipart/form-data')) && UPLOAD_PATHS.some((path) => path.test(req.path));

function checkToken(req: Request, res: Response, next: NextFunction): void {
  if (isDeferredUpload(req) || isOneClickUnsubscribe(req)) return next();
  verifyToken(req, res, next);
}

function verifyToken(req: Request, res: Response, next: NextFunction): void {
  protect(req, res, (error?: unknown) => {
    if ((error as { code?: string } | undefined)?.code === 'EBADCSRFTOKEN') {
      return next(new ForbiddenError('This form has expired or did not come from PlanTRAK. Go back, reload the page and try again.'));
    }
    if (error) return next(error);
    res.locals.csrfToken = req.csrfToken();
    next();
  });
}

export const csrf = [refuseCrossSite, checkToken];

/** The CSRF check of an upload route, placed right after its multer guard (see UPLOAD_PATHS). */
export function csrfAfterUpload(req: Request, res: Response, next: NextFunction): void {
  verifyToken(req, res, next);
}
