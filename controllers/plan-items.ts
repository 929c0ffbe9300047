// Management Plans: the plan table (a facility's, or the roll-up of a region or division) and the
// add/edit form with its Preview button, which posts the same form with intent=preview and shows
// the next 12 due dates; deactivating, hiding and deleting items. Thin actions over
// services/plans/plan-items.ts; the form's allowlist and parsing are in plan-item-form.ts.
import type { Request } from 'express';
import { compareDates, todayIn } from '../lib/calendar-dates.ts';
import { type FieldErrors, ValidationError } from '../lib/errors.ts';
import { attempt, parseForm } from '../lib/forms.ts';
import { type Outcome, redirect, view } from '../lib/outcomes.ts';
import { type OrgUnit, PlanItem } from '../models/index.ts';
import { authorize, can } from '../policies/index.ts';
import { ancestorsOf, facilitiesUnder, findFacilityInScope, findUnitInScope, levelLabels } from '../services/organisation/hierarchy.ts';
import {
  assigneeChoices,
  categoriesOf,
  createPlanItem,
  deletePlanItem,
  eventCount,
  findPlanItemInScope,
  openEventCount,
  type PlanItemInput,
  planRows,
  previewDates,
  scheduleOf,
  setHidden,
  setSchedulesEvents,
  updatePlanItem,
  userNames,
  zoneOf,
} from '../services/plans/plan-items.ts';
import { ScheduleError } from '../services/plans/recurrence.ts';
import { describeSchedule } from '../services/plans/schedule-words.ts';
import { eventList, isListStatus } from '../services/events/lists.ts';
import { planFilterOf, planFilterQuery } from './plan-exports.ts';
import type { Actor } from '../types/actor.ts';
import { actionForm, CHECKLIST_ROWS, echoOf, inputFrom, planItemForm, scheduleFrom, type Values, valuesOf } from './plan-item-form.ts';

