// Staff sign-in and sign-out: /admin/login → code (or, the first time, enrolment of an
// authenticator, which is mandatory for staff) → the admin area. Session id rotated at each step.
import type { Request } from 'express';
import { z } from 'zod';
import { email, parseForm, password } from '../lib/forms.ts';
import { inUnitOfWork } from '../lib/unit-of-work.ts';
import { type Outcome, redirect, SIGNED_OUT_HEADERS, view } from '../lib/outcomes.ts';
import { destroySession, rotateSession } from '../lib/session-ids.ts';
import { audit } from '../services/audit/entries.ts';
import {
  PENDING_STAFF_SIGN_IN_MS,
  type StaffCodeOutcome,
  completeStaffSignIn,
  confirmStaffEnrolment,
  signInStaff,
  staffContext,
  staffEnrolment,
} from '../services/staff/sign-in.ts';
import { endVisitOfSession } from '../services/support/visits.ts';
import type { PendingStaffSignIn } from '../types/express.d.ts';
import type { AppDeps } from '../types/deps.ts';

const loginForm = z.object({ email: email(), password: password() });
const codeForm = z.object({ code: z.string({ error: 'Enter the code.' }).trim().min(1, 'Enter the 6-digit code.').max(64, 'That code is too long.') });
const REFUSED = 'Incorrect e-mail or password, or the account cannot sign in.';
const WRONG_CODE = 'That code is not correct, or it was already used. Enter the code your authenticator app shows now.';
const EXPIRED = 'Your sign-in took too long. Please sign in again.';

export function staffSessionsController(deps: AppDeps) {
  const staffDeps = { db: deps.db, config: deps.config, dataEncryptionKey: deps.dataEncryptionKey };
  const loginPage = (locals: Record<string, unknown> = {}, status = 200) =>
    view('admin/sessions/new', { title: 'Staff sign-in', values: {}, errors: {}, ...locals }, status);

  /** The pending sign-in, when there is one and it has not expired. */
  function livePending(req: Request): PendingStaffSignIn | undefined {
    const pending = req.session.pendingStaff;
    if (pending && Date.now() - pending.startedAt <= PENDING_STAFF_SIGN_IN_MS) return pending;
    delete req.session.pendingStaff;
    return undefined;
  }

  /** What a code step's outcome means for the browser. */
  async function finish(req: Request, outcome: StaffCodeOutcome, page: () => Promise<Outcome>): Promise<Outcome> {
    if (outcome.kind === 'signed-in') {
      delete req.session.pendingStaff;
      // Staff sessions idle out sooner than client users' (the cookie and the stored row alike).
      await rotateSession(req, { staff: { staffId: outcome.staffId, epoch: outcome.epoch, signedInAt: Date.now() } }, deps.config.staffSession.idleMs);
      return redirect('/admin');
    }
    if (outcome.kind === 'ended') {
      delete req.session.pendingStaff;
      return loginPage({ alert: EXPIRED }, 401);
    }
    if (outcome.kind === 'throttled') return loginPage({ alert: `Too many failed attempts. Try again in ${Math.ceil(outcome.retryAfterSeconds / 60)} minutes.` }, 429);
    return page();
  }

  return {
    // GET /admin/login
    async new(): Promise<Outcome> {
      return loginPage();
    },

    // POST /admin/login
    async create(req: Request): Promise<Outcome> {
      const form = parseForm(loginForm, req.body, ['email']);
      if (!form.ok) return loginPage({ values: form.values, errors: form.errors }, 422);
      const outcome = await signInStaff(staffDeps, form.data.email, form.data.password, req.context);
      if (outcome.kind === 'throttled') {
        return view('admin/sessions/new', { title: 'Staff sign-in', values: { email: form.data.email }, errors: {}, alert: `Too many failed sign-in attempts. Try again in ${Math.ceil(outcome.retryAfterSeconds / 60)} minutes.` }, 429, { 'Retry-After': String(outcome.retryAfterSeconds) });
      }
      if (outcome.kind === 'refused') return loginPage({ values: { email: form.data.email }, alert: REFUSED }, 401);
      if (outcome.kind === 'busy') {
        return view('admin/sessions/new', { title: 'Staff sign-in', values: { email: form.data.email }, errors: {}, alert: outcome.message }, 503, { 'Retry-After': String(outcome.retryAfterSeconds) });
      }
      await endVisitOfSession(deps.db.sequelize, req.session.staff, req.context);
      await rotateSession(req, { pendingStaff: { staffId: outcome.staffId, epoch: outcome.epoch, startedAt: Date.now() } });
      return redirect(outcome.enrol ? '/admin/login/enrol' : '/admin/login/code');
    },

    // GET /admin/login/code
    async codeForm(req: Request): Promise<Outcome> {
      if (!livePending(req)) return redirect('/admin/login');
      return view('admin/sessions/code', { title: 'Staff sign-in: code', errors: {} });
    },

    // POST /admin/login/code
    async verifyCode(req: Request): Promise<Outcome> {
      const pending = livePending(req);
      if (!pending) return loginPage({ alert: EXPIRED }, 401);
      const form = parseForm(codeForm, req.body);
      if (!form.ok) return view('admin/sessions/code', { title: 'Staff sign-in: code', errors: form.errors }, 422);
      const outcome = await completeStaffSignIn(staffDeps, pending, form.data.code, req.context);
      return finish(req, outcome, async () => view('admin/sessions/code', { title: 'Staff sign-in: code', errors: { code: WRONG_CODE } }, 401));
    },

    // GET /admin/login/enrol — the authenticator every staff member must have, set up once.
    async enrolForm(req: Request): Promise<Outcome> {
      const pending = livePending(req);
      if (!pending) return redirect('/admin/login');
      const enrolment = await staffEnrolment(staffDeps, pending, req.context);
      if (!enrolment) return loginPage({ alert: EXPIRED }, 401);
      return view('admin/sessions/enrol', { title: 'Set up your authenticator', enrolment, errors: {} });
    },

    // POST /admin/login/enrol
    async confirmEnrolment(req: Request): Promise<Outcome> {
      const pending = livePending(req);
      if (!pending) return loginPage({ alert: EXPIRED }, 401);
      const again = async (errors: Record<string, string>, status: number) => {
        const enrolment = await staffEnrolment(staffDeps, pending, req.context);
        return enrolment ? view('admin/sessions/enrol', { title: 'Set up your authenticator', enrolment, errors }, status) : loginPage({ alert: EXPIRED }, 401);
      };
      const form = parseForm(codeForm, req.body);
      if (!form.ok) return again(form.errors, 422);
      const outcome = await confirmStaffEnrolment(staffDeps, pending, form.data.code, req.context);
      return finish(req, outcome, () => again({ code: WRONG_CODE }, 401));
    },

    // POST /admin/logout (and POST /logout from a staff session) — ends any open visit first.
    async destroy(req: Request): Promise<Outcome> {
      const staff = req.session.staff;
      if (staff) {
        await endVisitOfSession(deps.db.sequelize, staff, req.context);
        await inUnitOfWork(deps.db.sequelize, staffContext(staff.staffId, req.context), () =>
          audit({ action: 'staff.logout', clientId: null, entityType: 'staff', entityId: staff.staffId }),
        );
      }
      await destroySession(req);
      return redirect('/admin/login?signed_out=1', undefined, { ...SIGNED_OUT_HEADERS });
    },
  };
}
