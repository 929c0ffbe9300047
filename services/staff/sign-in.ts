// Staff sign-in (DESIGN.md §2, §8.3): e-mail and password, then a TOTP code, always.
// A staff member without an authenticator enrols one right after the password, before anything
// else. The same generic refusal, dummy bcrypt comparison, throttle and lockout as client users;
// accepted TOTP time-steps are recorded so a code is never accepted twice.
import type { Config } from '../../config/index.ts';
import { ServiceUnavailableError } from '../../lib/errors.ts';
import { SecretBox } from '../../lib/secret-box.ts';
import { type UnitOfWorkContext, inUnitOfWork } from '../../lib/unit-of-work.ts';
import { type Database, StaffUser } from '../../models/index.ts';
import { audit } from '../audit/entries.ts';
import { spendComparisonTime, verifyPassword } from '../auth/passwords.ts';
import { accountKey, clearAccount, countAttempt, ipKey, throttledFor } from '../auth/throttle.ts';
import { acceptedTotpStep, groupedSecret, isTotpCodeShaped, newTotpSecret, qrCodeDataUrl, totpUri } from '../auth/totp.ts';
import type { RequestMeta } from '../auth/types.ts';
import { beginStaffEnrolment, ownStaffTotpSecret, staffSignInCandidate } from '../auth/credentials.ts';

/** How long a correct password waits for its code (or enrolment). */
export const PENDING_STAFF_SIGN_IN_MS = 10 * 60_000;

export interface StaffAuthDeps {
  db: Database;
  config: Pick<Config, 'bcryptCost' | 'login' | 'dataEncryptionKey'>;
  /** The key when config has none (development: var/secrets.json's). */
  dataEncryptionKey?: string;
}

export const staffContext = (staffId: string, meta: RequestMeta): UnitOfWorkContext => ({ actorKind: 'staff', staffId, ...meta });

function secretBox(deps: StaffAuthDeps): SecretBox {
  const key = deps.config.dataEncryptionKey ?? deps.dataEncryptionKey;
  if (!key) throw new Error('no data-encryption key: set DATA_ENCRYPTION_KEY');
  return new SecretBox(key);
}

/** The sealed secret belongs to one staff member: opening it under another id fails. */
const sealedFor = (staffId: string) => `staff_users.totp_secret:${staffId}`;

export type StaffSignInOutcome =
  /** Password right; `enrol` when no authenticator is set up yet. Not signed in until the code. */
  | { kind: 'second-factor'; staffId: string; epoch: number; enrol: boolean }
  | { kind: 'refused' }
  | { kind: 'throttled'; retryAfterSeconds: number }
  /** Too many sign-ins wait for a bcrypt slot: the password was not checked, nothing was counted. */
  | { kind: 'busy'; message: string; retryAfterSeconds: number };

export async function signInStaff(deps: StaffAuthDeps, email: string, password: string, meta: RequestMeta): Promise<StaffSignInOutcome> {
  const { sequelize } = deps.db;
  const keys = { account: accountKey(email), ip: ipKey(meta.ip ?? 'unknown') };
  const anonymous: UnitOfWorkContext = { actorKind: 'anonymous', ...meta };
  const found: { wait: number; staffId?: string; passwordHash?: string | null } = await inUnitOfWork(sequelize, anonymous, async () => {
    const wait = await throttledFor(keys, deps.config.login);
    if (wait) {
      await audit({ action: 'staff.login_throttled', clientId: null });
      return { wait };
    }
    const candidate = await staffSignInCandidate(email);
    return { wait: 0, staffId: candidate?.staffId, passwordHash: candidate?.passwordHash ?? null };
  });
  if (found.wait) return { kind: 'throttled', retryAfterSeconds: found.wait };

  const staff = found.staffId ? await inUnitOfWork(sequelize, staffContext(found.staffId, meta), () => StaffUser.findByPk(found.staffId)) : null;
  // Compare outside any transaction: bcrypt is slow and must not hold a connection. A password
  // over 72 bytes never matches (services/auth/passwords.ts) and counts as a wrong one below.
  let matches = false;
  try {
    if (staff && found.passwordHash) matches = await verifyPassword(password, found.passwordHash);
    else await spendComparisonTime(password, deps.config.bcryptCost);
  } catch (error) {
    if (error instanceof ServiceUnavailableError) return { kind: 'busy', message: error.message, retryAfterSeconds: error.retryAfterSeconds };
    throw error;
  }
  const succeeded = Boolean(staff && matches && staff.status === 'active');

  return inUnitOfWork(sequelize, staff ? staffContext(staff.id, meta) : anonymous, async (): Promise<StaffSignInOutcome> => {
    if (staff && succeeded) {
      // Someone without an authenticator gets its secret now (a POST), for the enrolment page to show.
      if (!staff.totpEnabledAt && !staff.hasTotpSecret) await beginStaffEnrolment(secretBox(deps).seal(newTotpSecret(), sealedFor(staff.id)));
      await audit({ action: 'staff.password_accepted', clientId: null, entityType: 'staff', entityId: staff.id });
      return { kind: 'second-factor', staffId: staff.id, epoch: staff.sessionEpoch, enrol: !staff.totpEnabledAt };
    }
    await countAttempt(keys, deps.config.login.windowMs);
    const reason = !staff ? 'unknown_account' : !matches ? 'wrong_password' : 'account_not_active';
    await audit({ action: 'staff.login_failed', clientId: null, entityType: staff ? 'staff' : undefined, entityId: staff?.id, changes: { reason } });
    if (staff) await countStaffFailure(staff.id, deps.config.login.lockoutThreshold);
    return { kind: 'refused' };
  });
}

