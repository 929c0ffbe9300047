// User management: list, invite, edit rank and scope, deactivate, reactivate, unlock,
// resend invites. Rules live in policies/users.ts; this module loads rows inside the unit of
// work, applies the rules and audits every change with its before and after.
import { Op } from 'sequelize';
import { ForbiddenError, HttpError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { cursorRows, inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import type { Actor } from '../../types/actor.ts';
import { actorContext } from '../actor-context.ts';
import { OrgUnit, PasswordResetToken, User, UserScope } from '../../models/index.ts';
import { RANK_LABELS, type Rank, type UserStatus } from '../../models/user.ts';
import { canGrantRank, canManageUser, canSeeUser, type RequestedScope, type ScopeView, scopeGrantProblem, type UserTarget } from '../../policies/users.ts';
import type { Config } from '../../config/index.ts';
import type { Database } from '../../models/index.ts';
import { audit } from '../audit/entries.ts';
import { endSessionsOf } from '../auth/sessions.ts';
import { accountKey, clearAccount } from '../auth/throttle.ts';
import type { RequestMeta } from '../auth/types.ts';
import { currentScope } from './hierarchy.ts';
import { describeHeld, type HeldCounts, heldAnywhere } from '../events/reassignment.ts';
import { issueLinkToken } from '../auth/link-tokens.ts';
import { queueMail } from '../mail/outbox.ts';
import { isUuid } from '../../lib/uuid.ts';

export const USER_STATUSES: UserStatus[] = ['invited', 'active', 'locked', 'deactivated'];
export const INVITE_DAYS = 7;
export const USERS_PAGE_SIZE = 50;

/** Audit form of a scope: unit ids, 'client' for the whole client, sorted. */
const scopeForAudit = (ids: (string | null)[]) => ids.map((id) => id ?? 'client').sort();

// ---------------------------------------------------------------------------------------------
// Reading

export interface UserListFilter {
  q?: string;
  rank?: Rank;
  status?: UserStatus;
  page: number;
}

export interface UserListRow {
  id: string;
  name: string;
  email: string;
  rank: Rank;
  status: UserStatus;
  scope_whole: boolean;
  scope_names: string[];
}

/** Users the actor may see, filtered and paged. A scoped actor sees only users whose every scope
 *  node lies inside their scope (the same rule as policies/users.ts canSeeUser, in SQL). */
export async function listVisibleUsers(filter: UserListFilter): Promise<{ rows: UserListRow[]; total: number }> {
  const { text, bind } = usersQuery(filter, await currentScope(), { limit: USERS_PAGE_SIZE, offset: (filter.page - 1) * USERS_PAGE_SIZE });
  const rows = await sql<UserListRow & { total: number }>(text, bind);
  return { rows, total: rows[0]?.total ?? 0 };
}

/** Every user the list would show, in its order, from a cursor (its download). */
export async function* visibleUserRows(filter: Omit<UserListFilter, 'page'>): AsyncGenerator<UserListRow> {
  const { text, bind } = usersQuery(filter, await currentScope(), null);
  yield* cursorRows<UserListRow>(text, bind);
}

function usersQuery(filter: Omit<UserListFilter, 'page'>, scope: { whole: boolean }, page: { limit: number; offset: number } | null): { text: string; bind: unknown[] } {
  const where = ['u.client_id = (SELECT app_current_client())'];
  const bind: unknown[] = [];
  const param = (value: unknown) => `$${bind.push(value)}`;
  if (filter.q) {
    const pattern = param(`%${filter.q.replace(/[\\%_]/g, '\\$&')}%`);
    where.push(`(u.name ILIKE ${pattern} OR u.email ILIKE ${pattern})`);
  }
  if (filter.rank) where.push(`u.rank = ${param(filter.rank)}`);
  if (filter.status) where.push(`u.status = ${param(filter.status)}`);
  if (!scope.whole) {
    where.push(`u.rank <> 'administrator'`);
    where.push(`EXISTS (SELECT 1 FROM user_scopes s WHERE s.client_id = u.client_id AND s.user_id = u.id)`);
    where.push(`NOT EXISTS (SELECT 1 FROM user_scopes s WHERE s.client_id = u.client_id AND s.user_id = u.id
                  AND (s.org_unit_id IS NULL OR NOT (s.org_unit_id = ANY ((SELECT app_scope_units())::uuid[]))))`);
  }
  const text = `SELECT u.id, u.name, u.email, u.rank, u.status,
            EXISTS (SELECT 1 FROM user_scopes s WHERE s.client_id = u.client_id AND s.user_id = u.id AND s.org_unit_id IS NULL) AS scope_whole,
            coalesce((SELECT array_agg(o.name ORDER BY o.name) FROM user_scopes s
                        JOIN org_units o ON o.client_id = s.client_id AND o.id = s.org_unit_id
                       WHERE s.client_id = u.client_id AND s.user_id = u.id), '{}') AS scope_names
            ${page ? ', count(*) OVER ()::int AS total' : ''}
       FROM users u
      WHERE ${where.join(' AND ')}
      ORDER BY lower(u.name), u.email
      ${page ? `LIMIT ${param(page.limit)} OFFSET ${param(page.offset)}` : ''}`;
  return { text, bind };
}

export interface VisibleUser {
  user: User;
  target: UserTarget;
  scopeUnits: OrgUnit[];
  scope: ScopeView;
}

/** A user the actor may see; 404 for a malformed id, another client's user or one outside scope. */
export async function findVisibleUser(id: string, options: { lock?: boolean } = {}): Promise<VisibleUser> {
  if (!isUuid(id)) throw new NotFoundError();
  const user = await User.findByPk(id, { lock: options.lock });
  if (!user) throw new NotFoundError();
  const scopeRows = await UserScope.findAll({ where: { userId: user.id } });
  const target: UserTarget = { id: user.id, rank: user.rank, scopeUnitIds: scopeRows.map((s) => s.orgUnitId) };
  const scope = await currentScope();
  if (!canSeeUser(scope, target)) throw new NotFoundError();
  const unitIds = scopeRows.map((s) => s.orgUnitId).filter((x): x is string => x !== null);
  const scopeUnits = unitIds.length ? await OrgUnit.findAll({ where: { id: { [Op.in]: unitIds } }, order: [['name', 'ASC']] }) : [];
  return { user, target, scopeUnits, scope };
}

/** A visible user the actor may manage; 403 (with the reason) when visible but not manageable. */
export async function findManageableUser(actor: Actor, id: string, options: { lock?: boolean } = {}): Promise<VisibleUser> {
  const found = await findVisibleUser(id, options);
  if (found.user.id === actor.user.id) throw new ForbiddenError('You cannot change your own account here. Ask another administrator.');
  if (!canManageUser(actor.user, found.scope, found.target)) throw new ForbiddenError('You may not manage users of this rank.');
  return found;
}

// ---------------------------------------------------------------------------------------------
// Granting rank and scope

export interface GrantInput {
  rank: Rank;
  scope: RequestedScope;
}

/** Checks a requested rank and scope against the actor's; returns the scope rows to store
 *  (null = whole client). Throws Forbidden for a rank above the actor's, Validation for scope. */
export async function checkedGrant(actor: Actor, input: GrantInput): Promise<(string | null)[]> {
  if (!canGrantRank(actor.user, input.rank)) throw new ForbiddenError(`You may not grant the rank ${RANK_LABELS[input.rank]}.`);
  const scope = await currentScope();
  // Administrators cover the whole client by rank; their scope row says so too.
  if (input.rank === 'administrator') return [null];
  const unitIds = [...new Set(input.scope.unitIds)];
  if (unitIds.length) {
    // Only units visible here (this client's, in or above the actor's scope) come back.
    const units = await OrgUnit.findAll({ where: { id: { [Op.in]: unitIds } } });
    if (units.length !== unitIds.length) throw new ValidationError({ scope: 'One of the chosen units is not in your scope.' });
    if (units.some((u) => !u.active)) throw new ValidationError({ scope: 'One of the chosen units is inactive.' });
  }
  const problem = scopeGrantProblem(scope, input.rank, { whole: input.scope.whole, unitIds });
  if (problem) throw new ValidationError({ scope: problem });
  return input.scope.whole ? [null] : unitIds;
}

async function replaceScope(user: User, scopeIds: (string | null)[]): Promise<void> {
  await UserScope.destroy({ where: { userId: user.id } });
  await UserScope.bulkCreate(scopeIds.map((orgUnitId) => ({ clientId: user.clientId, userId: user.id, orgUnitId })), { returning: false });
}

// ---------------------------------------------------------------------------------------------
// Invitations

type MailConfig = Pick<Config, 'baseUrl'>;

async function sendInvite(config: MailConfig, actor: Actor, user: User): Promise<string> {
  // Any earlier invitation stops working: only the newest link is live.
  await PasswordResetToken.update({ usedAt: new Date() }, { where: { userId: user.id, purpose: 'invite', usedAt: { [Op.is]: null } } });
  const { token, record } = await issueLinkToken(user, 'invite', INVITE_DAYS * 24 * 60 * 60_000);
  await queueMail({
    to: user.email,
    kind: 'user.invite',
    sensitive: true,
    subject: `You are invited to PlanTRAK (${actor.client.name})`,
    text: [
      `Hello ${user.name},`,
      '',
      `${actor.user.name} has invited you to PlanTRAK for ${actor.client.name}, as ${RANK_LABELS[user.rank]}.`,
      `Open this link within ${INVITE_DAYS} days to choose your password (it works once):`,
      '',
      `${config.baseUrl}/invite/accept?token=${token}`,
      '',
      'If you did not expect this invitation, ignore this message.',
    ].join('\n'),
  });
  return record.id;
}

export interface InviteInput extends GrantInput {
  name: string;
  email: string;
}

/** Creates an invited user and mails a set-password link. An e-mail already taken (in any
 *  client) gets exactly the same answer and nothing happens: no account enumeration. */
export async function inviteUser(config: MailConfig, actor: Actor, input: InviteInput): Promise<void> {
  const scopeIds = await checkedGrant(actor, input);
  // ON CONFLICT on the global e-mail index: a taken address (even one RLS hides) inserts nothing.
  const [inserted] = await sql<{ id: string }>(
    `INSERT INTO users (client_id, email, name, rank, status)
     VALUES ((SELECT app_current_client()), $1, $2, $3, 'invited')
     ON CONFLICT (email) DO NOTHING RETURNING id`,
    [input.email, input.name, input.rank],
  );
  if (!inserted) return;
  const user = (await User.findByPk(inserted.id))!;
  await replaceScope(user, scopeIds);
  const tokenId = await sendInvite(config, actor, user);
  await audit({
    action: 'user.invite',
    entityType: 'user',
    entityId: user.id,
    changes: { email: [null, user.email], name: [null, user.name], rank: [null, user.rank], scope: [[], scopeForAudit(scopeIds)], status: [null, 'invited'], token_id: tokenId },
  });
}

/** A fresh link for a user who has not accepted yet; the previous link stops working. */
export async function resendInvite(config: MailConfig, actor: Actor, id: string): Promise<User> {
  const { user } = await findManageableUser(actor, id, { lock: true });
  if (user.status !== 'invited') throw new HttpError(409, 'This user has already accepted the invitation.');
  const tokenId = await sendInvite(config, actor, user);
  await audit({ action: 'user.invite_resent', entityType: 'user', entityId: user.id, changes: { token_id: tokenId } });
  return user;
}

// ---------------------------------------------------------------------------------------------
// Changes to an existing user

/** New rank and scope for another user. */
export async function updateUser(actor: Actor, id: string, input: GrantInput): Promise<User> {
  const { user, target } = await findManageableUser(actor, id, { lock: true });
  const scopeIds = await checkedGrant(actor, input);
  const before = { rank: user.rank, scope: scopeForAudit(target.scopeUnitIds) };
  const after = { rank: input.rank, scope: scopeForAudit(scopeIds) };
  const changes: Record<string, unknown> = {};
  if (before.rank !== after.rank) changes.rank = [before.rank, after.rank];
  if (JSON.stringify(before.scope) !== JSON.stringify(after.scope)) changes.scope = [before.scope, after.scope];
  if (Object.keys(changes).length === 0) return user;
  await user.update({ rank: input.rank });
  await replaceScope(user, scopeIds);
  await audit({ action: 'user.update', entityType: 'user', entityId: user.id, changes });
  return user;
}

/** A user who still holds assignments is not deactivated here: the transition tool moves them. */
export class HoldsAssignmentsError extends HttpError {
  constructor(readonly user: User, readonly held: HeldCounts) {
    super(409, `${user.name} still holds ${describeHeld(held)} and cannot be deactivated. Move them to someone else with the transition tool first.`);
  }
}

/** Deactivates a user in its own unit of work, then ends their sessions once that committed.
 *  (Every request also re-checks status and session epoch, so they are out even before.) */
export async function deactivateUser(deps: { db: Database }, actor: Actor, id: string, meta: RequestMeta): Promise<User> {
  const context = actorContext(actor, meta);
  // Someone who still holds assignments anywhere in the client goes through the transition tool
  // first, so no Plan Item or open event is left with a deactivated assignee.
  const user = await inUnitOfWork(deps.db.sequelize, context, async () => {
    const { user } = await findManageableUser(actor, id, { lock: true });
    if (user.status === 'deactivated') throw new HttpError(409, 'This user is already deactivated.');
    // Counted under the user's row lock, so an assignment committed meanwhile is seen.
    const held = await heldAnywhere(user.id);
    if (held.planItems > 0 || held.openEvents > 0) throw new HoldsAssignmentsError(user, held);
    const before = user.status;
    await user.update({ status: 'deactivated', sessionEpoch: user.sessionEpoch + 1 });
    // Outstanding invitation and reset links die with the account.
    await PasswordResetToken.update({ usedAt: new Date() }, { where: { userId: user.id, usedAt: { [Op.is]: null } } });
    await audit({ action: 'user.deactivate', entityType: 'user', entityId: user.id, changes: { status: [before, 'deactivated'] } });
    return user;
  });
  await endSessionsOf(deps.db.sessionPool, user.id);
  return user;
}

/** Back to active (or to invited, for someone who never set a password; resend the invite then). */
export async function reactivateUser(actor: Actor, id: string): Promise<User> {
  const { user } = await findManageableUser(actor, id, { lock: true });
  if (user.status !== 'deactivated') throw new HttpError(409, 'This user is not deactivated.');
  const status: UserStatus = user.hasPassword ? 'active' : 'invited';
  await user.update({ status, failedLoginCount: 0, lockedAt: null });
  await audit({ action: 'user.reactivate', entityType: 'user', entityId: user.id, changes: { status: ['deactivated', status] } });
  return user;
}

export async function unlockUser(actor: Actor, id: string): Promise<User> {
  const { user } = await findManageableUser(actor, id, { lock: true });
  if (user.status !== 'locked') throw new HttpError(409, 'This user is not locked.');
  const before = { status: user.status, failed_login_count: user.failedLoginCount };
  await user.update({ status: 'active', failedLoginCount: 0, lockedAt: null });
  await clearAccount(accountKey(user.email));
  await audit({
    action: 'user.unlock',
    entityType: 'user',
    entityId: user.id,
    changes: { status: [before.status, 'active'], failed_login_count: [before.failed_login_count, 0] },
  });
  return user;
}
