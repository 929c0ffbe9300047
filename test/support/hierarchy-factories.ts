// Hierarchy rows for tests, inserted as the owner role (outside RLS): org units and user scopes.
import type { UnitKind } from '../../models/org-unit.ts';
import type { ClientRow } from './factories.ts';
import { ownerQuery } from './factories.ts';

export interface UnitRow {
  id: string;
  client_id: string;
  kind: UnitKind;
  name: string;
  code: string | null;
  parent_id: string | null;
  address: string | null;
  time_zone: string | null;
  active: boolean;
}

const UNIT_COLUMNS = 'id, client_id, kind, name, code, parent_id, address, time_zone, active';

/** An org unit; a facility, under the client, unless told otherwise. */
export async function createUnit(
  client: ClientRow | { id: string },
  attrs: { kind?: UnitKind; name?: string; code?: string | null; parent?: { id: string } | null; address?: string | null; timeZone?: string | null; active?: boolean } = {},
): Promise<UnitRow> {
  const kind = attrs.kind ?? 'facility';
  const [row] = await ownerQuery<UnitRow>(
    `INSERT INTO org_units (client_id, kind, name, code, parent_id, address, time_zone, active)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${UNIT_COLUMNS}`,
    [client.id, kind, attrs.name ?? `${kind} ${Math.random().toString(36).slice(2, 8)}`, attrs.code ?? null, attrs.parent?.id ?? null,
      attrs.address ?? null, attrs.timeZone ?? null, attrs.active ?? true],
  );
  return row;
}

/** Adds a node (or, with null, the whole client) to a user's scope. */
export async function grantScope(user: { id: string; client_id: string }, unit: { id: string } | null): Promise<void> {
  await ownerQuery('INSERT INTO user_scopes (client_id, user_id, org_unit_id) VALUES ($1, $2, $3)', [user.client_id, user.id, unit?.id ?? null]);
}

/** A unit as it is in the database now (owner view), or undefined. */
export async function unitRow(id: string): Promise<UnitRow | undefined> {
  const [row] = await ownerQuery<UnitRow>(`SELECT ${UNIT_COLUMNS} FROM org_units WHERE id = $1`, [id]);
  return row;
}
