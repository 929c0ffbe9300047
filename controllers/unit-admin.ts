// Administering the hierarchy: thin actions over services/organisation/unit-admin.ts.
// Forms are strict allowlists: an unexpected field (client_id, kind on edit, …) is refused with
// a 422 rather than silently ignored, so tampering is visible and nothing changes.
import type { Request } from 'express';
import { z } from 'zod';
import { type FieldErrors, ValidationError } from '../lib/errors.ts';
import { attempt, parseForm, strictForm, text } from '../lib/forms.ts';
import type { Actor } from '../types/actor.ts';
import { type Outcome, redirect, view } from '../lib/outcomes.ts';
import type { OrgUnit } from '../models/index.ts';
import { UNIT_KINDS, type UnitKind } from '../models/org-unit.ts';
import { authorize } from '../policies/index.ts';
import { ancestorsOf, findUnitInScope, levelLabels } from '../services/organisation/hierarchy.ts';
import {
  ADDRESS_MAX,
  activeDescendants,
  CODE_MAX,
  createOrgUnit,
  deactivateOrgUnit,
  deleteBlockers,
  deleteOrgUnit,
  isBlocked,
  isTimeZone,
  moveOrgUnit,
  NAME_MAX,
  parentChoices,
  reactivateOrgUnit,
  TIME_ZONES,
  type UnitDetails,
  updateOrgUnit,
} from '../services/organisation/unit-admin.ts';
import { UUID_PATTERN as uuidPattern } from '../lib/uuid.ts';

const optionalText = (label: string, max: number) =>
  z.string({ error: `${label} must be text.` }).trim().max(max, `${label} must be at most ${max} characters.`).default('').transform((v) => v || null);

const parentField = z.string({ error: 'Choose a parent from the list.' }).trim().default('')
  .refine((v) => v === '' || uuidPattern.test(v), 'Choose a parent from the list.')
  .transform((v) => v || null);

const timeZoneField = z.string({ error: 'Choose a time zone from the list.' }).trim().default('')
  .refine((v) => v === '' || isTimeZone(v), 'Choose a time zone from the list (an IANA name such as Europe/Berlin), or the organisation default.')
  .transform((v) => v || null);

const detailFields = (kind: UnitKind) => ({
  name: text('Name', NAME_MAX),
  code: optionalText('Code', CODE_MAX),
  ...(kind === 'facility' ? { address: optionalText('Address', ADDRESS_MAX), timeZone: timeZoneField } : {}),
});

// The kind is fixed by the page (hidden field); anything but the kind read first is refused.
const createForm = (kind: UnitKind) => strictForm({ kind: z.literal(kind), parentId: parentField, ...detailFields(kind) });
const editForm = (kind: UnitKind) => strictForm(detailFields(kind));
const moveForm = strictForm({ parentId: parentField });
// `expected` is how many units the confirmation page listed: if the subtree changed since, ask again.
const deactivateForm = strictForm({ confirm: z.literal('subtree').optional(), expected: z.string().regex(/^\d{1,6}$/, 'Please confirm again.').optional() });
const reactivateForm = strictForm({ subtree: z.literal('1').optional() });
const deleteForm = strictForm({ confirm: z.literal('yes').optional() });

const DETAIL_ECHO = ['name', 'code', 'address', 'timeZone', 'parentId'];

/** The kind a create form or link names; anything else is refused. */
function unitKind(value: unknown): UnitKind {
  if (typeof value === 'string' && (UNIT_KINDS as readonly string[]).includes(value)) return value as UnitKind;
  throw new ValidationError({ kind: 'Unknown kind of unit.' }, 'Unknown kind of unit: choose a region, a division or a facility.');
}

/** A form's first problem about something other than its fields (unexpected fields), if any. */
const formProblem = (errors: FieldErrors) => errors.form;

const echoOf = (body: unknown): Record<string, string> => {
  const source = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  return Object.fromEntries(DETAIL_ECHO.map((k) => [k, typeof source[k] === 'string' ? (source[k] as string) : '']));
};

const valuesOf = (unit: OrgUnit): Record<string, string> => ({
  name: unit.name,
  code: unit.code ?? '',
  address: unit.address ?? '',
  timeZone: unit.timeZone ?? '',
  parentId: unit.parentId ?? '',
});

