// Enrolment at /account/two-factor: a secret shown as text and as a QR code,
// confirmed with a current code before it is on; ten single-use recovery codes shown once and
// stored only as SHA-256 hashes; the secret sealed with AES-256-GCM at rest.
import { expect } from 'chai';
import supertest from 'supertest';
import { SecretBox } from '../../lib/secret-box.ts';
import { auditRows } from '../support/auth-helpers.ts';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { signedInAgent, submitForm, testApp } from '../support/http.ts';
import { TEST_KEY, awayFromStepEdge, codeAt, currentStep, enrol, recoveryCodesOnPage, recoveryRows, sha256, startEnrolment, totpColumns } from './support.ts';

describe('two-factor enrolment', () => {
  it('shows the secret and a QR code, refuses a wrong confirmation, enables on a right one, and shows recovery codes once', async () => {
    const client = await createClient();
    const user = await createUser(client, { email: 'tia@acme.example' });
    const app = testApp();
    const agent = await signedInAgent(app, user.email, user.password);

    // Off: an explanation and a button; opening the page changes nothing.
    const off = await agent.get('/account/two-factor').expect(200);
    expect(off.text).to.include('Set up two-factor sign-in');
    expect((await totpColumns(user.id)).totp_secret).to.equal(null);

    const { secret, page } = await startEnrolment(agent);
    expect(secret).to.match(/^[A-Z2-7]{32}$/);
    const qr = /<img src="data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)" alt="QR code/.exec(page);
    expect(qr, 'a data: URL QR code').to.exist;
    expect(Buffer.from(qr![1], 'base64').toString('utf8')).to.match(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(page).not.to.match(/<script|style=/);
    expect((await totpColumns(user.id)).totp_enabled_at, 'not on before confirmation').to.equal(null);

    // A wrong code (and a malformed one) leave it off.
    for (const wrong of ['000000', 'abcdef']) {
      const refused = await submitForm(agent, '/account/two-factor', '/account/two-factor/confirm', { code: wrong });
      expect(refused.status, wrong).to.equal(422);
      expect(refused.text).to.include('That code is not correct.');
    }
    expect((await totpColumns(user.id)).totp_enabled_at).to.equal(null);
    expect(await recoveryRows(user.id)).to.deep.equal([]);
    expect((await auditRows('auth.second_factor_failed')).map((r) => r.changes)).to.deep.equal([
      { step: 'enrol', reason: 'wrong_code' },
      { step: 'enrol', reason: 'malformed_code' },
    ]);

    await awayFromStepEdge();
    const confirmed = await submitForm(agent, '/account/two-factor', '/account/two-factor/confirm', { code: await codeAt(secret) });
    expect(confirmed.status).to.equal(200);
    expect(confirmed.text).to.include('shown only this once');
    const codes = recoveryCodesOnPage(confirmed.text);
    expect(codes).to.have.length(10);
    expect(new Set(codes).size).to.equal(10);

    const columns = await totpColumns(user.id);
    expect(columns.totp_enabled_at).to.be.instanceOf(Date);
    expect(Number(columns.totp_last_step)).to.be.within(currentStep() - 1, currentStep());

    // Stored as hashes of the codes (lower case, no dashes), never as the codes.
    const rows = await recoveryRows(user.id);
    expect(rows).to.have.length(10);
    expect(rows.every((r) => r.client_id === client.id && r.used_at === null)).to.equal(true);
    const stored = rows.map((r) => r.code_hash.toString('hex')).sort();
    expect(stored).to.deep.equal(codes.map((c) => sha256(c.replace(/-/g, '')).toString('hex')).sort());
    const [dump] = await ownerQuery<{ text: string }>(`SELECT string_agg(t::text, ' ') AS text FROM recovery_codes t`);
    for (const code of codes) expect(dump.text).not.to.include(code.replace(/-/g, ''));

    const enabled = await auditRows('auth.totp_enabled');
    expect(enabled).to.have.length(1);
    expect(enabled[0]).to.deep.include({ client_id: client.id, actor_user_id: user.id, entity_type: 'user', entity_id: user.id, changes: { totp_enabled: [false, true], recovery_codes_issued: 10 } });

    // Shown once: the account page now says it is on, and lists no code.
    const on = await agent.get('/account/two-factor').expect(200);
    expect(on.text).to.include('Two-factor sign-in is on.');
    expect(on.text).to.include('You have 10 unused recovery codes.');
    for (const code of codes) expect(on.text).not.to.include(code);
    expect(on.text).not.to.include('totp-secret');

    // Confirming again, or starting over, does not touch an enabled secret.
    const before = await totpColumns(user.id);
    await submitForm(agent, '/account/two-factor', '/account/two-factor/setup', {});
    const again = await submitForm(agent, '/account/two-factor', '/account/two-factor/confirm', { code: await codeAt(secret) });
    expect(again.status).to.equal(422);
    expect(await totpColumns(user.id)).to.deep.equal(before);
  });

  it('stores the secret sealed with AES-256-GCM under DATA_ENCRYPTION_KEY, bound to its user', async () => {
    const client = await createClient();
    const user = await createUser(client);
    const other = await createUser(client);
    const app = testApp();
    const { secret } = await enrol(await signedInAgent(app, user.email, user.password));

    const stored = (await totpColumns(user.id)).totp_secret!;
    expect(stored).not.to.equal(secret);
    expect(stored).not.to.include(secret);
    expect(stored.toUpperCase()).not.to.include(secret);
    expect(stored).to.match(/^v1:[A-Za-z0-9_-]+$/);
    expect(Buffer.from(stored.slice(3), 'base64url').toString('latin1')).not.to.include(secret);

    const box = new SecretBox(TEST_KEY);
    expect(box.open(stored, `users.totp_secret:${user.id}`)).to.equal(secret);
    // Another key, or the same ciphertext copied onto another user's row, does not open.
    expect(() => new SecretBox('11'.repeat(32)).open(stored, `users.totp_secret:${user.id}`)).to.throw();
    expect(() => box.open(stored, `users.totp_secret:${other.id}`)).to.throw();
  });

  it('makes a new key on "start again" and needs the new one to confirm', async () => {
    const client = await createClient();
    const user = await createUser(client);
    const agent = await signedInAgent(testApp(), user.email, user.password);
    const first = await startEnrolment(agent);
    const second = await startEnrolment(agent);
    expect(second.secret).not.to.equal(first.secret);
    await awayFromStepEdge();
    const stale = await submitForm(agent, '/account/two-factor', '/account/two-factor/confirm', { code: await codeAt(first.secret) });
    expect(stale.status).to.equal(422);
    const fresh = await submitForm(agent, '/account/two-factor', '/account/two-factor/confirm', { code: await codeAt(second.secret) });
    expect(fresh.status).to.equal(200);
  });

  it('keeps the enrolment pages to signed-in users and ignores posted fields outside the form', async () => {
    const client = await createClient();
    const user = await createUser(client);
    const other = await createUser(client);
    const app = testApp();
    await supertest(app).get('/account/two-factor').expect(303).expect('Location', '/login?next=%2Faccount%2Ftwo-factor');

    const agent = await signedInAgent(app, user.email, user.password);
    await submitForm(agent, '/account/two-factor', '/account/two-factor/setup', { userId: other.id, user_id: other.id, totpSecret: 'AAAA' });
    expect((await totpColumns(other.id)).totp_secret).to.equal(null);
    expect((await totpColumns(user.id)).totp_secret).to.match(/^v1:/);
  });
});
