// One-shot messages carried across a redirect in the session.
import type { NextFunction, Request, Response } from 'express';

export interface Flash {
  kind: 'success' | 'info' | 'error';
  message: string;
}

export function pushFlash(req: Request, flash: Flash): void {
  req.session.flash = [...(req.session.flash ?? []), flash];
}

/** Moves pending messages into the page about to render. */
export function exposeFlash(req: Request, res: Response, next: NextFunction): void {
  res.locals.flash = req.session.flash ?? [];
  if (req.session.flash) delete req.session.flash;
  next();
}
