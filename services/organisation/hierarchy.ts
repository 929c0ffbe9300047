// Reading the hierarchy within the actor's scope. Row-level security already hides units outside
// it; the scope read back here tells units in scope from ancestors shown for navigation only.
import type { Model, ModelStatic } from 'sequelize';
import { NotFoundError } from '../../lib/errors.ts';
import { currentUnit, sql } from '../../lib/unit-of-work.ts';
import { type Client, OrgUnit } from '../../models/index.ts';
import type { UnitKind } from '../../models/org-unit.ts';
import { selectList } from '../../models/select-list.ts';
import { isUuid } from '../../lib/uuid.ts';

export interface Scope {
  /** Administrator or whole-client scope. */
  whole: boolean;
  /** Units the scope covers: its nodes and everything below them. */
  units: Set<string>;
}

/** The scope the current unit of work computed at its start (and set for RLS to read). */
export async function currentScope(): Promise<Scope> {
  const { whole, units } = currentUnit().scope;
  return { whole, units: new Set(units) };
}

export const inScope = (scope: Scope, unitId: string | null): boolean => (unitId === null ? scope.whole : scope.whole || scope.units.has(unitId));

/** A unit's stored facts but the timestamps, as a plain row: what trees, lists and selectors show
 *  (most pages read them; building a model for each of a client's units costs more than the statement). */
export type UnitRow = Pick<OrgUnit, 'id' | 'clientId' | 'kind' | 'name' | 'code' | 'parentId' | 'address' | 'timeZone' | 'active'>;

/** UnitRow's columns, read from the table or CTE named `alias`. */
const unitRowColumns = (alias: string) =>
  `${alias}.id, ${alias}.client_id AS "clientId", ${alias}.kind, ${alias}.name, ${alias}.code, ${alias}.parent_id AS "parentId", ${alias}.address, ${alias}.time_zone AS "timeZone", ${alias}.active`;

export interface TreeNode {
  unit: UnitRow;
  /** False for ancestors shown only to place the user's units in the tree. */
  inScope: boolean;
  children: TreeNode[];
}

const KIND_ORDER: Record<UnitKind, number> = { region: 0, division: 1, facility: 2 };

/** Every visible unit as a tree (regions, then divisions, then facilities; by name). */
export async function hierarchyTree(options: { includeInactive?: boolean } = {}): Promise<TreeNode[]> {
  const scope = await currentScope();
  const units = await sql<UnitRow>(`SELECT ${unitRowColumns('o')} FROM org_units o ${options.includeInactive ? '' : 'WHERE o.active'} ORDER BY o.name`);
  const nodes = new Map(units.map((unit) => [unit.id, { unit, inScope: inScope(scope, unit.id), children: [] as TreeNode[] }]));
  const roots: TreeNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.unit.parentId ? nodes.get(node.unit.parentId) : undefined;
    (parent ? parent.children : roots).push(node);
  }
  const sort = (list: TreeNode[]) => {
    list.sort((a, b) => KIND_ORDER[a.unit.kind] - KIND_ORDER[b.unit.kind] || a.unit.name.localeCompare(b.unit.name));
    list.forEach((n) => sort(n.children));
  };
  sort(roots);
  return roots;
}

/** Every unit in the user's scope, by the tree, labelled with its level (a place filter's choices). */
export function unitChoices(tree: TreeNode[], labels: Record<string, string>, depth = 0, out: Array<{ id: string; text: string }> = []) {
  for (const n of tree) {
    if (n.inScope) out.push({ id: n.unit.id, text: `${'– '.repeat(depth)}${labels[n.unit.kind]}: ${n.unit.name}` });
    unitChoices(n.children, labels, n.inScope ? depth + 1 : depth, out);
  }
  return out;
}

