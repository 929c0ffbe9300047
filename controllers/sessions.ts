import type { Request } from 'express';
import { z } from 'zod';
import { email, parseForm, password } from '../lib/forms.ts';
import { inUnitOfWork } from '../lib/unit-of-work.ts';
import { type Outcome, redirect, SIGNED_OUT_HEADERS, view } from '../lib/outcomes.ts';
import { regenerateSession as regenerate, saveSession as save, destroySession as destroy } from '../lib/session-ids.ts';
import { audit } from '../services/audit/entries.ts';
import { signIn } from '../services/auth/login.ts';
import { endVisitOfSession } from '../services/support/visits.ts';
import { staffSessionsController } from './staff-sessions.ts';
import type { AppDeps } from '../types/deps.ts';

const loginForm = z.object({ email: email(), password: password() });
const REFUSED = 'Incorrect e-mail or password, or the account cannot sign in. Check both and try again, or reset your password.';

/** Only a local path may follow sign-in, never another site. */
const safeNext = (value: unknown) => (typeof value === 'string' && /^\/(?![/\\])[\w\-./?=&%]*$/.test(value) ? value : '/');


export function sessionsController(deps: AppDeps) {
  return {
    // GET /login
    async new(req: Request): Promise<Outcome> {
      return view('sessions/new', { title: 'Sign in', values: {}, errors: {}, next: safeNext(req.query.next), signedOutNow: req.query.signed_out === '1' });
    },

    // POST /login
    async create(req: Request): Promise<Outcome> {
      const next = safeNext(req.body?.next);
      const form = parseForm(loginForm, req.body, ['email']);
      if (!form.ok) return view('sessions/new', { title: 'Sign in', values: form.values, errors: form.errors, next }, 422);
      const outcome = await signIn(deps, form.data.email, form.data.password, req.context);
      if (outcome.kind === 'throttled') {
        const minutes = Math.ceil(outcome.retryAfterSeconds / 60);
        return view('sessions/new', { title: 'Sign in', values: { email: form.data.email }, errors: {}, next, alert: `Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}, or reset your password.` }, 429, { 'Retry-After': String(outcome.retryAfterSeconds) });
      }
      if (outcome.kind === 'refused') {
        return view('sessions/new', { title: 'Sign in', values: { email: form.data.email }, errors: {}, next, alert: REFUSED }, 401);
      }
      // Not a failure: the form again with the e-mail kept, to be sent once more shortly.
      if (outcome.kind === 'busy') {
        return view('sessions/new', { title: 'Sign in', values: { email: form.data.email }, errors: {}, next, alert: outcome.message }, 503, { 'Retry-After': String(outcome.retryAfterSeconds) });
      }
      // A new session id at sign-in defeats session fixation (and ends a visit this browser was in).
      await endVisitOfSession(deps.db.sequelize, req.session.staff, req.context);
      await regenerate(req);
      if (outcome.kind === 'second-factor') {
        // Not signed in yet: the code page completes it (controllers/two-factor.ts).
        req.session.pendingSecondFactor = { userId: outcome.userId, clientId: outcome.clientId, epoch: outcome.sessionEpoch, next, startedAt: Date.now() };
        await save(req);
        return redirect('/login/two-factor');
      }
      req.session.auth = { userId: outcome.userId, clientId: outcome.clientId, epoch: outcome.sessionEpoch, signedInAt: Date.now() };
      await save(req);
      return redirect(next);
    },

    // POST /logout
    async destroy(req: Request): Promise<Outcome> {
      if (req.session.staff && !req.session.auth) return staffSessionsController(deps).destroy(req);
      const auth = req.session.auth;
      if (auth) {
        await inUnitOfWork(deps.db.sequelize, { actorKind: 'user', clientId: auth.clientId, userId: auth.userId, ...req.context }, () =>
          audit({ action: 'auth.logout', entityType: 'user', entityId: auth.userId }),
        );
      }
      await destroy(req);
      return redirect('/login?signed_out=1', undefined, { ...SIGNED_OUT_HEADERS });
    },
  };
}
