// Freeze mode in the admin area: the Technical Director freezes or thaws one client's data, or
// every client's (DESIGN.md §9); Application Developers see the state.
import type { Request } from 'express';
import { z } from 'zod';
import { type FieldErrors, ValidationError } from '../lib/errors.ts';
import { parseForm, strictForm, text } from '../lib/forms.ts';
import { type Outcome, redirect, view } from '../lib/outcomes.ts';
import { authorizeStaff, staffCan } from '../policies/staff.ts';
import { listClients } from '../services/admin/clients.ts';
import { frozenClients, serviceFreeze, setFreeze } from '../services/operations/freeze.ts';
import type { StaffActor } from '../types/actor.ts';

const SERVICE = 'all';
const target = z.string({ error: 'Choose what to freeze.' }).trim().min(1, 'Choose what to freeze.').max(100, 'Choose a client from the list.');
const freezeForm = strictForm({ target, reason: text('The reason', 500) });
const thawForm = strictForm({ target });

export function adminFreezeController() {
  async function page(actor: StaffActor, values: Record<string, string>, errors: FieldErrors, status = 200): Promise<Outcome> {
    const [clients, frozen, service] = await Promise.all([listClients(), frozenClients(), serviceFreeze()]);
    const names = new Map(clients.map((c) => [c.id, c.name]));
    return view('admin/freeze', {
      title: 'Freeze mode',
      clients,
      frozen: frozen.map((f) => ({ ...f, name: names.get(f.id) ?? f.id })),
      service,
      values,
      errors,
      mayManage: staffCan(actor.staff, 'freeze.manage'),
    }, status);
  }

  /** The client named by the form, or null for the whole service; unknown ones are refused. */
  async function targetOf(value: string): Promise<{ clientId: string | null; clientName?: string }> {
    if (value === SERVICE) return { clientId: null };
    const client = (await listClients()).find((c) => c.id === value);
    if (!client) throw new ValidationError({ target: 'There is no such client: nothing was frozen or thawed.' });
    return { clientId: client.id, clientName: client.name };
  }

  return {
    // GET /admin/freeze
    async show(_req: Request, actor: StaffActor): Promise<Outcome> {
      authorizeStaff(actor.staff, 'operations.view');
      return page(actor, { target: '', reason: '' }, {});
    },

    // POST /admin/freeze — freezes a client's data, or every client's, with the reason shown on their pages.
    async freeze(req: Request, actor: StaffActor): Promise<Outcome> {
      authorizeStaff(actor.staff, 'freeze.manage');
      const form = parseForm(freezeForm, req.body, ['target', 'reason']);
      if (!form.ok) return page(actor, form.values, form.errors, 422);
      try {
        const chosen = await targetOf(form.data.target);
        const changed = await setFreeze(chosen, form.data.reason);
        const what = chosen.clientName ?? 'Every client';
        return redirect('/admin/freeze', changed
          ? { kind: 'success', message: `${what}: data frozen. Its pages are read-only until it is thawed.` }
          : { kind: 'info', message: `${what}: already frozen; nothing changed.` });
      } catch (error) {
        if (error instanceof ValidationError) return page(actor, form.data, error.fields, 422);
        throw error;
      }
    },

    // POST /admin/freeze/thaw — thaws it; event generation and notifications catch up on their next pass.
    async thaw(req: Request, actor: StaffActor): Promise<Outcome> {
      authorizeStaff(actor.staff, 'freeze.manage');
      const form = parseForm(thawForm, req.body, ['target']);
      if (!form.ok) return page(actor, { ...form.values, reason: '' }, form.errors, 422);
      try {
        const chosen = await targetOf(form.data.target);
        const changed = await setFreeze(chosen, null);
        const what = chosen.clientName ?? 'The service-wide freeze';
        return redirect('/admin/freeze', changed
          ? { kind: 'success', message: `${what}: thawed. Changes are accepted again; events and notifications catch up on the next pass.` }
          : { kind: 'info', message: `${what}: was not frozen; nothing changed.` });
      } catch (error) {
        if (error instanceof ValidationError) return page(actor, { target: form.data.target, reason: '' }, error.fields, 422);
        throw error;
      }
    },
  };
}
