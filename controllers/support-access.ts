// Support access as the client sees it (DESIGN.md §8.4): the client's Administrators
// decide whether SolutionsTRAK staff need their approval to enter, approve or deny requests, end
// visits in progress, and read the whole history. Staff inside a visit may look, never decide.
import type { Request } from 'express';
import { z } from 'zod';
import { ForbiddenError, NotFoundError } from '../lib/errors.ts';
import { parseForm } from '../lib/forms.ts';
import type { Actor } from '../types/actor.ts';
import { type Outcome, redirect, view } from '../lib/outcomes.ts';
import { authorize } from '../policies/index.ts';
import { showDateTime } from '../lib/display-dates.ts';
import { decideVisit, revokeVisit, setApprovalRequired, supportHistory } from '../services/support/requests.ts';

const approvalForm = z.object({ requireApproval: z.literal('on', { error: 'Tick the box or leave it empty.' }).optional() });

/** Who may decide here: the client's own Administrators, not staff acting as one. */
function mayDecide(actor: Actor): void {
  authorize(actor.user, 'settings.manage');
  if (actor.visit) throw new ForbiddenError('Support access is decided by the client’s own Administrators.');
}

export function supportAccessController() {
  async function page(actor: Actor, errors: Record<string, string> = {}, status = 200): Promise<Outcome> {
    const history = await supportHistory();
    const zone = actor.client.timeZone;
    const at = (instant: Date | null) => (instant ? showDateTime(instant, zone) : '');
    return view('settings/support', {
      title: 'Support access',
      requireApproval: actor.client.supportApprovalRequired,
      pending: history.filter((v) => v.status === 'pending'),
      inProgress: history.filter((v) => v.open),
      history,
      at,
      timeZone: zone,
      mayDecide: !actor.visit,
      errors,
    }, status);
  }

  return {
    // GET /settings/support
    async show(_req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'settings.manage');
      return page(actor);
    },

    // POST /settings/support
    async update(req: Request, actor: Actor): Promise<Outcome> {
      mayDecide(actor);
      const form = parseForm(approvalForm, req.body);
      if (!form.ok) return page(actor, form.errors, 422);
      const required = form.data.requireApproval === 'on';
      await setApprovalRequired(actor.client.id, required);
      return redirect('/settings/support', {
        kind: 'success',
        message: required ? 'SolutionsTRAK staff now need an Administrator’s approval before they enter.' : 'SolutionsTRAK staff may now enter for support without asking first.',
      });
    },

    // POST /settings/support/:id/approve
    async approve(req: Request, actor: Actor): Promise<Outcome> {
      mayDecide(actor);
      if (!(await decideVisit(String(req.params.id), 'approved', actor.user.id))) throw new NotFoundError('That request is no longer waiting for a decision.');
      return redirect('/settings/support', { kind: 'success', message: 'Approved: the staff member may now enter, for the time they asked.' });
    },

    // POST /settings/support/:id/deny
    async deny(req: Request, actor: Actor): Promise<Outcome> {
      mayDecide(actor);
      if (!(await decideVisit(String(req.params.id), 'denied', actor.user.id))) throw new NotFoundError('That request is no longer waiting for a decision.');
      return redirect('/settings/support', { kind: 'success', message: 'Denied: the staff member cannot enter with this request.' });
    },

    // POST /settings/support/:id/end
    async end(req: Request, actor: Actor): Promise<Outcome> {
      mayDecide(actor);
      if (!(await revokeVisit(String(req.params.id)))) throw new NotFoundError('That support session is not in progress.');
      return redirect('/settings/support', { kind: 'success', message: 'The support session has ended: the staff member is out.' });
    },
  };
}
