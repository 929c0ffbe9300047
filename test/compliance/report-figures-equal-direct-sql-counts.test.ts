// The yearly compliance report: its figures (audit entries by month and action, sign-in failures,
// lockouts, support sessions, staff with two-factor status) equal direct SQL counts over every
// client for that year, on the page and in the workbook; generating it is audited; only the
// Technical Director may; a bad year is a clear 422.
import ExcelJS from 'exceljs';
import { expect } from 'chai';
import { createClient, ownerQuery } from '../support/factories.ts';
import { testApp } from '../support/http.ts';
import { createStaff, signedInStaffAgent } from '../support/staff.ts';
import { getBytes } from '../exports/read-back.ts';

const YEAR = 2025;

async function seed(): Promise<void> {
  const a = await createClient({ name: 'Alpha Water' });
  const b = await createClient({ name: 'Bravo Power' });
  const entry = (clientId: string | null, action: string, at: string) =>
    ownerQuery(`INSERT INTO audit_log (client_id, actor_kind, action, occurred_at) VALUES ($1, 'system', $2, $3)`, [clientId, action, at]);
  for (const [clientId, action, at] of [
    [a.id, 'auth.login', '2025-01-05T10:00:00Z'], [a.id, 'auth.login', '2025-01-20T10:00:00Z'], [a.id, 'auth.login_failed', '2025-01-21T10:00:00Z'],
    [b.id, 'auth.login_failed', '2025-03-02T10:00:00Z'], [b.id, 'auth.second_factor_failed', '2025-03-02T10:01:00Z'], [b.id, 'auth.lockout', '2025-03-02T10:02:00Z'],
    [null, 'staff.login_failed', '2025-12-31T23:59:00Z'], [null, 'staff.lockout', '2025-07-01T00:00:00Z'],
    // Outside the year: never counted.
    [a.id, 'auth.login_failed', '2024-12-31T23:59:59Z'], [b.id, 'auth.lockout', '2026-01-01T00:00:00Z'],
  ] as const) await entry(clientId, action, at);
  const rep = await createStaff({ role: 'client_representative', name: 'Rita Rep' });
  await createStaff({ role: 'application_developer', name: 'Dev Without Code', enrolled: false });
  for (const [clientId, reason, at] of [[a.id, 'Import help', '2025-02-01T09:00:00Z'], [b.id, 'Permit question', '2025-05-01T09:00:00Z'], [b.id, 'Last year', '2024-05-01T09:00:00Z']] as const) {
    await ownerQuery(`INSERT INTO support_sessions (client_id, staff_id, reason, read_only, duration_minutes, status, requested_at) VALUES ($1, $2, $3, true, 30, 'pending', $4)`, [clientId, rep.id, reason, at]);
  }
}

