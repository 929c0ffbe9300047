// Accepting an invitation: the link from the invite e-mail sets the first password and
// activates the account. Like a reset link it works once, and only for the invite purpose;
// bcrypt runs between units of work so no transaction waits on it.
import { Op } from 'sequelize';
import { ValidationError } from '../../lib/errors.ts';
import { type UnitOfWorkContext, inUnitOfWork } from '../../lib/unit-of-work.ts';
import { PasswordResetToken, User } from '../../models/index.ts';
import { audit } from '../audit/entries.ts';
import { setUserPassword } from '../auth/credentials.ts';
import { findLiveToken } from '../auth/password-changes.ts';
import type { AuthDeps, RequestMeta } from '../auth/types.ts';
import { hashPassword, passwordProblems } from '../auth/passwords.ts';

export interface LiveInvite {
  tokenId: string;
  clientId: string;
  user: User;
}

/** The invitation behind a link, when the link is live and its user still awaits it. */
export async function findLiveInvite(deps: Pick<AuthDeps, 'db'>, token: string, meta: RequestMeta): Promise<LiveInvite | undefined> {
  const live = await findLiveToken(deps, token, meta, 'invite');
  if (!live) return undefined;
  const user = await inUnitOfWork(deps.db.sequelize, { actorKind: 'anonymous', clientId: live.clientId, ...meta }, () => User.findByPk(live.userId));
  if (!user || user.status !== 'invited') return undefined;
  return { tokenId: live.tokenId, clientId: live.clientId, user };
}

export type AcceptOutcome = { ok: true; email: string } | { ok: false; reason: 'invalid-token' };

/** Sets the invited user's password and activates them. Throws ValidationError for a weak password. */
export async function acceptInvite(deps: AuthDeps, token: string, password: string, meta: RequestMeta): Promise<AcceptOutcome> {
  const { db, config } = deps;
  const invite = await findLiveInvite(deps, token, meta);
  if (!invite) return { ok: false, reason: 'invalid-token' };
  const problems = passwordProblems(password, { minLength: config.passwordMinLength, personalWords: [invite.user.email, invite.user.name] });
  if (problems.length) throw new ValidationError({ password: problems.join(' ') });
  const passwordHash = await hashPassword(password, config.bcryptCost);

  const context: UnitOfWorkContext = { actorKind: 'anonymous', clientId: invite.clientId, ...meta };
  const done = await inUnitOfWork(db.sequelize, context, async () => {
    // Lock the user, then the token: the order deactivation and resending use too (so none of
    // them deadlocks), and two submissions of one link cannot both succeed.
    const user = await User.findByPk(invite.user.id, { lock: true });
    if (!user || user.status !== 'invited') return false;
    const record = await PasswordResetToken.findByPk(invite.tokenId, { lock: true });
    if (!record || record.userId !== user.id || record.purpose !== 'invite' || record.usedAt || record.expiresAt <= new Date()) return false;
    const now = new Date();
    // Before the link is spent: the database sets the hash only with a live link of this user.
    await setUserPassword(user.id, passwordHash, record.id);
    await user.update({ passwordChangedAt: now, status: 'active', failedLoginCount: 0, lockedAt: null });
    await PasswordResetToken.update({ usedAt: now }, { where: { userId: user.id, usedAt: { [Op.is]: null } } });
    await audit({
      action: 'user.invite_accepted',
      entityType: 'user',
      entityId: user.id,
      actorUserId: user.id,
      changes: { status: ['invited', 'active'], password_changed: true, token_id: record.id },
    });
    return true;
  });
  return done ? { ok: true, email: invite.user.email } : { ok: false, reason: 'invalid-token' };
}
