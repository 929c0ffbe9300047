// bcrypt reads only a password's first 72 bytes, so a stored 72-byte password would also accept
// those bytes followed by anything. Sign-in (client users and staff) and the current-password
// check refuse such a password, with the same generic answer and the same failure accounting as
// any wrong password.
import { expect } from 'chai';
import supertest from 'supertest';
import { MAX_PASSWORD_BYTES, verifyPassword, hashPassword } from '../../services/auth/passwords.ts';
import { accountKey } from '../../services/auth/throttle.ts';
import { auditRows, changePasswordForm, normalisePage, postLogin } from '../support/auth-helpers.ts';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { signedInAgent, submitForm, testApp } from '../support/http.ts';
import { createStaff } from '../support/staff.ts';

/** Exactly 72 bytes, and valid under the rule: the longest password anyone can have. */
const LONGEST = 'Aa1!Quartz-Lantern-Ember-Violet-Rocket-Harbor-Maple-Cobalt-Thistle-Zephy';

async function throttleFailures(key: string): Promise<number> {
  const [row] = await ownerQuery<{ failures: number }>('SELECT failures FROM login_throttle WHERE key = $1', [key]);
  return row?.failures ?? 0;
}

describe('passwords over 72 bytes at sign-in', () => {
  it('the longest allowed password is 72 bytes', () => {
    expect(Buffer.byteLength(LONGEST)).to.equal(MAX_PASSWORD_BYTES);
  });

  it('never match a hash, even when their first 72 bytes do', async () => {
    const hash = await hashPassword(LONGEST, 4);
    expect(await verifyPassword(LONGEST, hash)).to.equal(true);
    expect(await verifyPassword(`${LONGEST}x`, hash)).to.equal(false);
    expect(await verifyPassword(`${LONGEST}anything at all`, hash)).to.equal(false);
  });

  it('refuse a client user generically, counted like a wrong password', async () => {
    const client = await createClient();
    const user = await createUser(client, { password: LONGEST });
    const app = testApp();

    const wrong = await postLogin(supertest.agent(app), { email: user.email, password: 'Wrong-Lantern-47!' });
    const overlong = await postLogin(supertest.agent(app), { email: user.email, password: `${LONGEST}-and-more` });
    const unknown = await postLogin(supertest.agent(app), { email: 'nobody@acme.example', password: `${LONGEST}-and-more` });
    expect([wrong.status, overlong.status, unknown.status]).to.deep.equal([401, 401, 401]);
    // The same page whatever the reason: no account oracle.
    expect(normalisePage(overlong.text, user.email)).to.equal(normalisePage(wrong.text, user.email));
    expect(normalisePage(unknown.text, 'nobody@acme.example')).to.equal(normalisePage(wrong.text, user.email));

    const [row] = await ownerQuery<{ failed_login_count: number }>('SELECT failed_login_count FROM users WHERE id = $1', [user.id]);
    expect(row.failed_login_count).to.equal(2);
    expect(await throttleFailures(accountKey(user.email))).to.equal(2);
    expect((await auditRows('auth.login_failed')).map((r) => r.changes)).to.deep.equal([
      { reason: 'wrong_password' }, { reason: 'wrong_password' }, { reason: 'unknown_account' },
    ]);
    expect(await auditRows('auth.login')).to.deep.equal([]);

    // The password itself still signs in.
    expect((await postLogin(supertest.agent(app), { email: user.email, password: LONGEST })).status).to.equal(303);
  });

  it('refuse a staff member generically, counted like a wrong password', async () => {
    const staff = await createStaff({ password: LONGEST });
    const app = testApp();
    const attempt = (password: string) => submitForm(supertest.agent(app), '/admin/login', '/admin/login', { email: staff.email, password });

    const wrong = await attempt('Wrong-Lantern-47!');
    const overlong = await attempt(`${LONGEST}-and-more`);
    expect([wrong.status, overlong.status]).to.deep.equal([401, 401]);
    expect(normalisePage(overlong.text, staff.email)).to.equal(normalisePage(wrong.text, staff.email));
    const [row] = await ownerQuery<{ failed_login_count: number }>('SELECT failed_login_count FROM staff_users WHERE id = $1', [staff.id]);
    expect(row.failed_login_count).to.equal(2);
    expect((await auditRows('staff.login_failed')).map((r) => r.changes)).to.deep.equal([{ reason: 'wrong_password' }, { reason: 'wrong_password' }]);
    expect(await auditRows('staff.password_accepted')).to.deep.equal([]);

    const right = await attempt(LONGEST);
    expect(right.status).to.equal(303);
    expect(right.headers.location).to.equal('/admin/login/code');
  });

  it('are not accepted as the current password when changing it', async () => {
    const client = await createClient();
    const user = await createUser(client, { password: LONGEST });
    const agent = await signedInAgent(testApp(), user.email, LONGEST);
    const res = await changePasswordForm(agent, `${LONGEST}-and-more`, 'Harbour-Violet-93#');
    expect(res.status).to.equal(422);
    expect(res.text).to.include('Your current password is not correct.');
    expect(await auditRows('auth.password_changed')).to.deep.equal([]);
  });
});
