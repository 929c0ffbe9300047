// What each vendor staff role may do in the admin area (DESIGN.md §2, §8.4), as data.
// Client ranks never reach here, and staff roles never reach the client matrix: inside a
// support session staff act as an Administrator of that client (policies/index.ts).
import { ForbiddenError } from '../lib/errors.ts';
import type { StaffRole } from '../models/staff-user.ts';

export const STAFF_PERMISSIONS = {
  /** Create staff accounts, change roles, deactivate, re-issue set-up links. */
  'staff.manage': ['technical_director'],
  'staff.view': ['technical_director', 'application_developer', 'client_representative'],
  /** Create clients, change their settings, assign their Client Representative. */
  'clients.manage': ['technical_director', 'application_developer'],
  'clients.view': ['technical_director', 'application_developer', 'client_representative'],
  /** Enter any client; Client Representatives enter only the clients assigned to them. */
  'support.enter_any': ['technical_director', 'application_developer'],
  'support.enter_assigned': ['technical_director', 'application_developer', 'client_representative'],
  /** The mail outbox (every client's recipients) and server errors: for those who run the service. */
  'operations.view': ['technical_director', 'application_developer'],
  /** Start a backup or restore check now (the Backups page's "Run now"). */
  'backups.run': ['technical_director', 'application_developer'],
  /** Freeze and thaw client data (the policy's "freeze all client data"): the Technical Director's switch. */
  'freeze.manage': ['technical_director'],
  /** The yearly compliance report the President reviews: the Technical Director's. */
  'compliance.view': ['technical_director'],
} as const satisfies Record<string, readonly StaffRole[]>;

export type StaffPermission = keyof typeof STAFF_PERMISSIONS;

export interface StaffPrincipal {
  role: StaffRole;
}

export function staffCan(staff: StaffPrincipal | undefined, permission: StaffPermission): boolean {
  return Boolean(staff) && (STAFF_PERMISSIONS[permission] as readonly string[]).includes(staff!.role);
}

export function authorizeStaff(staff: StaffPrincipal | undefined, permission: StaffPermission): void {
  if (!staffCan(staff, permission)) throw new ForbiddenError();
}
