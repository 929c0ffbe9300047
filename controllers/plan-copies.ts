// Copying Plan Items to other facilities: choose the items and the target facilities, then give
// each (item, facility) pair its own assignee and first due date; all copies are made or none.
import type { Request } from 'express';
import { z } from 'zod';
import { isValidDate, todayIn } from '../lib/calendar-dates.ts';
import type { FieldErrors } from '../lib/errors.ts';
import { attempt, parseForm } from '../lib/forms.ts';
import { type Outcome, redirect, view } from '../lib/outcomes.ts';
import { UUID_PATTERN as UUID } from '../lib/uuid.ts';
import { type OrgUnit, PlanItem } from '../models/index.ts';
import { authorize } from '../policies/index.ts';
import { ancestorsOf, facilitiesInScope, findFacilityInScope, levelLabels, type UnitRow } from '../services/organisation/hierarchy.ts';
import { assigneeChoices, type CopyPair, copyPlanItems, defaultCopyStart, pairKey, zoneOf } from '../services/plans/plan-items.ts';
import type { Actor } from '../types/actor.ts';
import { echoOf, FIRST_START, LAST_START, list, single, type Values } from './plan-item-form.ts';

/** At most this many copies (selected items × target facilities) in one go. */
export const COPY_PAIRS_MAX = 200;

const strings = (v: unknown): string[] => [...new Set(list(v as string | string[] | undefined).filter((x): x is string => typeof x === 'string'))];

/** The copy form's fields: the step-1 selection (items, targets) and, for each (item, facility)
 *  pair of that selection, an assignee, a first due date and the past-date confirmation. Any other
 *  field, including a pair outside the selection, is refused. */
function copyForm(keys: string[]) {
  const perPair = Object.fromEntries(keys.flatMap((k) => [[`assignee_${k}`, single], [`start_${k}`, single], [`confirm_${k}`, single]]));
  const ids = z.union([z.string().max(40), z.array(z.string().max(40)).max(COPY_PAIRS_MAX)], { error: 'Choose from the list.' }).optional();
  return z.strictObject({ _csrf: single, items: ids, targets: ids, ...perPair }, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `This form does not accept the field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}. Nothing was copied.` : undefined),
  });
}

