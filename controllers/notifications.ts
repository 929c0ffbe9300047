// The client's notification ledger for Administrators (and staff inside a support session, who
// act as one): every notice to everyone, filtered, with CSV and XLSX downloads of the same rows.
import type { Request } from 'express';
import { displayZone } from '../lib/display-dates.ts';
import { z } from 'zod';
import { isValidDate } from '../lib/calendar-dates.ts';
import type { FieldErrors } from '../lib/errors.ts';
import { parseForm } from '../lib/forms.ts';
import { type Outcome, table, view } from '../lib/outcomes.ts';
import { UUID_PATTERN as UUID } from '../lib/uuid.ts';
import { authorize } from '../policies/index.ts';
import {
  checkLedgerFilters, exportLedger, KIND_LABELS, LEDGER_PAGE_SIZE, type LedgerFilters, ledgerPage, ledgerQuery,
  NOTIFICATION_KINDS, NOTIFICATION_STATUSES, type RecipientOption, recipientOptions, STATUS_LABELS,
} from '../services/notifications/ledger.ts';
import type { Actor } from '../types/actor.ts';
import type { ExportFormat } from '../types/table.ts';

/** An optional single value from the query string: blank means "no filter"; a repeated
 *  parameter (an array) fails the string check with the message given. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === 'string' ? (v.trim() === '' ? undefined : v.trim()) : v), schema.optional());
const single = (message: string) => z.string({ error: message });

const filterForm = z.object({
  kind: optional(z.enum(NOTIFICATION_KINDS, { error: 'Choose a kind from the list.' })),
  status: optional(z.enum(NOTIFICATION_STATUSES, { error: 'Choose a status from the list.' })),
  recipient: optional(single('Choose one recipient.').regex(UUID, 'Choose a recipient from the list.')),
  from: optional(single('Enter one start date.').refine(isValidDate, 'Enter the start date as a date like 2026-03-31.')),
  to: optional(single('Enter one end date.').refine(isValidDate, 'Enter the end date as a date like 2026-03-31.')),
  before: optional(single('That page link is not valid.').regex(UUID, 'That page link is not valid.')),
});
const ECHOED = ['kind', 'status', 'recipient', 'from', 'to'] as const;

type Parsed = { ok: true; filters: LedgerFilters; before: string | null } | { ok: false; values: LedgerFilters; errors: FieldErrors };

export function notificationsController() {
  /** The query string through its allowlist, then the checks that need the client's users. */
  function readFilters(req: Request, recipients: RecipientOption[]): Parsed {
    const form = parseForm(filterForm, req.query, [...ECHOED]);
    if (!form.ok) return { ok: false, values: form.values, errors: form.errors };
    const { before, ...filters } = form.data;
    const errors = checkLedgerFilters(filters, recipients);
    if (Object.keys(errors).length) return { ok: false, values: filters, errors };
    return { ok: true, filters, before: before ?? null };
  }

  function page(actor: Actor, recipients: RecipientOption[], locals: Record<string, unknown>, status = 200): Outcome {
    return view('notifications/index', {
      title: 'Notifications',
      timeZone: displayZone(actor.user, actor.client),
      kinds: NOTIFICATION_KINDS.map((k) => ({ value: k, text: KIND_LABELS[k] })),
      statuses: NOTIFICATION_STATUSES.map((s) => ({ value: s, text: STATUS_LABELS[s] })),
      recipients,
      pageSize: LEDGER_PAGE_SIZE,
      rows: [],
      nextBefore: null,
      errors: {},
      query: '',
      ...locals,
    }, status);
  }

  async function exportAs(req: Request, actor: Actor, format: ExportFormat): Promise<Outcome> {
    authorize(actor.user, 'notifications.view');
    const recipients = await recipientOptions(actor.client);
    const parsed = readFilters(req, recipients);
    if (!parsed.ok) return page(actor, recipients, { filter: parsed.values, errors: parsed.errors }, 422);
    return table(exportLedger(actor.client, parsed.filters, format));
  }

  return {
    // GET /notifications — the client's notices, newest first, filtered, 100 a page.
    async index(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'notifications.view');
      const recipients = await recipientOptions(actor.client);
      const parsed = readFilters(req, recipients);
      if (!parsed.ok) return page(actor, recipients, { filter: parsed.values, errors: parsed.errors }, 422);
      const result = await ledgerPage(actor.client, parsed.filters, parsed.before);
      return page(actor, recipients, { filter: parsed.filters, query: ledgerQuery(parsed.filters), older: Boolean(parsed.before), ...result });
    },

    // GET /notifications/export.csv — the filtered notices (same filters), audited.
    async exportCsv(req: Request, actor: Actor): Promise<Outcome> {
      return exportAs(req, actor, 'csv');
    },

    // GET /notifications/export.xlsx — the filtered notices (same filters), audited.
    async exportXlsx(req: Request, actor: Actor): Promise<Outcome> {
      return exportAs(req, actor, 'xlsx');
    },
  };
}
