import type { Request } from 'express';
import type { Actor } from '../types/actor.ts';
import { type Outcome, redirect, view } from '../lib/outcomes.ts';
import { authorize } from '../policies/index.ts';
import { ancestorsOf, facilitiesInScope, facilitiesUnder, findUnitInScope, hierarchyTree, levelLabels } from '../services/organisation/hierarchy.ts';

export function unitsController() {
  return {
    // GET /units — the hierarchy within the user's scope, with the facility selector.
    async index(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'hierarchy.view');
      const showInactive = req.query.inactive === '1';
      return view('units/index', {
        title: 'Organisation',
        tree: await hierarchyTree({ includeInactive: showInactive }),
        facilities: await facilitiesInScope(),
        labels: levelLabels(actor.client),
        showInactive,
      });
    },

    // GET /units/select?unit=… — the selector's form target, so it works without script.
    async select(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'hierarchy.view');
      const unit = await findUnitInScope(typeof req.query.unit === 'string' ? req.query.unit : '');
      return redirect(`/units/${unit.id}`);
    },

    // GET /units/:id — a facility, or the roll-up of a region or division.
    async show(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'hierarchy.view');
      const unit = await findUnitInScope(String(req.params.id));
      return view('units/show', {
        title: unit.name,
        unit,
        ancestors: await ancestorsOf(unit),
        facilities: unit.kind === 'facility' ? [] : await facilitiesUnder(unit, { includeInactive: true }),
        selectorFacilities: await facilitiesInScope(),
        labels: levelLabels(actor.client),
        timeZone: unit.timeZone ?? actor.client.timeZone,
      });
    },
  };
}
