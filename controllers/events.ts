// Working events: My events, the event page, and the actions on it. Thin: each form is
// parsed through its allowlist (the close form's answer fields come from the item's checklist
// definition, nothing else), the services lock, check, change and audit.
import type { Request } from 'express';
import { z } from 'zod';
import { type FieldErrors, ValidationError } from '../lib/errors.ts';
import { parseForm } from '../lib/forms.ts';
import type { Actor } from '../types/actor.ts';
import { type Outcome, redirect, view } from '../lib/outcomes.ts';
import { can } from '../policies/index.ts';
import { canCancel, canComment, canReassign, canReopen, canWorkEvent } from '../policies/events.ts';
import { answerField, answerText, YES_NO_NA } from '../services/events/checklist.ts';
import { eventPageParts } from '../services/events/event-page.ts';
import { addComment, cancelEvent, closeEvent, COMMENT_MAX, NOTES_MAX, REASON_MAX, reopenEvent, saveChecklist } from '../services/events/closing.ts';
import { RECORDED_LATE_AFTER_DAYS } from '../services/events/definitions.ts';
import { displayStatus, type EventRecord, eventToday, findEventInScope, historyText } from '../services/events/lookups.ts';
import { eventPage as eventListPage, filterChoices, MY_EVENTS_DAYS } from '../services/events/lists.ts';
import { STATUS_FILTER_NAMES, STATUS_FILTERS } from '../services/events/definitions.ts';
import { facilitiesUnder, hierarchyTree, levelLabels, unitChoices } from '../services/organisation/hierarchy.ts';
import { checkChoices, eventListHref, hasFilters, listQueryOf, pageLinks, parseEventListQuery, sortLinks } from './event-list-query.ts';
import { OrgUnit } from '../models/index.ts';
import { CONFIRM_FIELD } from '../services/sensitive-data.ts';

const single = z.string({ error: 'Enter a single value.' }).max(20_000, 'This value is too long.');
const refusedFields = (what: string) => ({
  error: (issue: z.core.$ZodRawIssue) => (issue.code === 'unrecognized_keys' ? `This form does not accept the field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}. ${what}` : undefined),
});

/** The work form, whichever of its buttons sent it (Close, Save answers only, Upload): date,
 *  notes, confirmation, one field per checklist item, and the file input (sent as its name only
 *  when a button other than Upload posts the form). */
export function workForm(event: EventRecord) {
  const answers = Object.fromEntries(event.checklist.map((c) => [answerField(c), single.optional()]));
  return z.strictObject({
    _csrf: single.optional(), checklistShown: z.literal('1').optional(), completedOn: single.optional(), closingNotes: single.optional(),
    [CONFIRM_FIELD]: single.optional(), file: single.optional(), ...answers,
  }, refusedFields('The event was not changed.'));
}

/** A file chosen on the work form but not uploaded would be lost without a word: refused instead. */
function refuseUnsentFile(data: { file?: string }, what: string): void {
  if (data.file) throw new ValidationError({ file: `“${data.file}” was chosen but not uploaded: press Upload to attach it. ${what}` });
}

const reasonForm = z.strictObject({ _csrf: single.optional(), reason: single.optional(), [CONFIRM_FIELD]: single.optional() }, refusedFields('The event was not changed.'));
const commentForm = z.strictObject({ _csrf: single.optional(), body: single.optional(), [CONFIRM_FIELD]: single.optional() }, refusedFields('No comment was added.'));


interface PageState {
  values?: Record<string, string>;
  errors?: FieldErrors;
  /** Which form the errors belong to, so the page opens it. */
  form?: 'close' | 'reopen' | 'cancel' | 'comment' | 'upload';
  status?: number;
}

