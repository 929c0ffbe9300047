// The staff-transition tool (DESIGN.md §5), Director and above: thin actions over
// services/events/transition.ts. Choose the departing user, see what they hold in your scope, choose one
// replacement for all or one per facility, preview (nothing changes), apply (one transaction),
// optionally deactivate them afterwards. The form is a strict allowlist: its fixed fields plus one
// `facility_<id>` select per facility; anything else is refused with a 422.
import type { Request } from 'express';
import { z } from 'zod';
import { type FieldErrors, ValidationError } from '../lib/errors.ts';
import { parseForm } from '../lib/forms.ts';
import { inUnitOfWork } from '../lib/unit-of-work.ts';
import type { Actor } from '../types/actor.ts';
import { type Outcome, redirect, view } from '../lib/outcomes.ts';
import { actorContext } from '../services/actor-context.ts';
import { pushFlash } from '../lib/flash.ts';
import { RANK_LABELS } from '../models/user.ts';
import { authorize } from '../policies/index.ts';
import { levelLabels } from '../services/organisation/hierarchy.ts';
import { type AppliedRow, applyMoves, deactivateAfterTransition, departingCandidates, type MoveRow, planMoves, type TransitionChoice, type TransitionPage, transitionPage } from '../services/events/transition.ts';
import type { AppDeps } from '../types/deps.ts';

const FACILITY_FIELD = /^facility_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const single = z.string({ error: 'Choose from the list.' }).max(100, 'This value is too long.').optional();

/** The form's fields: the fixed ones and the per-facility selects the body carries. */
function transitionForm(body: unknown) {
  const facilityFields = Object.keys(body && typeof body === 'object' ? body : {}).filter((k) => FACILITY_FIELD.test(k));
  return z.strictObject({
    _csrf: single,
    mode: z.enum(['all', 'each'], { error: 'Choose one replacement for everything, or one per facility.' }),
    replacement: single,
    deactivate: z.literal('1', { error: 'Tick the box to deactivate, or leave it empty.' }).optional(),
    ...Object.fromEntries(facilityFields.map((k) => [k, single])),
  }, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `This form does not accept the field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}. Nothing was changed.` : undefined),
  });
}

interface Parsed {
  choice: TransitionChoice;
  deactivate: boolean;
  /** What the form showed, to show it again. */
  values: Record<string, string>;
}

function parseTransition(body: unknown): { ok: true; parsed: Parsed } | { ok: false; errors: FieldErrors; values: Record<string, string> } {
  const raw = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const echo = Object.fromEntries(Object.entries(raw).filter(([k, v]) => k !== '_csrf' && typeof v === 'string').map(([k, v]) => [k, v as string]));
  const form = parseForm(transitionForm(body), body);
  if (!form.ok) return { ok: false, errors: form.errors, values: echo };
  const data = form.data as Record<string, string | undefined> & { mode: 'all' | 'each' };
  const perFacility: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) if (FACILITY_FIELD.test(k)) perFacility[k.slice('facility_'.length).toLowerCase()] = (v ?? '').trim();
  const choice: TransitionChoice = data.mode === 'all' ? { mode: 'all', replacementId: (data.replacement ?? '').trim() } : { mode: 'each', perFacility };
  return { ok: true, parsed: { choice, deactivate: data.deactivate === '1', values: echo } };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function transitionController(deps: AppDeps) {
  function showView(actor: Actor, page: TransitionPage, values: Record<string, string>, errors: FieldErrors, status = 200): Outcome {
    return view('transition/show', {
      title: `Transition: ${page.departing.user.name}`,
      page,
      values: { mode: 'all', ...values },
      errors,
      rankLabels: RANK_LABELS,
      labels: levelLabels(actor.client),
    }, status);
  }

  return {
    // GET /transition — the users whose work can be handed over.
    async index(_req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'transition.run');
      return view('transition/index', { title: 'Staff transition', candidates: await departingCandidates(), rankLabels: RANK_LABELS });
    },

    // GET /transition/:id — what the user holds in your scope, and the replacement form.
    async show(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'transition.run');
      const page = await transitionPage(actor, String(req.params.id));
      return showView(actor, page, {}, {});
    },

    // POST /transition/:id/preview — exactly what would move; nothing changes.
    async preview(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'transition.run');
      const page = await transitionPage(actor, String(req.params.id));
      const form = parseTransition(req.body);
      if (!form.ok) return showView(actor, page, form.values, form.errors, 422);
      let moves: MoveRow[];
      try {
        moves = planMoves(page, form.parsed.choice);
      } catch (error) {
        if (error instanceof ValidationError) return showView(actor, page, form.parsed.values, error.fields, 422);
        throw error;
      }
      return view('transition/preview', {
        title: `Preview transition: ${page.departing.user.name}`,
        page,
        moves,
        values: form.parsed.values,
        deactivate: form.parsed.deactivate && page.canDeactivate,
        labels: levelLabels(actor.client),
      });
    },

    // POST /transition/:id/apply — a flow: the moves commit in one unit of work (checked again
    // there), then, when asked, the departing user is deactivated if they hold nothing anywhere.
    async apply(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'transition.run');
      const context = actorContext(actor, req.context);
      type Step = { outcome: Outcome } | { applied: AppliedRow[]; userId: string; name: string; deactivate: boolean };
      const step = await inUnitOfWork(deps.db.sequelize, context, async (): Promise<Step> => {
        const page = await transitionPage(actor, String(req.params.id));
        const form = parseTransition(req.body);
        if (!form.ok) return { outcome: showView(actor, page, form.values, form.errors, 422) };
        try {
          const applied = await applyMoves(actor, page.departing.user.id, planMoves(page, form.parsed.choice));
          return { applied, userId: page.departing.user.id, name: page.departing.user.name, deactivate: form.parsed.deactivate };
        } catch (error) {
          if (error instanceof ValidationError) return { outcome: showView(actor, page, form.parsed.values, error.fields, 422) };
          throw error;
        }
      });
      if ('outcome' in step) return step.outcome;
      const items = step.applied.reduce((n, a) => n + a.planItems, 0);
      const events = step.applied.reduce((n, a) => n + a.openEvents, 0);
      const where = step.applied.map((a) => `${a.facilityName} → ${a.to.name}`).join('; ');
      pushFlash(req, { kind: 'success', message: `Moved ${plural(items, 'Plan Item')} and ${plural(events, 'open event')} of ${step.name} (${where}).` });
      if (!step.deactivate) return redirect(`/transition/${step.userId}`);
      const result = await deactivateAfterTransition(deps, actor, step.userId, req.context);
      return redirect(`/transition/${step.userId}`, result.done
        ? { kind: 'success', message: `${step.name} has been deactivated and signed out.` }
        : { kind: 'error', message: `${step.name} was not deactivated: ${result.reason}` });
    },
  };
}
