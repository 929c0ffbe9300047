// Lists of events across a facility, or rolled up over a region or division.
import type { Request } from 'express';
import { type Outcome, view } from '../lib/outcomes.ts';
import type { OrgUnit } from '../models/index.ts';
import { authorize, can } from '../policies/index.ts';
import { usersCovering } from '../services/events/reassignment.ts';
import { ancestorsOf, facilitiesUnder, findUnitInScope, levelLabels } from '../services/organisation/hierarchy.ts';
import { type AssigneeChoice, openEventRows } from '../services/plans/plan-items.ts';
import type { Actor } from '../types/actor.ts';

/** A unit's open-events table (GET /units/:id/events, and again after a bulk reassignment form),
 *  with the selection, the assignee choices and any errors. */
export async function openEventsTable(actor: Actor, unit: OrgUnit, state: { selected: string[]; choices?: AssigneeChoice[]; assigneeId?: string; errors?: Record<string, string> }, status = 200): Promise<Outcome> {
  const facilities = unit.kind === 'facility' ? [unit] : await facilitiesUnder(unit);
  return view('plans/events', {
    title: `Open events: ${unit.name}`,
    unit,
    ancestors: await ancestorsOf(unit),
    rows: await openEventRows(actor.client, facilities),
    labels: levelLabels(actor.client),
    selected: state.selected,
    reassignChoices: state.choices,
    reassignTo: state.assigneeId ?? '',
    errors: state.errors ?? {},
  }, status);
}

export function eventListsController() {
  return {
    // GET /units/:id/events — open events of a facility, or the roll-up of a region or division.
    async events(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.view');
      const unit = await findUnitInScope(String(req.params.id));
      // On a facility's table the people who may take its events are known at once; a roll-up
      // asks for them once rows are ticked (they must cover every selected event's facility).
      const offerChoices = unit.kind === 'facility' && can(actor.user, 'events.reassign');
      return openEventsTable(actor, unit, { selected: [], choices: offerChoices ? await usersCovering([unit.id]) : undefined });
    },
  };
}