export const formValues = (body: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries((body ?? {}) as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string' && e[0] !== '_csrf'));

/** Runs a change; a ValidationError becomes the event page with the form's errors. */
async function orPage(req: Request, actor: Actor, form: PageState['form'], change: () => Promise<Outcome>): Promise<Outcome> {
  try {
    return await change();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const event = await findEventInScope(String(req.params.id));
    return eventPage(actor, event, { values: formValues(req.body), errors: { ...error.fields, form: error.fields.form ?? error.message }, form, status: 422 });
  }
}

/** The event page, also re-rendered with a failed form's errors (here and by the upload action). */
export async function eventPage(actor: Actor, event: EventRecord, state: PageState = {}): Promise<Outcome> {
  const reassignable = canReassign(actor.user, event);
  const { answers, documents, comments, closures, history, earliest, assigneeChoices } = await eventPageParts(event, { assignees: reassignable });
  return view('events/show', {
    title: event.activity,
    event,
    status: displayStatus(event),
    today: eventToday(event),
    earliest,
    recordedLateAfterDays: RECORDED_LATE_AFTER_DAYS,
    answers,
    answerText,
    answerField,
    yesNoNa: YES_NO_NA,
    documents,
    comments,
    closures,
    history: history.map((h) => ({ ...h, text: historyText(h) })),
    may: {
      work: canWorkEvent(actor.user, event),
      comment: canComment(actor.user, event),
      reopen: canReopen(actor.user, event),
      cancel: canCancel(actor.user, event),
      reassign: reassignable,
    },
    assigneeChoices,
    limits: { notes: NOTES_MAX, reason: REASON_MAX, comment: COMMENT_MAX },
    values: state.values ?? {},
    errors: state.errors ?? {},
    openForm: state.form,
  }, state.status ?? 200);
}

/** My events as the query string asks for them: the filters kept, why others were left out, the
 *  list query (always the user's own) and whether the upcoming window applies. The page and its
 *  downloads read it alike. */
export async function myEventsList(actor: Actor, rawQuery: unknown) {
  const parsed = parseEventListQuery(rawQuery);
  const units = unitChoices(await hierarchyTree(), levelLabels(actor.client));
  const { categories } = await filterChoices(undefined, actor.user.id);
  checkChoices(parsed, { units, categories });
  const { filters, errors } = parsed;
  const chosen = filters.unit ? await OrgUnit.findByPk(filters.unit) : null;
  const facilityIds = chosen ? (await facilitiesUnder(chosen)).map((f) => f.id) : undefined;
  const query = { ...listQueryOf(filters), assigneeId: actor.user.id, facilityIds };
  const all = filters.show === 'all';
  // The upcoming window: open events only, unless all are asked for or a due range is given.
  const windowed = query.status === 'open' && !all && !filters.from && !filters.to;
  return { filters, errors, units, categories, query, windowed, all };
}

export function eventsController() {
  return {
    // GET /events?status=…&q=…&from=…&to=…&unit=…&category=…&sort=…&dir=…&page=…&show=all — the
    // signed-in user's events: open ones overdue first, then due within the upcoming window (or
    // all, with show=all or a due-date range); closed ones newest first. The same filters as a
    // unit's list (event-list-query.ts), but always the user's own.
    async mine(req: Request, actor: Actor): Promise<Outcome> {
      const { filters, errors, units, categories, query, windowed, all } = await myEventsList(actor, req.query);
      const page = await eventListPage(actor.client, { ...query, dueWithinDays: windowed ? MY_EVENTS_DAYS : undefined }, filters.page ?? 1, undefined, { later: windowed });
      const { later } = page;
      const notices = filters.page && page.page !== filters.page ? [`There is no page ${filters.page} of this list; showing page ${page.page}, the last.`] : [];
      const base = '/events';
      return view('events/index', {
        title: 'My events', rows: page.rows, total: page.total, later, all, status: query.status, dueSoonDays: MY_EVENTS_DAYS, canWork: can(actor.user, 'events.work_own'),
        paging: { ...page, href: pageLinks(base, filters) }, sorting: sortLinks(base, filters), base, filters, filterErrors: errors, notices,
        filterChoices: { units, categories }, statusChoices: STATUS_FILTERS.map((s) => ({ value: s, text: STATUS_FILTER_NAMES[s] })), filtered: hasFilters(filters),
        tabBase: eventListHref(base, { ...filters, status: undefined, page: undefined }),
        exportQuery: eventListHref('', { ...filters, page: undefined }).replace(/^\?/, ''),
        allHref: eventListHref(base, { ...filters, page: undefined, show: 'all' }), windowHref: eventListHref(base, { ...filters, page: undefined, show: undefined }),
      }, Object.keys(errors).length ? 422 : 200);
    },

    // GET /events/:id — with the date and notes an upload carried, once.
    async show(req: Request, actor: Actor): Promise<Outcome> {
      const event = await findEventInScope(String(req.params.id));
      const draft = req.session.eventDraft;
      if (draft?.eventId !== event.id) return eventPage(actor, event);
      delete req.session.eventDraft;
      const values = Object.fromEntries(Object.entries({ completedOn: draft.completedOn, closingNotes: draft.closingNotes }).filter((e): e is [string, string] => typeof e[1] === 'string'));
      return eventPage(actor, event, { values, form: 'close' });
    },

    // POST /events/:id/checklist — save answers without closing.
    async saveChecklist(req: Request, actor: Actor): Promise<Outcome> {
      const event = await findEventInScope(String(req.params.id));
      return orPage(req, actor, 'close', async () => {
        const form = parseForm(workForm(event), req.body);
        if (!form.ok) throw new ValidationError(form.errors);
        refuseUnsentFile(form.data, 'Nothing was saved.');
        await saveChecklist(actor, event.id, form.data, form.data[CONFIRM_FIELD] === '1');
        return redirect(`/events/${event.id}`, { kind: 'success', message: 'Checklist answers saved.' });
      });
    },

    // POST /events/:id/close
    async close(req: Request, actor: Actor): Promise<Outcome> {
      const event = await findEventInScope(String(req.params.id));
      return orPage(req, actor, 'close', async () => {
        const form = parseForm(workForm(event), req.body);
        if (!form.ok) throw new ValidationError(form.errors);
        refuseUnsentFile(form.data, 'The event was not closed.');
        const notes = form.data.closingNotes?.trim() || null;
        const result = await closeEvent(actor, event.id, {
          completedOn: (form.data.completedOn ?? '').trim(),
          notes,
          form: form.data,
          confirmSensitive: form.data[CONFIRM_FIELD] === '1',
        });
        const next = result.nextDueDate ? ` The next one is due ${result.nextDueDate}.` : '';
        return redirect(`/events/${event.id}`, { kind: 'success', message: `${event.activity} was closed${result.late ? ' late' : ''}${result.recordedLate ? ' and marked “recorded late”: it was entered more than 7 days after its completion date' : ''}.${next}` });
      });
    },

    // POST /events/:id/reopen
    async reopen(req: Request, actor: Actor): Promise<Outcome> {
      return orPage(req, actor, 'reopen', async () => {
        const form = parseForm(reasonForm, req.body);
        if (!form.ok) throw new ValidationError(form.errors);
        const event = await reopenEvent(actor, String(req.params.id), form.data.reason ?? '', form.data[CONFIRM_FIELD] === '1');
        return redirect(`/events/${event.id}`, { kind: 'success', message: `${event.activity} was reopened.` });
      });
    },

    // POST /events/:id/cancel
    async cancel(req: Request, actor: Actor): Promise<Outcome> {
      return orPage(req, actor, 'cancel', async () => {
        const form = parseForm(reasonForm, req.body);
        if (!form.ok) throw new ValidationError(form.errors);
        const { event, nextDueDate } = await cancelEvent(actor, String(req.params.id), form.data.reason ?? '', form.data[CONFIRM_FIELD] === '1');
        return redirect(`/events/${event.id}`, { kind: 'success', message: `${event.activity} was cancelled.${nextDueDate ? ` The next one is due ${nextDueDate}.` : ''}` });
      });
    },

    // POST /events/:id/comments
    async comment(req: Request, actor: Actor): Promise<Outcome> {
      return orPage(req, actor, 'comment', async () => {
        const form = parseForm(commentForm, req.body);
        if (!form.ok) throw new ValidationError(form.errors);
        await addComment(actor, String(req.params.id), form.data.body ?? '', form.data[CONFIRM_FIELD] === '1');
        return redirect(`/events/${String(req.params.id)}#comments`, { kind: 'success', message: 'Comment added.' });
      });
    },
  };
}
