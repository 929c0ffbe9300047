// Adapters between a route line and a controller action. An action returns an Outcome; the
// adapter runs it in a unit of work, commits, and only then answers (DESIGN.md §8.2).
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ForbiddenError, HttpError } from '../lib/errors.ts';
import { type UnitOfWorkContext, inUnitOfWork } from '../lib/unit-of-work.ts';
import { Client, type Database, StaffUser, User } from '../models/index.ts';
import { type Action, can } from '../policies/index.ts';
import { audit } from '../services/audit/entries.ts';
import { signedInUser, signedInUserSql } from '../services/auth/signed-in-user.ts';
import { TWO_FACTOR_PATH, mustEnrolFirst } from '../services/auth/two-factor-requirement.ts';
import { endVisit, visitContext, visitOf } from '../services/support/visits.ts';
import { freezeStateOf } from '../services/operations/freeze.ts';
import type { ReplicaReads } from '../services/database/replica.ts';
import { displayZone } from '../lib/display-dates.ts';
import { pushFlash } from '../lib/flash.ts';
import { type Outcome, redirect } from '../lib/outcomes.ts';
import { rotateSession } from '../lib/session-ids.ts';
import { finishTable, streamArchive, streamTable } from './download.ts';
import type { Actor } from '../types/actor.ts';

/** The session no longer stands for an active user (signed out elsewhere, deactivated, expired). */
export class SessionEndedError extends HttpError {
  constructor() {
    super(401, 'Your session has ended. Please sign in again.');
  }
}

