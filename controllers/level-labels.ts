// The names of the hierarchy's levels (region, division, facility) that every page uses.
import type { Request } from 'express';
import type { FieldErrors } from '../lib/errors.ts';
import { parseForm, strictForm, text } from '../lib/forms.ts';
import { type Outcome, redirect, view } from '../lib/outcomes.ts';
import { authorize } from '../policies/index.ts';
import { type LevelLabels, levelLabels } from '../services/organisation/hierarchy.ts';
import { LABEL_MAX, updateLevelLabels } from '../services/organisation/unit-admin.ts';
import type { Actor } from '../types/actor.ts';

// Control characters are refused: a NUL cannot be stored in jsonb (clients.settings) at all.
const labelField = (kind: string) => text(`The ${kind} label`, LABEL_MAX).refine((v) => !/[\u0000-\u001f\u007f]/.test(v), `The ${kind} label cannot contain control characters.`);
const labelsForm = strictForm({ region: labelField('region'), division: labelField('division'), facility: labelField('facility') });

function labelsPage(labels: LevelLabels | Record<string, string>, errors: FieldErrors, status = 200): Outcome {
  return view('units/labels', { title: 'Level names', values: labels, errors }, status);
}

export function levelLabelsController() {
  return {
    // GET /settings/levels
    async edit(_req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'settings.manage');
      return labelsPage(levelLabels(actor.client), {});
    },

    // POST /settings/levels
    async update(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'settings.manage');
      const form = parseForm(labelsForm, req.body, ['region', 'division', 'facility']);
      if (!form.ok) return labelsPage(form.values, form.errors, 422);
      const labels: LevelLabels = { region: form.data.region, division: form.data.division, facility: form.data.facility };
      const names = Object.values(labels).map((l) => l.toLowerCase());
      if (new Set(names).size < names.length) return labelsPage(labels, { form: 'Each level needs its own name.' }, 422);
      const changed = await updateLevelLabels(actor.client, labels);
      return redirect('/units', changed ? { kind: 'success', message: 'The level names were saved.' } : { kind: 'info', message: 'Nothing was changed.' });
    },
  };
}
