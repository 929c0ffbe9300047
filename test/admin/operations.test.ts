// The admin area's operations pages: the mail outbox across clients (never bodies) and
// recent server errors, recorded by the error handler in a unit of work of their own.
import { expect } from 'chai';
import supertest from 'supertest';
import { inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { recordServerError } from '../../services/admin/app-errors.ts';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { signedInAgent, testApp } from '../support/http.ts';
import { testEnv } from '../support/env.ts';
import { createStaff, signedInStaffAgent } from '../support/staff.ts';

interface ErrorRow {
  request_id: string | null;
  method: string;
  path: string;
  status: number;
  error_name: string;
  message: string;
}

/** app_errors rows (as owner); the handler records after answering, so wait for them briefly. */
async function errorRows(expected: number): Promise<ErrorRow[]> {
  for (let i = 0; ; i++) {
    const rows = await ownerQuery<ErrorRow>('SELECT request_id, method, path, status, error_name, message FROM app_errors ORDER BY occurred_at');
    if (rows.length >= expected || i > 50) return rows;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('admin area: operations', () => {
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  it('lists the outbox of several clients with addresses and status, never bodies', async () => {
    const north = await createClient({ name: 'North Water' });
    const south = await createClient({ name: 'South Power' });
    const insert = (clientId: string | null, to: string, subject: string, status = 'pending', lastError: string | null = null) =>
      ownerQuery(
        `INSERT INTO mail_outbox (client_id, to_address, subject, text_body, kind, status, last_error) VALUES ($1, $2, $3, $4, 'event.reminder', $5, $6)`,
        [clientId, to, subject, `SECRET BODY for ${to}`, status, lastError],
      );
    await insert(north.id, 'ann@north.example', 'Reminder: north permit');
    await insert(south.id, 'bob@south.example', 'Reminder: south inspection', 'failed', 'mailbox unavailable');
    await insert(null, 'staff@solutionstrak.example', 'Staff set-up');

    // Client Representatives see only their own clients' data, and only in a visit: not the outbox.
    const rep = await createStaff({ role: 'client_representative' });
    await (await signedInStaffAgent(app, rep)).get('/admin/outbox').expect(403);
    const developer = await createStaff({ role: 'application_developer' });
    const agent = await signedInStaffAgent(app, developer);
    const page = await agent.get('/admin/outbox').expect(200);
    expect(page.text).to.include('North Water').and.include('ann@north.example').and.include('Reminder: north permit');
    expect(page.text).to.include('South Power').and.include('bob@south.example').and.include('mailbox unavailable');
    expect(page.text).to.include('staff@solutionstrak.example');
    expect(page.text).to.not.include('SECRET BODY');
  });

  it('refuses client users and anonymous visitors', async () => {
    const user = await createUser(await createClient(), { rank: 'administrator' });
    const agent = await signedInAgent(app, user.email, user.password);
    await agent.get('/admin/outbox').expect(403);
    await agent.get('/admin/errors').expect(403);
    const anonymous = await supertest(app).get('/admin/errors').expect(303);
    expect(anonymous.headers.location).to.equal('/admin/login');
  });

  it('records a real 500 (path without query string, no body) and lists it on /admin/errors', async () => {
    const dev = await createStaff({ role: 'application_developer' });
    const agent = await signedInStaffAgent(app, dev);
    const { roles } = testEnv();
    // Induce a genuine server error: the runtime role briefly loses the directory function.
    await ownerQuery(`REVOKE EXECUTE ON FUNCTION admin_clients() FROM ${roles.app}`);
    let failed;
    try {
      failed = await agent.get('/admin?mine=secret-query').expect(500);
    } finally {
      await ownerQuery(`GRANT EXECUTE ON FUNCTION admin_clients() TO ${roles.app}`);
    }
    const reference = /Reference: <code>([^<]+)<\/code>/.exec(failed.text)?.[1];
    const [row] = await errorRows(1);
    expect(row).to.include({ request_id: reference, method: 'GET', path: '/admin', status: 500 });
    expect(row.message).to.include('permission denied');
    expect(row.path).to.not.include('secret-query');

    const page = await agent.get('/admin/errors').expect(200);
    expect(page.text).to.include(reference!).and.include('permission denied');
  });

  it('records through recordServerError directly, clipping long values, and never throws', async () => {
    const { db } = testEnv();
    const longPath = `/x/${'p'.repeat(600)}`;
    await recordServerError({ method: 'POST', path: longPath, context: { requestId: 'req-direct-1' } }, 503, new RangeError('m'.repeat(1500)));
    const [row] = await errorRows(1);
    expect(row).to.include({ request_id: 'req-direct-1', method: 'POST', status: 503, error_name: 'RangeError' });
    expect(row.path).to.have.length(500);
    expect(row.message).to.have.length(1000);
    // Inside another unit of work it cannot open its own: it logs and returns instead of throwing.
    await inUnitOfWork(db.sequelize, { actorKind: 'system' }, () => recordServerError({ method: 'GET', path: '/nested' }, 500, new Error('nested')));
    expect(await errorRows(1)).to.have.length(1);
  });

  it('shows recorded errors to staff; other contexts read no rows', async () => {
    await recordServerError({ method: 'GET', path: '/boom', context: { requestId: 'req-visible' } }, 500, new Error('boom'));
    const developer = await createStaff({ role: 'application_developer' });
    const page = await (await signedInStaffAgent(app, developer)).get('/admin/errors').expect(200);
    expect(page.text).to.include('req-visible').and.include('/boom');
    const { db } = testEnv();
    const [{ n }] = await inUnitOfWork(db.sequelize, { actorKind: 'system' }, () => sql<{ n: number }>('SELECT count(*)::int AS n FROM app_errors'));
    expect(n).to.equal(0);
  });
});
