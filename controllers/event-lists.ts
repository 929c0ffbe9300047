// Lists of events across a facility, or rolled up over a region or division: filtered, sorted and
// paged through the one query string (event-list-query.ts), with bulk reassignment of ticked rows
// or of every open event matching the filters.
import type { Request } from 'express';
import type { FieldErrors } from '../lib/errors.ts';
import { type Outcome, view } from '../lib/outcomes.ts';
import { OrgUnit } from '../models/index.ts';
import { authorize, can } from '../policies/index.ts';
import { OPEN_STATUS_FILTERS, STATUS_FILTER_NAMES, STATUS_FILTERS } from '../services/events/definitions.ts';
import { type EventListQuery, eventPage, filterChoices, type ListStatus } from '../services/events/lists.ts';
import { BULK_REASSIGN_MAX } from '../services/events/reassignment.ts';
import { ancestorsOf, facilitiesUnder, findUnitInScope, hierarchyTree, levelLabels, type TreeNode } from '../services/organisation/hierarchy.ts';
import type { AssigneeChoice } from '../services/plans/plan-items.ts';
import type { Actor } from '../types/actor.ts';
import { checkChoices, type EventListFilters, eventListHref, hasFilters, listQueryOf, pageLinks, parseEventListQuery, sortLinks } from './event-list-query.ts';

export const STATUS_TITLES: Record<ListStatus, string> = {
  open: 'Open events', overdue: 'Overdue events', due_soon: 'Events due soon', upcoming: 'Upcoming events', closed: 'Closed events',
  closed_late: 'Events closed late', recorded_late: 'Events recorded late', cancelled: 'Cancelled events', all: 'All events',
};

/** A unit's list as its query string asks for it: the filters kept, why others were left out, the
 *  list query (confined to the unit's facilities), the choices the filter form offers and, when
 *  asked for, who may take the events of a facility's open list. */
export interface UnitList {
  base: string;
  filters: EventListFilters;
  errors: FieldErrors;
  query: EventListQuery & { facilityIds: string[] };
  choices: { units: Array<{ id: string; text: string }>; assignees: Array<{ id: string; name: string }>; categories: string[] };
  takers?: AssigneeChoice[];
}

/** The units below `unit` in the visible tree, each labelled with its level. */
function unitsBelow(tree: TreeNode[], unitId: string, labels: Record<string, string>): Array<{ id: string; text: string }> {
  const find = (nodes: TreeNode[]): TreeNode | undefined => {
    for (const n of nodes) {
      const found = n.unit.id === unitId ? n : find(n.children);
      if (found) return found;
    }
    return undefined;
  };
  const out: Array<{ id: string; text: string }> = [];
  const walk = (nodes: TreeNode[], depth: number) => {
    for (const n of nodes) {
      if (n.inScope) out.push({ id: n.unit.id, text: `${'– '.repeat(depth)}${labels[n.unit.kind]}: ${n.unit.name}` });
      walk(n.children, depth + 1);
    }
  };
  walk(find(tree)?.children ?? [], 0);
  return out;
}

/** `takers`: also read who may take the events, when the list is a facility's open one and the
 *  user may reassign (read with the filter choices, in the same statement). */
export async function unitList(actor: Actor, unit: OrgUnit, rawQuery: unknown, options: { takers?: boolean } = {}): Promise<UnitList> {
  const base = `/units/${unit.id}/events`;
  const parsed = parseEventListQuery(rawQuery);
  if (parsed.filters.show) {
    delete parsed.filters.show;
    parsed.errors.show = 'That view belongs to My events; it was left out.';
  }
  const facilities = unit.kind === 'facility' ? [unit] : await facilitiesUnder(unit);
  const pageIds = facilities.map((f) => f.id);
  const units = unit.kind === 'facility' ? [] : unitsBelow(await hierarchyTree(), unit.id, levelLabels(actor.client));
  // On a facility's open table the people who may take its events are known at once; a roll-up
  // asks for them once rows are ticked (they must cover every selected event's facility).
  const open = (OPEN_STATUS_FILTERS as readonly string[]).includes(listQueryOf(parsed.filters).status);
  const takersOf = options.takers && open && unit.kind === 'facility' && can(actor.user, 'events.reassign') ? unit.id : undefined;
  const { assignees, categories, takers } = await filterChoices(pageIds, undefined, { takersOf });
  checkChoices(parsed, { units: [{ id: unit.id }, ...units], assignees, categories });
  let facilityIds = pageIds;
  const chosen = parsed.filters.unit && parsed.filters.unit !== unit.id ? await OrgUnit.findByPk(parsed.filters.unit) : null;
  if (chosen) {
    const under = new Set((await facilitiesUnder(chosen)).map((f) => f.id));
    facilityIds = pageIds.filter((id) => under.has(id));
  }
  if (parsed.filters.unit === unit.id) delete parsed.filters.unit;
  return { base, ...parsed, query: { ...listQueryOf(parsed.filters), facilityIds }, choices: { units, assignees, categories }, takers: takersOf ? takers : undefined };
}

