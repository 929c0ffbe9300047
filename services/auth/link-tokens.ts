// Single-use links (password reset, invitation): a random token goes in the e-mail, only its
// SHA-256 is stored, and a token works for one purpose only.
import { createHash, randomBytes } from 'node:crypto';
import { PasswordResetToken, type User } from '../../models/index.ts';

export const hashToken = (token: string) => createHash('sha256').update(token).digest();

/** Stores a new link token for the user (in the current unit of work) and returns it in plain. */
export async function issueLinkToken(user: User, purpose: 'reset' | 'invite', lifetimeMs: number): Promise<{ token: string; record: PasswordResetToken }> {
  const token = randomBytes(32).toString('base64url');
  const record = await PasswordResetToken.create({
    clientId: user.clientId,
    userId: user.id,
    purpose,
    tokenHash: hashToken(token),
    expiresAt: new Date(Date.now() + lifetimeMs),
  });
  return { token, record };
}
