// The one error handler: typed errors become pages (or JSON), unknown ones a 500 with the
// request id and no stack trace outside development (DESIGN.md §10 rule 5).
import type { NextFunction, Request, Response } from 'express';
import type { Config } from '../config/index.ts';
import { HttpError, NotFoundError, ServiceUnavailableError, TooManyRequestsError } from '../lib/errors.ts';
import { loggableError, logger } from '../lib/logger.ts';
import { recordServerError } from '../services/admin/app-errors.ts';
import { inUnitOfWork } from '../lib/unit-of-work.ts';
import { Client } from '../models/index.ts';
import { audit } from '../services/audit/entries.ts';
import { visitContext } from '../services/support/visits.ts';
import { visitAudited, visitRequestEntry } from './action.ts';
import { abandonTable } from './download.ts';
import { pushFlash } from '../lib/flash.ts';

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Please sign in',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Already changed',
  413: 'Too large',
  415: 'Unsupported content',
  422: 'Please check the form',
  429: 'Too many attempts',
  500: 'Something went wrong',
  503: 'Busy just now',
};

export function notFound(_req: Request, _res: Response, next: NextFunction): void {
  next(new NotFoundError());
}

/** Errors thrown by body parsers and other middleware carry a 4xx status of their own. */
function asHttpError(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  const status = (error as { status?: number; expose?: boolean })?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new HttpError(status, status === 413 ? 'The form was too large.' : 'The request could not be understood.');
  }
  return undefined;
}

/** A request inside a support session that was refused before any action ran still goes into the
 *  client's audit log (DESIGN.md §8.4: every request). Never throws. */
async function auditRefusedVisitRequest(req: Request, status: number): Promise<void> {
  const staff = req.session?.staff;
  const sequelize = Client.sequelize;
  if (!staff?.support || !sequelize) return;
  try {
    await inUnitOfWork(sequelize, visitContext(staff, staff.support, req.context), () => audit(visitRequestEntry(req, { status, refused: status >= 500 ? 'failed' : 'refused' })));
  } catch (failure) {
    logger.error({ reqId: req.context?.requestId, err: loggableError(failure) }, 'could not audit a support-session request');
  }
}

export function errorHandler(config: Config) {
  return (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    const status = asHttpError(error)?.status ?? 500;
    if (req.session?.staff?.support && !visitAudited(error)) {
      void auditRefusedVisitRequest(req, status).then(() => respond(error, req, res, next));
      return;
    }
    respond(error, req, res, next);
  };

  function respond(error: unknown, req: Request, res: Response, _next: NextFunction): void {
    const known = asHttpError(error);
    const status = known?.status ?? 500;
    const requestId = String(req.id ?? '');
    // Too busy is an answer, not a fault: no error record (written under load) for each one.
    if (known instanceof ServiceUnavailableError) logger.warn({ reqId: requestId, reason: known.message }, 'request refused: busy');
    else if (status >= 500) {
      logger.error({ reqId: requestId, err: loggableError(error) }, 'request failed');
      void recordServerError(req, status, error);
    }
    // A response already under way (a streamed download) is cut, never ended: ended, it would look complete.
    if (res.headersSent) return abandonTable(res);

    if (status === 401 && req.session) {
      // Whoever this session stood for (a client user, or staff) is signed out; staff sign in again
      // on their own page.
      const wasStaff = Boolean(req.session.staff) || req.path.startsWith('/admin');
      delete req.session.auth;
      delete req.session.staff;
      if (req.method === 'GET' && req.accepts('html')) {
        pushFlash(req, { kind: 'info', message: known!.message });
        if (wasStaff) return res.redirect(303, '/admin/login');
        const next = req.originalUrl.startsWith('/') && !req.originalUrl.startsWith('//') ? `?next=${encodeURIComponent(req.originalUrl)}` : '';
        return res.redirect(303, `/login${req.originalUrl === '/' ? '' : next}`);
      }
    }
    if ((known instanceof TooManyRequestsError || known instanceof ServiceUnavailableError) && known.retryAfterSeconds) res.set('Retry-After', String(known.retryAfterSeconds));

    const message = known?.message ?? 'An unexpected error stopped this request. Nothing was saved. If it happens again, quote the reference below.';
    res.status(status);
    if (!req.accepts('html') && req.accepts('json')) {
      res.json({ error: message, requestId });
      return;
    }
    res.render('errors/error', {
      title: TITLES[status] ?? (status >= 500 ? TITLES[500] : 'Error'),
      status,
      message,
      requestId,
      stack: config.env === 'development' && status >= 500 ? (error as Error)?.stack : undefined,
    });
  }
}
