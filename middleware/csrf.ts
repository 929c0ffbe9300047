// CSRF protection: csurf in session mode (never cookie mode), confined to this file, plus a
// refusal of state changes that the browser marks as cross-site (DESIGN.md §8.3, §13).
import csurf from 'csurf';
import type { NextFunction, Request, Response } from 'express';
import { ForbiddenError } from '../lib/errors.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const protect = csurf({ cookie: false });

function refuseCrossSite(req: Request, _res: Response, next: NextFunction): void {
  const site = req.get('sec-fetch-site');
  if (!SAFE_METHODS.has(req.method) && site && site !== 'same-origin' && site !== 'none') {
    return next(new ForbiddenError('Forms sent from another site are refused.'));
  }
  next();
}

function checkToken(req: Request, res: Response, next: NextFunction): void {
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
