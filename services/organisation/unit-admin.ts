// Administering a client's hierarchy: create, edit, move, deactivate, reactivate and delete
// org units, and rename the client's level labels. Every change is audited with before/after
// values in the same unit of work. Row-level security already limits writes to whole-client
// actors; the checks here turn every refusal into a clear message instead of a database error.
import { Op } from 'sequelize';
import { ValidationError } from '../../lib/errors.ts';
import { sql } from '../../lib/unit-of-work.ts';
import { type Client, OrgUnit } from '../../models/index.ts';
import { ALLOWED_PARENTS, UNIT_KINDS, type UnitKind } from '../../models/org-unit.ts';
import { audit } from '../audit/entries.ts';
import { type LevelLabels, levelLabels } from './hierarchy.ts';

export const NAME_MAX = 200;
export const CODE_MAX = 40;
export const ADDRESS_MAX = 500;
export const LABEL_MAX = 40;

/** IANA zones the runtime knows, plus UTC (Intl lists only canonical region zones). */
export const TIME_ZONES: readonly string[] = ['UTC', ...Intl.supportedValuesOf('timeZone').filter((z) => z !== 'UTC')];
const TIME_ZONE_SET = new Set(TIME_ZONES);
export const isTimeZone = (value: string): boolean => TIME_ZONE_SET.has(value);

export interface UnitDetails {
  name: string;
  code: string | null;
  /** Facilities only. */
  address?: string | null;
  /** Facilities only; null: the organisation's default. */
  timeZone?: string | null;
}

/** The columns an audit entry shows, by their database names. */
function snapshot(unit: OrgUnit): Record<string, unknown> {
  return { kind: unit.kind, name: unit.name, code: unit.code, parent_id: unit.parentId, address: unit.address, time_zone: unit.timeZone, active: unit.active };
}

/** { column: [before, after] } for the columns that differ (the audit log's convention). */
function differences(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, [unknown, unknown]> {
  const changes: Record<string, [unknown, unknown]> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (before[key] !== after[key]) changes[key] = [before[key] ?? null, after[key] ?? null];
  }
  return changes;
}

const article = (word: string) => (/^[aeiou]/i.test(word) ? 'an' : 'a');

/** Why a unit of this kind may not hang under that parent, or undefined when it may. */
export function parentRefusal(kind: UnitKind, parent: OrgUnit | null, labels: LevelLabels): string | undefined {
  if (ALLOWED_PARENTS[kind].includes(parent ? parent.kind : null)) return undefined;
  const allowed = ALLOWED_PARENTS[kind].map((k) => (k ? `${article(labels[k])} ${labels[k].toLowerCase()}` : 'the organisation'));
  const places = allowed.length > 1 ? `${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)}` : allowed[0];
  return `${article(labels[kind]).replace(/^a/, 'A')} ${labels[kind].toLowerCase()} can only be placed directly under ${places}, not under ${article(labels[parent!.kind])} ${labels[parent!.kind].toLowerCase()}.`;
}

/** Ids of every unit below this one (not the unit itself). */
async function descendantIds(unitId: string): Promise<string[]> {
  const rows = await sql<{ id: string }>(
    `WITH RECURSIVE below AS (
       SELECT id FROM org_units WHERE parent_id = $1
       UNION
       SELECT c.id FROM org_units c JOIN below b ON c.parent_id = b.id
     ) SELECT id FROM below`,
    [unitId],
  );
  return rows.map((r) => r.id);
}

/** Active units below this one, by name, for confirmation pages. */
export async function activeDescendants(unit: OrgUnit): Promise<OrgUnit[]> {
  const ids = await descendantIds(unit.id);
  if (ids.length === 0) return [];
  const units = await OrgUnit.findAll({ where: { id: { [Op.in]: ids }, active: true }, order: [['name', 'ASC']] });
  return units.sort((a, b) => UNIT_KINDS.indexOf(a.kind) - UNIT_KINDS.indexOf(b.kind));
}

/** Units a unit of this kind may be placed under (active ones; not the unit or its subtree). */
export async function parentChoices(kind: UnitKind, moving?: OrgUnit): Promise<OrgUnit[]> {
  const kinds = ALLOWED_PARENTS[kind].filter((k): k is UnitKind => k !== null);
  if (kinds.length === 0) return [];
  const excluded = moving ? [moving.id, ...(await descendantIds(moving.id))] : [];
  const units = await OrgUnit.findAll({
    where: { kind: { [Op.in]: kinds }, active: true, ...(excluded.length ? { id: { [Op.notIn]: excluded } } : {}) },
    order: [['name', 'ASC']],
  });
  return units.sort((a, b) => UNIT_KINDS.indexOf(a.kind) - UNIT_KINDS.indexOf(b.kind));
}