const count = async (where: string, params: unknown[] = []) =>
  (await ownerQuery<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE occurred_at >= '2025-01-01Z' AND occurred_at < '2026-01-01Z' AND ${where}`, params))[0]!.n;

describe('yearly compliance report', () => {
  it('reports figures equal to direct SQL counts, on the page and in the workbook, and audits each generation', async () => {
    await seed();
    const director = await createStaff({ role: 'technical_director', name: 'Tess Director' });
    const agent = await signedInStaffAgent(testApp(), director);
    // The director's own sign-in entries are in the log too; the expectations count whatever is there.
    const failures = await count(`action = ANY ($1)`, [['auth.login_failed', 'auth.second_factor_failed', 'staff.login_failed', 'staff.second_factor_failed']]);
    const lockouts = await count(`action = ANY ($1)`, [['auth.lockout', 'staff.lockout']]);
    expect([failures, lockouts]).to.deep.equal([4, 2]);
    const byMonth = await ownerQuery<{ month: string; action: string; n: number }>(
      `SELECT to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month, action, count(*)::int AS n FROM audit_log
        WHERE occurred_at >= '2025-01-01Z' AND occurred_at < '2026-01-01Z' GROUP BY 1, 2 ORDER BY 1, 2`);
    const total = await count('true');
    // Backup runs and restore checks of the year, and one of the year after that is left out.
    await ownerQuery(`INSERT INTO backup_runs (tier, trigger, status, requested_at, started_at, finished_at, label)
                      VALUES ('daily', 'schedule', 'succeeded', '2025-03-01Z', '2025-03-01Z', '2025-03-01 00:05Z', '20250301-000000F'),
                             ('monthly', 'schedule', 'failed', '2025-07-01Z', '2025-07-01Z', '2025-07-01 00:01Z', NULL),
                             ('daily', 'schedule', 'succeeded', '2026-01-02Z', '2026-01-02Z', '2026-01-02 00:05Z', '20260102-000000F')`);
    await ownerQuery(`INSERT INTO restore_checks (trigger, status, requested_at, started_at, finished_at) VALUES ('schedule', 'passed', '2025-03-08Z', '2025-03-08Z', '2025-03-08 00:02Z')`);

    const page = await agent.get(`/admin/compliance?year=${YEAR}`).expect(200);
    expect(page.text).to.include(`<strong>${total}</strong> entries`).and.include(`<strong>${failures}</strong> sign-in failures`).and.include(`<strong>${lockouts}</strong> lockouts`);
    expect(page.text).to.include('Import help').and.include('Permit question').and.not.include('Last year');
    expect(page.text).to.include('Dev Without Code').and.include('Not set up').and.include('Rita Rep');

    const res = await getBytes(agent, `/admin/compliance/report.xlsx?year=${YEAR}`).expect(200);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(res.body as unknown as ArrayBuffer);
    const rows = (name: string) => book.getWorksheet(name)!.getSheetValues().slice(2).map((r) => (r as unknown[]).slice(1));
    expect(rows('Audit log by month')).to.deep.equal(byMonth.map((r) => [r.month, r.action, r.n]));
    const summary = new Map(rows('Summary').map((r) => [r[0], r[1]]));
    expect(summary.get('Audit entries')).to.equal(String(total));
    expect(summary.get('Sign-in failures')).to.equal(String(failures));
    expect(summary.get('Lockouts')).to.equal(String(lockouts));
    const sessions = (await ownerQuery<{ n: number }>(`SELECT count(*)::int AS n FROM support_sessions WHERE requested_at >= '2025-01-01Z' AND requested_at < '2026-01-01Z'`))[0]!.n;
    expect(rows('Support sessions')).to.have.length(sessions);
    const staff = await ownerQuery<{ name: string; enabled: boolean }>('SELECT name, totp_enabled_at IS NOT NULL AS enabled FROM staff_users ORDER BY name');
    expect(rows('Staff accounts').map((r) => [r[0], r[4]]).sort()).to.deep.equal(staff.map((s) => [s.name, s.enabled ? 'enabled' : 'not set up']).sort());
    expect(rows('Dependencies').map((r) => r[0])).to.include.members(['express', 'sequelize', 'prom-client']);
    expect(rows('Backups').map((r) => [r[0], r[2]])).to.deep.equal([['backup', 'succeeded'], ['restore_check', 'passed'], ['backup', 'failed']]);

    const generated = await ownerQuery<{ client_id: string | null; actor_staff_id: string; changes: { year: number; format: string } }>(
      `SELECT client_id, actor_staff_id, changes FROM audit_log WHERE action = 'compliance.report_generated' ORDER BY seq`);
    expect(generated.map((g) => [g.client_id, g.actor_staff_id, g.changes.year, g.changes.format])).to.deep.equal([[null, director.id, YEAR, 'page'], [null, director.id, YEAR, 'xlsx']]);
  });

  it('answers a bad year with a clear 422, and is the Technical Director’s only', async () => {
    const app = testApp();
    const director = await signedInStaffAgent(app, await createStaff({ role: 'technical_director' }));
    const bad = await director.get('/admin/compliance?year=20x5').expect(422);
    expect(bad.text).to.include('Choose a year from 2020').and.include('20x5');
    await director.get('/admin/compliance/report.xlsx?year=1999').expect(422);
    await (await signedInStaffAgent(app, await createStaff({ role: 'application_developer' }))).get('/admin/compliance').expect(403);
    expect(await ownerQuery(`SELECT 1 FROM audit_log WHERE action = 'compliance.report_generated'`)).to.deep.equal([]);
  });
});
