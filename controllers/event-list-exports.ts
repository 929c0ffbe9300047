// Downloads of the events lists: a unit's events (a facility's, or a roll-up) and My events, as
// CSV or XLSX, with the page's own filters and sort (the same parsing, the same query), every
// matching row rather than one page. Authorized exactly as the page; a unit outside the scope is a
// 404; a filter the page would leave out refuses the download with the page and its message (422).
import type { Request } from 'express';
import { type Outcome, table } from '../lib/outcomes.ts';
import { authorize } from '../policies/index.ts';
import { eventListExport } from '../services/events/list-export.ts';
import { isListStatus, MY_EVENTS_DAYS } from '../services/events/lists.ts';
import { findFacilityInScope, findUnitInScope } from '../services/organisation/hierarchy.ts';
import { findPlanItemInScope } from '../services/plans/plan-items.ts';
import type { Actor } from '../types/actor.ts';
import type { ExportFormat } from '../types/table.ts';
import { STATUS_TITLES, unitEventsTable, unitList } from './event-lists.ts';
import { eventsController, myEventsList } from './events.ts';

/** The filters as the audit entry records them (the page number is no filter). */
const recorded = (filters: object) => Object.fromEntries(Object.entries(filters).filter(([key]) => key !== 'page'));

export function eventListExportsController() {
  async function unitEvents(req: Request, actor: Actor, format: ExportFormat): Promise<Outcome> {
    authorize(actor.user, 'plans.view');
    const unit = await findUnitInScope(String(req.params.id));
    const list = await unitList(actor, unit, req.query);
    if (Object.keys(list.errors).length) return unitEventsTable(actor, unit, { query: req.query, list, selected: [] });
    const title = STATUS_TITLES[list.query.status];
    return table(eventListExport(actor.client, list.query, format, { title, place: unit.name, unitId: unit.id, filters: recorded(list.filters) }));
  }

  async function myEvents(req: Request, actor: Actor, format: ExportFormat): Promise<Outcome> {
    const mine = await myEventsList(actor, req.query);
    if (Object.keys(mine.errors).length) return eventsController().mine(req, actor);
    const query = { ...mine.query, dueWithinDays: mine.windowed ? MY_EVENTS_DAYS : undefined };
    return table(eventListExport(actor.client, query, format, { title: 'My events', unitId: null, filters: recorded(mine.filters) }));
  }

  async function planItemEvents(req: Request, actor: Actor, format: ExportFormat): Promise<Outcome> {
    authorize(actor.user, 'plans.view');
    const item = await findPlanItemInScope(String(req.params.id));
    await findFacilityInScope(item.facilityId);
    // As the Plan Item page reads it: an unknown status is all of them.
    const status = isListStatus(req.query.status) ? req.query.status : 'all';
    return table(eventListExport(actor.client, { status, planItemId: item.id }, format, {
      title: `${STATUS_TITLES[status]} of ${item.activity}`, unitId: item.facilityId, filters: { planItem: item.id, status },
    }));
  }

  return {
    // GET /plan-items/:id/events/export.csv?status=… — a Plan Item's events, as on its page.
    planItemCsv: (req: Request, actor: Actor) => planItemEvents(req, actor, 'csv'),
    // GET /plan-items/:id/events/export.xlsx?status=… — the same, as a workbook.
    planItemXlsx: (req: Request, actor: Actor) => planItemEvents(req, actor, 'xlsx'),
    // GET /units/:id/events/export.csv?status=…&q=…&sort=… — the unit's list, every matching event.
    unitCsv: (req: Request, actor: Actor) => unitEvents(req, actor, 'csv'),
    // GET /units/:id/events/export.xlsx?… — the same, as a workbook.
    unitXlsx: (req: Request, actor: Actor) => unitEvents(req, actor, 'xlsx'),
    // GET /events/export.csv?… — My events with the page's filters and window.
    mineCsv: (req: Request, actor: Actor) => myEvents(req, actor, 'csv'),
    // GET /events/export.xlsx?… — the same, as a workbook.
    mineXlsx: (req: Request, actor: Actor) => myEvents(req, actor, 'xlsx'),
  };
}
