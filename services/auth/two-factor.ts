// Optional two-factor sign-in with TOTP for client users (DESIGN.md §8.3, §13).
// The secret is stored sealed (AES-256-GCM, lib/secret-box.ts); recovery codes only as SHA-256
// hashes, each usable once. An accepted code's time-step is recorded so it cannot be replayed,
// and wrong codes count toward the same throttle and lockout as wrong passwords.
import { createHash, randomInt } from 'node:crypto';
import type { Config } from '../../config/index.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { SecretBox } from '../../lib/secret-box.ts';
import { type UnitOfWorkContext, inUnitOfWork } from '../../lib/unit-of-work.ts';
import { Client, type Database, RecoveryCode, User } from '../../models/index.ts';
import { audit } from '../audit/entries.ts';
import { verifyPassword } from './passwords.ts';
import { ownPasswordHash, ownTotpSecret, setOwnTotpSecret } from './credentials.ts';
import { countFailure } from './login.ts';
import { accountKey, clearAccount, countAttempt, ipKey, throttledFor } from './throttle.ts';
import { clientRequiresTotp } from './two-factor-requirement.ts';
import { acceptedTotpStep, groupedSecret, isTotpCodeShaped, newTotpSecret, qrCodeDataUrl, totpUri } from './totp.ts';
import type { RequestMeta } from './types.ts';

/** How long a correct password waits for its second factor. */
export const PENDING_SECOND_FACTOR_MS = 5 * 60_000;
export const RECOVERY_CODE_COUNT = 10;

/** Crockford's base32: no i, l, o or u, so codes survive being read aloud or copied by hand. */
const CODE_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
/** 16 characters of 5 bits: 80 random bits, so a plain SHA-256 is a sufficient hash at rest. */
const RECOVERY_CODE_LENGTH = 16;
const RECOVERY_CODE_PATTERN = new RegExp(`^[${CODE_ALPHABET}]{${RECOVERY_CODE_LENGTH}}$`);

export interface TwoFactorDeps {
  db: Database;
  config: Pick<Config, 'login' | 'baseUrl' | 'dataEncryptionKey'>;
  /** The key when config has none (development: var/secrets.json's). */
  dataEncryptionKey?: string;
}

function secretBox(deps: TwoFactorDeps): SecretBox {
  const key = deps.config.dataEncryptionKey ?? deps.dataEncryptionKey;
  if (!key) throw new Error('no data-encryption key: set DATA_ENCRYPTION_KEY');
  return new SecretBox(key);
}

/** The sealed secret belongs to one user: opening it under another user's id fails. */
const sealedFor = (userId: string) => `users.totp_secret:${userId}`;

// ---------------------------------------------------------------------------------------------
// Recovery codes

/** Lower case, without spaces or dashes, with look-alikes mapped (o → 0, i and l → 1). */
export function normaliseRecoveryCode(input: string): string | undefined {
  const code = input.toLowerCase().replace(/[\s-]/g, '').replace(/o/g, '0').replace(/[il]/g, '1');
  return RECOVERY_CODE_PATTERN.test(code) ? code : undefined;
}

const hashRecoveryCode = (normalised: string) => createHash('sha256').update(normalised).digest();

function newRecoveryCode(): string {
  const chars = Array.from({ length: RECOVERY_CODE_LENGTH }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]);
  return chars.join('').replace(/(.{4})(?=.)/g, '$1-');
}

/** Replaces the user's recovery codes with fresh ones; returns them, to be shown once. */
async function replaceRecoveryCodes(user: User): Promise<string[]> {
  await RecoveryCode.destroy({ where: { clientId: user.clientId, userId: user.id } });
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  await RecoveryCode.bulkCreate(codes.map((code) => ({ clientId: user.clientId, userId: user.id, codeHash: hashRecoveryCode(normaliseRecoveryCode(code)!) })));
  return codes;
}

