// Lists of events across a facility, or rolled up over a region or division, by status.
import type { Request } from 'express';
import { type Outcome, view } from '../lib/outcomes.ts';
import type { OrgUnit } from '../models/index.ts';
import { authorize, can } from '../policies/index.ts';
import { eventList, isListStatus, type ListStatus } from '../services/events/lists.ts';
import { usersCovering } from '../services/events/reassignment.ts';
import { ancestorsOf, facilitiesUnder, findUnitInScope, levelLabels } from '../services/organisation/hierarchy.ts';
import type { AssigneeChoice } from '../services/plans/plan-items.ts';
import type { Actor } from '../types/actor.ts';

const STATUS_TITLES: Record<ListStatus, string> = { open: 'Open events', closed: 'Closed events', cancelled: 'Cancelled events', all: 'All events' };

interface TableState {
  status?: ListStatus;
  selected: string[];
  choices?: AssigneeChoice[];
  assigneeId?: string;
  errors?: Record<string, string>;
}

/** A unit's events table (GET /units/:id/events, and again after a bulk reassignment form); open
 *  events carry the selection, the assignee choices and any errors of reassignment. */
export async function unitEventsTable(actor: Actor, unit: OrgUnit, state: TableState, code = 200): Promise<Outcome> {
  const status = state.status ?? 'open';
  const facilities = unit.kind === 'facility' ? [unit] : await facilitiesUnder(unit);
  const list = await eventList(actor.client, { status, facilityIds: facilities.map((f) => f.id) });
  return view('plans/events', {
    title: `${STATUS_TITLES[status]}: ${unit.name}`,
    heading: STATUS_TITLES[status],
    unit,
    ancestors: await ancestorsOf(unit),
    status,
    rows: list.rows,
    total: list.total,
    labels: levelLabels(actor.client),
    selected: state.selected,
    reassignChoices: state.choices,
    reassignTo: state.assigneeId ?? '',
    errors: state.errors ?? {},
  }, code);
}

export function eventListsController() {
  return {
    // GET /units/:id/events?status=open|closed|cancelled|all — a facility's events, or the
    // roll-up of a region or division; open ones by default.
    async events(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.view');
      const unit = await findUnitInScope(String(req.params.id));
      const status = isListStatus(req.query.status) ? req.query.status : 'open';
      // On a facility's open table the people who may take its events are known at once; a
      // roll-up asks for them once rows are ticked (they must cover every selected event's facility).
      const offerChoices = status === 'open' && unit.kind === 'facility' && can(actor.user, 'events.reassign');
      return unitEventsTable(actor, unit, { status, selected: [], choices: offerChoices ? await usersCovering([unit.id]) : undefined });
    },
  };
}
