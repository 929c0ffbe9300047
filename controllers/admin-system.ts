// The System page of the admin area: the daily log review (Technical Director and Application
// Developers), each section marked reviewed for the day, audited.
import type { Request } from 'express';
import { z } from 'zod';
import { ValidationError } from '../lib/errors.ts';
import { parseForm, strictForm } from '../lib/forms.ts';
import { type Outcome, redirect, view } from '../lib/outcomes.ts';
import { authorizeStaff } from '../policies/staff.ts';
import { REVIEW_SECTIONS, markReviewed, systemPage } from '../services/operations/system-review.ts';
import { staffContext } from '../services/staff/sign-in.ts';
import type { StaffActor } from '../types/actor.ts';
import type { AppDeps } from '../types/deps.ts';

const sections = Object.keys(REVIEW_SECTIONS) as [keyof typeof REVIEW_SECTIONS, ...(keyof typeof REVIEW_SECTIONS)[]];
const reviewForm = strictForm({
  section: z.enum(sections, { error: 'Choose a section of the page.' }),
  note: z.string().trim().max(1000, 'The note must be at most 1000 characters.').optional(),
});

export function adminSystemController(deps: Pick<AppDeps, 'db'>) {
  async function page(req: Request, actor: StaffActor, errors: Record<string, string> = {}, status = 200): Promise<Outcome> {
    const data = await systemPage(deps.db.sequelize, staffContext(actor.staff.id, req.context));
    return view('admin/system', { title: 'System', ...data, sections: REVIEW_SECTIONS, errorsOfForm: errors }, status);
  }

  return {
    // GET /admin/system — a flow: the self-check reads each client in a system unit of work of its own.
    async show(req: Request, actor: StaffActor): Promise<Outcome> {
      authorizeStaff(actor.staff, 'operations.view');
      return page(req, actor);
    },

    // POST /admin/system/reviews — marks a section reviewed for today (UTC).
    async review(req: Request, actor: StaffActor): Promise<Outcome> {
      authorizeStaff(actor.staff, 'operations.view');
      const form = parseForm(reviewForm, req.body, ['section', 'note']);
      if (!form.ok) return redirect('/admin/system', { kind: 'error', message: Object.values(form.errors)[0] ?? 'Choose a section of the page.' });
      try {
        const marked = await markReviewed(actor.staff.id, form.data.section, form.data.note || null);
        const label = REVIEW_SECTIONS[form.data.section];
        return redirect(`/admin/system#${form.data.section}`, marked
          ? { kind: 'success', message: `${label}: marked reviewed for today.` }
          : { kind: 'info', message: `${label} was already marked reviewed today.` });
      } catch (error) {
        if (error instanceof ValidationError) return redirect('/admin/system', { kind: 'error', message: Object.values(error.fields)[0] ?? error.message });
        throw error;
      }
    },
  };
}
