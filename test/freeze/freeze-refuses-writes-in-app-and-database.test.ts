// Freeze mode (DESIGN.md §9): a frozen client's pages are read-only with a banner saying why,
// the runtime role itself cannot write its data, and sign-in, sign-out and the audit log go on.
import { expect } from 'chai';
import supertest from 'supertest';
import { auditRows } from '../support/auth-helpers.ts';
import { INSUFFICIENT_PRIVILEGE, expectPgError, guardViolation, inSavepoint, urlOf, withConnection } from '../support/db-roles.ts';
import { createClient, createUser, ownerQuery, type ClientRow, type UserRow } from '../support/factories.ts';
import { signIn, signedInAgent, submitForm, testApp } from '../support/http.ts';
import { createStaff, signedInStaffAgent } from '../support/staff.ts';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { hashToken } from '../../services/auth/link-tokens.ts';

const settingsOf = async (client: ClientRow) => (await ownerQuery<{ settings: unknown }>('SELECT settings FROM clients WHERE id = $1', [client.id]))[0]!.settings;

/** A runtime-role transaction in the context of `user`, rolled back at the end. */
async function asUser<T>(user: UserRow, fn: (c: pg.Client) => Promise<T>, connection?: pg.Client): Promise<T> {
  const run = async (c: pg.Client) => {
    await c.query('BEGIN');
    try {
      await c.query(`SELECT set_config('app.client_id', $1, true), set_config('app.user_id', $2, true), set_config('app.actor_kind', 'user', true), set_config('app.scope_all', 'on', true)`, [user.client_id, user.id]);
      return await fn(c);
    } finally {
      await c.query('ROLLBACK');
    }
  };
  return connection ? run(connection) : withConnection('app', run);
}