export async function unusedRecoveryCodeCount(user: User): Promise<number> {
  return RecoveryCode.count({ where: { clientId: user.clientId, userId: user.id, usedAt: null } });
}

// ---------------------------------------------------------------------------------------------
// Checking a code

type CodeCheck = { ok: true; method: 'totp' | 'recovery_code' } | { ok: false; reason: 'wrong_code' | 'reused_code' | 'malformed_code' };

/**
 * Checks a TOTP code (or, where allowed, a recovery code) for a user whose row the caller has
 * locked, and spends it: the TOTP step is recorded, the recovery code marked used.
 */
async function spendCode(box: SecretBox, user: User, input: string, allowRecoveryCode: boolean): Promise<CodeCheck> {
  const compact = input.replace(/\s/g, '');
  if (isTotpCodeShaped(compact)) {
    const sealed = await ownTotpSecret();
    if (!sealed) return { ok: false, reason: 'wrong_code' };
    const secret = box.open(sealed, sealedFor(user.id));
    const lastStep = user.totpLastStep == null ? null : Number(user.totpLastStep);
    const step = await acceptedTotpStep(secret, compact, lastStep);
    if (step === undefined) {
      const reused = lastStep != null && (await acceptedTotpStep(secret, compact, null)) !== undefined;
      return { ok: false, reason: reused ? 'reused_code' : 'wrong_code' };
    }
    await user.update({ totpLastStep: String(step) });
    return { ok: true, method: 'totp' };
  }
  const code = allowRecoveryCode ? normaliseRecoveryCode(input) : undefined;
  if (!code) return { ok: false, reason: 'malformed_code' };
  const record = await RecoveryCode.findOne({
    where: { clientId: user.clientId, userId: user.id, codeHash: hashRecoveryCode(code), usedAt: null },
    lock: true,
  });
  if (!record) return { ok: false, reason: 'wrong_code' };
  await record.update({ usedAt: new Date() });
  await audit({
    action: 'auth.recovery_code_used',
    entityType: 'user',
    entityId: user.id,
    actorUserId: user.id,
    changes: { recovery_code_id: record.id, remaining: await unusedRecoveryCodeCount(user) },
  });
  return { ok: true, method: 'recovery_code' };
}

// ---------------------------------------------------------------------------------------------
// Sign-in, second step

export interface PendingSignIn {
  userId: string;
  clientId: string;
  epoch: number;
}

export type SecondFactorOutcome =
  | { kind: 'signed-in'; userId: string; clientId: string; sessionEpoch: number }
  | { kind: 'refused' }
  | { kind: 'throttled'; retryAfterSeconds: number }
  /** The account cannot sign in any more (locked meanwhile, password changed, TOTP turned off). */
  | { kind: 'ended' };

/** Completes a sign-in whose password was accepted, with a TOTP or recovery code. */
export async function completeSignIn(deps: TwoFactorDeps, pending: PendingSignIn, code: string, meta: RequestMeta): Promise<SecondFactorOutcome> {
  const box = secretBox(deps);
  // The password is proven, so the unit of work acts as that user; the row lock makes two
  // submissions of one code take turns, and the second finds the step already spent.
  const context: UnitOfWorkContext = { actorKind: 'user', clientId: pending.clientId, userId: pending.userId, ...meta };
  return inUnitOfWork(deps.db.sequelize, context, async (): Promise<SecondFactorOutcome> => {
    const user = await User.findByPk(pending.userId, { lock: true });
    const client = await Client.findByPk(pending.clientId);
    if (!user || !client || user.status !== 'active' || client.status !== 'active' || user.sessionEpoch !== pending.epoch || !user.totpEnabledAt || !user.hasTotpSecret) {
      return { kind: 'ended' };
    }
    const keys = { account: accountKey(user.email), ip: ipKey(meta.ip ?? 'unknown') };
    const wait = await throttledFor(keys, deps.config.login);
    if (wait) {
      await audit({ action: 'auth.login_throttled', entityType: 'user', entityId: user.id, changes: { step: 'second_factor' } });
      return { kind: 'throttled', retryAfterSeconds: wait };
    }
    const check = await spendCode(box, user, code, true);
    if (!check.ok) {
      await countAttempt(keys, deps.config.login.windowMs);
      await audit({ action: 'auth.second_factor_failed', entityType: 'user', entityId: user.id, changes: { step: 'sign_in', reason: check.reason } });
      await countFailure(user.id, deps.config.login.lockoutThreshold, deps.config.baseUrl);
      return { kind: 'refused' };
    }
    await user.update({ failedLoginCount: 0, lastLoginAt: new Date() });
    await clearAccount(keys.account);
    await audit({ action: 'auth.login', entityType: 'user', entityId: user.id, changes: { second_factor: check.method } });
    return { kind: 'signed-in', userId: user.id, clientId: user.clientId, sessionEpoch: user.sessionEpoch };
  });
}

