// A small two-client hierarchy with one user per interesting scope, for the scope tests.
//
//   Acme (client A)                         Other (client B)
//   ├─ North (region)                       └─ B-Region
//   │  ├─ North-East (division)                └─ B-Division
//   │  │  ├─ Alder (facility)                     └─ Birch-B (facility)
//   │  │  └─ Aspen (facility)
//   │  └─ North-West (division)
//   │     └─ Beech (facility)
//   ├─ South (region)
//   │  ├─ South-East (division)
//   │  │  └─ Cedar (facility)
//   │  └─ Cypress (facility, directly under the region)
//   └─ Dogwood (facility, directly under the client)
import { OrgUnit } from '../../models/index.ts';
import { inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { testEnv } from '../support/env.ts';
import { type ClientRow, type UserRow, createClient, createUser } from '../support/factories.ts';
import { type UnitRow, createUnit, grantScope } from '../support/hierarchy-factories.ts';

export interface ScopeWorld {
  a: ClientRow;
  b: ClientRow;
  units: Record<string, UnitRow>;
  /** Client A's users: a Manager of Alder, a Director of North-East, an Executive of North,
   *  an Administrator without scope rows, an Associate with a whole-client scope row. */
  manager: UserRow;
  director: UserRow;
  executive: UserRow;
  admin: UserRow;
  wholeClient: UserRow;
  /** Client B's Administrator. */
  outsider: UserRow;
}

export async function buildScopeWorld(): Promise<ScopeWorld> {
  const a = await createClient({ name: 'Acme' });
  const b = await createClient({ name: 'Other' });
  const units: Record<string, UnitRow> = {};
  const add = async (client: ClientRow, kind: UnitRow['kind'], name: string, parent?: string) => {
    units[name] = await createUnit(client, { kind, name, parent: parent ? units[parent] : null });
  };
  await add(a, 'region', 'North');
  await add(a, 'division', 'North-East', 'North');
  await add(a, 'facility', 'Alder', 'North-East');
  await add(a, 'facility', 'Aspen', 'North-East');
  await add(a, 'division', 'North-West', 'North');
  await add(a, 'facility', 'Beech', 'North-West');
  await add(a, 'region', 'South');
  await add(a, 'division', 'South-East', 'South');
  await add(a, 'facility', 'Cedar', 'South-East');
  await add(a, 'facility', 'Cypress', 'South');
  await add(a, 'facility', 'Dogwood');
  await add(b, 'region', 'B-Region');
  await add(b, 'division', 'B-Division', 'B-Region');
  await add(b, 'facility', 'Birch-B', 'B-Division');

  const manager = await createUser(a, { rank: 'manager', name: 'Mona Manager', email: 'manager@acme.example' });
  await grantScope(manager, units.Alder);
  const director = await createUser(a, { rank: 'director', name: 'Dirk Director', email: 'director@acme.example' });
  await grantScope(director, units['North-East']);
  const executive = await createUser(a, { rank: 'executive', name: 'Eve Executive', email: 'executive@acme.example' });
  await grantScope(executive, units.North);
  const admin = await createUser(a, { rank: 'administrator', name: 'Ada Admin', email: 'admin@acme.example' });
  const wholeClient = await createUser(a, { rank: 'associate', name: 'Walt Whole', email: 'whole@acme.example' });
  await grantScope(wholeClient, null);
  const outsider = await createUser(b, { rank: 'administrator', name: 'Olga Outsider', email: 'admin@other.example' });
  return { a, b, units, manager, director, executive, admin, wholeClient, outsider };
}

/** Client A's unit names. */
export const A_UNITS = ['North', 'North-East', 'Alder', 'Aspen', 'North-West', 'Beech', 'South', 'South-East', 'Cedar', 'Cypress', 'Dogwood'];

export interface Seen {
  /** Every unit row the runtime role returns (scope and navigation ancestors). */
  visible: string[];
  /** The units the computed scope covers. */
  inScope: string[];
  /** Ancestors visible for navigation only. */
  ancestors: string[];
  whole: boolean;
}

/** What `user` sees of org_units through the runtime role, in one unit of work (names, sorted). */
export async function seenBy(user: { id: string; client_id: string }): Promise<Seen> {
  return inUnitOfWork(testEnv().db.sequelize, { actorKind: 'user', clientId: user.client_id, userId: user.id }, async () => {
    const rows = await OrgUnit.findAll();
    const [scope] = await sql<{ whole: boolean; units: string[]; ancestors: string[] }>(
      'SELECT app_scope_all() AS whole, app_scope_units() AS units, app_scope_ancestors() AS ancestors',
    );
    const name = new Map(rows.map((r) => [r.id, r.name]));
    const names = (ids: string[]) => ids.map((id) => name.get(id) ?? `<invisible ${id}>`).sort();
    return {
      visible: rows.map((r) => r.name).sort(),
      inScope: scope.whole ? rows.map((r) => r.name).sort() : names(scope.units),
      ancestors: names(scope.ancestors),
      whole: scope.whole,
    };
  });
}

export const sorted = (names: string[]): string[] => [...names].sort();