interface TableState {
  /** The list's query string (req.query of the page, or of the reassignment form's action). */
  query: unknown;
  selected: string[];
  choices?: AssigneeChoice[];
  assigneeId?: string;
  errors?: Record<string, string>;
  /** "Reassign all matching": the count to confirm and who may take them all. */
  matching?: { count: number; choices: AssigneeChoice[]; assigneeId?: string };
  /** The list as already worked out by the caller. */
  list?: UnitList;
  /** Shown after a reassignment form: the filters as a link back to the list, not a form. */
  posted?: boolean;
}

/** A unit's events table (GET /units/:id/events, and again after a bulk reassignment form); open
 *  events carry the selection, the assignee choices and any errors of reassignment. Refused
 *  filters answer 422 with the list shown without them. */
export async function unitEventsTable(actor: Actor, unit: OrgUnit, state: TableState, code = 200): Promise<Outcome> {
  const list = state.list ?? await unitList(actor, unit, state.query);
  const { filters, query, base } = list;
  const status = query.status;
  const page = await eventPage(actor.client, query, filters.page ?? 1);
  const notices: string[] = [];
  if (filters.page && page.page !== filters.page) notices.push(`There is no page ${filters.page} of this list; showing page ${page.page}, the last.`);
  const openView = (OPEN_STATUS_FILTERS as readonly string[]).includes(status);
  const listCode = Object.keys(list.errors).length ? 422 : code;
  return view('plans/events', {
    title: `${STATUS_TITLES[status]}: ${unit.name}`,
    heading: STATUS_TITLES[status],
    unit,
    ancestors: await ancestorsOf(unit),
    status,
    openView,
    rows: page.rows,
    total: page.total,
    paging: { ...page, href: pageLinks(base, filters) },
    sorting: sortLinks(base, filters),
    base,
    filters,
    filterErrors: list.errors,
    filterChoices: list.choices,
    statusChoices: STATUS_FILTERS.map((s) => ({ value: s, text: STATUS_FILTER_NAMES[s] })),
    filtered: hasFilters(filters),
    posted: state.posted ?? false,
    listHref: eventListHref(base, filters),
    tabBase: eventListHref(base, { ...filters, status: undefined, page: undefined }),
    actionQuery: eventListHref('', { ...filters, page: undefined }),
    exportQuery: eventListHref('', { ...filters, page: undefined }).replace(/^\?/, ''),
    notices,
    labels: levelLabels(actor.client),
    selected: state.selected,
    reassignChoices: state.choices,
    reassignTo: state.assigneeId ?? '',
    matching: state.matching,
    bulkMax: BULK_REASSIGN_MAX,
    errors: state.errors ?? {},
  }, listCode === 200 ? code : Math.max(code, listCode));
}

export function eventListsController() {
  return {
    // GET /units/:id/events?status=…&q=…&from=…&to=…&unit=…&assignee=…&category=…&sort=…&dir=…&page=…
    // — a facility's events, or the roll-up of a region or division; open ones by default.
    async events(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.view');
      const unit = await findUnitInScope(String(req.params.id));
      const list = await unitList(actor, unit, req.query, { takers: true });
      return unitEventsTable(actor, unit, { query: req.query, list, selected: [], choices: list.takers });
    },
  };
}
