// Downloads of the management plan (a facility's, or the roll-up of a region or division): the
// plan table with the page's filters, as CSV or XLSX. The filters are read here for the page too,
// so the two never differ. Authorized exactly as the page; a unit outside the scope is a 404.
import type { Request } from 'express';
import { type Outcome, table } from '../lib/outcomes.ts';
import { authorize } from '../policies/index.ts';
import { facilitiesUnder, findUnitInScope } from '../services/organisation/hierarchy.ts';
import { type PlanFilter, planExport } from '../services/plans/plan-export.ts';
import { CATEGORY_MAX } from '../services/plans/plan-items.ts';
import type { Actor } from '../types/actor.ts';
import type { ExportFormat } from '../types/table.ts';

/** The plan table's filters from its query string: anything else reads as "no filter". */
export function planFilterOf(query: Request['query']): PlanFilter & { category: string } {
  const category = typeof query.category === 'string' && query.category.length <= CATEGORY_MAX ? query.category : '';
  const status = query.status === 'active' || query.status === 'inactive' ? query.status : undefined;
  return { showHidden: query.hidden === '1', category, status };
}

/** The filters as the page's download links carry them. */
export function planFilterQuery(filter: PlanFilter): string {
  const params = new URLSearchParams();
  if (filter.showHidden) params.set('hidden', '1');
  if (filter.category) params.set('category', filter.category);
  if (filter.status) params.set('status', filter.status);
  return params.toString();
}

export function planExportsController() {
  async function download(req: Request, actor: Actor, format: ExportFormat): Promise<Outcome> {
    authorize(actor.user, 'plans.view');
    const unit = await findUnitInScope(String(req.params.id));
    const facilities = unit.kind === 'facility' ? [unit] : await facilitiesUnder(unit);
    const filter = planFilterOf(req.query);
    return table(planExport(actor.client, unit, facilities, { ...filter, category: filter.category || undefined }, format));
  }
  return {
    // GET /units/:id/plan/export.csv?hidden=1&category=…&status=… — the plan table as CSV.
    csv: (req: Request, actor: Actor) => download(req, actor, 'csv'),
    // GET /units/:id/plan/export.xlsx?… — the same, as a workbook.
    xlsx: (req: Request, actor: Actor) => download(req, actor, 'xlsx'),
  };
}
