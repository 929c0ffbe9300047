// One-shot messages carried across a redirect in the session.
import type { NextFunction, Request, Response } from 'express';

export interface Flash {
  kind: 'success' | 'info' | 'error';
  message: string;
}

export function pushFlash(req: Request, flash: Flash): void {
  req.session.flash = [...(req.session.flash ?? []), flash];
}

/** Offers pending messages to the page about to render. They leave the session only when a page
 *  reads them, so a response that renders nothing (a redirect to sign-in) carries them on. */
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
