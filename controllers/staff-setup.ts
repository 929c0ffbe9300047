// The set-up link a new (or reset) staff member receives: choose a password, then sign in at
// /admin/login and enrol an authenticator. The token travels in the page, never in a POST's URL.
import type { Request } from 'express';
import { z } from 'zod';
import { type FieldErrors, ValidationError } from '../lib/errors.ts';
import { parseForm, password } from '../lib/forms.ts';
import { type Outcome, redirect, view } from '../lib/outcomes.ts';
import { MAX_PASSWORD_BYTES } from '../services/auth/passwords.ts';
import { acceptSetup, findLiveSetup } from '../services/staff/accounts.ts';
import type { AppDeps } from '../types/deps.ts';

const setupForm = z.object({ token: z.string().max(100).default(''), password: password('Password'), confirmation: z.string().max(1024).default('') });

export function staffSetupController(deps: AppDeps) {
  const rule = { minLength: deps.config.passwordMinLength, maxBytes: MAX_PASSWORD_BYTES };
  const invalid = () => view('admin/setup/invalid', { title: 'Set-up link no longer works' }, 410);

  return {
    // GET /admin/setup?token=…
    async form(req: Request): Promise<Outcome> {
      const token = typeof req.query.token === 'string' ? req.query.token : '';
      const setup = await findLiveSetup(deps.db, token, req.context);
      if (!setup) return invalid();
      return view('admin/setup/form', { title: 'Set up your staff account', token, person: setup.staff, errors: {}, rule });
    },

    // POST /admin/setup
    async complete(req: Request): Promise<Outcome> {
      const token = typeof req.body?.token === 'string' ? req.body.token : '';
      const setup = await findLiveSetup(deps.db, token, req.context);
      if (!setup) return invalid();
      const again = (errors: FieldErrors) => view('admin/setup/form', { title: 'Set up your staff account', token, person: setup.staff, errors, rule }, 422);
      const form = parseForm(setupForm, req.body);
      if (!form.ok) return again(form.errors);
      if (form.data.password !== form.data.confirmation) return again({ confirmation: 'The two passwords do not match.' });
      try {
        const outcome = await acceptSetup(deps, token, form.data.password, req.context);
        if (!outcome.ok) return invalid();
      } catch (error) {
        if (error instanceof ValidationError) return again(error.fields);
        throw error;
      }
      return redirect('/admin/login', {
        kind: 'success',
        message: 'Your password is set. Sign in with it now; you will then set up an authenticator app, which staff accounts always need.',
      });
    },
  };
}
