// Adapters between a route line and a controller action. An action returns an Outcome; the
// adapter runs it in a unit of work, commits, and only then answers (DESIGN.md §8.2).
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { HttpError } from '../lib/errors.ts';
import { inUnitOfWork } from '../lib/unit-of-work.ts';
import { Client, type Database, User } from '../models/index.ts';
import { type Action, can } from '../policies/index.ts';
import { TWO_FACTOR_PATH, mustEnrolFirst } from '../services/auth/two-factor-requirement.ts';
import { type Flash, pushFlash } from './flash.ts';

export interface Actor {
  user: User;
  client: Client;
}

export type Outcome =
  | { kind: 'view'; view: string; locals: Record<string, unknown>; status: number; headers?: Record<string, string> }
  | { kind: 'redirect'; url: string; flash?: Flash }
  | { kind: 'download'; body: Buffer; fileName: string; contentType: string; headers?: Record<string, string> };

export const view = (name: string, locals: Record<string, unknown> = {}, status = 200, headers?: Record<string, string>): Outcome => ({
  kind: 'view',
  view: name,
  locals,
  status,
  headers,
});
export const redirect = (url: string, flash?: Flash): Outcome => ({ kind: 'redirect', url, flash });
/** A file to save, never to display: attachment, no sniffing, and a CSP that sandboxes it should a
 *  browser render it anyway. `fileName` must already be safe (services sanitise stored names). */
export const download = (body: Buffer, fileName: string, contentType: string, headers?: Record<string, string>): Outcome => ({
  kind: 'download',
  body,
  fileName,
  contentType,
  headers,
});

/** The session no longer stands for an active user (signed out elsewhere, deactivated, expired). */
export class SessionEndedError extends HttpError {
  constructor() {
    super(401, 'Your session has ended. Please sign in again.');
  }
}

function send(req: Request, res: Response, outcome: Outcome): void {
  if (outcome.kind === 'redirect') {
    if (outcome.flash) pushFlash(req, outcome.flash);
    res.redirect(303, outcome.url);
    return;
  }
  if (outcome.headers) res.set(outcome.headers);
  if (outcome.kind === 'download') {
    res.attachment(outcome.fileName);
    res.set({ 'Content-Type': outcome.contentType, 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': "default-src 'none'; sandbox" });
    res.status(200).send(outcome.body);
    return;
  }
  res.status(outcome.status).render(outcome.view, outcome.locals);
}

/** Makes the actor and can() available to every view this request renders. */
function exposeActor(res: Response, actor: Actor): void {
  res.locals.actor = actor;
  res.locals.can = (action: Action) => can(actor.user, action);
}

/** The signed-in user and their client, read under RLS; refuses a stale or inactive session. */
async function loadActor(req: Request): Promise<Actor> {
  const auth = req.session.auth!;
  const [user, client] = await Promise.all([User.findByPk(auth.userId), Client.findByPk(auth.clientId)]);
  if (!user || !client || user.status !== 'active' || client.status !== 'active' || user.sessionEpoch !== auth.epoch) {
    throw new SessionEndedError();
  }
  return { user, client };
}

/** What a route line may tell its adapter. */
export interface ActionOptions {
  /** Open to a user who must still set up the two-factor sign-in their client requires. */
  duringEnrolment?: boolean;
}

/** Where a user goes, from any page, while their client requires two-factor sign-in they lack
 *  (the enrolment page says why). */
function enrolmentFirst(actor: Actor, options: ActionOptions): Outcome | undefined {
  if (options.duringEnrolment || !mustEnrolFirst(actor.user, actor.client)) return undefined;
  return redirect(TWO_FACTOR_PATH);
}

function userContext(req: Request) {
  const auth = req.session.auth;
  if (!auth) throw new SessionEndedError();
  return { actorKind: 'user' as const, clientId: auth.clientId, userId: auth.userId, ...req.context };
}

export function actionAdapters(db: Database) {
  return {
    /** A signed-in user's action, whole inside one unit of work. */
    userAction(fn: (req: Request, actor: Actor) => Promise<Outcome>, options: ActionOptions = {}): RequestHandler {
      return async (req: Request, res: Response) => {
        const outcome = await inUnitOfWork(db.sequelize, userContext(req), async () => {
          const actor = await loadActor(req);
          exposeActor(res, actor);
          return enrolmentFirst(actor, options) ?? fn(req, actor);
        });
        send(req, res, outcome);
      };
    },

    /** A signed-in user's multi-step flow: the actor is checked first, then the flow's services
     *  open their own units of work (slow bcrypt work stays outside transactions). */
    userFlow(fn: (req: Request, actor: Actor) => Promise<Outcome>, options: ActionOptions = {}): RequestHandler {
      return async (req: Request, res: Response) => {
        const actor = await inUnitOfWork(db.sequelize, userContext(req), () => loadActor(req));
        exposeActor(res, actor);
        send(req, res, enrolmentFirst(actor, options) ?? (await fn(req, actor)));
      };
    },

    /** A public flow (sign-in, password reset) whose services open their own units of work. */
    publicFlow(fn: (req: Request) => Promise<Outcome>): RequestHandler {
      return async (req: Request, res: Response) => send(req, res, await fn(req));
    },
  };
}

/** Guard: only signed-in sessions pass; others go to the sign-in page (GET) or get a 401. */
export function signedIn(req: Request, res: Response, next: NextFunction): void {
  if (req.session.auth) return next();
  if (req.method !== 'GET') return next(new SessionEndedError());
  res.redirect(303, req.originalUrl === '/' ? '/login' : `/login?next=${encodeURIComponent(req.originalUrl)}`);
}

/** Guard: a signed-in user who opens the sign-in page goes home instead. */
export function signedOut(req: Request, res: Response, next: NextFunction): void {
  if (req.session.auth) return res.redirect(303, '/');
  next();
}
