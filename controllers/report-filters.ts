// The one allowlist of GET parameters every report reads (DESIGN.md §7): hierarchy node,
// facility, due-date range, assignee, category, page, and the on-time report's grouping and the
// document finder's search and uploader. Anything else in the query string is ignored. A value
// that names nothing the user may filter by, a reversed range or a search of punctuation alone
// gives a message and the unfiltered report; a node outside the user's scope is a 404.
import { z } from 'zod';
import { isValidDate } from '../lib/calendar-dates.ts';
import { isUuid } from '../lib/uuid.ts';
import type { OrgUnit } from '../models/index.ts';
import { currentScope, facilitiesUnder, findUnitInScope, hierarchyTree, type TreeNode } from '../services/organisation/hierarchy.ts';
import { type Choice, filterChoices, NO_FILTER, PERFORMANCE_GROUPINGS, type ReportFilter } from '../services/reports/filters.ts';

/** The highest page number the parser accepts at all (the report then checks its own last page). */
const PAGE_MAX = 100_000;
export const SEARCH_MAX = 100;
const CATEGORY_MAX = 100;

/** An empty field is no filter; an array (a repeated parameter) or anything but text is refused. */
const blankToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blankToUndefined, schema.optional());
const id = (label: string) => optional(z.string({ error: `${label}: choose one from the list.` }).refine(isUuid, `${label}: choose one from the list.`));
const date = (label: string) =>
  optional(z.string({ error: `${label} must be a date (YYYY-MM-DD).` }).trim().refine((v) => /^\d{4}-\d{2}-\d{2}$/.test(v) && isValidDate(v), `${label} must be a date (YYYY-MM-DD).`));

export const reportQuerySchema = z.object({
  node: id('Unit'),
  facility: id('Facility'),
  from: date('Due from'),
  to: date('Due to'),
  assignee: id('Assignee'),
  category: optional(z.string({ error: 'Category: choose one from the list.' }).trim().max(CATEGORY_MAX, 'Category: choose one from the list.')),
  uploader: id('Uploaded by'),
  q: optional(
    z.string({ error: 'Search for part of a file name.' }).trim()
      .max(SEARCH_MAX, `Search for at most ${SEARCH_MAX} characters.`)
      .refine((v) => /[\p{L}\p{N}]/u.test(v), 'Search for letters or digits of a file name, not only punctuation.'),
  ),
  page: optional(z.string({ error: 'Page must be a whole number.' }).trim().regex(/^\d{1,6}$/, 'Page must be a whole number.').transform(Number)
    .refine((n) => n >= 1 && n <= PAGE_MAX, 'Page must be 1 or more.')),
  by: optional(z.enum(PERFORMANCE_GROUPINGS, { error: 'Group by facility, division, region or assignee.' })),
});
export type ReportQuery = z.infer<typeof reportQuerySchema>;

/** What the filter form shows: the values in effect, as text. */
export type FilterValues = Record<'node' | 'facility' | 'from' | 'to' | 'assignee' | 'category' | 'uploader' | 'q' | 'by', string>;

export interface FilterForm {
  values: FilterValues;
  /** Regions and divisions in scope (by kind, indented by depth), facilities in scope. */
  nodes: Array<{ id: string; name: string; kind: string; depth: number }>;
  facilities: Choice[];
  assignees: Choice[];
  uploaders: Choice[];
  categories: string[];
}

export interface ParsedReportFilter {
  filter: ReportFilter;
  form: FilterForm;
  /** Why the report is unfiltered, for the page. */
  messages: string[];
}

const EMPTY_VALUES: FilterValues = { node: '', facility: '', from: '', to: '', assignee: '', category: '', uploader: '', q: '', by: '' };

function flatten(nodes: TreeNode[], depth = 0, out: FilterForm['nodes'] = [], facilities: Choice[] = []) {
  for (const n of nodes) {
    if (n.inScope && n.unit.kind !== 'facility') out.push({ id: n.unit.id, name: n.unit.name, kind: n.unit.kind, depth });
    if (n.inScope && n.unit.kind === 'facility') facilities.push({ id: n.unit.id, name: n.unit.name });
    flatten(n.children, depth + 1, out, facilities);
  }
  return { nodes: out, facilities };
}