// ---------------------------------------------------------------------------------------------
// Enrolment and management (the signed-in user's own account)

export type TwoFactorState = 'off' | 'enrolling' | 'on';

export const twoFactorState = (user: User): TwoFactorState => (user.totpEnabledAt ? 'on' : user.hasTotpSecret ? 'enrolling' : 'off');

/** Makes a new secret for the user to scan (replacing an unconfirmed one). In a unit of work. */
export async function beginEnrolment(deps: TwoFactorDeps, userId: string): Promise<void> {
  const user = await User.findByPk(userId, { lock: true });
  if (!user || user.totpEnabledAt) return;
  await setOwnTotpSecret(secretBox(deps).seal(newTotpSecret(), sealedFor(user.id)));
  await user.update({ totpLastStep: null });
}

export interface EnrolmentDetails {
  /** Grouped in fours for typing. */
  secret: string;
  /** data: URL of an SVG QR code carrying the otpauth:// URI. */
  qrCode: string;
}

/** The unconfirmed secret, to show as text and as a QR code. */
export async function enrolmentDetails(deps: TwoFactorDeps, user: User): Promise<EnrolmentDetails | undefined> {
  if (twoFactorState(user) !== 'enrolling') return undefined;
  const sealed = await ownTotpSecret();
  if (!sealed) return undefined;
  const secret = secretBox(deps).open(sealed, sealedFor(user.id));
  return { secret: groupedSecret(secret), qrCode: await qrCodeDataUrl(totpUri(secret, user.email)) };
}

export type CodesOutcome = { ok: true; codes: string[] } | { ok: false; message: string };

const WRONG_CODE = 'That code is not correct. Enter the 6-digit code your authenticator app shows now.';

/** Turns two-factor sign-in on once the user proves their app holds the secret. In a unit of work. */
export async function confirmEnrolment(deps: TwoFactorDeps, userId: string, code: string): Promise<CodesOutcome> {
  const user = await User.findByPk(userId, { lock: true });
  if (!user || twoFactorState(user) !== 'enrolling') return { ok: false, message: 'Start the set-up again.' };
  const check = await spendCode(secretBox(deps), user, code, false);
  if (!check.ok) {
    await audit({ action: 'auth.second_factor_failed', entityType: 'user', entityId: user.id, changes: { step: 'enrol', reason: check.reason } });
    return { ok: false, message: WRONG_CODE };
  }
  await user.update({ totpEnabledAt: new Date() });
  const codes = await replaceRecoveryCodes(user);
  await audit({ action: 'auth.totp_enabled', entityType: 'user', entityId: user.id, changes: { totp_enabled: [false, true], recovery_codes_issued: codes.length } });
  return { ok: true, codes };
}

