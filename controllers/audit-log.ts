import type { Request } from 'express';
import { displayZone } from '../lib/display-dates.ts';
import { z } from 'zod';
import { isValidDate } from '../lib/calendar-dates.ts';
import type { FieldErrors } from '../lib/errors.ts';
import { parseForm } from '../lib/forms.ts';
import type { Actor } from '../types/actor.ts';
import { type Outcome, table, view } from '../lib/outcomes.ts';
import { authorize } from '../policies/index.ts';
import {
  AUDIT_PAGE_SIZE, type AuditFilters, auditPage, checkFilters, exportAuditLog, filterOptions, filterQuery,
} from '../services/audit/viewer.ts';
import type { ExportFormat } from '../types/table.ts';
import { UUID_PATTERN as UUID } from '../lib/uuid.ts';

const ACTOR = /^(user:|staff:)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$|^(system|anonymous)$/i;

/** An optional single text value: blank means "no filter"; a repeated parameter (an array) fails
 *  the string check with the message given. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === 'string' ? (v.trim() === '' ? undefined : v.trim()) : v), schema.optional());
const single = (message: string) => z.string({ error: message });

const filterForm = z.object({
  from: optional(single('Enter one start date.').refine(isValidDate, 'Enter the start date as a date like 2026-03-31.')),
  to: optional(single('Enter one end date.').refine(isValidDate, 'Enter the end date as a date like 2026-03-31.')),
  actor: optional(single('Choose one actor.').regex(ACTOR, 'Choose an actor from the list.')),
  action: optional(single('Choose one action.').max(100, 'Choose an action from the list.')),
  entityType: optional(single('Choose one entity type.').max(100, 'Choose an entity type from the list.')),
  entityId: optional(single('Enter one entity id.').regex(UUID, 'Enter the entity id as a UUID, like 0b8e5f52-2c1d-4c59-9a43-6f1e1f0c7a10.')),
  before: optional(single('That page link is not valid.').regex(/^[1-9][0-9]{0,17}$/, 'That page link is not valid.')),
});
const ECHOED = ['from', 'to', 'actor', 'action', 'entityType', 'entityId'] as const;

type Parsed = { ok: true; filters: AuditFilters; before: string | null } | { ok: false; values: AuditFilters; errors: FieldErrors };

export function auditLogController() {
  /** The query string through its allowlist, then the checks that need the client's choices. */
  async function readFilters(req: Request, options: Awaited<ReturnType<typeof filterOptions>>): Promise<Parsed> {
    const form = parseForm(filterForm, req.query, [...ECHOED]);
    if (!form.ok) return { ok: false, values: form.values, errors: form.errors };
    const { before, ...filters } = form.data;
    const errors = checkFilters(filters, options);
    if (Object.keys(errors).length) return { ok: false, values: filters, errors };
    return { ok: true, filters, before: before ?? null };
  }

  function page(actor: Actor, locals: Record<string, unknown>, status = 200): Outcome {
    return view('audit/index', {
      title: 'Audit log',
      timeZone: displayZone(actor.user, actor.client),
      pageSize: AUDIT_PAGE_SIZE,
      rows: [],
      nextBefore: null,
      errors: {},
      query: '',
      ...locals,
    }, status);
  }

  async function exportAs(req: Request, actor: Actor, format: ExportFormat): Promise<Outcome> {
    authorize(actor.user, 'audit.view');
    const options = await filterOptions(actor.client);
    const parsed = await readFilters(req, options);
    if (!parsed.ok) return page(actor, { options, filter: parsed.values, errors: parsed.errors }, 422);
    return table(await exportAuditLog(actor.client, parsed.filters, format));
  }

  return {
    // GET /audit — the client's log, newest first, filtered, 100 entries a page.
    async index(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'audit.view');
      const options = await filterOptions(actor.client);
      const parsed = await readFilters(req, options);
      if (!parsed.ok) return page(actor, { options, filter: parsed.values, errors: parsed.errors }, 422);
      const result = await auditPage(actor.client, parsed.filters, parsed.before);
      return page(actor, { options, filter: parsed.filters, query: filterQuery(parsed.filters), older: Boolean(parsed.before), ...result });
    },

    // GET /audit/export.csv — the filtered log (same filters), audited.
    async exportCsv(req: Request, actor: Actor): Promise<Outcome> {
      return exportAs(req, actor, 'csv');
    },

    // GET /audit/export.xlsx — the filtered log (same filters), audited.
    async exportXlsx(req: Request, actor: Actor): Promise<Outcome> {
      return exportAs(req, actor, 'xlsx');
    },
  };
}
