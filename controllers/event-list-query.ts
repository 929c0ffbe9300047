// The query string of every events list (a unit's events, My events) through one allowlist, and
// the one way to write a link to a filtered list: eventListHref. The dashboard, reports and
// notices link to any filtered list with it. Parsing never fails the page: each parameter that
// cannot be used is left out with a message saying so, and the list is shown without it (the
// nearest valid list).
import { z } from 'zod';
import { isValidDate } from '../lib/calendar-dates.ts';
import type { FieldErrors } from '../lib/errors.ts';
import { UUID_PATTERN } from '../lib/uuid.ts';
import { isStatusFilter, STATUS_FILTER_NAMES, STATUS_FILTERS, type StatusFilter } from '../services/events/definitions.ts';
import { DEFAULT_DIRECTION, type EventListQuery, searchTerms, SORT_KEYS, type SortDirection, type SortKey } from '../services/events/lists.ts';

/** A list's filters, sort and page, as its URL carries them. */
export interface EventListFilters {
  /** services/events/definitions.ts STATUS_FILTERS; each page has its default (open). */
  status?: StatusFilter;
  /** Text search over activity, description and the Plan Item's regulatory reference. */
  q?: string;
  /** Due dates from and to, inclusive ('YYYY-MM-DD'). */
  from?: string;
  to?: string;
  /** Completion dates from and to, inclusive. */
  completedFrom?: string;
  completedTo?: string;
  /** A facility or hierarchy node (org unit id): its facilities' events. */
  unit?: string;
  /** The assignee's user id. */
  assignee?: string;
  /** The Plan Item's category, exactly. */
  category?: string;
  sort?: SortKey;
  dir?: SortDirection;
  /** 1-based. */
  page?: number;
  /** My events only: 'all' lifts the upcoming window. */
  show?: 'all';
}

/** The parameters in the order links write them. */
export const EVENT_LIST_PARAMS = ['status', 'q', 'from', 'to', 'completedFrom', 'completedTo', 'unit', 'assignee', 'category', 'sort', 'dir', 'page', 'show'] as const;

/**
 * The link to an events list with these filters: `base` is the list's path (`/events`,
 * `/units/<id>/events`), filters left out or empty are not written, page 1 is not written.
 * eventListHref(`/units/${id}/events`, { status: 'overdue', category: 'Stormwater' })
 *   → `/units/<id>/events?status=overdue&category=Stormwater`
 */
export function eventListHref(base: string, filters: EventListFilters = {}): string {
  const parts: string[] = [];
  for (const key of EVENT_LIST_PARAMS) {
    const value = filters[key];
    if (value === undefined || value === null || value === '' || (key === 'page' && Number(value) <= 1)) continue;
    parts.push(`${key}=${encodeURIComponent(String(value))}`);
  }
  return parts.length ? `${base}${base.includes('?') ? '&' : '?'}${parts.join('&')}` : base;
}

const date = (what: string) => z.string({ error: `Enter one ${what} date.` }).refine(isValidDate, `Enter the ${what} date as a date like 2026-03-31.`);
const uuid = (what: string) => z.string({ error: `Choose one ${what}.` }).regex(UUID_PATTERN, `Choose the ${what} from the list.`).transform((id) => id.toLowerCase());
/** Blank values are no filter; values are trimmed. Repeated parameters arrive as arrays and fail
 *  the string checks with their own message. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === 'string' ? (v.trim() === '' ? undefined : v.trim()) : v), schema.optional());

const statusNames = STATUS_FILTERS.map((s) => STATUS_FILTER_NAMES[s]).join(', ');

const schema = z.strictObject({
  status: optional(z.string({ error: 'Choose one status.' }).refine(isStatusFilter, `Choose a status from the list (${statusNames}).`)),
  q: optional(z.string({ error: 'Enter one search.' }).max(200, 'A search is at most 200 characters.').regex(/^[^\u0000-\u001f\u007f]*$/, 'A search cannot hold control characters.')),
  from: optional(date('first due')),
  to: optional(date('last due')),
  completedFrom: optional(date('first completion')),
  completedTo: optional(date('last completion')),
  unit: optional(uuid('place')),
  assignee: optional(uuid('assignee')),
  category: optional(z.string({ error: 'Choose one category.' }).max(100, 'Choose the category from the list.').regex(/^[^\u0000-\u001f\u007f]*$/, 'Choose the category from the list.')),
  sort: optional(z.enum(SORT_KEYS, { error: 'Sort by one of the columns.' })),
  dir: optional(z.enum(['asc', 'desc'], { error: 'Sort ascending or descending.' })),
  page: optional(z.string({ error: 'Choose one page.' }).regex(/^[1-9][0-9]{0,5}$/, 'Page numbers are whole numbers from 1.').transform(Number)),
  show: optional(z.literal('all', { error: 'That view is not valid.' })),
}, { error: (issue) => (issue.code === 'unrecognized_keys' ? `This list has no filter named ${issue.keys.join(', ')}.` : undefined) });

export interface ParsedListQuery {
  filters: EventListFilters;
  /** Per parameter, why it was left out. */
  errors: FieldErrors;
}