/** The parent a form names: null for the organisation; refused when unknown or inactive. */
async function resolveParent(parentId: string | null, field = 'parentId'): Promise<OrgUnit | null> {
  if (!parentId) return null;
  // Another client's unit, or one outside scope, is invisible here: the same answer as a typo.
  const parent = await OrgUnit.findByPk(parentId);
  if (!parent) throw new ValidationError({ [field]: 'That parent unit does not exist. Choose one from the list.' });
  if (!parent.active) throw new ValidationError({ [field]: `${parent.name} is inactive. Reactivate it first, or choose another parent.` });
  return parent;
}

async function checkCodeFree(code: string | null, exceptId?: string): Promise<void> {
  if (!code) return;
  const [taken] = await sql<{ name: string }>(
    'SELECT name FROM org_units WHERE client_id = app_current_client() AND lower(code) = lower($1) AND ($2::uuid IS NULL OR id <> $2::uuid) LIMIT 1',
    [code, exceptId ?? null],
  );
  if (taken) throw new ValidationError({ code: `The code ${code} is already used by ${taken.name}. Codes must be unique (ignoring case).` });
}

/** Runs a write under a savepoint: a database refusal rolls back only the write, becomes a
 *  ValidationError, and leaves the request's transaction usable for re-rendering the form. */
export async function guardedWrite<T>(write: () => Promise<T>): Promise<T> {
  await sql('SAVEPOINT unit_admin_write');
  try {
    const result = await write();
    await sql('RELEASE SAVEPOINT unit_admin_write');
    return result;
  } catch (error) {
    await sql('ROLLBACK TO SAVEPOINT unit_admin_write');
    const cause = error as { parent?: { code?: string; message?: string }; original?: { code?: string } };
    const code = cause.parent?.code ?? cause.original?.code;
    // The message doubles as the error page's text, for actions that have no form to re-render.
    const refuse = (field: string, message: string) => new ValidationError({ [field]: message }, message);
    if (code === '23505') throw refuse('code', 'That code is already used by another unit. Codes must be unique (ignoring case).');
    if (code === '23514' && /cannot be placed under/.test(cause.parent?.message ?? '')) {
      throw refuse('parentId', `The database refused this parent: ${cause.parent!.message}.`);
    }
    if (code === '23503') throw refuse('form', 'Other records still refer to this unit (or to the parent chosen). Nothing was saved; deactivate the unit instead if it is in use.');
    if (code === '23514') throw refuse('form', 'The database refused this change as invalid. Nothing was saved.');
    throw error;
  }
}

/** Creates a region, division or facility. */
export async function createOrgUnit(client: Client, kind: UnitKind, parentId: string | null, details: UnitDetails): Promise<OrgUnit> {
  const labels = levelLabels(client);
  const parent = await resolveParent(parentId);
  const refusal = parentRefusal(kind, parent, labels);
  if (refusal) throw new ValidationError({ parentId: refusal });
  await checkCodeFree(details.code);
  const facility = kind === 'facility';
  const unit = await guardedWrite(() =>
    OrgUnit.create({
      clientId: client.id,
      kind,
      parentId: parent?.id ?? null,
      name: details.name,
      code: details.code,
      address: facility ? details.address ?? null : null,
      timeZone: facility ? details.timeZone ?? null : null,
      active: true,
    }),
  );
  await audit({ action: 'org_unit.create', entityType: 'org_unit', entityId: unit.id, changes: differences({}, snapshot(unit)) });
  return unit;
}

/** Renames or edits a unit's details (its kind and place never change here). */
export async function updateOrgUnit(unit: OrgUnit, details: UnitDetails): Promise<boolean> {
  await checkCodeFree(details.code, unit.id);
  const before = snapshot(unit);
  unit.set({ name: details.name, code: details.code });
  if (unit.kind === 'facility') unit.set({ address: details.address ?? null, timeZone: details.timeZone ?? null });
  const changes = differences(before, snapshot(unit));
  if (Object.keys(changes).length === 0) return false;
  await guardedWrite(() => unit.save());
  await audit({ action: 'org_unit.update', entityType: 'org_unit', entityId: unit.id, changes });
  return true;
}

