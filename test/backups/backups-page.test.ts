// The admin area's Backups page: runs of each tier, the WAL archive, restore checks, the newest
// good backup's age; "Run now" queues a run with an audit entry; only those who run the service
// see it; without pgBackRest it says how to install it.
import { expect } from 'chai';
import { buildApp } from '../../app.ts';
import { csrfFrom } from '../support/http.ts';
import { testConfig, testEnv } from '../support/env.ts';
import { ownerQuery } from '../support/factories.ts';
import { createStaff, signedInStaffAgent } from '../support/staff.ts';

const appWith = (backups: { available: boolean; unavailable?: string }) => {
  const config = testConfig();
  return buildApp({ config, db: testEnv().db, sessionSecret: config.sessionSecret!, backups });
};

describe('admin area: Backups page', () => {
  it('shows the runs, the archive, the checks and a failed check, with times in UTC', async () => {
    await ownerQuery(`INSERT INTO backup_runs (tier, trigger, status, requested_at, started_at, finished_at, backup_type, label, size_bytes, repo_size_bytes, wal_start, wal_stop)
      VALUES ('daily', 'schedule', 'succeeded', now() - interval '3 hours', now() - interval '3 hours', now() - interval '3 hours', 'full', '20261201-020000F', 33554432, 6291456, '000000010000000000000003', '000000010000000000000004'),
             ('monthly', 'command', 'failed', now() - interval '2 hours', now() - interval '2 hours', now() - interval '2 hours', 'full', NULL, NULL, NULL, NULL, NULL)`);
    await ownerQuery(`UPDATE backup_runs SET error = 'repository path is not writable' WHERE tier = 'monthly'`);
    await ownerQuery(`INSERT INTO restore_checks (trigger, status, started_at, finished_at, tier, backup_label, target_time, error)
      VALUES ('schedule', 'failed', now() - interval '1 hour', now() - interval '1 hour', 'daily', '20261201-020000F', now() - interval '90 minutes', 'ledger has 3 rows, not 4')`);
    const director = await createStaff({ role: 'technical_director' });
    const agent = await signedInStaffAgent(appWith({ available: true }), director);
    const page = await agent.get('/admin/backups').expect(200);
    expect(page.text).to.include('20261201-020000F');
    expect(page.text).to.include('32.0 MB (6.0 MB)');
    expect(page.text).to.include('repository path is not writable');
    expect(page.text).to.match(/The latest restore check failed/);
    expect(page.text).to.include('ledger has 3 rows, not 4');
    expect(page.text).to.match(/3 hours ago/);
    expect(page.text).to.match(/\d{2}:\d{2}:\d{2} UTC/);
    expect(page.text).to.include('archive_mode');
    expect(page.text).to.include('Run the daily backup now');
  });

  it('queues a run from "Run now", audited, once; a Client Representative may not see or run', async () => {
    const developer = await createStaff({ role: 'application_developer' });
    const app = appWith({ available: true });
    const agent = await signedInStaffAgent(app, developer);
    const token = csrfFrom((await agent.get('/admin/backups').expect(200)).text);
    const first = await agent.post('/admin/backups/run').type('form').send({ _csrf: token, what: 'monthly' }).expect(303);
    expect(first.headers.location).to.equal('/admin/backups');
    expect((await agent.get('/admin/backups')).text).to.include('is queued: the server starts it within a minute');
    await agent.post('/admin/backups/run').type('form').send({ _csrf: token, what: 'monthly' }).expect(303);
    await agent.post('/admin/backups/run').type('form').send({ _csrf: token, what: 'check' }).expect(303);
    expect(await ownerQuery(`SELECT tier, trigger, status, requested_by FROM backup_runs`)).to.deep.equal([{ tier: 'monthly', trigger: 'staff', status: 'queued', requested_by: developer.id }]);
    expect(await ownerQuery(`SELECT trigger, status FROM restore_checks`)).to.deep.equal([{ trigger: 'staff', status: 'queued' }]);
    const audits = await ownerQuery<{ action: string; actor_staff_id: string }>(`SELECT action, actor_staff_id FROM audit_log WHERE action LIKE 'backup.%' ORDER BY action`);
    expect(audits.map((a) => a.action)).to.deep.equal(['backup.restore_check_requested', 'backup.run_requested']);
    expect(audits.every((a) => a.actor_staff_id === developer.id)).to.equal(true);

    // Bad input: a 422 with a message, nothing queued.
    const bad = await agent.post('/admin/backups/run').type('form').send({ _csrf: token, what: 'everything' });
    expect(bad.status).to.equal(422);
    // No CSRF token: refused.
    expect((await agent.post('/admin/backups/run').type('form').send({ what: 'daily' })).status).to.equal(403);
    expect(await ownerQuery(`SELECT tier FROM backup_runs`)).to.have.length(1);

    const rep = await createStaff({ role: 'client_representative' });
    const repAgent = await signedInStaffAgent(app, rep);
    await repAgent.get('/admin/backups').expect(403);
  });

  it('says how to install pgBackRest when this server has no backups, and runs nothing', async () => {
    const director = await createStaff({ role: 'technical_director' });
    const agent = await signedInStaffAgent(appWith({ available: false, unavailable: 'pgBackRest is not installed.' }), director);
    const page = await agent.get('/admin/backups').expect(200);
    expect(page.text).to.include('not backed up');
    expect(page.text).to.include('apt-get install -y pgbackrest');
    expect(page.text).not.to.include('Run the daily backup now');
  });
});
