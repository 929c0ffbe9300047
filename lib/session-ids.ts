// Promise forms of express-session's callbacks, and the id rotation done at sign-in and on
// entering or leaving a support session (DESIGN.md §8.3): a new id, the same signed-in state.
import type { Request } from 'express';
import type { SessionData } from 'express-session';

export const regenerateSession = (req: Request) => new Promise<void>((resolve, reject) => req.session.regenerate((e) => (e ? reject(e) : resolve())));
export const saveSession = (req: Request) => new Promise<void>((resolve, reject) => req.session.save((e) => (e ? reject(e) : resolve())));
export const destroySession = (req: Request) => new Promise<void>((resolve, reject) => req.session.destroy((e) => (e ? reject(e) : resolve())));

/** Gives the browser a new session id carrying `keep`, then saves. The cookie keeps its idle
 *  lifetime unless `idleMs` sets a new one (stored with the session, so it holds on later requests). */
export async function rotateSession(req: Request, keep: Partial<SessionData>, idleMs?: number): Promise<void> {
  const maxAge = idleMs ?? req.session.cookie.originalMaxAge;
  await regenerateSession(req);
  Object.assign(req.session, keep);
  if (maxAge != null) req.session.cookie.maxAge = maxAge;
  await saveSession(req);
}
