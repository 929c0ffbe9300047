// The runtime role never reads (or writes) the secret columns of users and staff_users: password
// hashes and sealed TOTP secrets. Not with SELECT *, not by naming them, not through RETURNING or
// a WHERE that probes them, in a client context, a staff context, or a staff context with a
// made-up id. The narrow functions serve only the context's own row. And a support session
// refuses to change without a context.
import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type pg from 'pg';
import { INSUFFICIENT_PRIVILEGE, expectPgError, inSavepoint, withConnection } from '../support/db-roles.ts';
import { type ClientRow, createClient, createUser, ownerQuery, type UserRow } from '../support/factories.ts';
import { createStaff, type StaffRow } from '../support/staff.ts';

type Context = { actorKind?: string; clientId?: string; userId?: string; staffId?: string };

/** Runs `fn` as the runtime role in one transaction with this context (rolled back afterwards). */
async function asApp<T>(context: Context, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  return withConnection('app', async (client) => {
    await client.query('BEGIN');
    try {
      await client.query(
        `SELECT set_config('app.actor_kind', $1, true), set_config('app.client_id', $2, true),
                set_config('app.user_id', $3, true), set_config('app.staff_id', $4, true)`,
        [context.actorKind ?? '', context.clientId ?? '', context.userId ?? '', context.staffId ?? ''],
      );
      return await fn(client);
    } finally {
      await client.query('ROLLBACK');
    }
  });
}

const DENIED = /^permission denied for table/;

/** Every way of reaching a secret column that a careless or injected query might use. */
const probes = (table: string, column: string): string[] => [
  `SELECT ${column} FROM ${table}`,
  `SELECT * FROM ${table}`,
  `SELECT id FROM ${table} WHERE ${column} IS NOT NULL`,
  `SELECT ${table}::text FROM ${table}`,
  `UPDATE ${table} SET name = name RETURNING ${column}`,
  `UPDATE ${table} SET ${column} = NULL`,
];

