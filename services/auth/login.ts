// Sign-in: one generic refusal for unknown e-mail, wrong password, locked or inactive account,
// with a bcrypt comparison on every path so timing does not tell them apart (DESIGN.md §8.3).
import { ServiceUnavailableError } from '../../lib/errors.ts';
import { type UnitOfWorkContext, inUnitOfWork } from '../../lib/unit-of-work.ts';
import { Client, User } from '../../models/index.ts';
import { audit } from '../audit/entries.ts';
import { queueMail } from '../mail/outbox.ts';
import { spendComparisonTime, verifyPassword } from './passwords.ts';
import { type SignInCandidate, signInCandidate } from './credentials.ts';
import { accountKey, clearAccount, countAttempt, ipKey, throttledFor } from './throttle.ts';
import type { AuthDeps, RequestMeta } from './types.ts';

export type SignInOutcome =
  | { kind: 'signed-in'; userId: string; clientId: string; sessionEpoch: number }
  /** The password is right, but the user has two-factor sign-in on: not signed in yet. */
  | { kind: 'second-factor'; userId: string; clientId: string; sessionEpoch: number }
  | { kind: 'refused' }
  | { kind: 'throttled'; retryAfterSeconds: number }
  /** Too many sign-ins wait for a bcrypt slot: the password was not checked, nothing was counted. */
  | { kind: 'busy'; message: string; retryAfterSeconds: number };

interface Candidate {
  userId: string;
  clientId: string;
  passwordHash: string | null;
  usable: boolean;
  totpEnabled: boolean;
}

export async function signIn({ db, config }: AuthDeps, email: string, password: string, meta: RequestMeta): Promise<SignInOutcome> {
  const { sequelize } = db;
  const keys = { account: accountKey(email), ip: ipKey(meta.ip ?? 'unknown') };
  const anonymous: UnitOfWorkContext = { actorKind: 'anonymous', ...meta };

  const found: { wait: number; match?: SignInCandidate } = await inUnitOfWork(sequelize, anonymous, async () => {
    const wait = await throttledFor(keys, config.login);
    if (wait) {
      await audit({ action: 'auth.login_throttled', clientId: null });
      return { wait };
    }
    return { wait: 0, match: await signInCandidate(email) };
  });
  if (found.wait) return { kind: 'throttled', retryAfterSeconds: found.wait };

  const scoped: UnitOfWorkContext = { ...anonymous, clientId: found.match?.clientId ?? null };
  const candidate: Candidate | undefined = found.match && (await inUnitOfWork(sequelize, scoped, async () => {
    const user = await User.findByPk(found.match!.userId);
    const client = await Client.findByPk(found.match!.clientId);
    if (!user || !client) return undefined;
    return { userId: user.id, clientId: user.clientId, passwordHash: found.match!.passwordHash, usable: user.status === 'active' && client.status === 'active', totpEnabled: Boolean(user.totpEnabledAt) };
  }));

  // Compare outside any transaction: bcrypt is slow (and may wait for a slot) and must not hold a
  // connection. A password over 72 bytes never matches (services/auth/passwords.ts) and counts as
  // a wrong one below.
  let passwordMatches = false;
  try {
    if (candidate?.passwordHash) passwordMatches = await verifyPassword(password, candidate.passwordHash);
    else await spendComparisonTime(password, config.bcryptCost);
  } catch (error) {
    if (error instanceof ServiceUnavailableError) return { kind: 'busy', message: error.message, retryAfterSeconds: error.retryAfterSeconds };
    throw error;
  }

  const succeeded = Boolean(candidate && passwordMatches && candidate.usable);
  const recordAs: UnitOfWorkContext = succeeded ? { ...scoped, actorKind: 'user', userId: candidate!.userId } : scoped;
  return inUnitOfWork(sequelize, recordAs, async () => {
    if (candidate && succeeded && candidate.totpEnabled) {
      // Failure counters are cleared only once the second factor is given too, or a known
      // password would buy unlimited guesses at the code (services/auth/two-factor.ts).
      const user = await User.findByPk(candidate.userId);
      if (!user) return { kind: 'refused' };
      await audit({ action: 'auth.second_factor_required', entityType: 'user', entityId: user.id, actorUserId: user.id });
      return { kind: 'second-factor', userId: user.id, clientId: user.clientId, sessionEpoch: user.sessionEpoch };
    }
    if (candidate && succeeded) {
      const [, [user]] = await User.update(
        { failedLoginCount: 0, lastLoginAt: new Date() },
        { where: { id: candidate.userId }, returning: true },
      );
      await clearAccount(keys.account);
      await audit({ action: 'auth.login', entityType: 'user', entityId: user.id, actorUserId: user.id });
      return { kind: 'signed-in', userId: user.id, clientId: user.clientId, sessionEpoch: user.sessionEpoch };
    }
    await countAttempt(keys, config.login.windowMs);
    const reason = !candidate ? 'unknown_account' : !passwordMatches ? 'wrong_password' : 'account_not_active';
    await audit({ action: 'auth.login_failed', entityType: candidate ? 'user' : undefined, entityId: candidate?.userId, actorUserId: candidate?.userId ?? null, changes: { reason } });
    if (candidate) await countFailure(candidate.userId, config.login.lockoutThreshold, config.baseUrl);
    return { kind: 'refused' };
  });
}

/** Counts a wrong password (or second-factor code) against the account and locks it at the threshold. */
export async function countFailure(userId: string, threshold: number, baseUrl: string): Promise<void> {
  const user = await User.findByPk(userId, { lock: true });
  if (!user) return;
  user.failedLoginCount += 1;
  const lockNow = user.status === 'active' && user.failedLoginCount >= threshold;
  if (lockNow) {
    user.status = 'locked';
    user.lockedAt = new Date();
  }
  await user.save();
  if (!lockNow) return;
  await audit({ action: 'auth.lockout', entityType: 'user', entityId: user.id, actorUserId: user.id, changes: { status: ['active', 'locked'], failed_attempts: user.failedLoginCount } });
  await queueMail({
    to: user.email,
    kind: 'auth.lockout',
    subject: 'Your PlanTRAK account has been locked',
    text: [
      `Hello ${user.name},`,
      '',
      `Your PlanTRAK account was locked after ${user.failedLoginCount} failed sign-in attempts.`,
      `To unlock it, choose a new password here: ${baseUrl}/password/forgot`,
      '',
      'If these attempts were not yours, tell your administrator.',
    ].join('\n'),
  });
}