export function unitAdminController() {
  async function newPage(actor: Actor, kind: UnitKind, values: Record<string, string>, errors: FieldErrors, status = 200): Promise<Outcome> {
    const labels = levelLabels(actor.client);
    return view('units/new', {
      title: `New ${labels[kind].toLowerCase()}`,
      kind,
      labels,
      parents: await parentChoices(kind),
      timeZones: TIME_ZONES,
      values,
      errors,
    }, status);
  }

  async function editPage(actor: Actor, unit: OrgUnit, values: Record<string, string>, errors: FieldErrors, moveErrors: FieldErrors, status = 200): Promise<Outcome> {
    const labels = levelLabels(actor.client);
    return view('units/edit', {
      title: `Edit ${unit.name}`,
      unit,
      labels,
      ancestors: await ancestorsOf(unit),
      parents: await parentChoices(unit.kind, unit),
      timeZones: TIME_ZONES,
      values,
      errors,
      moveErrors,
      clientTimeZone: actor.client.timeZone,
    }, status);
  }

  return {
    // GET /units/new?kind=facility&parent=…
    async new(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'hierarchy.manage');
      const kind = req.query.kind === undefined ? 'facility' : unitKind(req.query.kind);
      const parent = typeof req.query.parent === 'string' && uuidPattern.test(req.query.parent) ? req.query.parent : '';
      return newPage(actor, kind, { parentId: parent }, {});
    },

    // POST /units
    async create(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'hierarchy.manage');
      const kind = unitKind(req.body?.kind);
      const form = parseForm(createForm(kind), req.body);
      if (!form.ok) return newPage(actor, kind, echoOf(req.body), form.errors, 422);
      const { parentId, ...details } = form.data as UnitDetails & { parentId: string | null };
      let created: OrgUnit | undefined;
      const errors = await attempt(async () => { created = await createOrgUnit(actor.client, kind, parentId, details); });
      if (errors) return newPage(actor, kind, echoOf(req.body), errors, 422);
      return redirect(`/units/${created!.id}`, { kind: 'success', message: `${created!.name} was created.` });
    },

    // GET /units/:id/edit
    async edit(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'hierarchy.manage');
      const unit = await findUnitInScope(String(req.params.id));
      return editPage(actor, unit, valuesOf(unit), {}, {});
    },

    // POST /units/:id — rename and edit details.
    async update(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'hierarchy.manage');
      const unit = await findUnitInScope(String(req.params.id));
      const form = parseForm(editForm(unit.kind), req.body);
      if (!form.ok) return editPage(actor, unit, { ...valuesOf(unit), ...echoOf(req.body) }, form.errors, {}, 422);
      const details = form.data as UnitDetails;
      let changed = false;
      const errors = await attempt(async () => { changed = await updateOrgUnit(unit, details); });
      if (errors) return editPage(actor, unit, { ...valuesOf(unit), ...echoOf(req.body) }, errors, {}, 422);
      return redirect(`/units/${unit.id}`, changed ? { kind: 'success', message: `${unit.name} was saved.` } : { kind: 'info', message: 'Nothing was changed.' });
    },

    // POST /units/:id/move — same id, so its history stays with it.
    async move(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'hierarchy.manage');
      const unit = await findUnitInScope(String(req.params.id));
      const form = parseForm(moveForm, req.body);
      if (!form.ok) return editPage(actor, unit, valuesOf(unit), {}, form.errors, 422);
      let moved = false;
      const errors = await attempt(async () => { moved = await moveOrgUnit(actor.client, unit, form.data.parentId); });
      if (errors) return editPage(actor, unit, valuesOf(unit), {}, errors, 422);
      return redirect(`/units/${unit.id}`, moved ? { kind: 'success', message: `${unit.name} was moved.` } : { kind: 'info', message: 'Nothing was changed.' });
    },

    // POST /units/:id/deactivate — with active units below, asks first, then deactivates them too.
    async deactivate(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'hierarchy.manage');
      const unit = await findUnitInScope(String(req.params.id));
      const form = parseForm(deactivateForm, req.body);
      if (!form.ok) throw new ValidationError(form.errors, formProblem(form.errors) ?? 'Please use the deactivate button on the unit page.');
      const below = await activeDescendants(unit);
      const confirmed = form.data.confirm === 'subtree' && Number(form.data.expected) === below.length;
      if (below.length > 0 && !confirmed) {
        const changedMeanwhile = form.data.confirm === 'subtree';
        return view('units/deactivate', { title: `Deactivate ${unit.name}`, unit, below, changedMeanwhile, labels: levelLabels(actor.client) });
      }
      const changed = await deactivateOrgUnit(unit);
      const message = changed.length > 1 ? `${unit.name} and ${changed.length - 1} unit${changed.length > 2 ? 's' : ''} below it were deactivated.` : changed.length ? `${unit.name} was deactivated.` : `${unit.name} was already inactive.`;
      return redirect(`/units/${unit.id}`, { kind: changed.length ? 'success' : 'info', message });
    },

    // POST /units/:id/reactivate — optionally with every inactive unit below it.
    async reactivate(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'hierarchy.manage');
      const unit = await findUnitInScope(String(req.params.id));
      const form = parseForm(reactivateForm, req.body);
      if (!form.ok) throw new ValidationError(form.errors, formProblem(form.errors) ?? 'Please use the reactivate button on the unit page.');
      const changed = await reactivateOrgUnit(unit, form.data.subtree === '1');
      const message = changed.length > 1 ? `${unit.name} and ${changed.length - 1} unit${changed.length > 2 ? 's' : ''} below it were reactivated.` : changed.length ? `${unit.name} was reactivated.` : `${unit.name} was already active.`;
      return redirect(`/units/${unit.id}`, { kind: changed.length ? 'success' : 'info', message });
    },

    // POST /units/:id/delete — asks first; refused (offering deactivation) while anything depends on it.
    async destroy(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'hierarchy.manage');
      const unit = await findUnitInScope(String(req.params.id));
      const form = parseForm(deleteForm, req.body);
      if (!form.ok) throw new ValidationError(form.errors, formProblem(form.errors) ?? 'Please use the delete button on the unit page.');
      const labels = levelLabels(actor.client);
      if (form.data.confirm !== 'yes') {
        const blockers = await deleteBlockers(unit);
        return view('units/delete', { title: `Delete ${unit.name}`, unit, blockers, labels }, isBlocked(blockers) ? 409 : 200);
      }
      const blockers = await deleteOrgUnit(unit);
      if (blockers) return view('units/delete', { title: `Delete ${unit.name}`, unit, blockers, labels }, 409);
      return redirect('/units', { kind: 'success', message: `${unit.name} was deleted.` });
    },
  };
}