/**
 * The report filter a query string asks for. Throws NotFoundError for a node or facility outside
 * the scope (or of another client); every other problem is a message, and the filter is dropped.
 */
export async function parseReportFilter(query: unknown): Promise<ParsedReportFilter> {
  const source = (query && typeof query === 'object' ? query : {}) as Record<string, unknown>;
  // One after another: they share the unit of work's one connection.
  const tree = await hierarchyTree({ includeInactive: true });
  const scope = await currentScope();
  const { nodes, facilities } = flatten(tree);
  facilities.sort((a, b) => a.name.localeCompare(b.name));
  const scopeFacilityIds = scope.whole ? null : facilities.map((f) => f.id);
  const choices = await filterChoices(scopeFacilityIds);
  const form: FilterForm = { values: { ...EMPTY_VALUES }, nodes, facilities, ...choices };
  const unfiltered = (messages: string[], by = NO_FILTER.by): ParsedReportFilter => ({ filter: { ...NO_FILTER, scopeFacilityIds, by }, form: { ...form, values: { ...EMPTY_VALUES, by } }, messages });

  // Visibility first: a node or facility outside the scope is a 404, whatever else is wrong.
  const node: OrgUnit | undefined = isUuid(source.node) ? await findUnitInScope(source.node) : undefined;
  const facility: OrgUnit | undefined = isUuid(source.facility) ? await findUnitInScope(source.facility) : undefined;
  const parsed = reportQuerySchema.safeParse(source);
  if (!parsed.success) {
    const messages = [...new Set(parsed.error.issues.map((i) => i.message))];
    // A bad grouping alone still leaves the rest of the filter unread: the page says why.
    return unfiltered(messages);
  }
  const q = parsed.data;
  const by = q.by ?? NO_FILTER.by;
  const messages: string[] = [];
  if (facility && facility.kind !== 'facility') messages.push('Facility: choose one from the list.');
  let facilityIds: string[] | null = null;
  if (node) facilityIds = node.kind === 'facility' ? [node.id] : (await facilitiesUnder(node, { includeInactive: true })).map((f) => f.id);
  if (facility && facility.kind === 'facility') {
    if (facilityIds && !facilityIds.includes(facility.id)) messages.push(`${facility.name} is not in ${node!.name}.`);
    facilityIds = [facility.id];
  }
  if (q.assignee && !choices.assignees.some((u) => u.id === q.assignee)) messages.push('Assignee: choose one from the list.');
  if (q.uploader && !choices.uploaders.some((u) => u.id === q.uploader)) messages.push('Uploaded by: choose one from the list.');
  if (q.category && !choices.categories.includes(q.category)) messages.push('Category: choose one from the list.');
  if (q.from && q.to && q.from > q.to) messages.push('The due-date range ends before it starts: “Due from” must be on or before “Due to”.');
  if (messages.length) return unfiltered(messages, by);

  const filter: ReportFilter = { facilityIds, scopeFacilityIds, from: q.from, to: q.to, assigneeId: q.assignee, category: q.category, search: q.q, uploaderId: q.uploader, page: q.page ?? 1, by };
  const values: FilterValues = {
    node: q.node ?? '', facility: q.facility ?? '', from: q.from ?? '', to: q.to ?? '', assignee: q.assignee ?? '',
    category: q.category ?? '', uploader: q.uploader ?? '', q: q.q ?? '', by: q.by ?? '',
  };
  return { filter, form: { ...form, values }, messages };
}

/** The query string of the filter in effect, for pager and cross-report links (page left out). */
export function filterQuery(values: FilterValues, extra: Record<string, string | number> = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v) params.set(k, v);
  for (const [k, v] of Object.entries(extra)) params.set(k, String(v));
  const text = params.toString();
  return text ? `?${text}` : '';
}
