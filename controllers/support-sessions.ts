// Support sessions as staff run them (DESIGN.md §8.4): choose a client, give a reason,
// re-enter a TOTP code; wait for the client's approval when it requires it; enter, exit. The
// browser session id rotates on entry and on exit.
import type { Request } from 'express';
import { z } from 'zod';
import { ConflictError, ForbiddenError, NotFoundError } from '../lib/errors.ts';
import { parseForm } from '../lib/forms.ts';
import { inUnitOfWork } from '../lib/unit-of-work.ts';
import { type Outcome, redirect, view } from '../lib/outcomes.ts';
import { rotateSession } from '../lib/session-ids.ts';
import type { StaffActor } from '../types/actor.ts';
import { staffContext, verifyStaffCode } from '../services/staff/sign-in.ts';
import {
  type DirectoryClient,
  type OpenedVisit,
  auditRefusedEntry,
  clientDirectory,
  durationChoices,
  enterableClients,
  entryRefusal,
  openVisit,
  ownVisit,
  startApprovedVisit,
  cancelVisit,
} from '../services/support/requests.ts';
import { APPROVAL_VALID_MINUTES, endVisit, visitContext } from '../services/support/visits.ts';
import type { AppDeps } from '../types/deps.ts';

const WRONG_CODE = 'That code is not correct, or it was already used. Enter the code your authenticator app shows now.';
const REFUSALS = {
  unknown_client: 'That client does not exist. Choose one from the list.',
  client_suspended: 'That client is suspended: nobody may enter it for support.',
  not_assigned: 'You may enter only the clients you are the Client Representative of. Ask the Technical Director if you need to help this client.',
} as const;