describe('freeze mode: writes refused in the app and the database', () => {
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  it('freezes a client from the admin area (audited), shows the banner and refuses its writes, while sign-in, sign-out and the audit log keep working', async () => {
    const demo = await createClient({ name: 'Demo Water' });
    const other = await createClient({ name: 'Other Power' });
    const admin = await createUser(demo, { rank: 'administrator' });
    const otherAdmin = await createUser(other, { rank: 'administrator' });
    const director = await createStaff({ role: 'technical_director' });
    const staff = await signedInStaffAgent(app, director);

    const frozen = await submitForm(staff, '/admin/freeze', '/admin/freeze', { target: demo.id, reason: 'The data centre link is unreliable today.' });
    expect(frozen.status).to.equal(303);
    const [entry] = await ownerQuery<{ client_id: string | null; actor_staff_id: string; entity_id: string; changes: Record<string, unknown> }>(
      `SELECT client_id, actor_staff_id, entity_id, changes FROM audit_log WHERE action = 'freeze.frozen'`);
    expect(entry).to.deep.include({ client_id: null, actor_staff_id: director.id, entity_id: demo.id });
    expect(entry!.changes).to.deep.include({ scope: 'client', client: 'Demo Water', reason: 'The data centre link is unreliable today.' });
    expect((await staff.get('/admin/freeze').expect(200)).text).to.include('Demo Water').and.include('The data centre link is unreliable today.');

    // Signing in still works (counters, audit entry), and so does every page, with the banner.
    const agent = await signedInAgent(app, admin.email, admin.password);
    expect((await auditRows('auth.login')).map((r) => r.actor_user_id)).to.include(admin.id);
    const home = await agent.get('/').expect(200);
    expect(home.text).to.include('id="freeze-banner"').and.include('The data centre link is unreliable today.');

    // A change is refused with the reason, and nothing changed.
    const before = await settingsOf(demo);
    const refused = await submitForm(agent, '/settings/levels', '/settings/levels', { region: 'Zone', division: 'District', facility: 'Site' });
    expect(refused.status).to.equal(403);
    expect(refused.text).to.include('data is frozen').and.include('The data centre link is unreliable today.');
    expect(await settingsOf(demo)).to.deep.equal(before);

    // Another client is not affected.
    const otherAgent = await signedInAgent(app, otherAdmin.email, otherAdmin.password);
    expect((await otherAgent.get('/').expect(200)).text).to.not.include('freeze-banner');
    expect((await submitForm(otherAgent, '/settings/levels', '/settings/levels', { region: 'Zone', division: 'District', facility: 'Site' })).status).to.equal(303);

    // A wrong password is still counted, and sign-out still works.
    const stranger = supertest.agent(app);
    await signIn(stranger, admin.email, 'Wrong-password-1!');
    expect((await ownerQuery<{ n: number }>('SELECT failed_login_count AS n FROM users WHERE id = $1', [admin.id]))[0]!.n).to.equal(1);
    expect((await submitForm(agent, '/', '/logout', {})).status).to.equal(303);

    // Thawed (audited): the same change goes through.
    expect((await submitForm(staff, '/admin/freeze', '/admin/freeze/thaw', { target: demo.id })).status).to.equal(303);
    expect(await auditRows('freeze.thawed')).to.have.length(1);
    const again = await signedInAgent(app, admin.email, admin.password);
    expect((await again.get('/').expect(200)).text).to.not.include('freeze-banner');
    expect((await submitForm(again, '/settings/levels', '/settings/levels', { region: 'Zone', division: 'District', facility: 'Site' })).status).to.equal(303);
  });

  it('refuses, as the runtime role, every write of a frozen client but the sign-in columns, the audit log and mail', async () => {
    const demo = await createClient();
    const user = await createUser(demo, { rank: 'administrator' });
    const [facility] = await ownerQuery<{ id: string }>(`INSERT INTO org_units (client_id, kind, name) VALUES ($1, 'facility', 'Plant') RETURNING id`, [demo.id]);
    // Writable before the freeze (the refusals below are the freeze's, not missing grants).
    await asUser(user, (c) => inSavepoint(c, `UPDATE org_units SET name = 'Plant 2' WHERE id = $1`, [facility!.id]));
    await ownerQuery(`UPDATE clients SET frozen_at = now(), frozen_reason = 'Test freeze' WHERE id = $1`, [demo.id]);

    await asUser(user, async (c) => {
      await expectPgError(inSavepoint(c, `INSERT INTO org_units (client_id, kind, name) VALUES ($1, 'facility', 'New')`, [demo.id]), INSUFFICIENT_PRIVILEGE, guardViolation('org_units'));
      // An UPDATE the guard refuses matches no row it may write: it fails, it does not silently pass.
      await expectPgError(inSavepoint(c, `UPDATE org_units SET name = 'Renamed' WHERE id = $1`, [facility!.id]), INSUFFICIENT_PRIVILEGE, guardViolation('org_units'));
      await expectPgError(inSavepoint(c, `UPDATE clients SET settings = '{"x": 1}' WHERE id = $1`, [demo.id]), INSUFFICIENT_PRIVILEGE, guardViolation('clients'));
      await expectPgError(inSavepoint(c, `UPDATE users SET name = 'Renamed' WHERE id = $1`, [user.id]), INSUFFICIENT_PRIVILEGE, /frozen/);
      // What sign-in needs goes on.
      const counted = await inSavepoint(c, `UPDATE users SET failed_login_count = failed_login_count + 1, last_login_at = now() WHERE id = $1`, [user.id]);
      expect(counted.rowCount).to.equal(1);
      const audited = await inSavepoint(c, `INSERT INTO audit_log (client_id, actor_kind, actor_user_id, action) VALUES ($1, 'user', $2, 'auth.login')`, [demo.id, user.id]);
      expect(audited.rowCount).to.equal(1);
      const mailed = await inSavepoint(c, `INSERT INTO mail_outbox (client_id, to_address, subject, text_body, kind) VALUES ($1, 'a@example.com', 'Locked', 'x', 'auth.lockout')`, [demo.id]);
      expect(mailed.rowCount).to.equal(1);
      // Reading is untouched.
      expect((await c.query('SELECT name FROM org_units WHERE id = $1', [facility!.id])).rows).to.have.length(1);
    });
    expect((await ownerQuery<{ name: string }>('SELECT name FROM org_units WHERE id = $1', [facility!.id]))[0]!.name).to.equal('Plant');
  });

  it('freezes every client by the service-wide switch and by READ_ONLY (the connection setting), in the database', async () => {
    const a = await createClient();
    const userA = await createUser(a, { rank: 'administrator' });
    const insert = (c: pg.Client) => inSavepoint(c, `INSERT INTO org_units (client_id, kind, name) VALUES ($1, 'facility', 'New')`, [a.id]);
    expect((await asUser(userA, insert)).rowCount).to.equal(1);

    await ownerQuery(`INSERT INTO service_freeze (reason) VALUES ('Everything frozen')`);
    await asUser(userA, (c) => expectPgError(insert(c), INSUFFICIENT_PRIVILEGE, guardViolation('org_units')));
    await ownerQuery('DELETE FROM service_freeze');

    const readOnly = new pg.Client({ connectionString: urlOf('app'), options: '-c app.read_only=on' });
    await readOnly.connect();
    try {
      await asUser(userA, (c) => expectPgError(insert(c), INSUFFICIENT_PRIVILEGE, guardViolation('org_units')), readOnly);
    } finally {
      await readOnly.end();
    }
    expect((await asUser(userA, insert)).rowCount).to.equal(1);
  });

  it('refuses freezing an unknown client with a clear message, and freezing by anyone but the Technical Director', async () => {
    const demo = await createClient({ name: 'Demo Water' });
    const director = await signedInStaffAgent(app, await createStaff({ role: 'technical_director' }));
    const unknown = await submitForm(director, '/admin/freeze', '/admin/freeze', { target: '00000000-0000-4000-8000-000000000000', reason: 'Outage' });
    expect(unknown.status).to.equal(422);
    expect(unknown.text).to.include('There is no such client').and.include('Outage');
    const blank = await submitForm(director, '/admin/freeze', '/admin/freeze', { target: demo.id, reason: '' });
    expect(blank.status).to.equal(422);
    expect(blank.text).to.include('The reason is required.');

    const developer = await signedInStaffAgent(app, await createStaff({ role: 'application_developer' }));
    await developer.get('/admin/freeze').expect(200);
    expect((await submitForm(developer, '/admin/freeze', '/admin/freeze', { target: demo.id, reason: 'Outage' })).status).to.equal(403);
    expect(await ownerQuery(`SELECT 1 FROM clients WHERE frozen_at IS NOT NULL`)).to.deep.equal([]);
    expect(await ownerQuery(`SELECT 1 FROM audit_log WHERE action LIKE 'freeze.%'`)).to.deep.equal([]);
  });
});

