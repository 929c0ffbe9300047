// Promise forms of express-session's callbacks, and the id rotation done at sign-in and on
// entering or leaving a support session (DESIGN.md §8.3): a new id, the same signed-in state.
import type { Request } from 'express';
import type { SessionData } from 'express-session';

export const regenerateSession = (req: Request) => new Promise<void>((resolve, reject) => req.session.regenerate((e) => (e ? reject(e) : resolve())));
export const saveSession = (req: Request) => new Promise<void>((resolve, reject) => req.session.save((e) => (e ? reject(e) : resolve())));
export const destroySession = (req: Request) => new Promise<void>((resolve, reject) => req.session.destroy((e) => (e ? reject(e) : resolve())));

/** Gives the browser a new session id carrying `keep` (and the cookie's lifetime), then saves. */
export async function rotateSession(req: Request, keep: Partial<SessionData>): Promise<void> {
  const maxAge = req.session.cookie.maxAge;
  await regenerateSession(req);
  Object.assign(req.session, keep);
  if (maxAge != null) req.session.cookie.maxAge = maxAge;
  await saveSession(req);
}
