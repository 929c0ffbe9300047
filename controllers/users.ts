import type { Request } from 'express';
import { z } from 'zod';
import { ValidationError, type FieldErrors } from '../lib/errors.ts';
import { email, parseForm, password, text } from '../lib/forms.ts';
import type { Actor } from '../types/actor.ts';
import { type Outcome, redirect, view } from '../lib/outcomes.ts';
import { RANK_LABELS, RANKS } from '../models/user.ts';
import { authorize, grantableRanks } from '../policies/index.ts';
import { canManageUser, type RequestedScope } from '../policies/users.ts';
import { acceptInvite, findLiveInvite } from '../services/organisation/invitations.ts';
import { MAX_PASSWORD_BYTES } from '../services/auth/passwords.ts';
import { currentScope, hierarchyTree, levelLabels } from '../services/organisation/hierarchy.ts';
import {
  deactivateUser, findManageableUser, HoldsAssignmentsError, findVisibleUser, INVITE_DAYS, inviteUser, listVisibleUsers, reactivateUser, resendInvite,
  unlockUser, updateUser, USER_STATUSES, USERS_PAGE_SIZE,
} from '../services/organisation/users.ts';
import type { AppDeps } from '../types/deps.ts';
import { userListFilterOf, userListQuery } from './user-exports.ts';

/** Scope checkboxes: unit ids, or 'client' for the whole organisation. 'client' is matched
 *  exactly: any other spelling would pass as a unit id and reach the uuid cast (a 500). */
const SCOPE_VALUE = /^(client|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/;
const scopeField = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]))
  .pipe(z.array(z.string().regex(SCOPE_VALUE, 'One of the chosen units is not valid.')).max(190, 'Choose fewer units (at most 190).'));
const rankField = z.enum(RANKS, { error: 'Choose a rank.' });
const inviteForm = z.object({ name: text('Name'), email: email('the invitee’s'), rank: rankField, scope: scopeField });
const editForm = z.object({ rank: rankField, scope: scopeField });
const acceptForm = z.object({ token: z.string().max(100).default(''), password: password('Password'), confirmation: z.string().max(1024).default('') });

const toScope = (values: string[]): RequestedScope => ({
  whole: values.includes('client'),
  unitIds: values.filter((v) => v !== 'client').map((v) => v.toLowerCase()),
});

/** The body's scope values, for re-checking the boxes of a form shown again. */
const postedScope = (body: unknown): string[] => {
  const raw = (body as Record<string, unknown> | undefined)?.scope;
  return ([] as unknown[]).concat(raw ?? []).filter((v): v is string => typeof v === 'string');
};


