import type { Request } from 'express';
import type { Actor } from '../types/actor.ts';
import { type Outcome, redirect, table, view } from '../lib/outcomes.ts';
import { authorize } from '../policies/index.ts';
import { ancestorsOf, facilitiesInScope, facilitiesUnder, findUnitInScope, hierarchyTree, levelLabels } from '../services/organisation/hierarchy.ts';
import { hierarchyExport } from '../services/organisation/hierarchy-export.ts';
import type { ExportFormat } from '../types/table.ts';

export function unitsController() {
  async function download(req: Request, actor: Actor, format: ExportFormat): Promise<Outcome> {
    authorize(actor.user, 'hierarchy.view');
    return table(await hierarchyExport(actor.client, { includeInactive: req.query.inactive === '1' }, format));
  }

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

    // GET /units/export.csv?inactive=1 — the hierarchy the page shows, as CSV.
    exportCsv: (req: Request, actor: Actor) => download(req, actor, 'csv'),
    // GET /units/export.xlsx?inactive=1 — the same, as a workbook.
    exportXlsx: (req: Request, actor: Actor) => download(req, actor, 'xlsx'),

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