/** A unit the actor's scope covers; 404 for units outside it, ancestors included. */
export async function findUnitInScope(id: string): Promise<OrgUnit> {
  const scope = await currentScope();
  // Strictly a UUID: anything else would reach PostgreSQL's uuid cast and fail as a 500.
  // The unit comes with its ancestors, which its page's breadcrumb asks for next.
  const chain = isUuid(id) ? await chainUpFrom(id) : [];
  const unit = chain.at(-1);
  if (!unit || unit.id !== id || !inScope(scope, unit.id)) throw new NotFoundError();
  knownAncestors.set(unit, chain.slice(0, -1));
  return unit;
}

/** The facility a page names; regions and divisions have no Plan Items of their own (404). */
export async function findFacilityInScope(id: string): Promise<OrgUnit> {
  const unit = await findUnitInScope(id);
  if (unit.kind !== 'facility') throw new NotFoundError();
  return unit;
}

/** Ancestors read with a unit in this request (instances live no longer than their request). */
const knownAncestors = new WeakMap<OrgUnit, OrgUnit[]>();

let chainColumns: string | undefined;

/** A unit and the ancestors visible above it, client-most first, in one statement. RLS hides a
 *  unit outside scope and its ancestors; the chain stops there, as reading them one by one would.
 *  Models (the unit is what pages change), built from raw rows without Sequelize's query building. */
async function chainUpFrom(id: string): Promise<OrgUnit[]> {
  chainColumns ??= selectList(OrgUnit as unknown as ModelStatic<Model>, 'up');
  const rows = await sql<Record<string, unknown>>(
    `WITH RECURSIVE up AS (
       SELECT o.*, 0 AS depth FROM org_units o WHERE o.id = $1
       UNION ALL
       SELECT p.*, up.depth + 1 FROM org_units p JOIN up ON p.id = up.parent_id WHERE up.depth < 16
     ) SELECT ${chainColumns} FROM up ORDER BY depth DESC`,
    [id],
  );
  return OrgUnit.bulkBuild(rows as never[], { raw: true, isNewRecord: false });
}

/** The unit's ancestors, client-most first (for breadcrumbs). */
export async function ancestorsOf(unit: OrgUnit): Promise<OrgUnit[]> {
  const known = knownAncestors.get(unit);
  // Only while the unit still hangs where it did when read (a move within the request re-reads).
  if (known && (known.at(-1)?.id ?? null) === unit.parentId) return known;
  return unit.parentId ? chainUpFrom(unit.parentId) : [];
}

const unitRowsWhere = (where: string, params: unknown[]) => sql<UnitRow>(`SELECT ${unitRowColumns('o')} FROM org_units o WHERE ${where} ORDER BY o.name`, params);

/** Facilities at or below a unit, within scope (a facility yields itself). */
export async function facilitiesUnder(unit: Pick<UnitRow, 'id'>, options: { includeInactive?: boolean } = {}): Promise<UnitRow[]> {
  const scope = await currentScope();
  const units = await unitRowsWhere(
    `o.id IN (WITH RECURSIVE below AS (
                SELECT id, kind FROM org_units WHERE id = $1
                UNION ALL
                SELECT c.id, c.kind FROM org_units c JOIN below b ON c.parent_id = b.id
              ) SELECT id FROM below WHERE kind = 'facility') ${options.includeInactive ? '' : 'AND o.active'}`,
    [unit.id],
  );
  return units.filter((f) => inScope(scope, f.id));
}

/** Facilities in scope, for the facility selector. */
export async function facilitiesInScope(): Promise<UnitRow[]> {
  const scope = await currentScope();
  const facilities = await unitRowsWhere(`o.kind = 'facility' AND o.active`, []);
  return facilities.filter((f) => inScope(scope, f.id));
}

export type LevelLabels = Record<UnitKind, string>;
export const DEFAULT_LEVEL_LABELS: LevelLabels = { region: 'Region', division: 'Division', facility: 'Facility' };

/** The client's names for its hierarchy levels (settings.levelLabels), defaults otherwise. */
export function levelLabels(client: Client): LevelLabels {
  const stored = (client.settings?.levelLabels ?? {}) as Partial<LevelLabels>;
  return { ...DEFAULT_LEVEL_LABELS, ...stored };
}
