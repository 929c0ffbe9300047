// The password-reset journey end to end: real form with CSRF, transactional outbox, delivery
// through a real SMTP listener, the link from the received message, single use.
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import supertest from 'supertest';
import { createClient, createUser, ownerQuery, type UserRow } from '../support/factories.ts';
import { signIn, submitForm, testApp } from '../support/http.ts';
import { outboxRows, passwordHashOf, RESET_LINK, resetTokenIn, smtpDelivery } from '../support/mail-helpers.ts';
import { decodeBody, smtpForSuite } from '../support/smtp.ts';

const NEW_PASSWORD = 'Harbour-Violet-93#';

/** The page without what legitimately differs per request (CSRF token, request id). */
const normalise = (html: string) =>
  html.replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value=""').replace(/reference [0-9a-f-]{36}/g, 'reference <id>');

/** Every public table with a row whose text form contains the value (read as the owner). */
async function tablesContaining(value: string): Promise<string[]> {
  const tables = await ownerQuery<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`);
  expect(tables.map((t) => t.tablename)).to.include.members(['password_reset_tokens', 'mail_outbox', 'audit_log', 'session', 'users']);
  const found: string[] = [];
  for (const { tablename } of tables) {
    const [hits] = await ownerQuery<{ n: number }>(`SELECT count(*)::int AS n FROM "${tablename}" t WHERE strpos(t::text, $1) > 0`, [value]);
    if (hits.n > 0) found.push(tablename);
  }
  return found;
}

describe('password reset by e-mail', () => {
  const smtp = smtpForSuite();

  let user: UserRow;
  beforeEach(async () => {
    const client = await createClient({ name: 'Acme Water' });
    user = await createUser(client, { email: 'rita.reset@acme.example', name: 'Rita Reset' });
  });

  it('answers the same for known and unknown addresses and queues mail only for the known one', async () => {
    const app = testApp();
    const known = await submitForm(supertest.agent(app), '/password/forgot', '/password/forgot', { email: user.email });
    const unknown = await submitForm(supertest.agent(app), '/password/forgot', '/password/forgot', { email: 'nobody@acme.example' });

    expect(known.status).to.equal(200);
    expect(unknown.status).to.equal(200);
    expect(known.text).to.include('<h1>Check your e-mail</h1>');
    expect(normalise(unknown.text)).to.equal(normalise(known.text));

    const rows = await outboxRows();
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ to_address: user.email, client_id: user.client_id, kind: 'auth.password_reset', sensitive: true, status: 'pending', attempts: 0 });
    expect(rows[0].subject).to.equal('Reset your PlanTRAK password');

    const tokens = await ownerQuery<{ user_id: string; purpose: string; used_at: Date | null; minutes: number }>(
      `SELECT user_id, purpose, used_at, round(extract(epoch FROM expires_at - now()) / 60)::int AS minutes FROM password_reset_tokens`,
    );
    expect(tokens).to.deep.equal([{ user_id: user.id, purpose: 'reset', used_at: null, minutes: 60 }]);
    const audits = await ownerQuery<{ action: string; entity_id: string; client_id: string }>(`SELECT action, entity_id, client_id FROM audit_log`);
    expect(audits).to.deep.equal([{ action: 'auth.password_reset_requested', entity_id: user.id, client_id: user.client_id }]);
  });

  it('delivers the link by SMTP, keeps no plain token, and the link sets a new password once', async () => {
    const app = testApp();
    const forgot = await submitForm(supertest.agent(app), '/password/forgot', '/password/forgot', { email: user.email });
    expect(forgot.status).to.equal(200);

    // Until delivered, the outbox is the one place holding the link (the search below finds it).
    const [queued] = await outboxRows();
    const queuedToken = RESET_LINK.exec(queued.text_body ?? '')?.[1];
    expect(queuedToken).to.be.a('string');
    expect(await tablesContaining(queuedToken!)).to.deep.equal(['mail_outbox']);

    const { delivery, transport } = smtpDelivery(smtp);
    try {
      expect(await delivery.deliverDue()).to.equal(1);
    } finally {
      transport.close();
    }

    // One message, to that address, carrying the link.
    expect(smtp.received).to.have.length(1);
    const [mail] = smtp.received;
    expect(mail.to).to.deep.equal([user.email]);
    expect(mail.from).to.equal('no-reply@plantrak.test');
    expect(mail.raw).to.match(/^Subject: Reset your PlanTRAK password$/m);
    expect(decodeBody(mail.raw)).to.include('Hello Rita Reset,');
    expect(decodeBody(mail.raw)).to.match(RESET_LINK);
    const token = resetTokenIn(mail.raw);
    expect(token).to.equal(queuedToken);
    const linkPath = `/password/reset?token=${token}`;

    // Delivered: the sensitive body is erased; only the token's SHA-256 is stored anywhere.
    const [row] = await outboxRows();
    expect(row).to.include({ status: 'sent', transport: 'smtp', attempts: 1, text_body: null, last_error: null });
    expect(row.sent_at).to.be.instanceOf(Date);
    const [stored] = await ownerQuery<{ token_hash: Buffer }>('SELECT token_hash FROM password_reset_tokens');
    expect(stored.token_hash.equals(createHash('sha256').update(token).digest())).to.equal(true);
    expect(await tablesContaining(token)).to.deep.equal([]);

    // The link shows the form, with the token carried in a hidden field.
    const agent = supertest.agent(app);
    const form = await agent.get(linkPath);
    expect(form.status).to.equal(200);
    expect(form.text).to.include('<h1>Choose a new password</h1>');
    expect(form.text).to.include(`name="token" value="${token}"`);

    const oldHash = await passwordHashOf(user.id);
    const done = await submitForm(agent, linkPath, '/password/reset', { token, password: NEW_PASSWORD, confirmation: NEW_PASSWORD });
    expect(done.status).to.equal(303);
    expect(done.headers.location).to.equal('/login');
    const login = await agent.get('/login');
    expect(login.status).to.equal(200);
    expect(login.text).to.include('Your password has been changed. Sign in with the new one.');
    const newHash = await passwordHashOf(user.id);
    expect(newHash).to.not.equal(oldHash);

    const [used] = await ownerQuery<{ used_at: Date | null }>('SELECT used_at FROM password_reset_tokens');
    expect(used.used_at).to.be.instanceOf(Date);
    const actions = (await ownerQuery<{ action: string }>('SELECT action FROM audit_log ORDER BY seq')).map((a) => a.action);
    expect(actions).to.deep.equal(['auth.password_reset_requested', 'auth.password_reset']);

    // The old password no longer works; the new one does.
    expect((await signIn(supertest.agent(app), user.email, user.password)).status).to.equal(401);
    const signedIn = await signIn(supertest.agent(app), user.email, NEW_PASSWORD);
    expect(signedIn.status).to.equal(303);
    expect(signedIn.headers.location).to.equal('/');

    // The link is spent: both showing and submitting it answer 410 and change nothing.
    const again = await agent.get(linkPath);
    expect(again.status).to.equal(410);
    expect(again.text).to.include('This link no longer works');
    const reuse = await submitForm(agent, '/password/forgot', '/password/reset', { token, password: 'Another-Pass-2468!', confirmation: 'Another-Pass-2468!' });
    expect(reuse.status).to.equal(410);
    expect(reuse.text).to.include('This link no longer works');
    expect(await passwordHashOf(user.id)).to.equal(newHash);
    expect((await signIn(supertest.agent(app), user.email, NEW_PASSWORD)).status).to.equal(303);
    // Using the link left no copy of it behind either (sessions, audit, flash).
    expect(await tablesContaining(token)).to.deep.equal([]);
  });

  it('refuses a malformed or unknown token with the 410 page', async () => {
    const app = testApp();
    for (const token of ['', 'short', 'A'.repeat(43), `${'A'.repeat(42)}!`]) {
      const res = await supertest(app).get(`/password/reset?token=${encodeURIComponent(token)}`);
      expect(res.status, `token ${JSON.stringify(token)}`).to.equal(410);
      expect(res.text).to.include('This link no longer works');
    }
  });
});