/** Moves a unit (and so its subtree) under another parent; the unit keeps its id and history. */
export async function moveOrgUnit(client: Client, unit: OrgUnit, parentId: string | null): Promise<boolean> {
  const labels = levelLabels(client);
  if (parentId === unit.id) throw new ValidationError({ parentId: `${unit.name} cannot be placed under itself.` });
  if (parentId && (await descendantIds(unit.id)).includes(parentId)) {
    const below = await OrgUnit.findByPk(parentId);
    throw new ValidationError({ parentId: `${unit.name} cannot be moved under ${below?.name ?? 'that unit'}, because it is one of its own descendants.` });
  }
  const parent = await resolveParent(parentId);
  const refusal = parentRefusal(unit.kind, parent, labels);
  if (refusal) throw new ValidationError({ parentId: refusal });
  if ((parent?.id ?? null) === unit.parentId) return false;
  const before = unit.parentId;
  unit.set({ parentId: parent?.id ?? null });
  await guardedWrite(() => unit.save());
  await audit({ action: 'org_unit.move', entityType: 'org_unit', entityId: unit.id, changes: { parent_id: [before, unit.parentId] } });
  return true;
}

/** Deactivates a unit and every active unit below it (the caller has shown and confirmed them). */
export async function deactivateOrgUnit(unit: OrgUnit): Promise<OrgUnit[]> {
  const below = await activeDescendants(unit);
  const changed = [...(unit.active ? [unit] : []), ...below];
  for (const u of changed) {
    u.set({ active: false });
    await guardedWrite(() => u.save());
    await audit({
      action: 'org_unit.deactivate',
      entityType: 'org_unit',
      entityId: u.id,
      changes: { active: [true, false], ...(u === unit ? {} : { with_ancestor: unit.id }) },
    });
  }
  return changed;
}

/** Reactivates a unit, and optionally every inactive unit below it; never under an inactive parent. */
export async function reactivateOrgUnit(unit: OrgUnit, withSubtree: boolean): Promise<OrgUnit[]> {
  if (unit.parentId) {
    const parent = await OrgUnit.findByPk(unit.parentId);
    if (parent && !parent.active) {
      const message = `${unit.name} sits under ${parent.name}, which is inactive. Reactivate ${parent.name} first, or move ${unit.name} elsewhere.`;
      throw new ValidationError({ form: message }, message);
    }
  }
  const below = withSubtree ? await OrgUnit.findAll({ where: { id: { [Op.in]: await descendantIds(unit.id) }, active: false } }) : [];
  const changed = [...(unit.active ? [] : [unit]), ...below];
  for (const u of changed) {
    u.set({ active: true });
    await guardedWrite(() => u.save());
    await audit({
      action: 'org_unit.reactivate',
      entityType: 'org_unit',
      entityId: u.id,
      changes: { active: [false, true], ...(u === unit ? {} : { with_ancestor: unit.id }) },
    });
  }
  return changed;
}

export interface DeleteBlockers {
  children: OrgUnit[];
  scopedUsers: number;
  /** Plan Items of the facility (hidden and deactivated ones too). */
  planItems: number;
}

/** What keeps a unit from being deleted: units below it and users whose scope names it. */
export async function deleteBlockers(unit: OrgUnit): Promise<DeleteBlockers> {
  const children = await OrgUnit.findAll({ where: { parentId: unit.id }, order: [['name', 'ASC']] });
  const [scopes] = await sql<{ n: number }>('SELECT count(*)::int AS n FROM user_scopes WHERE client_id = app_current_client() AND org_unit_id = $1', [unit.id]);
  const [items] = await sql<{ n: number }>('SELECT count(*)::int AS n FROM plan_items WHERE client_id = app_current_client() AND facility_id = $1', [unit.id]);
  return { children, scopedUsers: scopes.n, planItems: items.n };
}

export const isBlocked = (b: DeleteBlockers) => b.children.length > 0 || b.scopedUsers > 0 || b.planItems > 0;

/** Deletes a unit nothing depends on; returns the blockers instead when something does. */
export async function deleteOrgUnit(unit: OrgUnit): Promise<DeleteBlockers | undefined> {
  const blockers = await deleteBlockers(unit);
  if (isBlocked(blockers)) return blockers;
  const before = snapshot(unit);
  await guardedWrite(() => unit.destroy());
  await audit({ action: 'org_unit.delete', entityType: 'org_unit', entityId: unit.id, changes: differences(before, {}) });
  return undefined;
}

/** Renames the client's hierarchy levels (clients.settings.levelLabels). */
export async function updateLevelLabels(client: Client, labels: LevelLabels): Promise<boolean> {
  const before = levelLabels(client);
  const changes = differences({ ...before }, { ...labels });
  if (Object.keys(changes).length === 0) return false;
  await sql(
    `UPDATE clients SET settings = jsonb_set(settings, '{levelLabels}', $1::jsonb), updated_at = now()
      WHERE id = $2 AND id = app_current_client()`,
    [JSON.stringify(labels), client.id],
  );
  client.settings = { ...client.settings, levelLabels: labels };
  await audit({ action: 'client.level_labels', entityType: 'client', entityId: client.id, changes });
  return true;
}
