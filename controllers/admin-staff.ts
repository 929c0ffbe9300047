// The staff list and, for the Technical Director, staff management: create (invited,
// set-up link e-mailed), change role, deactivate, reactivate, reset (new set-up link; clears the
// password and authenticator — how a lost authenticator is recovered).
import type { Request } from 'express';
import { z } from 'zod';
import { type FieldErrors, ValidationError } from '../lib/errors.ts';
import { email, parseForm, text } from '../lib/forms.ts';
import { type Outcome, redirect, view } from '../lib/outcomes.ts';
import type { StaffActor } from '../types/actor.ts';
import { STAFF_ROLE_LABELS, STAFF_ROLES } from '../models/staff-user.ts';
import { authorizeStaff } from '../policies/staff.ts';
import {
  SETUP_LINK_HOURS, createStaffMember, deactivateStaff, findStaff, listStaff, reactivateStaff, resetStaff, updateStaff,
} from '../services/staff/accounts.ts';
import type { AppDeps } from '../types/deps.ts';

const roleField = z.enum(STAFF_ROLES, { error: 'Choose a role.' });
const newForm = z.object({ name: text('Name'), email: email('the staff member’s'), role: roleField });
const editForm = z.object({ name: text('Name'), role: roleField });

export function adminStaffController(deps: AppDeps) {
  const roles = { roles: STAFF_ROLES, roleLabels: STAFF_ROLE_LABELS };

  const newView = (values: Record<string, string>, errors: FieldErrors, status = 200) =>
    view('admin/staff/new', { title: 'New staff member', values, errors, setupHours: SETUP_LINK_HOURS, ...roles }, status);

  async function showView(actor: StaffActor, id: string, values?: Record<string, string>, errors: FieldErrors = {}, status = 200): Promise<Outcome> {
    const { staff, assignedClients } = await findStaff(id);
    return view('admin/staff/show', {
      title: staff.name, person: staff, assignedClients, isSelf: staff.id === actor.staff.id,
      values: values ?? { name: staff.name, role: staff.role }, errors, ...roles,
    }, status);
  }

  return {
    // GET /admin/staff
    async index(_req: Request, actor: StaffActor): Promise<Outcome> {
      authorizeStaff(actor.staff, 'staff.view');
      return view('admin/staff/index', { title: 'Staff', rows: await listStaff(), ...roles });
    },

    // GET /admin/staff/new
    async new(_req: Request, actor: StaffActor): Promise<Outcome> {
      authorizeStaff(actor.staff, 'staff.manage');
      return newView({}, {});
    },

    // POST /admin/staff
    async create(req: Request, actor: StaffActor): Promise<Outcome> {
      authorizeStaff(actor.staff, 'staff.manage');
      const form = parseForm(newForm, req.body, ['name', 'email', 'role']);
      if (!form.ok) return newView(form.values, form.errors, 422);
      try {
        const staff = await createStaffMember(deps.config, form.data);
        return redirect(`/admin/staff/${staff.id}`, { kind: 'success', message: `${staff.name} is invited: a set-up link went to ${staff.email}.` });
      } catch (error) {
        if (error instanceof ValidationError) return newView(form.data, error.fields, 422);
        throw error;
      }
    },

    // GET /admin/staff/:id
    async show(req: Request, actor: StaffActor): Promise<Outcome> {
      authorizeStaff(actor.staff, 'staff.view');
      return showView(actor, String(req.params.id));
    },

    // POST /admin/staff/:id — name and role.
    async update(req: Request, actor: StaffActor): Promise<Outcome> {
      authorizeStaff(actor.staff, 'staff.manage');
      const id = String(req.params.id);
      const form = parseForm(editForm, req.body, ['name', 'role']);
      if (!form.ok) return showView(actor, id, form.values, form.errors, 422);
      try {
        await updateStaff(actor.staff, id, form.data);
      } catch (error) {
        if (error instanceof ValidationError) return showView(actor, id, form.data, error.fields, 422);
        throw error;
      }
      return redirect(`/admin/staff/${id}`, { kind: 'success', message: 'Saved.' });
    },

    // POST /admin/staff/:id/deactivate
    async deactivate(req: Request, actor: StaffActor): Promise<Outcome> {
      authorizeStaff(actor.staff, 'staff.manage');
      const staff = await deactivateStaff(actor.staff, String(req.params.id));
      return redirect(`/admin/staff/${staff.id}`, { kind: 'success', message: `${staff.name} is deactivated and signed out everywhere.` });
    },

    // POST /admin/staff/:id/reactivate
    async reactivate(req: Request, actor: StaffActor): Promise<Outcome> {
      authorizeStaff(actor.staff, 'staff.manage');
      const staff = await reactivateStaff(actor.staff, String(req.params.id));
      const message = staff.status === 'invited' ? `${staff.name} is reactivated but has no password yet: send a set-up link.` : `${staff.name} is reactivated.`;
      return redirect(`/admin/staff/${staff.id}`, { kind: 'success', message });
    },

    // POST /admin/staff/:id/reset
    async reset(req: Request, actor: StaffActor): Promise<Outcome> {
      authorizeStaff(actor.staff, 'staff.manage');
      const staff = await resetStaff(actor.staff, String(req.params.id), deps.config.baseUrl);
      return redirect(`/admin/staff/${staff.id}`, {
        kind: 'success',
        message: `${staff.name}'s password and authenticator are cleared and they are signed out; a new set-up link went to ${staff.email}.`,
      });
    },
  };
}
