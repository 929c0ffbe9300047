import type { Request } from 'express';
import { z } from 'zod';
import { ValidationError } from '../lib/errors.ts';
import { email, parseForm, password } from '../lib/forms.ts';
import type { Actor } from '../types/actor.ts';
import { type Outcome, redirect, view } from '../lib/outcomes.ts';
import { changePassword, findLiveToken, requestPasswordReset, resetPassword, RESET_TOKEN_MINUTES } from '../services/auth/password-changes.ts';
import { MAX_PASSWORD_BYTES } from '../services/auth/passwords.ts';
import type { AppDeps } from '../types/deps.ts';

const forgotForm = z.object({ email: email() });
const tokenField = z.string().max(100).default('');
const resetForm = z.object({ token: tokenField, password: password('New password'), confirmation: z.string().max(1024).default('') });
const changeForm = z.object({ currentPassword: password('Current password'), newPassword: password('New password'), confirmation: z.string().max(1024).default('') });

const mismatch = (a: string, b: string) => (a === b ? undefined : 'The two new passwords do not match.');

export function passwordsController(deps: AppDeps) {
  const rule = { minLength: deps.config.passwordMinLength, maxBytes: MAX_PASSWORD_BYTES };

  return {
    // GET /password/forgot
    async forgot(): Promise<Outcome> {
      return view('passwords/forgot', { title: 'Forgot password', values: {}, errors: {} });
    },

    // POST /password/forgot — answers the same whether or not the address has an account.
    async sendReset(req: Request): Promise<Outcome> {
      const form = parseForm(forgotForm, req.body, ['email']);
      if (!form.ok) return view('passwords/forgot', { title: 'Forgot password', values: form.values, errors: form.errors }, 422);
      await requestPasswordReset(deps, form.data.email, req.context);
      return view('passwords/forgot-sent', { title: 'Check your e-mail', minutes: RESET_TOKEN_MINUTES });
    },

    // GET /password/reset?token=…
    async resetForm(req: Request): Promise<Outcome> {
      const token = typeof req.query.token === 'string' ? req.query.token : '';
      if (!(await findLiveToken(deps, token, req.context))) return view('passwords/reset-invalid', { title: 'Link expired' }, 410);
      return view('passwords/reset', { title: 'Choose a new password', token, errors: {}, rule });
    },

    // POST /password/reset
    async reset(req: Request): Promise<Outcome> {
      const form = parseForm(resetForm, req.body);
      const token = typeof req.body?.token === 'string' ? req.body.token : '';
      if (!form.ok) return view('passwords/reset', { title: 'Choose a new password', token, errors: form.errors, rule }, 422);
      const confirmError = mismatch(form.data.password, form.data.confirmation);
      if (confirmError) return view('passwords/reset', { title: 'Choose a new password', token, errors: { confirmation: confirmError }, rule }, 422);
      try {
        const outcome = await resetPassword(deps, form.data.token, form.data.password, req.context);
        if (!outcome.ok) return view('passwords/reset-invalid', { title: 'Link expired' }, 410);
      } catch (error) {
        if (error instanceof ValidationError) return view('passwords/reset', { title: 'Choose a new password', token, errors: error.fields, rule }, 422);
        throw error;
      }
      return redirect('/login', { kind: 'success', message: 'Your password has been changed. Sign in with the new one.' });
    },

    // GET /account/password
    async edit(): Promise<Outcome> {
      return view('passwords/change', { title: 'Change password', errors: {}, rule });
    },

    // POST /account/password
    async update(req: Request, actor: Actor): Promise<Outcome> {
      const form = parseForm(changeForm, req.body);
      if (!form.ok) return view('passwords/change', { title: 'Change password', errors: form.errors, rule }, 422);
      const confirmError = mismatch(form.data.newPassword, form.data.confirmation);
      if (confirmError) return view('passwords/change', { title: 'Change password', errors: { confirmation: confirmError }, rule }, 422);
      try {
        const epoch = await changePassword(deps, {
          userId: actor.user.id,
          clientId: actor.client.id,
          currentPassword: form.data.currentPassword,
          newPassword: form.data.newPassword,
          keepSessionId: req.sessionID,
        }, req.context);
        // Keep this session (with a fresh id); every other one has ended.
        const auth = { ...req.session.auth!, epoch };
        await new Promise<void>((resolve, reject) => req.session.regenerate((e) => (e ? reject(e) : resolve())));
        req.session.auth = auth;
      } catch (error) {
        if (error instanceof ValidationError) return view('passwords/change', { title: 'Change password', errors: error.fields, rule }, 422);
        throw error;
      }
      return redirect('/', { kind: 'success', message: 'Your password has been changed. Your other sessions have been signed out.' });
    },
  };
}