/** Counts a wrong password or code against the staff account and locks it at the threshold. */
async function countStaffFailure(staffId: string, threshold: number): Promise<void> {
  const staff = await StaffUser.findByPk(staffId, { lock: true });
  if (!staff) return;
  staff.failedLoginCount += 1;
  const lockNow = staff.status === 'active' && staff.failedLoginCount >= threshold;
  if (lockNow) Object.assign(staff, { status: 'locked', lockedAt: new Date() });
  await staff.save();
  if (lockNow) {
    await audit({ action: 'staff.lockout', clientId: null, entityType: 'staff', entityId: staff.id, changes: { status: ['active', 'locked'], failed_attempts: staff.failedLoginCount } });
  }
}

export type CodeCheck = { ok: true } | { ok: false; reason: 'wrong_code' | 'reused_code' | 'malformed_code' | 'not_enrolled' };

/** Checks and spends a TOTP code of a staff member whose row the caller has locked. */
async function spendStaffCode(box: SecretBox, staff: StaffUser, input: string): Promise<CodeCheck> {
  const sealed = staff.hasTotpSecret ? await ownStaffTotpSecret() : null;
  if (!sealed) return { ok: false, reason: 'not_enrolled' };
  const code = input.replace(/\s/g, '');
  if (!isTotpCodeShaped(code)) return { ok: false, reason: 'malformed_code' };
  const secret = box.open(sealed, sealedFor(staff.id));
  const lastStep = staff.totpLastStep == null ? null : Number(staff.totpLastStep);
  const step = await acceptedTotpStep(secret, code, lastStep);
  if (step === undefined) {
    const reused = lastStep != null && (await acceptedTotpStep(secret, code, null)) !== undefined;
    return { ok: false, reason: reused ? 'reused_code' : 'wrong_code' };
  }
  await staff.update({ totpLastStep: String(step) });
  return { ok: true };
}

export interface PendingStaff {
  staffId: string;
  epoch: number;
}

export type StaffCodeOutcome =
  | { kind: 'signed-in'; staffId: string; epoch: number }
  | { kind: 'refused' }
  | { kind: 'throttled'; retryAfterSeconds: number }
  /** The account cannot sign in any more (locked meanwhile, deactivated, reset). */
  | { kind: 'ended' };

/** The pending staff member, locked, if they may still complete this sign-in. */
async function lockedPending(pending: PendingStaff, needEnrolled: boolean): Promise<StaffUser | undefined> {
  const staff = await StaffUser.findByPk(pending.staffId, { lock: true });
  if (!staff || staff.status !== 'active' || staff.sessionEpoch !== pending.epoch) return undefined;
  if (needEnrolled !== Boolean(staff.totpEnabledAt)) return undefined;
  return staff;
}

/** Completes a staff sign-in with the current TOTP code (recovery codes do not exist for staff:
 *  the Technical Director re-issues a set-up link instead). */
export async function completeStaffSignIn(deps: StaffAuthDeps, pending: PendingStaff, code: string, meta: RequestMeta): Promise<StaffCodeOutcome> {
  return inUnitOfWork(deps.db.sequelize, staffContext(pending.staffId, meta), async (): Promise<StaffCodeOutcome> => {
    const staff = await lockedPending(pending, true);
    if (!staff) return { kind: 'ended' };
    const refusal = await refusedCode(deps, staff, code, 'sign_in', meta);
    if (refusal) return refusal;
    await staff.update({ failedLoginCount: 0, lastLoginAt: new Date() });
    await audit({ action: 'staff.login', clientId: null, entityType: 'staff', entityId: staff.id });
    return { kind: 'signed-in', staffId: staff.id, epoch: staff.sessionEpoch };
  });
}