export function supportSessionsController(deps: AppDeps) {
  const { sequelize } = deps.db;
  const staffDeps = { db: deps.db, config: deps.config, dataEncryptionKey: deps.dataEncryptionKey };
  const durations = durationChoices(deps.config.supportMaxMinutes);
  const maxDuration = durations[durations.length - 1];

  const entryForm = z.object({
    clientId: z.string({ error: 'Choose a client.' }).trim().min(1, 'Choose a client.').max(64, 'Choose a client.'),
    reason: z.string({ error: 'Say why you need to enter (3 to 500 characters).' }).trim()
      .min(3, 'Say why you need to enter (3 to 500 characters).').max(500, 'Keep the reason to 500 characters.'),
    durationMinutes: z.enum(durations.map(String) as [string, ...string[]], { error: 'Choose one of the durations offered.' }),
    readOnly: z.literal('on', { error: 'Tick the box or leave it empty.' }).optional(),
    code: z.string({ error: 'Enter the code from your authenticator app.' }).trim().min(1, 'Enter the code from your authenticator app.').max(64, 'That code is too long.'),
  });

  /** The entry form, with the clients this staff member may enter (staff unit of work). */
  async function entryPage(req: Request, actor: StaffActor, locals: Record<string, unknown>, status = 200): Promise<Outcome> {
    const clients = await enterableClients(actor.staff);
    return view('support/new', {
      title: 'Enter a client for support',
      clients,
      durations,
      values: { clientId: typeof req.query.client === 'string' ? req.query.client : '', durationMinutes: String(maxDuration), readOnly: '' },
      errors: {},
      currentVisit: req.session.staff?.support,
      ...locals,
    }, status);
  }

  /** Whether the staff member may enter and the code is right; refusals audited (one staff unit of work). */
  async function checkEntry(req: Request, actor: StaffActor, clientId: string, code: string) {
    return inUnitOfWork(sequelize, staffContext(actor.staff.id, req.context), async () => {
      const client = (await clientDirectory()).find((c) => c.id === clientId);
      const refusal = entryRefusal(actor.staff, client);
      if (refusal) {
        await auditRefusedEntry(clientId, refusal);
        return { refusal, client: undefined, codeOk: false, throttled: false };
      }
      const check = await verifyStaffCode(staffDeps, actor.staff.id, code, 'support_entry', req.context);
      return { refusal: undefined, client, codeOk: check.ok, throttled: !check.ok && check.reason === 'throttled' };
    });
  }

  /** Puts the browser session inside the visit, under a new session id. */
  async function enter(req: Request, visit: OpenedVisit, client: Pick<DirectoryClient, 'name' | 'timeZone'>): Promise<void> {
    // clientName and timeZone ride along for the banner on admin pages; the database decides.
    const support = { id: visit.id, clientId: visit.clientId, readOnly: visit.readOnly, expiresAt: new Date(visit.expiresAt!).getTime(), clientName: client.name, timeZone: client.timeZone };
    await rotateSession(req, { staff: { ...req.session.staff!, support } });
  }

  return {
    // GET /admin/support/new?client=<id>
    async new(req: Request, actor: StaffActor): Promise<Outcome> {
      return entryPage(req, actor, {});
    },

    // POST /admin/support
    async create(req: Request, actor: StaffActor): Promise<Outcome> {
      const form = parseForm(entryForm, req.body, ['clientId', 'reason', 'durationMinutes', 'readOnly']);
      const again = (locals: Record<string, unknown>, status: number) =>
        inUnitOfWork(sequelize, staffContext(actor.staff.id, req.context), () => entryPage(req, actor, locals, status));
      if (!form.ok) return again({ values: form.values, errors: form.errors }, 422);
      const values = { ...form.data, readOnly: form.data.readOnly ?? '', code: undefined };
      if (req.session.staff?.support) {
        return again({ values, alert: 'You are already inside a support session. Exit it first, then enter the next client.' }, 409);
      }
      const checked = await checkEntry(req, actor, form.data.clientId, form.data.code);
      if (checked.refusal) return again({ values, alert: REFUSALS[checked.refusal] }, 403);
      if (checked.throttled) return again({ values, alert: 'Too many wrong codes. Wait a few minutes and try again.' }, 429);
      if (!checked.codeOk) return again({ values, errors: { code: WRONG_CODE } }, 422);
      const client = checked.client!;
      const request = { reason: form.data.reason, readOnly: form.data.readOnly === 'on', durationMinutes: Number(form.data.durationMinutes) };
      const visit = await openVisit(sequelize, actor.staff, client, request, req.context, deps.config.baseUrl);
      if (visit.status === 'pending') {
        return redirect(`/admin/support/${visit.id}`, { kind: 'info', message: `${client.name} approves each support session first: its Administrators have been asked.` });
      }
      await enter(req, visit, client);
      return redirect('/');
    },

    // GET /admin/support/:id — the wait page of the staff member's own request.
    async show(req: Request, actor: StaffActor): Promise<Outcome> {
      const visit = await ownVisit(String(req.params.id), actor.staff.id);
      if (!visit) throw new NotFoundError();
      const current = req.session.staff?.support?.id === visit.id;
      return view('support/show', { title: `Support session: ${visit.clientName}`, visit, current, refreshSeconds: visit.status === 'pending' ? 5 : undefined });
    },

    // POST /admin/support/:id/enter — an approved visit starts now.
    async enterApproved(req: Request, actor: StaffActor): Promise<Outcome> {
      const visit = await inUnitOfWork(sequelize, staffContext(actor.staff.id, req.context), async () => {
        const own = await ownVisit(String(req.params.id), actor.staff.id);
        const client = own && (await clientDirectory()).find((c) => c.id === own.clientId);
        return own && client ? { own, client } : undefined;
      });
      if (!visit) throw new NotFoundError();
      if (req.session.staff?.support) throw new ConflictError('You are already inside a support session. Exit it first.');
      if (visit.own.status !== 'approved') {
        throw new ConflictError(visit.own.status === 'pending' ? `${visit.client.name} has not approved this support session yet.` : `This support session is ${visit.own.status}: it cannot be entered.`);
      }
      // Whether they may still enter is checked again now (an assignment or the client may have changed).
      const refusal = entryRefusal(actor.staff, visit.client);
      if (refusal) {
        await inUnitOfWork(sequelize, staffContext(actor.staff.id, req.context), () => auditRefusedEntry(visit.client.id, refusal));
        throw new ForbiddenError(REFUSALS[refusal]);
      }
      if (!visit.own.approvalLive) {
        throw new ConflictError(`This approval has lapsed: an approved support session must be entered within ${APPROVAL_VALID_MINUTES} minutes. Request a new one.`);
      }
      const started = await startApprovedVisit(sequelize, visit.own, req.context);
      if (!started) throw new ConflictError('This support session can no longer be entered.');
      await enter(req, started, visit.client);
      return redirect('/');
    },

    // POST /admin/support/:id/cancel
    async cancel(req: Request, actor: StaffActor): Promise<Outcome> {
      const visit = await inUnitOfWork(sequelize, staffContext(actor.staff.id, req.context), () => ownVisit(String(req.params.id), actor.staff.id));
      if (!visit) throw new NotFoundError();
      const cancelled = await cancelVisit(sequelize, visit, req.context);
      return redirect(`/admin/support/${visit.id}`, cancelled
        ? { kind: 'success', message: `Your request to enter ${visit.clientName} is withdrawn.` }
        : { kind: 'info', message: 'That request could not be withdrawn: it is no longer waiting.' });
    },

    // POST /admin/support/exit
    async exit(req: Request, actor: StaffActor): Promise<Outcome> {
      const staff = req.session.staff!;
      const support = staff.support;
      if (!support) return redirect('/admin');
      const visit = await inUnitOfWork(sequelize, staffContext(actor.staff.id, req.context), () => ownVisit(support.id, actor.staff.id));
      await inUnitOfWork(sequelize, visitContext(staff, support, req.context), () => endVisit(support.id, staff.staffId, 'exit'));
      await rotateSession(req, { staff: { ...staff, support: undefined } });
      return redirect('/admin', { kind: 'success', message: `You left ${visit?.clientName ?? 'the client'}.` });
    },
  };
}
