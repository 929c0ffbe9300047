// What every report is filtered by, once the controller's parser (controllers/report-filters.ts)
// has checked it, and the SQL pieces that apply it. Row-level security already confines rows to
// the user's scope; these filters only narrow within it.
import { sql } from '../../lib/unit-of-work.ts';
import type { Client } from '../../models/index.ts';

/** Rows per report page. */
export const REPORT_PAGE_SIZE = 50;

export const PERFORMANCE_GROUPINGS = ['facility', 'division', 'region', 'assignee'] as const;
export type PerformanceGrouping = (typeof PERFORMANCE_GROUPINGS)[number];

export interface ReportFilter {
  /** The facilities a hierarchy node or facility filter leaves; null: everything in scope. */
  facilityIds: string[] | null;
  /**
   * The facilities the user's scope covers (null: the whole client). Row-level security confines
   * every report to them anyway; naming them lets the planner read only their rows, through an
   * index leading with (client_id, facility_id), rather than filter every row of the client.
   */
  scopeFacilityIds: string[] | null;
  /** Inclusive due-date range ('YYYY-MM-DD'). */
  from?: string;
  to?: string;
  assigneeId?: string;
  category?: string;
  /** Document finder: part of a file name, and who uploaded it. */
  search?: string;
  uploaderId?: string;
  page: number;
  by: PerformanceGrouping;
}

export const NO_FILTER: ReportFilter = { facilityIds: null, scopeFacilityIds: null, page: 1, by: 'facility' };

/** A report's page of rows and the count of every row that matched. */
export interface ReportPage<T> {
  rows: T[];
  total: number;
  page: number;
  pages: number;
}

export const pageCount = (total: number): number => Math.max(1, Math.ceil(total / REPORT_PAGE_SIZE));
export const offsetOf = (page: number): number => (page - 1) * REPORT_PAGE_SIZE;

/** A page number past the last page of `total` rows. */
export class PageOutOfRange extends Error {
  constructor(readonly page: number, readonly pages: number) {
    super(`Page ${page} is past the last page (${pages}).`);
  }
}

/** Refuses a page past the end (page 1 of nothing is fine: it says "no rows"). */
export function checkPage(page: number, total: number): number {
  const pages = pageCount(total);
  if (page > pages) throw new PageOutOfRange(page, pages);
  return pages;
}

/**
 * Builds a query's WHERE clause and its bound parameters. `e` is the events alias (or another
 * table with facility_id, due_date and assignee_id columns); `p` a joined plan_items alias for the
 * category. PostgreSQL must know each parameter's type, so each is cast where it is used.
 */
export class SqlFilter {
  private readonly clauses: string[] = [];

  /** `params`: another filter's, when both are parts of one statement. */
  constructor(readonly params: unknown[] = []) {}

  /** A filter of its own clauses, numbering its parameters after this one's (one statement). */
  sibling(): SqlFilter {
    return new SqlFilter(this.params);
  }

  param(value: unknown): string {
    return `$${this.params.push(value)}`;
  }

  where(clause: string): this {
    this.clauses.push(clause);
    return this;
  }

  /**
   * The facility, assignee and category filters (not the date range: each report says which date
   * it ranges). Without a facility filter, a scope narrower than the client is named all the same.
   */
  scope(filter: ReportFilter, aliases: { facility: string; assignee?: string; category?: string }): this {
    const facilities = filter.facilityIds ?? filter.scopeFacilityIds;
    if (facilities) this.where(`${aliases.facility} = ANY (${this.param(facilities)}::uuid[])`);
    if (filter.assigneeId && aliases.assignee) this.where(`${aliases.assignee} = ${this.param(filter.assigneeId)}::uuid`);
    if (filter.category && aliases.category) this.where(`${aliases.category} = ${this.param(filter.category)}::text`);
    return this;
  }

  /** `column` (a date) within the filter's range. */
  range(filter: ReportFilter, column: string): this {
    if (filter.from) this.where(`${column} >= ${this.param(filter.from)}::date`);
    if (filter.to) this.where(`${column} <= ${this.param(filter.to)}::date`);
    return this;
  }

  get sql(): string {
    return this.clauses.length ? this.clauses.join(' AND ') : 'true';
  }
}

/** SQL for the facility's today at `now` (`f` the facility's alias), with the parameters it binds. */
export function facilityToday(filter: SqlFilter, client: Client, now: Date, f = 'f'): string {
  return `((${filter.param(now.toISOString())}::timestamptz AT TIME ZONE coalesce(${f}.time_zone, ${filter.param(client.timeZone)}::text))::date)`;
}

/** Whether a report's open events may be counted from facility_people's open_events: no range
 *  of dates and no category narrows them (a facility and an assignee are its keys). */
export const countsOpenFromPeople = (filter: ReportFilter): boolean => !filter.from && !filter.to && !filter.category;

/** The sum of facility_people's open events in the filter's scope (alias `w`) as an SQL scalar subquery. */
export function openFromPeopleSql(f: SqlFilter, filter: ReportFilter): string {
  const w = f.sibling().where('w.client_id = app_current_client()').scope(filter, { facility: 'w.facility_id', assignee: 'w.person_id' });
  return `(SELECT coalesce(sum(w.open_events), 0) FROM facility_people w WHERE ${w.sql})`;
}

export interface Choice {
  id: string;
  name: string;
}

/** The filter form's choices, all within the scope: people who hold or held work in it, people
 *  who uploaded documents in it (both from facility_people, which counts them per facility), and
 *  the categories its Plan Items use. */
export async function filterChoices(scopeFacilityIds: string[] | null = null): Promise<{ assignees: Choice[]; uploaders: Choice[]; categories: string[] }> {
  // A narrow scope's facilities named, as the reports name them (ReportFilter.scopeFacilityIds).
  const inScope = (column: string) => (scopeFacilityIds ? `AND ${column} = ANY ($1::uuid[])` : '');
  // One statement: who appears as what, each person once, in name order; and the categories.
  const params = scopeFacilityIds ? [scopeFacilityIds] : [];
  const [row] = await sql<{ people: Array<Choice & { assignee: boolean; uploader: boolean }>; categories: string[] | null }>(
    `SELECT (SELECT coalesce(json_agg(x), '[]') FROM (
              SELECT u.id, u.name, a.assignee, a.uploader
                FROM (SELECT person_id, bool_or(assignee) AS assignee, bool_or(uploader) AS uploader
                        FROM (SELECT p.assignee_id AS person_id, true AS assignee, false AS uploader FROM plan_items p
                               WHERE p.client_id = app_current_client() ${inScope('p.facility_id')}
                              UNION ALL
                              SELECT w.person_id, w.events > 0, w.documents > 0 FROM facility_people w
                               WHERE w.client_id = app_current_client() AND (w.events > 0 OR w.documents > 0) ${inScope('w.facility_id')}) appears
                       GROUP BY person_id) a
                JOIN users u ON u.client_id = app_current_client() AND u.id = a.person_id
               ORDER BY lower(u.name), u.id) x) AS people,
            (SELECT array_agg(DISTINCT p.category ORDER BY p.category) FROM plan_items p
              WHERE p.client_id = app_current_client() AND p.category IS NOT NULL ${inScope('p.facility_id')}) AS categories`,
    params,
  );
  const people = row!.people;
  const choice = ({ id, name }: Choice): Choice => ({ id, name });
  return { assignees: people.filter((p) => p.assignee).map(choice), uploaders: people.filter((p) => p.uploader).map(choice), categories: row?.categories ?? [] };
}
