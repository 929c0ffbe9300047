// Forgot / reset / change password. Reset links carry a random token whose SHA-256 alone is
// stored; a token works once, for 60 minutes. A new password ends every other session.
import { Op } from 'sequelize';
import { ValidationError } from '../../lib/errors.ts';
import { type UnitOfWorkContext, inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { PasswordResetToken, User } from '../../models/index.ts';
import { audit } from '../audit/entries.ts';
import { queueMail } from '../mail/outbox.ts';
import { hashPassword, passwordProblems, verifyPassword } from './passwords.ts';
import { ownPasswordHash, setUserPassword } from './credentials.ts';
import { hashToken, issueLinkToken } from './link-tokens.ts';
import { endSessionsOf } from './sessions.ts';
import { accountKey, clearAccount, countAttempt, ipKey, throttledFor } from './throttle.ts';
import type { AuthDeps, RequestMeta } from './types.ts';

export const RESET_TOKEN_MINUTES = 60;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Reset links a mailbox may receive, and requests an address may make, per hour. */
export const RESET_REQUEST_LIMITS = { windowMs: 60 * 60_000, accountMax: 5, ipMax: 30 };


/** Queues a reset link when the e-mail belongs to a user who may sign in; says nothing either
 *  way. Past the hourly limits it quietly sends nothing, so nobody can flood a mailbox. */
export async function requestPasswordReset({ db, config }: AuthDeps, email: string, meta: RequestMeta): Promise<void> {
  const { sequelize } = db;
  const keys = { account: `reset:${accountKey(email)}`, ip: `reset:${ipKey(meta.ip ?? 'unknown')}` };
  const match = await inUnitOfWork(sequelize, { actorKind: 'anonymous', ...meta }, async () => {
    if (await throttledFor(keys, RESET_REQUEST_LIMITS)) {
      await audit({ action: 'auth.password_reset_throttled', clientId: null });
      return undefined;
    }
    await countAttempt(keys, RESET_REQUEST_LIMITS.windowMs);
    const [row] = await sql<{ user_id: string; client_id: string }>('SELECT * FROM auth_user_by_email($1)', [email]);
    return row;
  });
  if (!match) return;
  await inUnitOfWork(sequelize, { actorKind: 'anonymous', clientId: match.client_id, ...meta }, async () => {
    const user = await User.findByPk(match.user_id);
    if (!user || user.status === 'deactivated') return;
    const { token, record } = await issueLinkToken(user, 'reset', RESET_TOKEN_MINUTES * 60_000);
    await audit({ action: 'auth.password_reset_requested', entityType: 'user', entityId: user.id, actorUserId: user.id, changes: { token_id: record.id } });
    await queueMail({
      to: user.email,
      kind: 'auth.password_reset',
      sensitive: true,
      subject: 'Reset your PlanTRAK password',
      text: [
        `Hello ${user.name},`,
        '',
        'Someone, hopefully you, asked to reset the password of your PlanTRAK account.',
        `Open this link within ${RESET_TOKEN_MINUTES} minutes to choose a new password (it works once):`,
        '',
        `${config.baseUrl}/password/reset?token=${token}`,
        '',
        'If you did not ask, ignore this message: your password stays as it is.',
      ].join('\n'),
    });
  });
}

interface LiveToken {
  tokenId: string;
  clientId: string;
  userId: string;
}

/** The token's id, client and user when it is unused, unexpired and made for this purpose (an
 *  invitation link is no reset link, nor the other way round); undefined otherwise. */
export async function findLiveToken(
  { db }: Pick<AuthDeps, 'db'>,
  token: string,
  meta: RequestMeta,
  purpose: PasswordResetToken['purpose'] = 'reset',
): Promise<LiveToken | undefined> {
  if (!TOKEN_PATTERN.test(token)) return undefined;
  const [row] = await inUnitOfWork(db.sequelize, { actorKind: 'anonymous', ...meta }, () =>
    sql<{ token_id: string; client_id: string }>('SELECT * FROM auth_live_token($1)', [hashToken(token)]),
  );
  if (!row) return undefined;
  const record = await inUnitOfWork(db.sequelize, { actorKind: 'anonymous', clientId: row.client_id, ...meta }, () => PasswordResetToken.findByPk(row.token_id));
  if (!record || record.purpose !== purpose) return undefined;
  return { tokenId: row.token_id, clientId: row.client_id, userId: record.userId };
}

export type ResetOutcome = { ok: true } | { ok: false; reason: 'invalid-token' };

/** Sets a new password from a reset link; unlocks a locked account. Throws ValidationError. */
export async function resetPassword(deps: AuthDeps, token: string, password: string, meta: RequestMeta): Promise<ResetOutcome> {
  const { db, config } = deps;
  const live = await findLiveToken(deps, token, meta);
  if (!live) return { ok: false, reason: 'invalid-token' };
  const context: UnitOfWorkContext = { actorKind: 'anonymous', clientId: live.clientId, ...meta };

  const owner = await inUnitOfWork(db.sequelize, context, async () => {
    const record = await PasswordResetToken.findByPk(live.tokenId);
    return record && User.findByPk(record.userId);
  });
  if (!owner || owner.status === 'deactivated') return { ok: false, reason: 'invalid-token' };
  const problems = passwordProblems(password, { minLength: config.passwordMinLength, personalWords: [owner.email, owner.name] });
  if (problems.length) throw new ValidationError({ password: problems.join(' ') });
  const passwordHash = await hashPassword(password, config.bcryptCost);

  const done = await inUnitOfWork(db.sequelize, context, async () => {
    // Lock the user, then the token: the order deactivation and resending use too (so none of
    // them deadlocks), and two submissions of one link cannot both succeed.
    const user = await User.findByPk(owner.id, { lock: true });
    if (!user || user.status === 'deactivated') return false;
    const record = await PasswordResetToken.findByPk(live.tokenId, { lock: true });
    if (!record || record.userId !== user.id || record.purpose !== 'reset' || record.usedAt || record.expiresAt <= new Date()) return false;
    const before = { status: user.status };
    const now = new Date();
    // Before the links are spent: the database sets the hash only with a live link of this user.
    await setUserPassword(user.id, passwordHash, record.id);
    await user.update({
      passwordChangedAt: now,
      status: 'active',
      failedLoginCount: 0,
      lockedAt: null,
      sessionEpoch: user.sessionEpoch + 1,
    });
    await PasswordResetToken.update({ usedAt: now }, { where: { userId: user.id, usedAt: { [Op.is]: null } } });
    await clearAccount(accountKey(user.email));
    await audit({ action: 'auth.password_reset', entityType: 'user', entityId: user.id, actorUserId: user.id, changes: { password_changed: true, token_id: record.id } });
    if (before.status !== 'active') {
      await audit({ action: before.status === 'locked' ? 'auth.unlock' : 'user.activate', entityType: 'user', entityId: user.id, actorUserId: user.id, changes: { status: [before.status, 'active'] } });
    }
    return true;
  });
  if (!done) return { ok: false, reason: 'invalid-token' };
  await endSessionsOf(db.sessionPool, owner.id);
  return { ok: true };
}

export interface ChangeRequest {
  userId: string;
  clientId: string;
  currentPassword: string;
  newPassword: string;
  /** The session to keep; every other session of the user ends. */
  keepSessionId: string;
}

/** Changes a signed-in user's password; returns the new session epoch. Throws ValidationError. */
export async function changePassword(deps: AuthDeps, change: ChangeRequest, meta: RequestMeta): Promise<number> {
  const { db, config } = deps;
  const context: UnitOfWorkContext = { actorKind: 'user', clientId: change.clientId, userId: change.userId, ...meta };
  const current = await inUnitOfWork(db.sequelize, context, async () => {
    const user = await User.findByPk(change.userId);
    return user && { user, hash: await ownPasswordHash() };
  });
  if (!current?.hash) throw new ValidationError({ currentPassword: 'Your current password is not correct.' });
  const { user } = current;
  if (!(await verifyPassword(change.currentPassword, current.hash))) {
    throw new ValidationError({ currentPassword: 'Your current password is not correct.' });
  }
  const problems = passwordProblems(change.newPassword, { minLength: config.passwordMinLength, personalWords: [user.email, user.name] });
  if (change.newPassword === change.currentPassword) problems.unshift('Choose a password different from the current one.');
  if (problems.length) throw new ValidationError({ newPassword: problems.join(' ') });
  const passwordHash = await hashPassword(change.newPassword, config.bcryptCost);

  const epoch = await inUnitOfWork(db.sequelize, context, async () => {
    const locked = await User.findByPk(change.userId, { lock: true });
    // Someone else changed it meanwhile (another tab, a reset): make the user start again.
    if (!locked || (await ownPasswordHash()) !== current.hash) throw new ValidationError({ currentPassword: 'Your password was changed elsewhere; sign in again.' });
    await setUserPassword(locked.id, passwordHash, null);
    await locked.update({ passwordChangedAt: new Date(), sessionEpoch: locked.sessionEpoch + 1 });
    await audit({ action: 'auth.password_changed', entityType: 'user', entityId: locked.id, changes: { password_changed: true } });
    return locked.sessionEpoch;
  });
  await endSessionsOf(db.sessionPool, change.userId, change.keepSessionId);
  return epoch;
}