/** New recovery codes (the old ones stop working), after a current TOTP code. In a unit of work. */
export async function regenerateRecoveryCodes(deps: TwoFactorDeps, userId: string, code: string): Promise<CodesOutcome> {
  const user = await User.findByPk(userId, { lock: true });
  if (!user || twoFactorState(user) !== 'on') return { ok: false, message: 'Two-factor sign-in is not on.' };
  const check = await spendCode(secretBox(deps), user, code, false);
  if (!check.ok) {
    await audit({ action: 'auth.second_factor_failed', entityType: 'user', entityId: user.id, changes: { step: 'regenerate_recovery_codes', reason: check.reason } });
    await countFailure(user.id, deps.config.login.lockoutThreshold, deps.config.baseUrl);
    return { ok: false, message: WRONG_CODE };
  }
  const codes = await replaceRecoveryCodes(user);
  await audit({ action: 'auth.recovery_codes_regenerated', entityType: 'user', entityId: user.id, changes: { recovery_codes_issued: codes.length } });
  return { ok: true, codes };
}

export type DisableOutcome = { ok: true } | { ok: false; field: 'currentPassword' | 'code'; message: string };

/** Turns two-factor sign-in off: needs the current password and a TOTP or recovery code.
 *  Opens its own units of work, so bcrypt runs outside any transaction. */
export async function disableTwoFactor(
  deps: TwoFactorDeps,
  who: { userId: string; clientId: string },
  currentPassword: string,
  code: string,
  meta: RequestMeta,
): Promise<DisableOutcome> {
  const context: UnitOfWorkContext = { actorKind: 'user', clientId: who.clientId, userId: who.userId, ...meta };
  const found = await inUnitOfWork(deps.db.sequelize, context, async () => {
    const user = await User.findByPk(who.userId);
    return user && { user, hash: await ownPasswordHash() };
  });
  if (!found || twoFactorState(found.user) !== 'on') return { ok: false, field: 'code', message: 'Two-factor sign-in is not on.' };
  if (!found.hash || !(await verifyPassword(currentPassword, found.hash))) {
    return { ok: false, field: 'currentPassword', message: 'Your current password is not correct.' };
  }
  return inUnitOfWork(deps.db.sequelize, context, async (): Promise<DisableOutcome> => {
    const locked = await User.findByPk(who.userId, { lock: true });
    if (!locked || twoFactorState(locked) !== 'on') return { ok: false, field: 'code', message: 'Two-factor sign-in is not on.' };
    const check = await spendCode(secretBox(deps), locked, code, true);
    if (!check.ok) {
      await audit({ action: 'auth.second_factor_failed', entityType: 'user', entityId: locked.id, changes: { step: 'disable', reason: check.reason } });
      await countFailure(locked.id, deps.config.login.lockoutThreshold, deps.config.baseUrl);
      return { ok: false, field: 'code', message: 'That code is not correct. Enter a current code from your app, or an unused recovery code.' };
    }
    await locked.update({ totpEnabledAt: null, totpLastStep: null });
    await setOwnTotpSecret(null);
    await RecoveryCode.destroy({ where: { clientId: locked.clientId, userId: locked.id } });
    await audit({ action: 'auth.totp_disabled', entityType: 'user', entityId: locked.id, changes: { totp_enabled: [true, false], confirmed_with: check.method } });
    return { ok: true };
  });
}

// ---------------------------------------------------------------------------------------------
// The client's requirement

/** Sets clients.settings.requireTotp (other settings untouched), audited when it changes. In a unit of work. */
export async function setTwoFactorRequirement(clientId: string, required: boolean): Promise<void> {
  const client = await Client.findByPk(clientId, { lock: true });
  if (!client) throw new NotFoundError();
  const before = clientRequiresTotp(client);
  if (before === required) return;
  client.settings = { ...client.settings, requireTotp: required };
  client.changed('settings', true);
  await client.save();
  await audit({ action: 'client.require_totp', entityType: 'client', entityId: client.id, changes: { required: [before, required] } });
}
