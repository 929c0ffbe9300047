// Logs carry request ids, paths and outcomes, never client data (DESIGN.md §8.6, §9): the JSON
// lines written while a user signs in, fails, resets a password and mail fails are captured and
// searched for every piece of client data involved.
import { expect } from 'chai';
import supertest from 'supertest';
import { loggableError } from '../../lib/logger.ts';
import { captureLogs } from '../support/logs.ts';
import { testEnv } from '../support/env.ts';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { signIn, submitForm, testApp } from '../support/http.ts';
import { resetTokenIn, smtpDelivery } from '../support/mail-helpers.ts';
import { smtpForSuite } from '../support/smtp.ts';

type Line = Record<string, unknown> & { msg?: string; level: number };

describe('logs', () => {
  const smtp = smtpForSuite();

  it('record requests and mail failures without e-mails, names, passwords or tokens', async () => {
    const client = await createClient({ name: 'Hush Industries' });
    const user = await createUser(client, { email: 'zora.private@hush-industries.example', name: 'Zora Confidential', password: 'Orchid-Basalt-61!' });
    const newPassword = 'Juniper-Falcon-72?';
    const app = testApp();
    const agent = supertest.agent(app);
    const { delivery, transport } = smtpDelivery(smtp);
    const capture = captureLogs();
    let token: string;
    try {
      expect((await signIn(agent, user.email, 'Wrong-Guess-11!')).status).to.equal(401);
      expect((await supertest(app).get(`/nowhere?email=${encodeURIComponent(user.email)}`).set('User-Agent', 'Zora-Browser/1.0')).status).to.equal(404);
      expect((await submitForm(agent, '/password/forgot', '/password/forgot', { email: user.email })).status).to.equal(200);
      smtp.refuse = true;
      expect(await delivery.deliverDue()).to.equal(0);
      smtp.refuse = false;
      await ownerQuery('UPDATE mail_outbox SET next_attempt_at = now()');
      expect(await delivery.deliverDue()).to.equal(1);
      token = resetTokenIn(smtp.received[0].raw);
      expect((await agent.get(`/password/reset?token=${token}`)).status).to.equal(200);
      const reset = await submitForm(agent, `/password/reset?token=${token}`, '/password/reset', { token, password: newPassword, confirmation: newPassword });
      expect(reset.status).to.equal(303);
      expect((await signIn(agent, user.email, newPassword)).status).to.equal(303);
      expect((await agent.get('/')).status).to.equal(200);
    } finally {
      capture.restore();
      transport.close();
    }

    const parsed = capture.lines.map((l) => JSON.parse(l) as Line);
    // The capture really saw the traffic: one line per request, with ids, paths and statuses.
    const requests = parsed.filter((l) => l.req && l.res);
    const paths = requests.map((l) => `${(l.req as { method: string }).method} ${(l.req as { path: string }).path} ${(l.res as { statusCode: number }).statusCode}`);
    expect(paths).to.include.members(['POST /login 401', 'GET /nowhere 404', 'POST /password/forgot 200', 'GET /password/reset 200', 'POST /password/reset 303', 'POST /login 303', 'GET / 200']);
    for (const line of requests) expect((line.req as { id: string }).id).to.match(/^[0-9a-f-]{36}$/);
    const mailFailure = parsed.find((l) => l.msg === 'mail delivery failed');
    expect(mailFailure, 'a line for the failed delivery').to.not.equal(undefined);
    expect(mailFailure!.mailId).to.be.a('string');

    const all = capture.lines.join('');
    for (const secret of [user.email, 'zora.private', 'hush-industries', 'Zora Confidential', 'Hush Industries', user.password, 'Wrong-Guess-11!', newPassword, token!, 'Zora-Browser', 'plantrak.sid', '_csrf']) {
      expect(all.includes(secret), `log output contains ${JSON.stringify(secret)}`).to.equal(false);
    }
  });
});

describe('loggableError', () => {
  it('keeps a database error\'s SQLSTATE but not the value its message quotes', async () => {
    const value = 'quoted.value@acme.example';
    for (const run of [
      () => testEnv().owner.query(`SELECT '${value}'::uuid`),
      () => testEnv().db.sequelize.query(`SELECT '${value}'::uuid`, { outsideUnitOfWork: 'health' }),
    ]) {
      const error = await run().then(() => undefined, (e: unknown) => e);
      expect(String((error as Error).message)).to.include(value);
      const logged = JSON.stringify(loggableError(error));
      expect(logged).to.include('22P02');
      expect(logged).not.to.include(value);
    }
  });

  it('keeps the message of an ordinary error', () => {
    expect(loggableError(new TypeError('x is not a function'))).to.include({ name: 'TypeError', message: 'x is not a function' });
  });
});
