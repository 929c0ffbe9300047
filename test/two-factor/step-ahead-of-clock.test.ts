// Regression: a recorded TOTP step ahead of this server's clock (another app server's clock ran
// ahead, or the clock was set back) must refuse the code, not crash the sign-in with a 500.
import { expect } from 'chai';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { testApp } from '../support/http.ts';
import { sessionRowsOf } from '../support/auth-helpers.ts';
import { awayFromStepEdge, codeAt, currentStep, enrolledUser, pastPassword, submitCode, totpColumns } from './support.ts';

describe('TOTP last step ahead of the clock', () => {
  it('refuses the code with 401 (counted), and signs nobody in', async () => {
    const client = await createClient();
    const user = await createUser(client, { email: 'sky@acme.example' });
    const app = testApp();
    const { secret } = await enrolledUser(app, user);
    await ownerQuery('UPDATE users SET totp_last_step = $1 WHERE id = $2', [String(currentStep() + 5), user.id]);
    const agent = await pastPassword(app, user);
    await awayFromStepEdge();
    const res = await submitCode(agent, await codeAt(secret));
    expect(res.status).to.equal(401);
    expect(await sessionRowsOf(user.id)).to.equal(0);
    expect((await totpColumns(user.id)).failed_login_count).to.equal(1);
  });
});
