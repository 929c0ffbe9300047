// The admin area's Backups page and its "Run now" buttons (the Technical Director and
// Application Developers).
import type { Request } from 'express';
import { z } from 'zod';
import { ValidationError } from '../lib/errors.ts';
import { parseForm } from '../lib/forms.ts';
import { type Outcome, redirect, view } from '../lib/outcomes.ts';
import { authorizeStaff, staffCan } from '../policies/staff.ts';
import { backupsOverview, requestRun } from '../services/backups/overview.ts';
import { INSTALL_HINT } from '../services/backups/pgbackrest.ts';
import type { StaffActor } from '../types/actor.ts';
import type { AppDeps } from '../types/deps.ts';

const runForm = z.object({
  what: z.enum(['daily', 'monthly', 'check'], { error: 'Choose the daily or monthly backup, or a restore check.' }),
});

const LABELS = { daily: 'A daily backup', monthly: 'A monthly archival backup', check: 'A restore check' } as const;

export function adminBackupsController(deps: AppDeps) {
  const available = deps.backups?.available ?? false;
  return {
    // GET /admin/backups
    async show(_req: Request, { staff }: StaffActor): Promise<Outcome> {
      authorizeStaff(staff, 'operations.view');
      return view('admin/backups', {
        title: 'Backups', ...(await backupsOverview()), available, unavailable: deps.backups?.unavailable, installHint: INSTALL_HINT, canRun: staffCan(staff, 'backups.run'),
      });
    },

    // POST /admin/backups/run
    async run(req: Request, { staff }: StaffActor): Promise<Outcome> {
      authorizeStaff(staff, 'backups.run');
      const form = parseForm(runForm, req.body);
      if (!form.ok) throw new ValidationError(form.errors, 'Choose the daily or monthly backup, or a restore check.');
      if (!available) return redirect('/admin/backups', { kind: 'error', message: `Nothing can run: ${deps.backups?.unavailable ?? 'backups are not set up.'}` });
      const queued = await requestRun(form.data.what, staff.id);
      return redirect('/admin/backups', queued
        ? { kind: 'success', message: `${LABELS[form.data.what]} is queued: the server starts it within a minute.` }
        : { kind: 'info', message: `${LABELS[form.data.what]} is already queued or running.` });
    },
  };
}