export function usersController(deps: AppDeps) {
  const rule = { minLength: deps.config.passwordMinLength, maxBytes: MAX_PASSWORD_BYTES };

  /** What the invite and edit forms need: the ranks this actor may grant and the scope picker. */
  async function grantLocals(actor: Actor) {
    const scope = await currentScope();
    return {
      ranks: grantableRanks(actor.user),
      rankLabels: RANK_LABELS,
      tree: await hierarchyTree(),
      canGrantWhole: scope.whole,
      labels: levelLabels(actor.client),
    };
  }

  async function inviteView(actor: Actor, values: Record<string, unknown>, errors: FieldErrors, status = 200): Promise<Outcome> {
    return view('users/invite', { title: 'Invite a user', values, errors, inviteDays: INVITE_DAYS, ...(await grantLocals(actor)) }, status);
  }

  async function editView(actor: Actor, id: string, values: { rank: string; scope: string[] }, errors: FieldErrors, status = 200): Promise<Outcome> {
    const { user } = await findManageableUser(actor, id);
    return view('users/edit', { title: `Edit ${user.name}`, user, values, errors, ...(await grantLocals(actor)) }, status);
  }

  return {
    // GET /users — search by name or e-mail, filter by rank and status.
    async index(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'users.view');
      const { rawQ, qError, q, rank, status, page } = userListFilterOf(req.query);
      const { rows, total } = qError ? { rows: [], total: 0 } : await listVisibleUsers({ q: q || undefined, rank, status, page });
      return view('users/index', {
        title: 'Users',
        rows,
        total,
        page,
        pages: Math.max(1, Math.ceil(total / USERS_PAGE_SIZE)),
        filter: { q: rawQ, rank: rank ?? '', status: status ?? '' },
        exportQuery: userListQuery({ q, rank, status }),
        qError,
        ranks: RANKS,
        rankLabels: RANK_LABELS,
        statuses: USER_STATUSES,
      }, qError ? 422 : 200);
    },

    // GET /users/invite
    async newInvite(_req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'users.manage');
      return inviteView(actor, { scope: [] }, {});
    },

    // POST /users/invite — the same answer whether or not the e-mail already has an account.
    async invite(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'users.manage');
      const form = parseForm(inviteForm, req.body, ['name', 'email', 'rank']);
      if (!form.ok) return inviteView(actor, { ...form.values, scope: postedScope(req.body) }, form.errors, 422);
      try {
        await inviteUser(deps.config, actor, { ...form.data, scope: toScope(form.data.scope) });
      } catch (error) {
        if (error instanceof ValidationError) return inviteView(actor, { ...form.data, scope: form.data.scope }, error.fields, 422);
        throw error;
      }
      return redirect('/users', { kind: 'success', message: `Invitation sent to ${form.data.email}.` });
    },

    // GET /users/:id
    async show(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'users.view');
      const { user, target, scopeUnits, scope } = await findVisibleUser(String(req.params.id));
      const scopeWhole = target.scopeUnitIds.includes(null) || user.rank === 'administrator';
      return view('users/show', {
        title: user.name,
        user,
        scopeUnits,
        scopeWhole,
        isSelf: user.id === actor.user.id,
        manageable: canManageUser(actor.user, scope, target),
        rankLabels: RANK_LABELS,
        labels: levelLabels(actor.client),
      });
    },

    // GET /users/:id/edit
    async edit(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'users.manage');
      const id = String(req.params.id);
      const { user, target } = await findManageableUser(actor, id);
      return editView(actor, id, { rank: user.rank, scope: target.scopeUnitIds.map((s) => s ?? 'client') }, {});
    },

    // POST /users/:id — new rank and scope.
    async update(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'users.manage');
      const id = String(req.params.id);
      await findManageableUser(actor, id);
      const form = parseForm(editForm, req.body, ['rank']);
      if (!form.ok) return editView(actor, id, { rank: form.values.rank ?? '', scope: postedScope(req.body) }, form.errors, 422);
      try {
        await updateUser(actor, id, { rank: form.data.rank, scope: toScope(form.data.scope) });
      } catch (error) {
        if (error instanceof ValidationError) return editView(actor, id, { rank: form.data.rank, scope: form.data.scope }, error.fields, 422);
        throw error;
      }
      return redirect(`/users/${id}`, { kind: 'success', message: 'Rank and scope saved.' });
    },

    // POST /users/:id/deactivate — a flow: the change commits, then the user's sessions end.
    async deactivate(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'users.manage');
      let user;
      try {
        user = await deactivateUser(deps, actor, String(req.params.id), req.context);
      } catch (error) {
        // Still holding Plan Items or open events: refused, with the way through the transition tool.
        if (error instanceof HoldsAssignmentsError) return view('users/holds-assignments', { title: 'Cannot deactivate yet', user: error.user, message: error.message }, 409);
        throw error;
      }
      return redirect(`/users/${user.id}`, { kind: 'success', message: `${user.name} has been deactivated and signed out.` });
    },

    // POST /users/:id/reactivate
    async reactivate(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'users.manage');
      const user = await reactivateUser(actor, String(req.params.id));
      const message = user.status === 'invited' ? `${user.name} is reactivated and still has to accept an invitation; resend it.` : `${user.name} has been reactivated.`;
      return redirect(`/users/${user.id}`, { kind: 'success', message });
    },

    // POST /users/:id/unlock
    async unlock(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'users.manage');
      const user = await unlockUser(actor, String(req.params.id));
      return redirect(`/users/${user.id}`, { kind: 'success', message: `${user.name} has been unlocked.` });
    },

    // POST /users/:id/resend-invite
    async resendInvite(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'users.manage');
      const user = await resendInvite(deps.config, actor, String(req.params.id));
      return redirect(`/users/${user.id}`, { kind: 'success', message: `A new invitation has been sent to ${user.email}.` });
    },

    // GET /invite/accept?token=…
    async acceptForm(req: Request): Promise<Outcome> {
      const token = typeof req.query.token === 'string' ? req.query.token : '';
      const invite = await findLiveInvite(deps, token, req.context);
      if (!invite) return view('invitations/invalid', { title: 'Invitation expired' }, 410);
      return view('invitations/accept', { title: 'Welcome to PlanTRAK', token, name: invite.user.name, email: invite.user.email, errors: {}, rule });
    },

    // POST /invite/accept
    async accept(req: Request): Promise<Outcome> {
      const token = typeof req.body?.token === 'string' ? req.body.token : '';
      const invite = await findLiveInvite(deps, token, req.context);
      if (!invite) return view('invitations/invalid', { title: 'Invitation expired' }, 410);
      const again = (errors: FieldErrors) =>
        view('invitations/accept', { title: 'Welcome to PlanTRAK', token, name: invite.user.name, email: invite.user.email, errors, rule }, 422);
      const form = parseForm(acceptForm, req.body);
      if (!form.ok) return again(form.errors);
      if (form.data.password !== form.data.confirmation) return again({ confirmation: 'The two passwords do not match.' });
      try {
        const outcome = await acceptInvite(deps, form.data.token, form.data.password, req.context);
        if (!outcome.ok) return view('invitations/invalid', { title: 'Invitation expired' }, 410);
      } catch (error) {
        if (error instanceof ValidationError) return again(error.fields);
        throw error;
      }
      return redirect('/login', { kind: 'success', message: 'Your password is set. Sign in with your e-mail address and the new password.' });
    },
  };
}
