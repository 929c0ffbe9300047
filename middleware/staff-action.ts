// Adapters for the admin area: a signed-in staff member's action runs in a staff unit
// of work (no client: the database shows no client rows there), like userAction for client users.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ForbiddenError } from '../lib/errors.ts';
import { inUnitOfWork } from '../lib/unit-of-work.ts';
import { type Database, StaffUser } from '../models/index.ts';
import { STAFF_ROLE_LABELS } from '../models/staff-user.ts';
import { type StaffPermission, staffCan } from '../policies/staff.ts';
import { staffContext } from '../services/staff/sign-in.ts';
import type { Outcome } from '../lib/outcomes.ts';
import type { StaffActor } from '../types/actor.ts';
import { SessionEndedError, send } from './action.ts';

/** The signed-in staff member, read in a staff context; refuses a stale or inactive session. */
async function loadStaff(req: Request): Promise<StaffActor> {
  const auth = req.session.staff!;
  const staff = await StaffUser.findByPk(auth.staffId);
  if (!staff || staff.status !== 'active' || staff.sessionEpoch !== auth.epoch || !staff.totpEnabledAt) throw new SessionEndedError();
  return { staff };
}

function exposeStaff(req: Request, res: Response, actor: StaffActor): void {
  res.locals.staffActor = { ...actor, roleLabel: STAFF_ROLE_LABELS[actor.staff.role] };
  res.locals.staffCan = (permission: StaffPermission) => staffCan(actor.staff, permission);
  const visit = req.session.staff?.support;
  if (visit) res.locals.openVisit = visit;
}

export function staffAdapters(db: Database) {
  const context = (req: Request) => staffContext(req.session.staff!.staffId, req.context);
  return {
    /** A signed-in staff member's action, whole inside one staff unit of work. */
    staffAction(fn: (req: Request, actor: StaffActor) => Promise<Outcome>): RequestHandler {
      return async (req: Request, res: Response) => {
        const outcome = await inUnitOfWork(db.sequelize, context(req), async () => {
          const actor = await loadStaff(req);
          exposeStaff(req, res, actor);
          return fn(req, actor);
        });
        send(req, res, outcome);
      };
    },

    /** A staff flow whose services open their own units of work (entering a client, bcrypt). */
    staffFlow(fn: (req: Request, actor: StaffActor) => Promise<Outcome>): RequestHandler {
      return async (req: Request, res: Response) => {
        const actor = await inUnitOfWork(db.sequelize, context(req), () => loadStaff(req));
        exposeStaff(req, res, actor);
        send(req, res, await fn(req, actor));
      };
    },
  };
}

/** Guard: only signed-in staff pass; others go to the staff sign-in page (GET) or get a 401. */
export function staffSignedIn(req: Request, res: Response, next: NextFunction): void {
  if (req.session.staff) return next();
  if (req.session.auth) return next(new ForbiddenError('The admin area is for SolutionsTRAK staff only. Your PlanTRAK account cannot open it.'));
  if (req.method !== 'GET') return next(new SessionEndedError());
  res.redirect(303, '/admin/login');
}

/** Guard: a signed-in staff member who opens the sign-in pages goes to the admin area. */
export function staffSignedOut(req: Request, res: Response, next: NextFunction): void {
  if (req.session.staff) return res.redirect(303, '/admin');
  next();
}
