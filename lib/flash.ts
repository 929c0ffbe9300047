// One-shot messages carried across a redirect in the session.
import type { Request } from 'express';

export interface Flash {
  kind: 'success' | 'info' | 'error';
  message: string;
}

export function pushFlash(req: Request, flash: Flash): void {
  req.session.flash = [...(req.session.flash ?? []), flash];
}