export function send(req: Request, res: Response, outcome: Outcome): void {
  if (outcome.kind === 'redirect') {
    if (outcome.flash) pushFlash(req, outcome.flash);
    if (outcome.headers) res.set(outcome.headers);
    const go = () => res.redirect(303, outcome.url);
    // What the next page shows (a message, a form's draft) is stored before the browser learns
    // where to go: it follows the Location header at once, maybe before the response ends.
    if (req.session && (outcome.flash || req.session.eventDraft)) req.session.save(() => go());
    else go();
    return;
  }
  if (outcome.kind === 'table' || outcome.kind === 'archive') return finishTable(res);
  if (outcome.headers) res.set(outcome.headers);
  if (outcome.kind === 'download') {
    res.attachment(outcome.fileName);
    res.set({ 'Content-Type': outcome.contentType, 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': "default-src 'none'; sandbox" });
    res.status(200).send(outcome.body);
    return;
  }
  const render = () => res.status(outcome.status).render(outcome.view, outcome.locals);
  // Messages shown on this page leave the session before the page goes out: were they removed only
  // as the response ends, a quick next request could load the session still holding them.
  const shown = req.session?.flash;
  if (!shown) return render();
  delete req.session.flash;
  Object.defineProperty(res.locals, 'flash', { value: shown, enumerable: true, configurable: true });
  // Should the save fail, the page still shows; at worst its messages show once more.
  req.session.save(() => render());
}

/** Makes the actor and can() available to every view this request renders. */
function exposeActor(res: Response, actor: Actor): void {
  res.locals.actor = actor;
  res.locals.can = (action: Action) => can(actor.user, action);
  // The zone every time of day on the page is shown in (and says so).
  res.locals.timeZone = displayZone(actor.user, actor.client);
  if (actor.visit) res.locals.visit = { ...actor.visit, clientName: actor.client.name };
  if (actor.frozen) res.locals.freeze = actor.frozen;
}

/** The visit a staff browser session is in has ended (exit elsewhere, expiry, revoked). */
class VisitEndedError extends Error {}

/** A write attempted in a read-only support session: refused before the action runs (and the
 *  database would refuse it anyway). */
export class ReadOnlyVisitError extends ForbiddenError {
  constructor() {
    super('This support session is read-only: nothing was changed. Start a new session without “read-only” to make changes.');
  }
}

/** A change attempted while the client's data is frozen: refused before the action runs (and the
 *  database would refuse it anyway). Nothing the user typed is lost: the browser keeps the form. */
export class ClientFrozenError extends ForbiddenError {
  constructor(reason: string) {
    super(`Your organisation's data is frozen, so nothing was changed: ${reason} Go back to keep what you typed; you can save it once the data is thawed.`);
  }
}

/** The staff member and their open visit, read in the visit's own context (so the client row is
 *  visible only if the database agrees the visit is open), with a stand-in Administrator. */
async function loadVisitActor(req: Request): Promise<Actor> {
  const staffAuth = req.session.staff!;
  const visitAuth = staffAuth.support!;
  const staff = await StaffUser.findByPk(staffAuth.staffId);
  if (!staff || staff.status !== 'active' || staff.sessionEpoch !== staffAuth.epoch || !staff.totpEnabledAt) throw new SessionEndedError();
  const visit = await visitOf(visitAuth.id, staff.id);
  const client = await Client.findByPk(visitAuth.clientId);
  if (!visit || !visit.open || !client) throw new VisitEndedError();
  const user = User.build({ clientId: client.id, email: staff.email, name: `${staff.name} (SolutionsTRAK support)`, rank: 'administrator', status: 'active', sessionEpoch: 0 });
  user.setDataValue('id', null);
  return {
    user,
    client,
    frozen: await freezeStateOf(client.id),
    visit: { id: visit.id, staffId: staff.id, staffName: staff.name, staffRole: staff.role, readOnly: visit.readOnly, reason: visit.reason, expiresAt: visit.expiresAt! },
  };
}

/** The signed-in user and their client, read under RLS; refuses a stale or inactive session. */
async function loadActor(req: Request): Promise<Actor> {
  if (!req.session.auth && req.session.staff?.support) return loadVisitActor(req);
  const auth = req.session.auth!;
  // Read afresh on every request, so a change of rank, scope, status or password holds at once.
  const found = await signedInUser();
  if (!found || found.user.status !== 'active' || found.client.status !== 'active' || found.user.sessionEpoch !== auth.epoch) {
    throw new SessionEndedError();
  }
  return found;
}

/** The signed-in user's read, for the unit of work's opening round trip (a support visit reads
 *  its actor otherwise). */
const actorRead = (req: Request) => (req.session.auth ? signedInUserSql() : undefined);

/** What a route line may tell its adapter. */
export interface ActionOptions {
  /** Open to a user who must still set up the two-factor sign-in their client requires. */
  duringEnrolment?: boolean;
  /** The signed-in user's own account (password, authenticator): not for support staff. */
  ownAccount?: boolean;
  /** A read-heavy report or table download, read on the replica when there is a usable one. */
  reads?: 'replica';
}

/** Where a user goes, from any page, while their client requires two-factor sign-in they lack
 *  (the enrolment page says why). Checks that apply before any action runs. */
function enrolmentFirst(req: Request, actor: Actor, options: ActionOptions): Outcome | undefined {
  if (actor.frozen && req.method !== 'GET') throw new ClientFrozenError(actor.frozen.reason);
  if (actor.visit) {
    if (options.ownAccount) throw new ForbiddenError('These are a client user’s own account pages; support staff manage their account in the admin area.');
    if (actor.visit.readOnly && req.method !== 'GET') throw new ReadOnlyVisitError();
    return undefined;
  }
  if (options.duringEnrolment || !mustEnrolFirst(actor.user, actor.client)) return undefined;
  return redirect(TWO_FACTOR_PATH);
}

function userContext(req: Request): UnitOfWorkContext {
  const auth = req.session.auth;
  const staff = req.session.staff;
  if (!auth && staff?.support) return visitContext(staff, staff.support, req.context);
  if (!auth) throw new SessionEndedError();
  return { actorKind: 'user' as const, clientId: auth.clientId, userId: auth.userId, ...req.context };
}

/** Errors this adapter has already recorded in the visit's audit log; the error handler records
 *  the others (refused before any action ran: CSRF, unknown pages, upload limits). */
const VISIT_AUDITED = Symbol('visit request audited');
const markVisitAudited = (error: unknown) => error && typeof error === 'object' && Object.assign(error, { [VISIT_AUDITED]: true });
export const visitAudited = (error: unknown) => Boolean(error && typeof error === 'object' && (error as Record<symbol, unknown>)[VISIT_AUDITED]);

/** What a request inside a support session did, for the client's audit log: one entry per request. */
export function visitRequestEntry(req: Request, result: { status: number; refused?: string }) {
  const action = result.refused === 'read_only' ? 'support.write_refused' : 'support.request';
  return { action, entityType: 'support_session', entityId: req.session.staff!.support!.id, changes: { method: req.method, path: req.path, ...result } };
}

const statusOf = (outcome: Outcome) => (outcome.kind === 'view' ? outcome.status : outcome.kind === 'redirect' ? 303 : 200);
const errorStatus = (error: unknown) => (error instanceof HttpError ? error.status : 500);

export function actionAdapters(db: Database, replicaReads?: ReplicaReads) {
  /**
   * Runs a request inside a support session, auditing it with both identities whatever happens:
   * with the change when it succeeds, on its own when it is refused or fails. A visit that is
   * no longer open ends here (session id rotated) and the staff member goes back to the admin area.
   */
  async function asVisit(req: Request, res: Response, run: () => Promise<Outcome>): Promise<void> {
    const context = userContext(req);
    let outcome: Outcome;
    try {
      outcome = await run();
    } catch (error) {
      if (error instanceof VisitEndedError) return leaveEndedVisit(req, res, context);
      const refused = error instanceof ReadOnlyVisitError ? 'read_only' : error instanceof HttpError ? 'refused' : 'failed';
      await inUnitOfWork(db.sequelize, context, () => audit(visitRequestEntry(req, { status: errorStatus(error), refused })));
      markVisitAudited(error);
      throw error;
    }
    send(req, res, outcome);
  }

  async function leaveEndedVisit(req: Request, res: Response, context: UnitOfWorkContext): Promise<void> {
    const staff = req.session.staff!;
    await inUnitOfWork(db.sequelize, context, () => endVisit(staff.support!.id, staff.staffId, 'expired'));
    await rotateSession(req, { staff: { ...staff, support: undefined } });
    send(req, res, redirect('/admin', { kind: 'info', message: 'Your support session has ended; you are back in the admin area.' }));
  }

  return {
    /** A signed-in user's action, whole inside one unit of work. */
    userAction(fn: (req: Request, actor: Actor) => Promise<Outcome>, options: ActionOptions = {}): RequestHandler {
      const run = (req: Request, res: Response) =>
        inUnitOfWork(db.sequelize, userContext(req), async () => {
          const actor = await loadActor(req);
          exposeActor(res, actor);
          const outcome = enrolmentFirst(req, actor, options) ?? (await fn(req, actor));
          // A streamed file is written here, before commit: its cursor reads in this transaction.
          if (outcome.kind === 'table') await streamTable(res, outcome.table);
          if (outcome.kind === 'archive') await streamArchive(res, outcome.archive);
          if (actor.visit) await audit(visitRequestEntry(req, { status: statusOf(outcome) }));
          return outcome;
        }, { openingRead: actorRead(req) });
      // On the replica (or the primary standing in for it) the action reads in a READ ONLY unit of
      // work; what the request records (a download's audit entry, a support visit's request) is
      // written afterwards in a unit of work on the primary, before the response is ended.
      const read = (req: Request, res: Response, reads: ReplicaReads) => {
        const context = userContext(req);
        let writes: Array<() => Promise<void>> = [];
        const retryable = () => !res.headersSent;
        return reads.run(db.sequelize, retryable, (sequelize) => inUnitOfWork(sequelize, context, async () => {
          writes = [];
          const actor = await loadActor(req);
          exposeActor(res, actor);
          const outcome = enrolmentFirst(req, actor, options) ?? (await fn(req, actor));
          if (outcome.kind === 'archive') throw new Error('an archive writes its audit entry as it ends: serve it from the primary');
          if (outcome.kind === 'table') {
            const { table } = outcome;
            await streamTable(res, { ...table, written: async (rowCount) => void writes.push(() => table.written(rowCount)) });
          }
          if (actor.visit) writes.push(() => audit(visitRequestEntry(req, { status: statusOf(outcome) })));
          return outcome;
        }, { readOnly: true, openingRead: actorRead(req) })).then(async (outcome) => {
          if (writes.length) await inUnitOfWork(db.sequelize, context, async () => { for (const write of writes) await write(); });
          return outcome;
        });
      };
      const chosen = options.reads === 'replica' && replicaReads
        ? (req: Request, res: Response) => read(req, res, replicaReads)
        : run;
      return async (req: Request, res: Response) => {
        if (!req.session.auth && req.session.staff?.support) return asVisit(req, res, () => chosen(req, res));
        send(req, res, await chosen(req, res));
      };
    },

    /** A signed-in user's multi-step flow: the actor is checked first, then the flow's services
     *  open their own units of work (slow bcrypt work stays outside transactions). */
    userFlow(fn: (req: Request, actor: Actor) => Promise<Outcome>, options: ActionOptions = {}): RequestHandler {
      const run = async (req: Request, res: Response) => {
        const actor = await inUnitOfWork(db.sequelize, userContext(req), () => loadActor(req), { openingRead: actorRead(req) });
        exposeActor(res, actor);
        const outcome = enrolmentFirst(req, actor, options) ?? (await fn(req, actor));
        if (actor.visit) await inUnitOfWork(db.sequelize, userContext(req), () => audit(visitRequestEntry(req, { status: statusOf(outcome) })));
        return outcome;
      };
      return async (req: Request, res: Response) => {
        if (!req.session.auth && req.session.staff?.support) return asVisit(req, res, () => run(req, res));
        send(req, res, await run(req, res));
      };
    },

    /** A public flow (sign-in, password reset) whose services open their own units of work. */
    publicFlow(fn: (req: Request) => Promise<Outcome>): RequestHandler {
      return async (req: Request, res: Response) => send(req, res, await fn(req));
    },
  };
}

/** Guard: only signed-in sessions pass (a client user, or staff inside a support session);
 *  others go to the sign-in page (GET) or get a 401. */
export function signedIn(req: Request, res: Response, next: NextFunction): void {
  if (req.session.auth || req.session.staff?.support) return next();
  if (req.method !== 'GET') return next(new SessionEndedError());
  res.redirect(303, req.originalUrl === '/' ? '/login' : `/login?next=${encodeURIComponent(req.originalUrl)}`);
}

/** Guard: a signed-in user who opens the sign-in page goes home instead. */
export function signedOut(req: Request, res: Response, next: NextFunction): void {
  if (req.session.auth) return res.redirect(303, '/');
  next();
}
