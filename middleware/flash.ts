// Offers the session's one-shot messages (lib/flash.ts) to the page about to render.
import type { NextFunction, Request, Response } from 'express';
import type { Flash } from '../lib/flash.ts';

/** Pending messages leave the session only when a page reads them, so a response that renders
 *  nothing (a redirect to sign-in) carries them on. */
export function exposeFlash(req: Request, res: Response, next: NextFunction): void {
  Object.defineProperty(res.locals, 'flash', {
    enumerable: true,
    configurable: true,
    get(): Flash[] {
      const pending = req.session.flash ?? [];
      if (req.session.flash) delete req.session.flash;
      return pending;
    },
  });
  next();
}