describe('secret columns and the runtime role', () => {
  let client: ClientRow;
  let admin: UserRow;
  let other: UserRow;
  let staff: StaffRow;

  beforeEach(async () => {
    client = await createClient();
    admin = await createUser(client, { rank: 'administrator' });
    other = await createUser(client);
    staff = await createStaff({ role: 'technical_director' });
    await ownerQuery(`UPDATE users SET totp_secret = 'v1:sealed', totp_enabled_at = now() WHERE id = $1`, [other.id]);
  });

  it('refuses them in a client context, while the other columns stay readable', async () => {
    const context = { actorKind: 'user', clientId: client.id, userId: admin.id };
    for (const column of ['password_hash', 'totp_secret']) {
      for (const probe of probes('users', column)) {
        await asApp(context, (c) => expectPgError(inSavepoint(c, probe), INSUFFICIENT_PRIVILEGE, DENIED));
      }
    }
    const rows = await asApp(context, (c) => c.query('SELECT id, email, name, has_password, has_totp_secret, totp_enabled_at FROM users ORDER BY email'));
    expect(rows.rows.map((r) => [r.id, r.has_password, r.has_totp_secret])).to.have.deep.members([[admin.id, true, false], [other.id, true, true]]);
  });

  it('refuses them in a staff context, and a made-up staff id sees no staff at all', async () => {
    for (const staffId of [staff.id, randomUUID()]) {
      for (const column of ['password_hash', 'totp_secret']) {
        for (const probe of probes('staff_users', column)) {
          await asApp({ actorKind: 'staff', staffId }, (c) => expectPgError(inSavepoint(c, probe), INSUFFICIENT_PRIVILEGE, DENIED));
        }
      }
    }
    const visible = (staffId: string) => asApp({ actorKind: 'staff', staffId }, async (c) => (await c.query('SELECT id FROM staff_users')).rows.length);
    expect(await visible(staff.id)).to.equal((await ownerQuery('SELECT id FROM staff_users')).length);
    expect(await visible(randomUUID())).to.equal(0);
    expect(await asApp({ actorKind: 'staff', staffId: randomUUID() }, async (c) => (await c.query('SELECT id FROM staff_tokens')).rows.length)).to.equal(0);
    // A staff member who is not active sees their own row only.
    const locked = await createStaff({ status: 'locked' });
    expect(await asApp({ actorKind: 'staff', staffId: locked.id }, async (c) => (await c.query('SELECT id FROM staff_users')).rows.map((r) => r.id))).to.deep.equal([locked.id]);
  });

  it('refuses writing a hash or a secret straight into a new row', async () => {
    await asApp({ actorKind: 'user', clientId: client.id, userId: admin.id }, (c) =>
      expectPgError(inSavepoint(c, `INSERT INTO users (client_id, email, name, rank, password_hash) VALUES ($1, 'x@acme.example', 'X', 'associate', '$2b$04$x')`, [client.id]), INSUFFICIENT_PRIVILEGE, DENIED));
    await asApp({ actorKind: 'system' }, (c) =>
      expectPgError(inSavepoint(c, `INSERT INTO staff_users (email, name, role, password_hash) VALUES ('x@vendor.example', 'X', 'application_developer', '$2b$04$x')`), INSUFFICIENT_PRIVILEGE, DENIED));
  });

  it('serves a hash or secret only to its own context', async () => {
    const one = async (context: Context, text: string, params: unknown[] = []) =>
      asApp(context, async (c) => Object.values((await c.query(text, params)).rows[0] ?? {})[0] ?? null);
    const me = { actorKind: 'user', clientId: client.id, userId: other.id };
    expect(await one(me, 'SELECT auth_own_password_hash()')).to.match(/^\$2[aby]\$/);
    expect(await one(me, 'SELECT auth_own_totp_secret()')).to.equal('v1:sealed');
    // Another user's id, a staff context, an anonymous context: nothing.
    expect(await one({ ...me, clientId: randomUUID() }, 'SELECT auth_own_password_hash()')).to.equal(null);
    expect(await one({ actorKind: 'staff', staffId: staff.id, clientId: client.id, userId: other.id }, 'SELECT auth_own_totp_secret()')).to.equal(null);
    expect(await one({ actorKind: 'anonymous', clientId: client.id, userId: other.id }, 'SELECT auth_own_password_hash()')).to.equal(null);
    // The sign-in lookup answers only before anyone is signed in.
    expect(await one({ actorKind: 'anonymous' }, 'SELECT password_hash FROM auth_sign_in_lookup($1)', [other.email])).to.match(/^\$2[aby]\$/);
    expect(await one(me, 'SELECT count(*)::int FROM auth_sign_in_lookup($1)', [admin.email])).to.equal(0);
    expect(await one({ actorKind: 'staff', staffId: staff.id }, 'SELECT count(*)::int FROM auth_staff_sign_in_lookup($1)', [staff.email])).to.equal(0);
    expect(await one({ actorKind: 'anonymous' }, 'SELECT auth_own_staff_totp_secret()')).to.equal(null);
    expect(await one({ actorKind: 'staff', staffId: staff.id }, 'SELECT auth_own_staff_totp_secret()')).to.match(/^v1:/);
  });

  it('sets a password only for oneself, or with a live link of that very user', async () => {
    const hash = '$2b$04$' + 'a'.repeat(53);
    const me = { actorKind: 'user', clientId: client.id, userId: admin.id };
    await asApp(me, (c) => expectPgError(inSavepoint(c, 'SELECT auth_set_password($1, $2, NULL)', [other.id, hash]), INSUFFICIENT_PRIVILEGE));
    await asApp(me, (c) => expectPgError(inSavepoint(c, 'SELECT auth_set_password($1, $2, NULL)', [admin.id, 'plain-password']), '23514'));
    await asApp(me, (c) => inSavepoint(c, 'SELECT auth_set_password($1, $2, NULL)', [admin.id, hash]));

    const [link] = await ownerQuery<{ id: string }>(
      `INSERT INTO password_reset_tokens (client_id, user_id, purpose, token_hash, expires_at) VALUES ($1, $2, 'reset', $3, now() + interval '1 hour') RETURNING id`,
      [client.id, admin.id, randomBytes(32)]);
    const anonymous = { actorKind: 'anonymous', clientId: client.id };
    // Admin's link does not set other's password, nor does a link work once spent.
    await asApp(anonymous, (c) => expectPgError(inSavepoint(c, 'SELECT auth_set_password($1, $2, $3)', [other.id, hash, link.id]), INSUFFICIENT_PRIVILEGE));
    await asApp(anonymous, (c) => inSavepoint(c, 'SELECT auth_set_password($1, $2, $3)', [admin.id, hash, link.id]));
    await ownerQuery('UPDATE password_reset_tokens SET used_at = now() WHERE id = $1', [link.id]);
    await asApp(anonymous, (c) => expectPgError(inSavepoint(c, 'SELECT auth_set_password($1, $2, $3)', [admin.id, hash, link.id]), INSUFFICIENT_PRIVILEGE));
  });

  it('never replaces an enrolled authenticator, for users or staff', async () => {
    await asApp({ actorKind: 'user', clientId: client.id, userId: other.id }, (c) =>
      expectPgError(inSavepoint(c, `SELECT auth_set_own_totp_secret('v1:replaced')`), INSUFFICIENT_PRIVILEGE));
    await asApp({ actorKind: 'staff', staffId: staff.id }, (c) =>
      expectPgError(inSavepoint(c, `SELECT auth_staff_begin_enrolment('v1:replaced')`), INSUFFICIENT_PRIVILEGE));
    // Only another Technical Director clears a staff member's credentials.
    const developer = await createStaff({ role: 'application_developer' });
    await asApp({ actorKind: 'staff', staffId: developer.id }, (c) =>
      expectPgError(inSavepoint(c, 'SELECT auth_staff_clear_credentials($1)', [staff.id]), INSUFFICIENT_PRIVILEGE));
    await asApp({ actorKind: 'staff', staffId: staff.id }, (c) =>
      expectPgError(inSavepoint(c, 'SELECT auth_staff_clear_credentials($1)', [staff.id]), INSUFFICIENT_PRIVILEGE));
  });

  it('a support session refuses to be opened or changed without an actor kind', async () => {
    const [visit] = await ownerQuery<{ id: string }>(
      `INSERT INTO support_sessions (client_id, staff_id, reason, duration_minutes, status) VALUES ($1, $2, 'Context test', 60, 'pending') RETURNING id`,
      [client.id, staff.id]);
    // No actor kind, even with a client and staff id that row-level security would let through.
    for (const context of [{}, { clientId: client.id, staffId: staff.id, userId: admin.id }]) {
      await asApp(context, (c) => expectPgError(
        inSavepoint(c, `INSERT INTO support_sessions (client_id, staff_id, reason, duration_minutes, status) VALUES ($1, $2, 'No context', 60, 'active')`, [client.id, staff.id]),
        INSUFFICIENT_PRIVILEGE, /app\.actor_kind is not set/));
    }
    expect((await ownerQuery<{ status: string }>('SELECT status FROM support_sessions WHERE id = $1', [visit.id]))[0].status).to.equal('pending');
  });
});
