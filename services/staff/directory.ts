// Staff names and roles for pages that credit staff (visits, the audit log, client settings),
// through the narrow staff_directory() function: client users cannot read staff_users.
import { sql } from '../../lib/unit-of-work.ts';
import type { StaffRole } from '../../models/staff-user.ts';

export interface StaffName {
  id: string;
  name: string;
  role: StaffRole;
}

/** Staff members by id (unknown ids are simply absent). Pass `known` to look up only ids not in
 *  it yet and collect into it (exports that read in batches). */
export async function staffNames(ids: (string | null | undefined)[], known = new Map<string, StaffName>()): Promise<Map<string, StaffName>> {
  const missing = [...new Set(ids.filter((id): id is string => Boolean(id) && !known.has(id!)))];
  if (!missing.length) return known;
  const rows = await sql<StaffName>('SELECT id, name, role FROM staff_directory($1::uuid[])', [missing]);
  for (const row of rows) known.set(row.id, row);
  return known;
}