/** The query string through the allowlist: every parameter that cannot be used is dropped, with
 *  its message, and the rest parsed again, so the list shown is the nearest valid one. */
export function parseEventListQuery(query: unknown): ParsedListQuery {
  const source: Record<string, unknown> = { ...((query && typeof query === 'object' ? query : {}) as Record<string, unknown>) };
  const errors: FieldErrors = {};
  let filters: EventListFilters = {};
  for (let attempt = 0; attempt <= EVENT_LIST_PARAMS.length + 1; attempt += 1) {
    const result = schema.safeParse(source);
    if (result.success) {
      filters = Object.fromEntries(Object.entries(result.data).filter(([, v]) => v !== undefined)) as EventListFilters;
      break;
    }
    for (const issue of result.error.issues) {
      const keys = issue.code === 'unrecognized_keys' ? issue.keys : [String(issue.path[0] ?? 'form')];
      for (const key of keys) {
        errors[keys.length > 1 || issue.code === 'unrecognized_keys' ? 'form' : key] ??= issue.message;
        delete source[key];
      }
    }
  }
  if (filters.from && filters.to && filters.from > filters.to) {
    errors.to = `The due dates are reversed: ${filters.to} is before ${filters.from}. The date filter was left out.`;
    delete filters.from;
    delete filters.to;
  }
  if (filters.completedFrom && filters.completedTo && filters.completedFrom > filters.completedTo) {
    errors.completedTo = `The completion dates are reversed: ${filters.completedTo} is before ${filters.completedFrom}. The completion filter was left out.`;
    delete filters.completedFrom;
    delete filters.completedTo;
  }
  if (filters.q !== undefined && searchTerms(filters.q).length === 0) {
    errors.q = 'Search for a word or a number: a search of punctuation only finds nothing, so it was left out.';
    delete filters.q;
  }
  if (filters.dir && !filters.sort) delete filters.dir;
  return { filters, errors };
}

/** Drops a filter the page's choices do not offer (another facility's assignee, a category no
 *  event here has, a unit not under the page), with its message. */
export function checkChoices(parsed: ParsedListQuery, choices: { units?: Array<{ id: string }>; assignees?: Array<{ id: string }>; categories?: string[] }): void {
  const { filters, errors } = parsed;
  if (filters.unit && !choices.units?.some((u) => u.id === filters.unit)) {
    errors.unit = choices.units ? 'That place is not one of this list’s; it was left out.' : 'This list has no place filter; it was left out.';
    delete filters.unit;
  }
  if (filters.assignee && !choices.assignees?.some((u) => u.id === filters.assignee)) {
    errors.assignee = choices.assignees ? 'Nobody by that id holds events in this list; the assignee filter was left out.' : 'My events lists only your own events; the assignee filter was left out.';
    delete filters.assignee;
  }
  if (filters.category && !choices.categories?.includes(filters.category)) {
    errors.category = `No event in this list has the category “${filters.category}”; the category filter was left out.`;
    delete filters.category;
  }
}

/** The header link of each sortable column: the current column turns around, another starts in
 *  its own direction; the other filters are kept and the page goes back to 1. */
export function sortLinks(base: string, filters: EventListFilters) {
  const dir = filters.sort ? (filters.dir ?? DEFAULT_DIRECTION[filters.sort]) : undefined;
  return {
    key: filters.sort,
    dir,
    href: (key: SortKey) => {
      const next: SortDirection = key === filters.sort ? (dir === 'asc' ? 'desc' : 'asc') : DEFAULT_DIRECTION[key];
      return eventListHref(base, { ...filters, sort: key, dir: next, page: undefined });
    },
  };
}

/** Page links of a paged list, with the other filters kept. */
export const pageLinks = (base: string, filters: EventListFilters) => (page: number) => eventListHref(base, { ...filters, page });

/** The list query these filters ask for (the page adds its own place, person and default status). */
export function listQueryOf(filters: EventListFilters, defaultStatus: StatusFilter = 'open'): EventListQuery {
  return {
    status: filters.status ?? defaultStatus,
    assigneeId: filters.assignee,
    dueFrom: filters.from,
    dueTo: filters.to,
    completedFrom: filters.completedFrom,
    completedTo: filters.completedTo,
    category: filters.category,
    search: filters.q,
    sort: filters.sort,
    direction: filters.dir,
  };
}

/** Whether anything besides status, sort, page and show narrows the list. */
export const hasFilters = (f: EventListFilters): boolean => Boolean(f.q || f.from || f.to || f.completedFrom || f.completedTo || f.unit || f.assignee || f.category);
