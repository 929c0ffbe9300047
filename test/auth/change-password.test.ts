// Changing one's password (DESIGN.md §8.3, §8.5): the current password is required, the rule
// applies, and success ends every other session of the user while keeping this one.
import { expect } from 'chai';
import supertest from 'supertest';
import { auditRows, changePasswordForm, cookiePair, postLogin, sessionRowsOf, sidOf } from '../support/auth-helpers.ts';
import { createClient, createUser, ownerQuery, VALID_PASSWORD } from '../support/factories.ts';
import { sessionCookie, signedInAgent, testApp } from '../support/http.ts';

const NEW_PASSWORD = 'Amber-Fjord-Piston-92';

async function passwordState(userId: string) {
  const [row] = await ownerQuery<{ password_hash: string; password_changed_at: Date; session_epoch: number }>(
    'SELECT password_hash, password_changed_at, session_epoch FROM users WHERE id = $1', [userId]);
  return row;
}

describe('change password', () => {
  it('is only for signed-in users', async () => {
    await supertest(testApp()).get('/account/password').expect(303).expect('Location', '/login?next=%2Faccount%2Fpassword');
  });

  it('refuses a wrong current password with 422 and a message, changing nothing', async () => {
    const user = await createUser(await createClient());
    const agent = await signedInAgent(testApp(), user.email, user.password);
    const before = await passwordState(user.id);

    const res = await changePasswordForm(agent, 'Not-My-Password-1!', NEW_PASSWORD);
    expect(res.status).to.equal(422);
    expect(res.text).to.include('<small id="currentPassword-error" class="field-error">Your current password is not correct.</small>');
    // Passwords are never echoed back into the form.
    expect(res.text).not.to.include(NEW_PASSWORD);
    expect(res.text).not.to.include('Not-My-Password-1!');

    expect(await passwordState(user.id)).to.deep.equal(before);
    expect(await auditRows('auth.password_changed')).to.deep.equal([]);
    await agent.get('/').expect(200);
  });

  it('refuses a missing current password', async () => {
    const user = await createUser(await createClient());
    const agent = await signedInAgent(testApp(), user.email, user.password);
    const res = await changePasswordForm(agent, '', NEW_PASSWORD);
    expect(res.status).to.equal(422);
    expect(res.text).to.include('<small id="currentPassword-error" class="field-error">Current password is required.</small>');
  });

  it('refuses a new password that breaks the rule, naming the problem', async () => {
    const user = await createUser(await createClient());
    const agent = await signedInAgent(testApp(), user.email, user.password);
    const before = await passwordState(user.id);
    const res = await changePasswordForm(agent, user.password, 'amber-fjord-piston-92');
    expect(res.status).to.equal(422);
    expect(res.text).to.include('<small id="newPassword-error" class="field-error">Add an upper-case letter.</small>');
    expect(await passwordState(user.id)).to.deep.equal(before);
  });

  it('refuses a confirmation that does not match', async () => {
    const user = await createUser(await createClient());
    const agent = await signedInAgent(testApp(), user.email, user.password);
    const res = await changePasswordForm(agent, user.password, NEW_PASSWORD, `${NEW_PASSWORD}x`);
    expect(res.status).to.equal(422);
    expect(res.text).to.include('<small id="confirmation-error" class="field-error">The two new passwords do not match.</small>');
  });

  it('refuses the current password as the new one', async () => {
    const user = await createUser(await createClient());
    const agent = await signedInAgent(testApp(), user.email, user.password);
    const res = await changePasswordForm(agent, user.password, user.password);
    expect(res.status).to.equal(422);
    expect(res.text).to.include('Choose a password different from the current one.');
  });

  it('changes the password, audits it, and signs out every other session but this one', async () => {
    const client = await createClient();
    const user = await createUser(client);
    const bystander = await createUser(client);
    const app = testApp();
    const here = supertest.agent(app);
    const hereLogin = await postLogin(here, { email: user.email, password: user.password });
    expect(hereLogin.status).to.equal(303);
    const elsewhere = await signedInAgent(app, user.email, user.password);
    const otherUser = await signedInAgent(app, bystander.email, bystander.password);
    await ownerQuery(`UPDATE users SET password_changed_at = '2020-01-01T00:00:00Z' WHERE id = $1`, [user.id]);
    const before = await passwordState(user.id);
    expect(await sessionRowsOf(user.id)).to.equal(2);

    const res = await changePasswordForm(here, VALID_PASSWORD, NEW_PASSWORD);
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/');
    // This session carries on under a new id.
    const newCookie = sessionCookie(res);
    expect(newCookie).to.be.a('string');
    expect(sidOf(newCookie!)).not.to.equal(sidOf(sessionCookie(hereLogin)!));
    await supertest(app).get('/').set('Cookie', cookiePair(sessionCookie(hereLogin)!)).expect(303).expect('Location', '/login');

    const home = await here.get('/').expect(200);
    expect(home.text).to.include('Your password has been changed. Your other sessions have been signed out.');

    const after = await passwordState(user.id);
    expect(after.password_hash).not.to.equal(before.password_hash);
    expect(after.session_epoch).to.equal(before.session_epoch + 1);
    expect(Date.now() - after.password_changed_at.getTime()).to.be.within(0, 60_000);

    const [entry] = await auditRows('auth.password_changed');
    expect(entry).to.deep.include({
      client_id: client.id,
      actor_kind: 'user',
      actor_user_id: user.id,
      entity_type: 'user',
      entity_id: user.id,
      changes: { password_changed: true },
      request_id: res.headers['x-request-id'],
    });

    // The other browser is signed out and its server session is gone; this one stays.
    expect(await sessionRowsOf(user.id)).to.equal(1);
    await elsewhere.get('/').expect(303).expect('Location', '/login');
    await here.get('/account/password').expect(200);
    // Another user's session is untouched.
    expect(await sessionRowsOf(bystander.id)).to.equal(1);
    await otherUser.get('/').expect(200);

    // The old password no longer signs in; the new one does.
    expect((await postLogin(supertest.agent(app), { email: user.email, password: VALID_PASSWORD })).status).to.equal(401);
    expect((await postLogin(supertest.agent(app), { email: user.email, password: NEW_PASSWORD })).status).to.equal(303);
  });
});