export function planCopiesController() {
  /** The source facility's items named by the request (others are ignored), by activity. */
  async function selectedItems(facility: OrgUnit, ids: string[]): Promise<PlanItem[]> {
    const valid = ids.filter((id) => UUID.test(id));
    if (valid.length === 0) return [];
    return PlanItem.findAll({ where: { id: valid, facilityId: facility.id }, order: [['activity', 'ASC'], ['id', 'ASC']] });
  }

  /** Facilities in the actor's scope other than the source: the only copy targets. */
  async function copyCandidates(facility: OrgUnit): Promise<UnitRow[]> {
    return (await facilitiesInScope()).filter((f) => f.id !== facility.id);
  }

  /** The step-1 selection resolved: items of the source facility and target facilities in scope;
   *  anything else named is an error (the whole selection must resolve). */
  async function resolveSelection(facility: OrgUnit, rawItems: string[], rawTargets: string[]) {
    const errors: FieldErrors = {};
    const items = await selectedItems(facility, rawItems);
    if (rawItems.length === 0) errors.items = 'Choose at least one Plan Item to copy.';
    else if (items.length !== rawItems.length) errors.items = `Choose Plan Items of ${facility.name} to copy.`;
    const candidates = await copyCandidates(facility);
    const targets = candidates.filter((f) => rawTargets.includes(f.id));
    if (rawTargets.length === 0) errors.targets = 'Choose at least one facility to copy to.';
    else if (targets.length !== rawTargets.length) errors.targets = 'Choose the facilities from the list.';
    if (rawItems.length * rawTargets.length > COPY_PAIRS_MAX) errors.form = `At most ${COPY_PAIRS_MAX} copies can be made at once; choose fewer items or facilities.`;
    return { items, targets, errors };
  }

  /** Step 1: choose the items and the target facilities (a GET form). */
  async function choosePage(actor: Actor, facility: OrgUnit, values: Values, errors: FieldErrors, status = 200): Promise<Outcome> {
    return view('plans/copy', {
      title: `Copy Plan Items from ${facility.name}`,
      step: 'choose',
      facility,
      ancestors: await ancestorsOf(facility),
      items: await PlanItem.findAll({ where: { facilityId: facility.id }, order: [['activity', 'ASC'], ['id', 'ASC']] }),
      targets: await copyCandidates(facility),
      pairs: [],
      assignees: {},
      labels: levelLabels(actor.client),
      values,
      errors,
    }, status);
  }

  /** Step 2: one row per (item, facility) pair, each with its own assignee and first due date. */
  async function pairsPage(actor: Actor, facility: OrgUnit, items: PlanItem[], targets: UnitRow[], values: Values, errors: FieldErrors, status = 200): Promise<Outcome> {
    const assignees = Object.fromEntries(await Promise.all(targets.map(async (f) => [f.id, await assigneeChoices(f)] as const)));
    const pairs = targets.flatMap((f) => items.map((item) => ({ key: pairKey(item.id, f.id), item, facility: f, today: todayIn(zoneOf(f, actor.client)) })));
    return view('plans/copy', {
      title: `Copy Plan Items from ${facility.name}`,
      step: 'pairs',
      facility,
      ancestors: await ancestorsOf(facility),
      items,
      targets,
      pairs,
      assignees,
      labels: levelLabels(actor.client),
      values,
      errors,
    }, status);
  }

  return {
    // GET /units/:id/plan/copy?items=… — step 1: choose the items and the target facilities.
    // GET /units/:id/plan/copy?step=pairs&items=…&targets=… — step 2: each copy's assignee and first due date.
    async copyForm(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.create');
      const facility = await findFacilityInScope(String(req.params.id));
      const rawItems = strings(req.query.items);
      const rawTargets = strings(req.query.targets);
      const selection: Values = { items: rawItems, targets: rawTargets };
      if (req.query.step !== 'pairs') return choosePage(actor, facility, selection, {});
      const { items, targets, errors } = await resolveSelection(facility, rawItems, rawTargets);
      if (Object.keys(errors).length) return choosePage(actor, facility, selection, { form: errors.form ?? 'Please correct the highlighted fields.', ...errors }, 422);
      const values: Values = { ...selection };
      for (const f of targets) {
        const choices = await assigneeChoices(f);
        for (const item of items) {
          const key = pairKey(item.id, f.id);
          // The source's assignee when they also cover the target; otherwise the user chooses.
          values[`assignee_${key}`] = choices.some((u) => u.id === item.assigneeId) ? item.assigneeId : '';
          values[`start_${key}`] = defaultCopyStart(item, f, actor.client);
        }
      }
      return pairsPage(actor, facility, items, targets, values, {});
    },

    // POST /units/:id/plan/copy — every pair of the selection, all copies or none.
    async copy(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.create');
      const facility = await findFacilityInScope(String(req.params.id));
      const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
      const rawItems = strings(body.items);
      const rawTargets = strings(body.targets);
      const values = echoOf(req.body);
      values.items = rawItems;
      values.targets = rawTargets;
      const { items, targets, errors: selectionErrors } = await resolveSelection(facility, rawItems, rawTargets);
      // Pair fields are allowed only for the posted selection (well-formed ids, within the limit).
      const keys = rawItems.length * rawTargets.length > COPY_PAIRS_MAX
        ? []
        : rawTargets.filter((t) => UUID.test(t)).flatMap((t) => rawItems.filter((i) => UUID.test(i)).map((i) => pairKey(i, t)));
      const form = parseForm(copyForm(keys), req.body);
      const refuse = (errors: FieldErrors) =>
        pairsPage(actor, facility, items, targets, values, { ...errors, form: errors.form ?? 'Please correct the highlighted rows. Nothing was copied.' }, 422);
      if (!form.ok) return refuse({ ...selectionErrors, ...form.errors });
      const errors: FieldErrors = { ...selectionErrors };
      const record = form.data as Record<string, string | undefined>;
      const pairs: CopyPair[] = [];
      for (const target of targets) {
        for (const item of items) {
          const key = pairKey(item.id, target.id);
          const row = `${item.activity} at ${target.name}`;
          const assigneeId = (record[`assignee_${key}`] ?? '').trim();
          if (!UUID.test(assigneeId)) errors[`assignee_${key}`] = `${row}: choose the assignee.`;
          const start = (record[`start_${key}`] ?? '').trim();
          if (!isValidDate(start)) errors[`start_${key}`] = `${row}: enter the first due date as a date (YYYY-MM-DD).`;
          else if (start < FIRST_START || start > LAST_START) errors[`start_${key}`] = `${row}: the first due date must lie between ${FIRST_START} and ${LAST_START}.`;
          pairs.push({ source: item, facility: target, assigneeId, start, confirmPastStart: record[`confirm_${key}`] === '1' });
        }
      }
      if (Object.keys(errors).length) return refuse(errors);
      let copies: PlanItem[] = [];
      const refused = await attempt(async () => { copies = await copyPlanItems(actor.client, actor.user.id, pairs); });
      if (refused) return refuse({ ...refused, form: 'Please correct the highlighted rows. Nothing was copied.' });
      return redirect(`/units/${facility.id}/plan`, { kind: 'success', message: `${copies.length} cop${copies.length === 1 ? 'y was' : 'ies were'} created at ${targets.map((t) => t.name).join(', ')}.` });
    },
  };
}
