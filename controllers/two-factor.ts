import type { Request } from 'express';
import { z } from 'zod';
import type { FieldErrors } from '../lib/errors.ts';
import { parseForm, password } from '../lib/forms.ts';
import { inUnitOfWork } from '../lib/unit-of-work.ts';
import type { Actor } from '../types/actor.ts';
import { type Outcome, redirect, view } from '../lib/outcomes.ts';
import { regenerateSession as regenerate, saveSession as save } from '../lib/session-ids.ts';
import {
  PENDING_SECOND_FACTOR_MS,
  beginEnrolment,
  completeSignIn,
  confirmEnrolment,
  disableTwoFactor,
  enrolmentDetails,
  regenerateRecoveryCodes,
  twoFactorState,
  unusedRecoveryCodeCount,
} from '../services/auth/two-factor.ts';
import { TWO_FACTOR_PATH, clientRequiresTotp } from '../services/auth/two-factor-requirement.ts';
import type { AppDeps } from '../types/deps.ts';
import type { PendingSecondFactor } from '../types/express.d.ts';

const code = (label = 'Code') => z.string({ error: `${label} is required.` }).trim().min(1, `${label} is required.`).max(64, `${label} is too long.`);
const codeForm = z.object({ code: code() });
const regenerateForm = z.object({ regenerateCode: code() });
const disableForm = z.object({ currentPassword: password('Current password'), disableCode: code() });

const REFUSED = 'That code is not correct, or it was already used. Enter the current code from your authenticator app, or an unused recovery code.';
const EXPIRED = 'Your sign-in took too long. Please sign in again.';


/** The pending second-factor state, when there is one and it has not expired. */
function livePending(req: Request): PendingSecondFactor | undefined {
  const pending = req.session.pendingSecondFactor;
  if (!pending) return undefined;
  if (Date.now() - pending.startedAt > PENDING_SECOND_FACTOR_MS) {
    delete req.session.pendingSecondFactor;
    return undefined;
  }
  return pending;
}

export function twoFactorController(deps: AppDeps) {
  const challenge = (locals: Record<string, unknown> = {}) => ({ title: 'Two-factor sign-in', errors: {}, ...locals });

  /** The account page in whichever state the user's two-factor sign-in is. */
  async function accountPage(actor: Actor, locals: Record<string, unknown> = {}, status = 200): Promise<Outcome> {
    const state = twoFactorState(actor.user);
    return view('two-factor/show', {
      title: 'Two-factor sign-in',
      state,
      required: clientRequiresTotp(actor.client),
      enrolment: await enrolmentDetails(deps, actor.user),
      remainingCodes: state === 'on' ? await unusedRecoveryCodeCount(actor.user) : 0,
      errors: {},
      ...locals,
    }, status);
  }

  return {
    // GET /login/two-factor
    async challenge(req: Request): Promise<Outcome> {
      const hadPending = Boolean(req.session.pendingSecondFactor);
      if (!livePending(req)) return redirect('/login', hadPending ? { kind: 'info', message: EXPIRED } : undefined);
      return view('two-factor/challenge', challenge());
    },

    // POST /login/two-factor
    async verify(req: Request): Promise<Outcome> {
      const hadPending = Boolean(req.session.pendingSecondFactor);
      const pending = livePending(req);
      if (!pending) return redirect('/login', hadPending ? { kind: 'info', message: EXPIRED } : undefined);
      const form = parseForm(codeForm, req.body);
      if (!form.ok) return view('two-factor/challenge', challenge({ errors: form.errors }), 422);
      const outcome = await completeSignIn(deps, pending, form.data.code, req.context);
      if (outcome.kind === 'throttled') {
        const minutes = Math.ceil(outcome.retryAfterSeconds / 60);
        return view('two-factor/challenge', challenge({ alert: `Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.` }), 429, { 'Retry-After': String(outcome.retryAfterSeconds) });
      }
      if (outcome.kind === 'refused') return view('two-factor/challenge', challenge({ alert: REFUSED }), 401);
      if (outcome.kind === 'ended') {
        delete req.session.pendingSecondFactor;
        return redirect('/login', { kind: 'error', message: 'This sign-in cannot continue. Sign in again, or reset your password.' });
      }
      // Only now is the user signed in, under a new session id (no fixation across the two steps).
      await regenerate(req);
      req.session.auth = { userId: outcome.userId, clientId: outcome.clientId, epoch: outcome.sessionEpoch, signedInAt: Date.now() };
      await save(req);
      return redirect(pending.next);
    },

    // GET /account/two-factor
    async show(_req: Request, actor: Actor): Promise<Outcome> {
      return accountPage(actor);
    },

    // POST /account/two-factor/setup
    async begin(_req: Request, actor: Actor): Promise<Outcome> {
      await beginEnrolment(deps, actor.user.id);
      return redirect(TWO_FACTOR_PATH);
    },

    // POST /account/two-factor/confirm
    async confirm(req: Request, actor: Actor): Promise<Outcome> {
      const form = parseForm(codeForm, req.body);
      if (!form.ok) return accountPage(actor, { errors: form.errors }, 422);
      const outcome = await confirmEnrolment(deps, actor.user.id, form.data.code);
      if (!outcome.ok) return accountPage(actor, { errors: { code: outcome.message } }, 422);
      return view('two-factor/recovery-codes', { title: 'Your recovery codes', codes: outcome.codes, justEnabled: true });
    },

    // POST /account/two-factor/recovery-codes
    async regenerateCodes(req: Request, actor: Actor): Promise<Outcome> {
      const form = parseForm(regenerateForm, req.body);
      if (!form.ok) return accountPage(actor, { errors: form.errors }, 422);
      const outcome = await regenerateRecoveryCodes(deps, actor.user.id, form.data.regenerateCode);
      if (!outcome.ok) return accountPage(actor, { errors: { regenerateCode: outcome.message } }, 422);
      return view('two-factor/recovery-codes', { title: 'Your recovery codes', codes: outcome.codes, justEnabled: false });
    },

    // POST /account/two-factor/disable — a flow: the password check (bcrypt) runs outside any
    // transaction, and the page shown again opens a unit of work of its own.
    async disable(req: Request, actor: Actor): Promise<Outcome> {
      const form = parseForm(disableForm, req.body);
      const context = { actorKind: 'user' as const, clientId: actor.client.id, userId: actor.user.id, ...req.context };
      const page = (errors: FieldErrors) => inUnitOfWork(deps.db.sequelize, context, () => accountPage(actor, { errors }, 422));
      if (!form.ok) return page(form.errors);
      const outcome = await disableTwoFactor(deps, { userId: actor.user.id, clientId: actor.client.id }, form.data.currentPassword, form.data.disableCode, req.context);
      if (!outcome.ok) return page(outcome.field === 'code' ? { disableCode: outcome.message } : { currentPassword: outcome.message });
      return redirect(TWO_FACTOR_PATH, { kind: 'success', message: 'Two-factor sign-in is off. Your recovery codes no longer work.' });
    },
  };
}