/** Throttle, spend and record: undefined when the code was accepted, else why not (audited). */
async function refusedCode(deps: StaffAuthDeps, staff: StaffUser, code: string, step: string, meta: RequestMeta): Promise<Exclude<StaffCodeOutcome, { kind: 'signed-in' } | { kind: 'ended' }> | undefined> {
  const keys = { account: accountKey(staff.email), ip: ipKey(meta.ip ?? 'unknown') };
  const wait = await throttledFor(keys, deps.config.login);
  if (wait) {
    await audit({ action: 'staff.login_throttled', clientId: null, entityType: 'staff', entityId: staff.id, changes: { step } });
    return { kind: 'throttled', retryAfterSeconds: wait };
  }
  const check = await spendStaffCode(secretBox(deps), staff, code);
  if (check.ok) {
    await clearAccount(keys.account);
    return undefined;
  }
  await countAttempt(keys, deps.config.login.windowMs);
  await audit({ action: 'staff.second_factor_failed', clientId: null, entityType: 'staff', entityId: staff.id, changes: { step, reason: check.reason } });
  await countStaffFailure(staff.id, deps.config.login.lockoutThreshold);
  return { kind: 'refused' };
}

/** Re-checks a signed-in staff member's TOTP code (entering a client). In a staff unit of work;
 *  refusals are audited and counted like sign-in failures. */
export async function verifyStaffCode(deps: StaffAuthDeps, staffId: string, code: string, step: string, meta: RequestMeta): Promise<CodeCheck | { ok: false; reason: 'throttled' }> {
  const staff = await StaffUser.findByPk(staffId, { lock: true });
  if (!staff || staff.status !== 'active' || !staff.totpEnabledAt) return { ok: false, reason: 'not_enrolled' };
  const refusal = await refusedCode(deps, staff, code, step, meta);
  if (!refusal) return { ok: true };
  return { ok: false, reason: refusal.kind === 'throttled' ? 'throttled' : 'wrong_code' };
}

// ---------------------------------------------------------------------------------------------
// Enrolment at first sign-in (mandatory)

export interface StaffEnrolment {
  /** Grouped in fours for typing. */
  secret: string;
  /** data: URL of an SVG QR code carrying the otpauth:// URI. */
  qrCode: string;
}

/** The secret to scan (made when the password was accepted; kept until confirmed). Reads only. */
export async function staffEnrolment(deps: StaffAuthDeps, pending: PendingStaff, meta: RequestMeta): Promise<StaffEnrolment | undefined> {
  return inUnitOfWork(deps.db.sequelize, staffContext(pending.staffId, meta), async () => {
    const staff = await lockedPending(pending, false);
    const sealed = staff?.hasTotpSecret ? await ownStaffTotpSecret() : null;
    if (!staff || !sealed) return undefined;
    const secret = secretBox(deps).open(sealed, sealedFor(staff.id));
    return { secret: groupedSecret(secret), qrCode: await qrCodeDataUrl(totpUri(secret, `${staff.email} (staff)`)) };
  });
}

/** Turns the authenticator on once the staff member proves their app holds it; signs them in. */
export async function confirmStaffEnrolment(deps: StaffAuthDeps, pending: PendingStaff, code: string, meta: RequestMeta): Promise<StaffCodeOutcome> {
  return inUnitOfWork(deps.db.sequelize, staffContext(pending.staffId, meta), async (): Promise<StaffCodeOutcome> => {
    const staff = await lockedPending(pending, false);
    if (!staff || !staff.hasTotpSecret) return { kind: 'ended' };
    const refusal = await refusedCode(deps, staff, code, 'enrol', meta);
    if (refusal) return refusal;
    await staff.update({ totpEnabledAt: new Date(), failedLoginCount: 0, lastLoginAt: new Date() });
    await audit({ action: 'staff.totp_enabled', clientId: null, entityType: 'staff', entityId: staff.id, changes: { totp_enabled: [false, true] } });
    await audit({ action: 'staff.login', clientId: null, entityType: 'staff', entityId: staff.id, changes: { enrolled: true } });
    return { kind: 'signed-in', staffId: staff.id, epoch: staff.sessionEpoch };
  });
}
