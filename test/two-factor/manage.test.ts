// Managing two-factor sign-in once it is on: new recovery codes (after a current code; the old
// ones stop working) and turning it off (current password and a code), both audited.
import { expect } from 'chai';
import { auditRows } from '../support/auth-helpers.ts';
import { createClient, createUser } from '../support/factories.ts';
import { type Agent, signIn, signedInAgent, submitForm, testApp } from '../support/http.ts';
import { awayFromStepEdge, codeAt, enrol, pastPassword, recoveryCodesOnPage, recoveryRows, submitCode, totpColumns } from './support.ts';
import supertest from 'supertest';

const disable = (agent: Agent, currentPassword: string, disableCode: string) =>
  submitForm(agent, '/account/two-factor', '/account/two-factor/disable', { currentPassword, disableCode });
const regenerate = (agent: Agent, regenerateCode: string) =>
  submitForm(agent, '/account/two-factor', '/account/two-factor/recovery-codes', { regenerateCode });

async function enrolledAgent() {
  const client = await createClient();
  const user = await createUser(client, { email: 'mo@acme.example' });
  const app = testApp({ LOGIN_LOCKOUT_THRESHOLD: '5' });
  const agent = await signedInAgent(app, user.email, user.password);
  const { secret, codes } = await enrol(agent);
  return { client, user, app, agent, secret, codes };
}

describe('managing two-factor sign-in', () => {
  it('turns it off only with the current password and a code, and audits it', async () => {
    const { client, user, app, agent, secret } = await enrolledAgent();
    await awayFromStepEdge();

    const wrongPassword = await disable(agent, 'Wrong-Lantern-47!', await codeAt(secret));
    expect(wrongPassword.status).to.equal(422);
    expect(wrongPassword.text).to.include('Your current password is not correct.');
    expect((await totpColumns(user.id)).totp_enabled_at).to.be.instanceOf(Date);

    const wrongCode = await disable(agent, user.password, '123456');
    expect(wrongCode.status).to.equal(422);
    expect(wrongCode.text).to.include('That code is not correct.');
    expect((await totpColumns(user.id)).totp_enabled_at).to.be.instanceOf(Date);
    expect((await totpColumns(user.id)).failed_login_count, 'a wrong code counts toward lockout').to.equal(1);
    expect((await auditRows('auth.second_factor_failed')).map((r) => r.changes)).to.deep.equal([{ step: 'disable', reason: 'wrong_code' }]);

    const missing = await submitForm(agent, '/account/two-factor', '/account/two-factor/disable', { currentPassword: user.password });
    expect(missing.status).to.equal(422);
    expect(await auditRows('auth.totp_disabled')).to.deep.equal([]);

    const done = await disable(agent, user.password, await codeAt(secret));
    expect(done.status).to.equal(303);
    expect(done.headers.location).to.equal('/account/two-factor');
    const columns = await totpColumns(user.id);
    expect(columns).to.deep.include({ totp_secret: null, totp_enabled_at: null, totp_last_step: null });
    expect(await recoveryRows(user.id)).to.deep.equal([]);
    const disabled = await auditRows('auth.totp_disabled');
    expect(disabled).to.have.length(1);
    expect(disabled[0]).to.deep.include({ client_id: client.id, actor_user_id: user.id, entity_id: user.id, changes: { totp_enabled: [true, false], confirmed_with: 'totp' } });

    // The password alone signs in again.
    const res = await signIn(supertest.agent(app), user.email, user.password);
    expect(res.headers.location).to.equal('/');
  });

  it('turns it off with a recovery code when the phone is lost', async () => {
    const { user, agent, codes } = await enrolledAgent();
    const done = await disable(agent, user.password, codes[3]);
    expect(done.status).to.equal(303);
    expect((await totpColumns(user.id)).totp_enabled_at).to.equal(null);
    expect((await auditRows('auth.totp_disabled'))[0].changes).to.deep.equal({ totp_enabled: [true, false], confirmed_with: 'recovery_code' });
  });

  it('regenerates recovery codes after a current code; the old ones stop working', async () => {
    const { user, app, agent, secret, codes } = await enrolledAgent();
    const before = (await recoveryRows(user.id)).map((r) => r.code_hash.toString('hex'));

    const refused = await regenerate(agent, '000000');
    expect(refused.status).to.equal(422);
    expect((await recoveryRows(user.id)).map((r) => r.code_hash.toString('hex'))).to.deep.equal(before);
    // Recovery codes cannot stand in for the app here.
    expect((await regenerate(agent, codes[0])).status).to.equal(422);

    await awayFromStepEdge();
    const done = await regenerate(agent, await codeAt(secret));
    expect(done.status).to.equal(200);
    const fresh = recoveryCodesOnPage(done.text);
    expect(fresh).to.have.length(10);
    expect(fresh.filter((c) => codes.includes(c))).to.deep.equal([]);
    const after = (await recoveryRows(user.id)).map((r) => r.code_hash.toString('hex'));
    expect(after).to.have.length(10);
    expect(after.filter((h) => before.includes(h))).to.deep.equal([]);
    expect(await auditRows('auth.recovery_codes_regenerated')).to.have.length(1);

    const old = await submitCode(await pastPassword(app, user), codes[1]);
    expect(old.status).to.equal(401);
    const works = await submitCode(await pastPassword(app, user), fresh[1]);
    expect(works.status).to.equal(303);
  });
});
