// The only way to the secret columns (password hashes, sealed TOTP secrets) of users and staff:
// the runtime role cannot read or write them directly (migrations/0008), so each use calls a
// narrow SECURITY DEFINER function that serves only the context's own row, in the context the
// flow runs in. Every function here runs inside the caller's unit of work.
import { sql } from '../../lib/unit-of-work.ts';

// ---------------------------------------------------------------------------------------------
// Client users

export interface SignInCandidate {
  userId: string;
  clientId: string;
  passwordHash: string | null;
}

/** The account behind an e-mail and its hash, for sign-in (anonymous context, no client yet). */
export async function signInCandidate(email: string): Promise<SignInCandidate | undefined> {
  const [row] = await sql<{ user_id: string; client_id: string; password_hash: string | null }>('SELECT * FROM auth_sign_in_lookup($1)', [email]);
  return row && { userId: row.user_id, clientId: row.client_id, passwordHash: row.password_hash };
}

/** The signed-in user's own hash (user context). */
export async function ownPasswordHash(): Promise<string | null> {
  const [row] = await sql<{ hash: string | null }>('SELECT auth_own_password_hash() AS hash');
  return row?.hash ?? null;
}

/** Sets a user's password: their own in a user context (no token), or with a live reset or
 *  invitation link of theirs (`tokenId`, anonymous context). The database refuses anything else. */
export async function setUserPassword(userId: string, passwordHash: string, tokenId: string | null): Promise<void> {
  await sql('SELECT auth_set_password($1, $2, $3)', [userId, passwordHash, tokenId]);
}

/** The signed-in user's own sealed TOTP secret (user context). */
export async function ownTotpSecret(): Promise<string | null> {
  const [row] = await sql<{ sealed: string | null }>('SELECT auth_own_totp_secret() AS sealed');
  return row?.sealed ?? null;
}

/** Stores or clears the signed-in user's own sealed secret; refused while two-factor sign-in is on. */
export async function setOwnTotpSecret(sealed: string | null): Promise<void> {
  await sql('SELECT auth_set_own_totp_secret($1)', [sealed]);
}

// ---------------------------------------------------------------------------------------------
// Staff

/** The staff account behind an e-mail and its hash, for sign-in (anonymous context). */
export async function staffSignInCandidate(email: string): Promise<{ staffId: string; passwordHash: string | null } | undefined> {
  const [row] = await sql<{ staff_id: string; password_hash: string | null }>('SELECT * FROM auth_staff_sign_in_lookup($1)', [email]);
  return row && { staffId: row.staff_id, passwordHash: row.password_hash };
}

/** The context's own sealed TOTP secret (staff context). */
export async function ownStaffTotpSecret(): Promise<string | null> {
  const [row] = await sql<{ sealed: string | null }>('SELECT auth_own_staff_totp_secret() AS sealed');
  return row?.sealed ?? null;
}

/** Stores the secret to enrol, for an active account that has none (staff context). */
export async function beginStaffEnrolment(sealed: string): Promise<void> {
  await sql('SELECT auth_staff_begin_enrolment($1)', [sealed]);
}

/** The password from a live set-up link of the context's own account; clears the authenticator. */
export async function setStaffPasswordWithLink(tokenId: string, passwordHash: string): Promise<void> {
  await sql('SELECT auth_staff_set_password($1, $2)', [tokenId, passwordHash]);
}

/** The first password of a new account, from `npm run staff:create` (system context). */
export async function setInitialStaffPassword(staffId: string, passwordHash: string): Promise<void> {
  await sql('SELECT auth_staff_set_initial_password($1, $2)', [staffId, passwordHash]);
}

/** Clears another staff member's password and authenticator (the Technical Director's reset). */
export async function clearStaffCredentials(staffId: string): Promise<void> {
  await sql('SELECT auth_staff_clear_credentials($1)', [staffId]);
}
