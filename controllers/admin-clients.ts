// Client onboarding and settings in the admin area: creating a client with its first
// Administrator, and changing name, time zone, status and Client Representative.
import type { Request } from 'express';
import { z } from 'zod';
import { type FieldErrors, ValidationError } from '../lib/errors.ts';
import { email, parseForm, text } from '../lib/forms.ts';
import { inUnitOfWork } from '../lib/unit-of-work.ts';
import { type Outcome, redirect, view } from '../lib/outcomes.ts';
import type { StaffActor } from '../types/actor.ts';
import { authorizeStaff, staffCan } from '../policies/staff.ts';
import {
  type AdminClient, CLIENT_STATUSES, createClientWithAdministrator, findClient, recentVisits, representativeOptions, updateClient,
} from '../services/admin/clients.ts';
import { staffContext } from '../services/staff/sign-in.ts';
import { TIME_ZONES, isTimeZone } from '../services/organisation/unit-admin.ts';
import { INVITE_DAYS } from '../services/organisation/users.ts';
import { staffNames } from '../services/staff/directory.ts';
import type { AppDeps } from '../types/deps.ts';

const NAME_MAX = 200;

/** An IANA zone from the list; a client's current zone stays acceptable even if ICU renamed it. */
const timeZoneField = (current?: string) =>
  z.string({ error: 'Choose a time zone from the list.' }).trim()
    .refine((v) => isTimeZone(v) || (current !== undefined && v === current), 'Choose a time zone from the list (an IANA name such as Europe/Berlin).');

const representativeField = z.string({ error: 'Choose a Client Representative from the list.' }).trim().max(40).default('').transform((v) => v || null);

const newClientForm = z.object({
  name: text('Name', NAME_MAX),
  timeZone: timeZoneField(),
  representativeId: representativeField,
  adminName: text('Administrator’s name', NAME_MAX),
  adminEmail: email('the Administrator’s'),
});

const settingsForm = (current: string) => z.object({
  name: text('Name', NAME_MAX),
  timeZone: timeZoneField(current),
  status: z.enum(CLIENT_STATUSES, { error: 'Choose a status.' }),
  representativeId: representativeField,
});

const NEW_ECHO = ['name', 'timeZone', 'representativeId', 'adminName', 'adminEmail'] as const;
const SETTINGS_ECHO = ['name', 'timeZone', 'status', 'representativeId'] as const;

const settingsValues = (c: AdminClient) => ({ name: c.name, timeZone: c.time_zone, status: c.status, representativeId: c.representative_id ?? '' });

export function adminClientsController(deps: AppDeps) {
  const formLocals = async () => ({
    representatives: (await representativeOptions()).map((r) => ({ id: r.id, name: r.name, status: r.status })),
    timeZones: TIME_ZONES,
    statuses: CLIENT_STATUSES,
    inviteDays: INVITE_DAYS,
  });

  /** The new-client form, loaded in its own staff unit of work (create runs as a flow). */
  async function newView(req: Request, actor: StaffActor, values: Record<string, unknown>, errors: FieldErrors, status: number): Promise<Outcome> {
    const locals = await inUnitOfWork(deps.db.sequelize, staffContext(actor.staff.id, req.context), formLocals);
    return view('admin/clients/new', { title: 'New client', values, errors, ...locals }, status);
  }

  async function settingsView(client: AdminClient, actor: StaffActor, values: Record<string, unknown>, errors: FieldErrors, status = 200): Promise<Outcome> {
    const visits = await recentVisits(client.id);
    const rep = client.representative_id ? (await staffNames([client.representative_id])).get(client.representative_id) : undefined;
    return view('admin/clients/show', {
      title: client.name,
      client,
      representativeName: rep?.name ?? null,
      values,
      errors,
      visits,
      mayManage: staffCan(actor.staff, 'clients.manage'),
      mayEnter: staffCan(actor.staff, 'support.enter_any') || client.representative_id === actor.staff.id,
      ...(await formLocals()),
    }, status);
  }

  return {
    // GET /admin/clients/new — a flow, like create: the form's choices load in their own unit of work.
    async new(req: Request, actor: StaffActor): Promise<Outcome> {
      authorizeStaff(actor.staff, 'clients.manage');
      return newView(req, actor, { timeZone: 'UTC' }, {}, 200);
    },

    // POST /admin/clients — one unit of work: the client, its invited Administrator, the mail, the audit entry.
    async create(req: Request, actor: StaffActor): Promise<Outcome> {
      authorizeStaff(actor.staff, 'clients.manage');
      const form = parseForm(newClientForm, req.body, [...NEW_ECHO]);
      if (!form.ok) return newView(req, actor, form.values, form.errors, 422);
      let id: string;
      try {
        id = await createClientWithAdministrator(deps, staffContext(actor.staff.id, req.context), form.data);
      } catch (error) {
        if (error instanceof ValidationError) return newView(req, actor, { ...form.data, representativeId: form.data.representativeId ?? '' }, error.fields, 422);
        throw error;
      }
      return redirect(`/admin/clients/${id}`, { kind: 'success', message: `${form.data.name} was created. An invitation was sent to ${form.data.adminEmail}.` });
    },

    // GET /admin/clients/:id
    async show(req: Request, actor: StaffActor): Promise<Outcome> {
      authorizeStaff(actor.staff, 'clients.view');
      const client = await findClient(String(req.params.id));
      return settingsView(client, actor, settingsValues(client), {});
    },

    // POST /admin/clients/:id — name, time zone, status and Client Representative, audited.
    async update(req: Request, actor: StaffActor): Promise<Outcome> {
      authorizeStaff(actor.staff, 'clients.manage');
      const client = await findClient(String(req.params.id));
      const form = parseForm(settingsForm(client.time_zone), req.body, [...SETTINGS_ECHO]);
      if (!form.ok) return settingsView(client, actor, form.values, form.errors, 422);
      let changed: boolean;
      try {
        ({ changed } = await updateClient(client.id, form.data));
      } catch (error) {
        if (error instanceof ValidationError) return settingsView(client, actor, { ...form.data, representativeId: form.data.representativeId ?? '' }, error.fields, 422);
        throw error;
      }
      return redirect(`/admin/clients/${client.id}`, { kind: changed ? 'success' : 'info', message: changed ? 'Client settings saved.' : 'Nothing changed.' });
    },
  };
}
