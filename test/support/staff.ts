// Vendor staff for tests: accounts inserted as the owner, already enrolled in TOTP
// (their secret sealed as the app seals it), codes that are always fresh (never a spent step),
// and agents signed in through the real staff sign-in pages.
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Express } from 'express';
import bcrypt from 'bcrypt';
import { generate, generateSecret } from 'otplib';
import supertest from 'supertest';
import { SecretBox } from '../../lib/secret-box.ts';
import type { StaffRole } from '../../models/staff-user.ts';
import { BASE_TEST_ENV } from './env.ts';
import { type ClientRow, VALID_PASSWORD, ownerQuery } from './factories.ts';
import { type Agent, submitForm } from './http.ts';

const PERIOD = 30;

export interface StaffRow {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  password: string;
  /** The base32 TOTP secret, when enrolled. */
  secret?: string;
}

export async function createStaff(attrs: { role?: StaffRole; name?: string; email?: string; password?: string; enrolled?: boolean; status?: string } = {}): Promise<StaffRow> {
  const password = attrs.password ?? VALID_PASSWORD;
  const [row] = await ownerQuery<{ id: string; email: string; name: string; role: StaffRole }>(
    `INSERT INTO staff_users (email, name, role, status, password_hash, password_changed_at)
     VALUES ($1, $2, $3, $4, $5, now()) RETURNING id, email, name, role`,
    [
      (attrs.email ?? `staff-${randomUUID().slice(0, 8)}@solutionstrak.example`).toLowerCase(),
      attrs.name ?? 'Test Staff',
      attrs.role ?? 'application_developer',
      attrs.status ?? 'active',
      await bcrypt.hash(password, 4),
    ],
  );
  if (attrs.enrolled === false) return { ...row, password };
  const secret = generateSecret({ length: 20 });
  const sealed = new SecretBox(BASE_TEST_ENV.DATA_ENCRYPTION_KEY!).seal(secret, `staff_users.totp_secret:${row.id}`);
  await ownerQuery(`UPDATE staff_users SET totp_secret = $2, totp_enabled_at = now() WHERE id = $1`, [row.id, sealed]);
  return { ...row, password, secret };
}

export async function assignRepresentative(client: ClientRow, staff: StaffRow): Promise<void> {
  await ownerQuery(`UPDATE clients SET representative_id = $2 WHERE id = $1`, [client.id, staff.id]);
}

/** A TOTP code for a time-step the app has not accepted yet from this staff member (waits for
 *  the next step when the current and next are spent). */
export async function freshCode(staff: StaffRow): Promise<string> {
  for (;;) {
    const [{ last }] = await ownerQuery<{ last: string | null }>(`SELECT totp_last_step AS last FROM staff_users WHERE id = $1`, [staff.id]);
    const now = Date.now() / 1000;
    const current = Math.floor(now / PERIOD);
    const step = last == null ? current : Math.max(current, Number(last) + 1);
    // The next step is accepted too, but not within the last 3 seconds of the current one.
    if (step === current || (step === current + 1 && now % PERIOD < PERIOD - 3)) {
      return generate({ secret: staff.secret!, epoch: step * PERIOD });
    }
    await new Promise((resolve) => setTimeout(resolve, (PERIOD - (now % PERIOD) + 0.2) * 1000));
  }
}

/** The TOTP code of a step already accepted (a replay). */
export async function spentCode(staff: StaffRow): Promise<string> {
  const [{ last }] = await ownerQuery<{ last: string | null }>(`SELECT totp_last_step AS last FROM staff_users WHERE id = $1`, [staff.id]);
  if (last == null) throw new Error('no code accepted yet');
  return generate({ secret: staff.secret!, epoch: Number(last) * PERIOD });
}

/** A new agent signed in as this (enrolled) staff member through /admin/login and the code page. */
export async function signedInStaffAgent(app: Express, staff: StaffRow): Promise<Agent> {
  const agent = supertest.agent(app);
  const password = await submitForm(agent, '/admin/login', '/admin/login', { email: staff.email, password: staff.password });
  expect(password.status, password.text).to.equal(303);
  expect(password.headers.location).to.equal('/admin/login/code');
  const code = await submitForm(agent, '/admin/login/code', '/admin/login/code', { code: await freshCode(staff) });
  expect(code.status, code.text).to.equal(303);
  expect(code.headers.location).to.equal('/admin');
  return agent;
}
