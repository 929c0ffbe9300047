// Regression: accepting an invitation (and resetting a password) locked the token before
// the user, while deactivation and resending an invitation lock the user and then the user's
// tokens. Run at the same moment, the two orders deadlocked and one side ended in a 500.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { hashToken } from '../../services/auth/link-tokens.ts';
import { resetPassword } from '../../services/auth/password-changes.ts';
import { acceptInvite } from '../../services/organisation/invitations.ts';
import { testConfig, testEnv } from '../support/env.ts';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';

async function liveToken(user: { id: string; client_id: string }, purpose: 'invite' | 'reset'): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await ownerQuery(
    `INSERT INTO password_reset_tokens (client_id, user_id, purpose, token_hash, expires_at) VALUES ($1, $2, $3, $4, now() + interval '1 hour')`,
    [user.client_id, user.id, purpose, hashToken(token)],
  );
  return token;
}

/** Holds the user's row lock the way deactivateUser does, lets `racer` start and block, then
 *  kills the user's tokens and deactivates, as deactivateUser does, and commits. */
async function deactivateWhile(userId: string, racer: () => Promise<unknown>): Promise<{ deactivation: unknown; race: PromiseSettledResult<unknown> }> {
  const owner = await testEnv().owner.connect();
  try {
    await owner.query('BEGIN');
    await owner.query('SELECT id FROM users WHERE id = $1 FOR UPDATE', [userId]);
    const race = racer().then((v) => v, (e) => Promise.reject(e));
    const settled = Promise.allSettled([race]);
    // Wait until the racer is waiting on a lock (after its bcrypt, inside its unit of work).
    for (let i = 0; i < 100; i += 1) {
      const [row] = (await ownerQuery<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted`));
      if (row.n > 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    let deactivation: unknown = 'ok';
    try {
      await owner.query('UPDATE password_reset_tokens SET used_at = now() WHERE user_id = $1 AND used_at IS NULL', [userId]);
      await owner.query(`UPDATE users SET status = 'deactivated', session_epoch = session_epoch + 1 WHERE id = $1`, [userId]);
      await owner.query('COMMIT');
    } catch (error) {
      deactivation = (error as { code?: string }).code ?? error;
      await owner.query('ROLLBACK');
    }
    const [race0] = await settled;
    return { deactivation, race: race0 };
  } finally {
    owner.release();
  }
}

describe('invitation and reset links racing a deactivation', () => {
  const deps = () => ({ db: testEnv().db, config: testConfig() });

  it('accepting an invitation while the user is being deactivated neither deadlocks nor activates them', async () => {
    const client = await createClient();
    const user = await createUser(client, { name: 'Ivy Invited', email: 'ivy@race.example', rank: 'associate', status: 'invited' });
    const token = await liveToken(user, 'invite');
    const { deactivation, race } = await deactivateWhile(user.id, () => acceptInvite(deps(), token, 'Quartz-Lantern-47!', {}));
    expect(deactivation, 'the deactivation commits').to.equal('ok');
    expect(race.status, race.status === 'rejected' ? String((race as PromiseRejectedResult).reason) : '').to.equal('fulfilled');
    expect((race as PromiseFulfilledResult<{ ok: boolean }>).value.ok).to.equal(false);
    const [row] = await ownerQuery<{ status: string }>('SELECT status FROM users WHERE id = $1', [user.id]);
    expect(row.status).to.equal('deactivated');
  });

  it('resetting a password while the user is being deactivated neither deadlocks nor reactivates them', async () => {
    const client = await createClient();
    const user = await createUser(client, { name: 'Rex Reset', email: 'rex@race.example', rank: 'associate' });
    const token = await liveToken(user, 'reset');
    const { deactivation, race } = await deactivateWhile(user.id, () => resetPassword(deps(), token, 'Quartz-Lantern-47!', {}));
    expect(deactivation, 'the deactivation commits').to.equal('ok');
    expect(race.status, race.status === 'rejected' ? String((race as PromiseRejectedResult).reason) : '').to.equal('fulfilled');
    expect((race as PromiseFulfilledResult<{ ok: boolean }>).value.ok).to.equal(false);
    const [row] = await ownerQuery<{ status: string }>('SELECT status FROM users WHERE id = $1', [user.id]);
    expect(row.status).to.equal('deactivated');
  });
});
