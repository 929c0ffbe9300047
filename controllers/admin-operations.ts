// Operations pages of the admin area: the mail outbox and recent server errors.
import { type Outcome, view } from '../lib/outcomes.ts';
import type { StaffActor } from '../types/actor.ts';
import { authorizeStaff } from '../policies/staff.ts';
import { ERRORS_LIMIT, OUTBOX_LIMIT, mailOutbox, recentErrors } from '../services/admin/operations.ts';

export function adminOperationsController() {
  return {
    // GET /admin/outbox
    async outbox(_req: unknown, { staff }: StaffActor): Promise<Outcome> {
      authorizeStaff(staff, 'operations.view');
      return view('admin/outbox', { title: 'Mail outbox', rows: await mailOutbox(), limit: OUTBOX_LIMIT });
    },

    // GET /admin/errors
    async errors(_req: unknown, { staff }: StaffActor): Promise<Outcome> {
      authorizeStaff(staff, 'operations.view');
      return view('admin/errors', { title: 'Recent errors', rows: await recentErrors(), limit: ERRORS_LIMIT });
    },
  };
}
