// The System page: the daily log review shows the last 24 hours' errors grouped by kind, failed
// mail and jobs, the self-check, backups and the update log; each section's "reviewed" mark is
// audited, once a day; Client Representatives and client users cannot open it.
import { expect } from 'chai';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { csrfFrom, signedInAgent, testApp } from '../support/http.ts';
import { createStaff, signedInStaffAgent } from '../support/staff.ts';
import { recordVersionsIfChanged } from '../../services/operations/versions.ts';
import { testEnv } from '../support/env.ts';

describe('admin area: System page', () => {
  it('shows the day’s failures by kind and records each reviewed mark once, audited', async () => {
    const app = testApp();
    await ownerQuery(`INSERT INTO app_errors (occurred_at, method, path, status, error_name, message) VALUES
      (now() - interval '1 hour', 'GET', '/reports/open', 500, 'TypeError', 'x'), (now() - interval '2 hours', 'GET', '/reports/open', 500, 'TypeError', 'x'),
      (now() - interval '3 days', 'GET', '/old', 500, 'OldError', 'x'), (now() - interval '1 hour', 'JOB', 'event-generation', NULL, 'RangeError', 'bad rule')`);
    await ownerQuery(`INSERT INTO mail_outbox (client_id, to_address, subject, kind, status, last_error) VALUES (NULL, 'gone@example.com', 'Hello', 'test', 'failed', 'mailbox unavailable')`);
    await recordVersionsIfChanged(testEnv().db.sequelize, process.cwd());
    const director = await createStaff({ role: 'technical_director', name: 'Tess Director' });
    const agent = await signedInStaffAgent(app, director);
    const page = await agent.get('/admin/system').expect(200);
    expect(page.text).to.include('TypeError').and.include('RangeError').and.include('bad rule').and.include('gone@example.com').and.include('mailbox unavailable');
    expect(page.text).to.not.include('OldError');
    expect(page.text).to.include(process.version).and.include('(UTC)');

    const post = (section: string, note = '') => agent.post('/admin/system/reviews').type('form').send({ _csrf: csrfFrom(page.text), section, note });
    expect((await post('errors', 'Two TypeErrors on the open report: ticket 41')).status).to.equal(303);
    expect((await post('errors')).status).to.equal(303);
    const after = await agent.get('/admin/system').expect(200);
    expect(after.text).to.include('Reviewed today').and.include('Tess Director').and.include('ticket 41');
    const entries = await ownerQuery<{ client_id: string | null; actor_staff_id: string; changes: Record<string, unknown> }>(
      `SELECT client_id, actor_staff_id, changes FROM audit_log WHERE action = 'system.reviewed'`);
    expect(entries).to.have.length(1);
    expect(entries[0]).to.deep.include({ client_id: null, actor_staff_id: director.id });
    expect(entries[0]!.changes).to.deep.include({ section: 'errors', note: 'Two TypeErrors on the open report: ticket 41' });
    expect(await ownerQuery('SELECT section FROM log_reviews')).to.deep.equal([{ section: 'errors' }]);

    // An unknown section changes nothing.
    expect((await post('everything')).status).to.equal(303);
    expect(await ownerQuery('SELECT section FROM log_reviews')).to.have.length(1);
  });

  it('is closed to Client Representatives and client users', async () => {
    const app = testApp();
    await (await signedInStaffAgent(app, await createStaff({ role: 'client_representative' }))).get('/admin/system').expect(403);
    const user = await createUser(await createClient(), { rank: 'administrator' });
    await (await signedInAgent(app, user.email, user.password)).get('/admin/system').expect(403);
    await (await signedInStaffAgent(app, await createStaff({ role: 'application_developer' }))).get('/admin/system').expect(200);
  });
});
