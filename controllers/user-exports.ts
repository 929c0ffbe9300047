// Downloads of the users list, as CSV or XLSX, with the page's search and filters (read here for
// the page too, so the two never differ) and the same visibility rule. A search too long for the
// page is refused the same way (422).
import type { Request } from 'express';
import { ValidationError } from '../lib/errors.ts';
import { type Outcome, table } from '../lib/outcomes.ts';
import { RANKS, type Rank, type UserStatus } from '../models/user.ts';
import { authorize } from '../policies/index.ts';
import { usersExport } from '../services/organisation/user-export.ts';
import { USER_STATUSES } from '../services/organisation/users.ts';
import type { Actor } from '../types/actor.ts';
import type { ExportFormat } from '../types/table.ts';

/** The longest name or e-mail search; a longer one is refused with a message, never cut. */
const SEARCH_MAX = 100;
const queryString = (value: unknown, max = 100) => (typeof value === 'string' ? value.trim().slice(0, max) : '');

/** The list's search, rank, status and page from its query string; `qError` when the search is too long. */
export function userListFilterOf(query: Request['query']) {
  const rawQ = typeof query.q === 'string' ? query.q.trim() : '';
  const qError = rawQ.length > SEARCH_MAX ? `Search for at most ${SEARCH_MAX} characters of a name or e-mail (this search has ${rawQ.length}).` : undefined;
  const rankQuery = queryString(query.rank);
  const statusQuery = queryString(query.status);
  const rank = (RANKS as readonly string[]).includes(rankQuery) ? (rankQuery as Rank) : undefined;
  const status = (USER_STATUSES as string[]).includes(statusQuery) ? (statusQuery as UserStatus) : undefined;
  const page = Math.min(Math.max(Number.parseInt(queryString(query.page, 6), 10) || 1, 1), 10_000);
  return { rawQ, qError, q: qError ? '' : rawQ, rank, status, page };
}

/** The filters as the page's download links carry them. */
export function userListQuery(filter: { q: string; rank?: string; status?: string }): string {
  const params = new URLSearchParams();
  if (filter.q) params.set('q', filter.q);
  if (filter.rank) params.set('rank', filter.rank);
  if (filter.status) params.set('status', filter.status);
  return params.toString();
}

export function userExportsController() {
  async function download(req: Request, actor: Actor, format: ExportFormat): Promise<Outcome> {
    authorize(actor.user, 'users.view');
    const { qError, q, rank, status } = userListFilterOf(req.query);
    if (qError) throw new ValidationError({ q: qError }, qError);
    return table(usersExport(actor.client, { q: q || undefined, rank, status }, format));
  }
  return {
    // GET /users/export.csv?q=…&rank=…&status=… — the users the list shows, as CSV.
    csv: (req: Request, actor: Actor) => download(req, actor, 'csv'),
    // GET /users/export.xlsx?… — the same, as a workbook.
    xlsx: (req: Request, actor: Actor) => download(req, actor, 'xlsx'),
  };
}
