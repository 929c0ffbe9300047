import type { Request } from 'express';
import { z } from 'zod';
import { parseForm } from '../lib/forms.ts';
import type { Actor } from '../types/actor.ts';
import { type Outcome, redirect, view } from '../lib/outcomes.ts';
import { authorize } from '../policies/index.ts';
import { setTwoFactorRequirement } from '../services/auth/two-factor.ts';
import { clientRequiresTotp } from '../services/auth/two-factor-requirement.ts';

// An unticked checkbox sends nothing; anything but "on" is refused.
const securityForm = z.object({ requireTotp: z.literal('on', { error: 'Tick the box or leave it empty.' }).optional() });

export function securitySettingsController() {
  return {
    // GET /settings/security
    async edit(_req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'settings.manage');
      return view('settings/security', { title: 'Security settings', requireTotp: clientRequiresTotp(actor.client), errors: {} });
    },

    // POST /settings/security
    async update(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'settings.manage');
      const form = parseForm(securityForm, req.body);
      if (!form.ok) return view('settings/security', { title: 'Security settings', requireTotp: clientRequiresTotp(actor.client), errors: form.errors }, 422);
      const required = form.data.requireTotp === 'on';
      await setTwoFactorRequirement(actor.client.id, required);
      return redirect('/settings/security', {
        kind: 'success',
        message: required ? 'Two-factor sign-in is now required: users without it must set it up before anything else.' : 'Two-factor sign-in is now optional.',
      });
    },
  };
}