export function planItemsController() {
  interface FormPage {
    facility: OrgUnit;
    item?: PlanItem;
    values: Values;
    errors: FieldErrors;
    preview?: { dates: string[]; description: string; relative: boolean };
  }

  async function formPage(actor: Actor, page: FormPage, status = 200): Promise<Outcome> {
    const { facility, item } = page;
    return view('plans/form', {
      title: item ? `Edit ${item.activity}` : 'New Plan Item',
      facility,
      item: item ?? null,
      events: item ? await eventCount(item) : 0,
      openEvents: item ? await openEventCount(item) : 0,
      ancestors: await ancestorsOf(facility),
      assignees: await assigneeChoices(facility),
      today: todayIn(zoneOf(facility, actor.client)),
      labels: levelLabels(actor.client),
      values: page.values,
      errors: page.errors,
      preview: page.preview ?? null,
      current: item ? describeSchedule(scheduleOf(item)) : null,
      checklistRows: CHECKLIST_ROWS,
    }, status);
  }

  /** Handles the shared form: a preview re-renders it, a save calls `save`. */
  async function submit(req: Request, actor: Actor, facility: OrgUnit, item: PlanItem | undefined, save: (input: PlanItemInput) => Promise<Outcome>): Promise<Outcome> {
    // Every field is on the form, so what was posted is what is shown again (an unticked box stays unticked).
    const values = echoOf(req.body);
    const form = parseForm(planItemForm, req.body);
    if (!form.ok) return formPage(actor, { facility, item, values, errors: { form: form.errors.form ?? 'Please correct the highlighted fields.', ...form.errors } }, 422);
    if (form.data.intent === 'preview') {
      const errors: FieldErrors = {};
      const schedule = scheduleFrom(form.data, errors);
      if (!schedule) return formPage(actor, { facility, item, values, errors: { form: 'The schedule cannot be previewed yet; please correct it.', ...errors } }, 422);
      const today = todayIn(zoneOf(facility, actor.client));
      // A new item's dates run from its first due date (past ones become overdue events); an
      // edited item's remaining dates run from today.
      const from = item && compareDates(today, schedule.start) > 0 ? today : schedule.start;
      let preview: NonNullable<FormPage['preview']>;
      try {
        preview = { dates: previewDates(schedule, from), description: describeSchedule(schedule), relative: schedule.kind === 'relative' };
      } catch (error) {
        // A rule whose next dates cannot be worked out within the expansion budget.
        if (!(error instanceof ScheduleError)) throw error;
        const field = form.data.scheduleMode === 'advanced' ? 'rrule' : 'scheduleMode';
        return formPage(actor, { facility, item, values, errors: { form: 'The schedule cannot be previewed; please correct it.', [field]: error.message } }, 422);
      }
      return formPage(actor, { facility, item, values, errors: {}, preview });
    }
    const { input, errors } = inputFrom(form.data);
    if (!input) return formPage(actor, { facility, item, values, errors: { form: 'Please correct the highlighted fields. Nothing was saved.', ...errors } }, 422);
    if (item && input.assigneeId !== item.assigneeId && !can(actor.user, 'plans.assign')) {
      return formPage(actor, { facility, item, values, errors: { form: 'Nothing was saved.', assigneeId: 'Only Directors and above may change the assignee.' } }, 422);
    }
    let outcome: Outcome | undefined;
    const refused = await attempt(async () => { outcome = await save(input); });
    if (refused) return formPage(actor, { facility, item, values, errors: { ...refused, form: 'Please correct the highlighted fields. Nothing was saved.' } }, 422);
    return outcome!;
  }

  /** A plan item and its facility, both within scope; 404 otherwise. */
  async function loadItem(req: Request): Promise<{ item: PlanItem; facility: OrgUnit }> {
    const item = await findPlanItemInScope(String(req.params.id));
    return { item, facility: await findFacilityInScope(item.facilityId) };
  }

  async function simpleAction(req: Request): Promise<void> {
    const form = parseForm(actionForm, req.body);
    if (!form.ok) throw new ValidationError(form.errors, form.errors.form ?? 'Please use the buttons on the Plan Item page.');
  }

  return {
    // GET /units/:id/plan — a facility's Management Plan, or the roll-up of a region or division.
    async index(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.view');
      const unit = await findUnitInScope(String(req.params.id));
      const facilities = unit.kind === 'facility' ? [unit] : await facilitiesUnder(unit);
      const { showHidden, category, status } = planFilterOf(req.query);
      return view('plans/index', {
        title: `Management plan: ${unit.name}`,
        unit,
        ancestors: await ancestorsOf(unit),
        rows: await planRows(facilities, { showHidden, category: category || undefined, status }),
        categories: await categoriesOf(facilities),
        filter: { showHidden, category, status: status ?? '' },
        exportQuery: planFilterQuery({ showHidden, category, status }),
        labels: levelLabels(actor.client),
      });
    },

    // GET /plan-items/:id?status=all|open|closed|cancelled — one item: its details, its schedule
    // in words and its events (all of them by default), each linked to its page.
    async show(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.view');
      const { item, facility } = await loadItem(req);
      const status = isListStatus(req.query.status) ? req.query.status : 'all';
      const events = await eventList(actor.client, { status, planItemId: item.id });
      return view('plans/show', {
        title: item.activity,
        item,
        facility,
        ancestors: await ancestorsOf(facility),
        labels: levelLabels(actor.client),
        schedule: describeSchedule(scheduleOf(item)),
        assignee: (await userNames([item.assigneeId])).get(item.assigneeId) ?? '—',
        status,
        events: events.rows,
        total: events.total,
      });
    },

    // GET /units/:id/plan/new
    async new(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.create');
      const facility = await findFacilityInScope(String(req.params.id));
      const today = todayIn(zoneOf(facility, actor.client));
      return formPage(actor, { facility, values: { scheduleMode: 'monthly-last-day', scheduleStart: today, monthEndPolicy: 'last-day', leadTimeDays: '30', requirement: 'none' }, errors: {} });
    },

    // POST /units/:id/plan — create (or, with intent=preview, show the next 12 due dates).
    async create(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.create');
      const facility = await findFacilityInScope(String(req.params.id));
      return submit(req, actor, facility, undefined, async (input) => {
        const item = await createPlanItem(actor.client, facility, actor.user.id, input);
        return redirect(`/units/${facility.id}/plan`, { kind: 'success', message: `${item.activity} was added to the Management Plan.` });
      });
    },

    // GET /plan-items/:id/edit
    async edit(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.edit');
      const { item, facility } = await loadItem(req);
      return formPage(actor, { facility, item, values: valuesOf(item), errors: {} });
    },

    // POST /plan-items/:id — save (or, with intent=preview, show the next 12 due dates).
    async update(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.edit');
      const { item, facility } = await loadItem(req);
      return submit(req, actor, facility, item, async (input) => {
        const changed = await updatePlanItem(actor.client, facility, item, actor.user.id, input);
        return redirect(`/units/${facility.id}/plan`, changed ? { kind: 'success', message: `${item.activity} was saved.` } : { kind: 'info', message: 'Nothing was changed.' });
      });
    },

    // POST /plan-items/:id/deactivate — "does not schedule events"; existing events stay.
    async deactivate(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.edit');
      const { item } = await loadItem(req);
      await simpleAction(req);
      const changed = await setSchedulesEvents(actor.client, item, actor.user.id, false);
      return redirect(`/plan-items/${item.id}/edit`, { kind: changed ? 'success' : 'info', message: changed ? `${item.activity} no longer schedules events.` : `${item.activity} already does not schedule events.` });
    },

    // POST /plan-items/:id/reactivate
    async reactivate(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.edit');
      const { item } = await loadItem(req);
      await simpleAction(req);
      const changed = await setSchedulesEvents(actor.client, item, actor.user.id, true);
      return redirect(`/plan-items/${item.id}/edit`, { kind: changed ? 'success' : 'info', message: changed ? `${item.activity} schedules events again.` : `${item.activity} already schedules events.` });
    },

    // POST /plan-items/:id/hide — leaves the plan table (shown again with "show hidden").
    async hide(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.edit');
      const { item, facility } = await loadItem(req);
      await simpleAction(req);
      const changed = await setHidden(actor.client, item, actor.user.id, true);
      return redirect(`/units/${facility.id}/plan`, { kind: changed ? 'success' : 'info', message: changed ? `${item.activity} was hidden from the plan table.` : `${item.activity} was already hidden.` });
    },

    // POST /plan-items/:id/unhide
    async unhide(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.edit');
      const { item, facility } = await loadItem(req);
      await simpleAction(req);
      const changed = await setHidden(actor.client, item, actor.user.id, false);
      return redirect(`/units/${facility.id}/plan`, { kind: changed ? 'success' : 'info', message: changed ? `${item.activity} is shown in the plan table again.` : `${item.activity} was not hidden.` });
    },

    // POST /plan-items/:id/delete — only an item that never generated an event.
    async destroy(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.create');
      const { item, facility } = await loadItem(req);
      await simpleAction(req);
      await deletePlanItem(item);
      return redirect(`/units/${facility.id}/plan`, { kind: 'success', message: `${item.activity} was deleted.` });
    },

  };
}

