// Who a request acts as: the shapes the adapters build and controllers and services receive.
import type { Client, StaffUser, User } from '../models/index.ts';
import type { StaffRole } from '../models/staff-user.ts';
import type { FreezeState } from '../services/operations/freeze.ts';

export interface Actor {
  /** The signed-in client user; inside a support session, a stand-in Administrator with no id
   *  (nothing is credited to a user: the *_staff_id columns and the audit log name the staff). */
  user: User;
  client: Client;
  /** Set when vendor staff act in the client through a support session. */
  visit?: SupportVisit;
  /** Set while the client's data is frozen: every page is read-only and says why. */
  frozen?: FreezeState | null;
}

export interface SupportVisit {
  id: string;
  staffId: string;
  staffName: string;
  staffRole: StaffRole;
  readOnly: boolean;
  reason: string;
  expiresAt: Date;
}

/** A signed-in vendor staff member in the admin area. */
export interface StaffActor {
  staff: StaffUser;
}
