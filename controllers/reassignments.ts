// Reassigning events: thin actions over services/events/reassignment.ts. One event from its
// page, or the selected rows of a facility's (or roll-up's) open-events table. Without a chosen
// assignee, the table form comes back with the selection kept and the users who may take every
// selected event offered (plain HTML, no script needed).
import type { Request } from 'express';
import { z } from 'zod';
import { ValidationError } from '../lib/errors.ts';
import { parseForm } from '../lib/forms.ts';
import type { Actor } from '../types/actor.ts';
import { type Outcome, redirect } from '../lib/outcomes.ts';
import { authorize } from '../policies/index.ts';
import { findEventInScope } from '../services/events/lookups.ts';
import { findUnitInScope } from '../services/organisation/hierarchy.ts';
import { BULK_REASSIGN_MAX, bulkChoices, bulkReassign, bulkReassignMatching, reassignEvent, usersCovering } from '../services/events/reassignment.ts';
import { countEvents, facilitiesMatching } from '../services/events/lists.ts';
import type { OrgUnit } from '../models/index.ts';
import type { AssigneeChoice } from '../services/plans/plan-items.ts';
import { type UnitList, unitEventsTable, unitList } from './event-lists.ts';
import { eventListHref } from './event-list-query.ts';

const single = z.string({ error: 'Enter a single value.' }).max(100, 'This value is too long.').optional();
const refuseUnknown = (issue: { code: string; keys?: string[] }) =>
  issue.code === 'unrecognized_keys' && issue.keys ? `This form does not accept the field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}. Nothing was changed.` : undefined;

const reassignForm = z.strictObject({ _csrf: single, assigneeId: single }, { error: refuseUnknown });

const bulkForm = z.strictObject({
  _csrf: single,
  intent: z.enum(['choose', 'apply', 'choose-all', 'apply-all'], { error: 'Use the form buttons.' }).optional(),
  // "Reassign all matching": the count the page showed, and the box confirming it.
  expected: z.string().regex(/^[0-9]{1,6}$/, 'That count is not valid. Nothing was changed.').optional(),
  confirm: z.literal('1', { error: 'Tick the box to confirm the count.' }).optional(),
  events: z.union([z.string().max(100), z.array(z.string().max(100)).max(BULK_REASSIGN_MAX, `Select at most ${BULK_REASSIGN_MAX} events at a time.`)], { error: 'Select events from the table.' }).optional(),
  assigneeId: single,
}, { error: refuseUnknown });

const listOf = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The form's message, for actions that have no form of their own to show it on. */
function refused(errors: Record<string, string>): ValidationError {
  const message = Object.values(errors)[0] ?? 'Please correct the form.';
  return new ValidationError(errors, message);
}

export function reassignmentsController() {
  return {
    // POST /events/:id/reassign — one open event to another user who covers its facility.
    async reassign(req: Request, actor: Actor): Promise<Outcome> {
      // An event one may not see is a 404 whatever the form says.
      const found = await findEventInScope(String(req.params.id));
      const form = parseForm(reassignForm, req.body);
      if (!form.ok) throw refused(form.errors);
      const { event, changed, to } = await reassignEvent(actor, found.id, form.data.assigneeId ?? '');
      return redirect(`/events/${event.id}`, changed
        ? { kind: 'success', message: `${event.activity} is now assigned to ${to.name}.` }
        : { kind: 'info', message: `${event.activity} was already assigned to ${to.name}.` });
    },

    // POST /units/:id/events/reassign?<the list's filters> — the selected rows of the open-events
    // table: choose the new assignee (intent=choose), then apply it to all of them, all or
    // nothing. Or every open event matching the filters: see the count and who may take them all
    // (intent=choose-all), then confirm that count and apply (intent=apply-all).
    async bulk(req: Request, actor: Actor): Promise<Outcome> {
      const unit = await findUnitInScope(String(req.params.id));
      authorize(actor.user, 'events.reassign');
      const list = await unitList(actor, unit, req.query);
      const table = (state: Omit<Parameters<typeof unitEventsTable>[2], 'query' | 'list'>, code?: number) => unitEventsTable(actor, unit, { ...state, query: req.query, list, posted: true }, code);
      const form = parseForm(bulkForm, req.body);
      if (!form.ok) return table({ selected: [], errors: form.errors }, 422);
      const intent = form.data.intent;
      if (intent === 'choose-all' || intent === 'apply-all') return allMatching(actor, unit, list, form.data, table);
      const selected = listOf(form.data.events);
      const assigneeId = (form.data.assigneeId ?? '').trim();
      try {
        if (intent === 'choose' || !assigneeId) {
          return table({ selected, choices: await bulkChoices(unit, selected), assigneeId });
        }
        const result = await bulkReassign(actor, unit, selected, assigneeId);
        const moved = result.changed.length;
        const message = moved === 0
          ? `The ${result.selected === 1 ? 'selected event was' : `${result.selected} selected events were`} already assigned to ${result.to.name}.`
          : `${moved} event${moved === 1 ? ' is' : 's are'} now assigned to ${result.to.name}.`;
        return redirect(eventListHref(list.base, { ...list.filters, page: undefined }), { kind: moved ? 'success' : 'info', message });
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        // Offer the choices again when only the assignee was wrong; a bad selection offers none.
        const choices = error.fields.events ? undefined : await bulkChoices(unit, selected);
        return table({ selected, choices, assigneeId, errors: error.fields }, 422);
      }
    },
  };
}

type Table = (state: { selected: string[]; errors?: Record<string, string>; matching?: { count: number; choices: AssigneeChoice[]; assigneeId?: string } }, code?: number) => Promise<Outcome>;

/** "Reassign all N matching": first the count and the users covering every matching event's
 *  facility; then, with that count confirmed, the move (refused when the count changed). */
async function allMatching(actor: Actor, unit: OrgUnit, list: UnitList, data: { intent?: string; expected?: string; confirm?: string; assigneeId?: string }, table: Table): Promise<Outcome> {
  const assigneeId = (data.assigneeId ?? '').trim();
  const matching = async () => {
    const count = await countEvents(actor.client, { ...list.query, status: list.query.status });
    return { count, choices: count > 0 && count <= BULK_REASSIGN_MAX ? await usersCovering(await facilitiesMatching(actor.client, list.query)) : [], assigneeId };
  };
  if (data.intent === 'choose-all') return table({ selected: [], matching: await matching() });
  const refuse = async (errors: Record<string, string>) => table({ selected: [], matching: await matching(), errors }, 422);
  if (data.expected === undefined) return refuse({ events: 'The count to confirm is missing: choose “Select all matching” again. Nothing was changed.' });
  if (data.confirm !== '1') return refuse({ confirm: `Tick the box to confirm reassigning all ${data.expected} events. Nothing was changed.` });
  try {
    const result = await bulkReassignMatching(actor, unit, list.query, Number(data.expected), assigneeId);
    const moved = result.changed.length;
    const message = moved === 0
      ? `All ${result.selected} matching events were already assigned to ${result.to.name}.`
      : `${moved} event${moved === 1 ? ' is' : 's are'} now assigned to ${result.to.name}.`;
    return redirect(eventListHref(list.base, { ...list.filters, page: undefined }), { kind: moved ? 'success' : 'info', message });
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return refuse(error.fields);
  }
}
