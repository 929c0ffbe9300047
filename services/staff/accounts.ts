// Vendor staff accounts (DESIGN.md §2): created by `npm run staff:create`, the demo seed
// or the Technical Director; a new account (or a reset one) gets a single-use set-up link that
// sets the password; the authenticator is then enrolled at the next sign-in. Every change here
// is a vendor-level audit entry (client_id NULL).
import { randomBytes } from 'node:crypto';
import { Op } from 'sequelize';
import type { Config } from '../../config/index.ts';
import { ForbiddenError, HttpError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { type Database, StaffUser } from '../../models/index.ts';
import { STAFF_ROLE_LABELS, type StaffRole } from '../../models/staff-user.ts';
import { audit } from '../audit/entries.ts';
import { clearStaffCredentials, setInitialStaffPassword, setStaffPasswordWithLink } from '../auth/credentials.ts';
import { hashToken } from '../auth/link-tokens.ts';
import type { RequestMeta } from '../auth/types.ts';
import { queueMail } from '../mail/outbox.ts';
import { hashPassword, passwordProblems } from '../auth/passwords.ts';
import { staffContext } from './sign-in.ts';
import { UUID_PATTERN as uuid } from '../../lib/uuid.ts';

export const SETUP_LINK_HOURS = 72;
const DUPLICATE_EMAIL = 'A staff account with this e-mail address already exists.';

export type StaffAccountConfig = Pick<Config, 'bcryptCost' | 'passwordMinLength' | 'baseUrl'>;

export interface NewStaffMember {
  email: string;
  name: string;
  role: StaffRole;
  /** Given by `npm run staff:create`: the account is active at once. Otherwise a set-up link goes out. */
  password?: string;
}

/** The rule's problems for this person's password, as a field error. */
function checkPassword(config: Pick<Config, 'passwordMinLength'>, password: string, who: { email: string; name: string }): void {
  const problems = passwordProblems(password, { minLength: config.passwordMinLength, personalWords: [who.email, who.name] });
  if (problems.length) throw new ValidationError({ password: problems.join(' ') });
}

/** Creates a staff account, inside a staff or system unit of work. Throws ValidationError for a
 *  taken e-mail or a weak password. (bcrypt runs here: scripts and the TD's form, rarely.) */
export async function createStaffMember(config: StaffAccountConfig, input: NewStaffMember): Promise<StaffUser> {
  const email = input.email.trim().toLowerCase();
  if (input.password !== undefined) checkPassword(config, input.password, { email, name: input.name });
  const passwordHash = input.password === undefined ? null : await hashPassword(input.password, config.bcryptCost);
  // ON CONFLICT on the unique e-mail: two submissions at once cannot both create it.
  const [inserted] = await sql<{ id: string }>(
    `INSERT INTO staff_users (email, name, role, status, password_changed_at)
     VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN now() END)
     ON CONFLICT (email) DO NOTHING RETURNING id`,
    [email, input.name, input.role, passwordHash ? 'active' : 'invited', Boolean(passwordHash)],
  );
  if (!inserted) throw new ValidationError({ email: DUPLICATE_EMAIL });
  // The hash goes in through the database's own function (system context only).
  if (passwordHash) await setInitialStaffPassword(inserted.id, passwordHash);
  const staff = (await StaffUser.findByPk(inserted.id))!;
  const tokenId = passwordHash ? undefined : await issueSetupLink(staff, config.baseUrl);
  await audit({
    action: 'staff.created',
    clientId: null,
    entityType: 'staff',
    entityId: staff.id,
    changes: { email: [null, staff.email], name: [null, staff.name], role: [null, staff.role], status: [null, staff.status], ...(tokenId ? { token_id: tokenId } : {}) },
  });
  return staff;
}

/** A fresh set-up link for this staff member, e-mailed; any earlier unused link stops working. */
export async function issueSetupLink(staff: StaffUser, baseUrl: string): Promise<string> {
  await sql(`UPDATE staff_tokens SET used_at = now() WHERE staff_id = $1 AND used_at IS NULL`, [staff.id]);
  const token = randomBytes(32).toString('base64url');
  const [record] = await sql<{ id: string }>(
    `INSERT INTO staff_tokens (staff_id, token_hash, expires_at) VALUES ($1, $2, now() + make_interval(hours => $3)) RETURNING id`,
    [staff.id, hashToken(token), SETUP_LINK_HOURS],
  );
  await queueMail({
    to: staff.email,
    kind: 'staff.setup',
    sensitive: true,
    subject: 'Set up your PlanTRAK staff account',
    text: [
      `Hello ${staff.name},`,
      '',
      `A PlanTRAK staff account (${STAFF_ROLE_LABELS[staff.role]}) is ready for you, or has been reset.`,
      `Open this link within ${SETUP_LINK_HOURS} hours to choose your password (it works once):`,
      '',
      `${baseUrl}/admin/setup?token=${token}`,
      '',
      `Then sign in at ${baseUrl}/admin/login and set up an authenticator app: staff accounts always need one.`,
      '',
      'If you did not expect this message, ignore it and tell the Technical Director.',
    ].join('\n'),
  });
  return record.id;
}

export interface LiveSetup {
  tokenId: string;
  staff: StaffUser;
}

/** The staff member behind a live set-up link, unless their account is deactivated. */
export async function findLiveSetup(db: Database, token: string, meta: RequestMeta): Promise<LiveSetup | undefined> {
  if (!token || token.length > 100) return undefined;
  const [live] = await inUnitOfWork(db.sequelize, { actorKind: 'anonymous', ...meta }, () =>
    sql<{ token_id: string; staff_id: string }>('SELECT * FROM auth_staff_token($1)', [hashToken(token)]),
  );
  if (!live) return undefined;
  const staff = await inUnitOfWork(db.sequelize, staffContext(live.staff_id, meta), () => StaffUser.findByPk(live.staff_id));
  if (!staff || staff.status === 'deactivated') return undefined;
  return { tokenId: live.token_id, staff };
}

export type SetupOutcome = { ok: true; staff: StaffUser } | { ok: false };

/** Sets the password from a set-up link and activates the account; the authenticator starts
 *  afresh (enrolled at the next sign-in) and every existing session ends. Throws
 *  ValidationError for a weak password; { ok: false } for a dead link. */
export async function acceptSetup(deps: { db: Database; config: Pick<Config, 'bcryptCost' | 'passwordMinLength'> }, token: string, password: string, meta: RequestMeta): Promise<SetupOutcome> {
  const setup = await findLiveSetup(deps.db, token, meta);
  if (!setup) return { ok: false };
  checkPassword(deps.config, password, setup.staff);
  const passwordHash = await hashPassword(password, deps.config.bcryptCost);
  return inUnitOfWork(deps.db.sequelize, staffContext(setup.staff.id, meta), async (): Promise<SetupOutcome> => {
    // Lock the person, then the link: two submissions of one link cannot both succeed.
    const staff = await StaffUser.findByPk(setup.staff.id, { lock: true });
    if (!staff || staff.status === 'deactivated') return { ok: false };
    const [record] = await sql<{ id: string }>(
      `SELECT id FROM staff_tokens WHERE id = $1 AND staff_id = $2 AND used_at IS NULL AND expires_at > now() FOR UPDATE`,
      [setup.tokenId, staff.id],
    );
    if (!record) return { ok: false };
    const before = staff.status;
    // Before the link is spent: the database sets the hash (and clears the authenticator) only
    // with a live link of this account.
    await setStaffPasswordWithLink(record.id, passwordHash);
    await staff.update({
      passwordChangedAt: new Date(), status: 'active', failedLoginCount: 0, lockedAt: null,
      totpEnabledAt: null, totpLastStep: null, sessionEpoch: staff.sessionEpoch + 1,
    });
    await staff.reload();
    await sql(`UPDATE staff_tokens SET used_at = now() WHERE staff_id = $1 AND used_at IS NULL`, [staff.id]);
    await audit({
      action: 'staff.setup_completed',
      clientId: null,
      entityType: 'staff',
      entityId: staff.id,
      changes: { status: [before, 'active'], password_changed: true, totp_enabled: [null, false], token_id: record.id },
    });
    return { ok: true, staff };
  });
}

// ---------------------------------------------------------------------------------------------
// The Technical Director's changes (each inside the TD's staff unit of work)

export interface StaffListRow {
  staff: StaffUser;
  /** Clients whose Client Representative this person is. */
  assignedClients: number;
}

export async function listStaff(): Promise<StaffListRow[]> {
  const staff = await StaffUser.findAll({ order: [['name', 'ASC'], ['email', 'ASC']] });
  const counts = await assignedClientCounts();
  return staff.map((s) => ({ staff: s, assignedClients: counts.get(s.id) ?? 0 }));
}

async function assignedClientCounts(): Promise<Map<string, number>> {
  const rows = await sql<{ representative_id: string | null }>('SELECT representative_id FROM admin_clients()');
  const counts = new Map<string, number>();
  for (const r of rows) if (r.representative_id) counts.set(r.representative_id, (counts.get(r.representative_id) ?? 0) + 1);
  return counts;
}

export async function findStaff(id: string, options: { lock?: boolean } = {}): Promise<StaffListRow> {
  const staff = uuid.test(id) ? await StaffUser.findByPk(id, { lock: options.lock }) : null;
  if (!staff) throw new NotFoundError('No such staff member.');
  return { staff, assignedClients: (await assignedClientCounts()).get(staff.id) ?? 0 };
}

/** Refuses changes that would leave nobody able to manage staff. */
async function keepOneTechnicalDirector(staff: StaffUser, message: string): Promise<void> {
  if (staff.role !== 'technical_director' || staff.status !== 'active') return;
  // Two Technical Directors removing each other at once take turns here, and the second counts
  // after the first committed.
  await sql(`SELECT pg_advisory_xact_lock(hashtext('staff.technical_directors'))`);
  const others = await StaffUser.count({ where: { role: 'technical_director', status: 'active', id: { [Op.ne]: staff.id } } });
  if (others === 0) throw new HttpError(422, message);
}

function notSelf(actor: StaffUser, staff: StaffUser, what: string): void {
  if (actor.id === staff.id) throw new ForbiddenError(`You cannot ${what} your own account; another Technical Director can.`);
}

/** A new name and role for another staff member. */
export async function updateStaff(actor: StaffUser, id: string, input: { name: string; role: StaffRole }): Promise<StaffUser> {
  const { staff, assignedClients } = await findStaff(id, { lock: true });
  const changes: Record<string, unknown> = {};
  if (staff.name !== input.name) changes.name = [staff.name, input.name];
  if (staff.role !== input.role) {
    notSelf(actor, staff, 'change the role of');
    await keepOneTechnicalDirector(staff, 'This is the last active Technical Director: make someone else Technical Director first.');
    if (staff.role === 'client_representative' && assignedClients > 0) {
      throw new ValidationError({ role: `${staff.name} represents ${assignedClients} client(s): assign them another Client Representative first.` });
    }
    changes.role = [staff.role, input.role];
  }
  if (Object.keys(changes).length === 0) return staff;
  await staff.update({ name: input.name, role: input.role });
  await audit({ action: 'staff.updated', clientId: null, entityType: 'staff', entityId: staff.id, changes });
  return staff;
}

/** Deactivates another staff member; bumping the epoch ends their sessions at their next request. */
export async function deactivateStaff(actor: StaffUser, id: string): Promise<StaffUser> {
  const { staff } = await findStaff(id, { lock: true });
  notSelf(actor, staff, 'deactivate');
  if (staff.status === 'deactivated') return staff;
  await keepOneTechnicalDirector(staff, 'This is the last active Technical Director and cannot be deactivated.');
  const before = staff.status;
  await staff.update({ status: 'deactivated', sessionEpoch: staff.sessionEpoch + 1 });
  await sql(`UPDATE staff_tokens SET used_at = now() WHERE staff_id = $1 AND used_at IS NULL`, [staff.id]);
  await audit({ action: 'staff.deactivated', clientId: null, entityType: 'staff', entityId: staff.id, changes: { status: [before, 'deactivated'] } });
  return staff;
}

/** Reactivates a deactivated (or unlocks a locked) account; without a password it stays invited. */
export async function reactivateStaff(actor: StaffUser, id: string): Promise<StaffUser> {
  const { staff } = await findStaff(id, { lock: true });
  notSelf(actor, staff, 'reactivate');
  if (staff.status !== 'deactivated' && staff.status !== 'locked') return staff;
  const before = staff.status;
  const after = staff.hasPassword ? 'active' : 'invited';
  await staff.update({ status: after, failedLoginCount: 0, lockedAt: null });
  await audit({ action: 'staff.reactivated', clientId: null, entityType: 'staff', entityId: staff.id, changes: { status: [before, after] } });
  return staff;
}

/** Clears another staff member's password and authenticator and e-mails a new set-up link:
 *  how a lost authenticator (or password) is recovered. Their sessions end now. */
export async function resetStaff(actor: StaffUser, id: string, baseUrl: string): Promise<StaffUser> {
  const { staff } = await findStaff(id, { lock: true });
  notSelf(actor, staff, 'reset');
  if (staff.status === 'deactivated') throw new HttpError(409, `${staff.name}'s account is deactivated: reactivate it first.`);
  const before = { status: staff.status, totp_enabled: Boolean(staff.totpEnabledAt) };
  await clearStaffCredentials(staff.id);
  await staff.update({
    status: 'invited', passwordChangedAt: null, failedLoginCount: 0, lockedAt: null,
    totpEnabledAt: null, totpLastStep: null, sessionEpoch: staff.sessionEpoch + 1,
  });
  await staff.reload();
  const tokenId = await issueSetupLink(staff, baseUrl);
  await audit({
    action: 'staff.reset',
    clientId: null,
    entityType: 'staff',
    entityId: staff.id,
    changes: { status: [before.status, 'invited'], password_cleared: true, totp_enabled: [before.totp_enabled, false], token_id: tokenId },
  });
  return staff;
}