describe('freeze mode: accounts', () => {
  it('lets an invited user of a frozen client accept the invitation and sign in, and nothing else of the account changes', async () => {
    const app = testApp();
    const demo = await createClient({ name: 'Demo Water' });
    const invited = await createUser(demo, { rank: 'associate', status: 'invited', email: 'ivy@demo.example' });
    const token = randomBytes(32).toString('base64url');
    await ownerQuery(`INSERT INTO password_reset_tokens (client_id, user_id, purpose, token_hash, expires_at) VALUES ($1, $2, 'invite', $3, now() + interval '1 day')`,
      [demo.id, invited.id, hashToken(token)]);
    await ownerQuery(`UPDATE clients SET frozen_at = now(), frozen_reason = 'Outage' WHERE id = $1`, [demo.id]);
    const visitor = supertest.agent(app);
    await visitor.get(`/invite/accept?token=${token}`).expect(200);
    const accepted = await submitForm(visitor, `/invite/accept?token=${token}`, '/invite/accept', { token, password: 'Harbour-Violet-93#', confirmation: 'Harbour-Violet-93#' });
    expect(accepted.status, accepted.text.slice(0, 300)).to.be.oneOf([200, 303]);
    expect((await ownerQuery<{ status: string }>('SELECT status FROM users WHERE id = $1', [invited.id]))[0]!.status).to.equal('active');
    const agent = await signedInAgent(app, invited.email, 'Harbour-Violet-93#');
    expect((await agent.get('/').expect(200)).text).to.include('freeze-banner');
  });
});
