// The yearly compliance report (DESIGN.md §9): what the President reviews — the audit log's
// summary, support sessions, staff accounts, backups and restore checks, the password policy in
// force, the update and patch log, dependency versions with their known advisories, and the
// server and PostgreSQL versions — for one calendar year (UTC), as a page and as a workbook.
import fs from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { Config } from '../../config/index.ts';
import { sql } from '../../lib/unit-of-work.ts';
import type { CellValue, TableColumn } from '../../types/table.ts';
import { audit } from '../audit/entries.ts';
import { streamXlsx } from '../exports/xlsx.ts';
import { type VersionLogEntry, versionLog } from './versions.ts';

export interface MonthAction { month: string; action: string; entries: number }
export interface SupportSessionLine { client_name: string; staff_name: string; reason: string; read_only: boolean; status: string; requested_at: Date; started_at: Date | null; ended_at: Date | null }
export interface StaffLine { name: string; email: string; role: string; status: string; totp_enabled_at: Date | null }
export interface BackupLine { kind: string; at: string | null; status: string | null; detail: string }
export interface DependencyLine { name: string; wanted: string; installed: string; advisories: string }

export interface ComplianceReport {
  year: number;
  generatedAt: Date;
  audit: { byMonthAndAction: MonthAction[]; total: number; signInFailures: number; lockouts: number };
  supportSessions: SupportSessionLine[];
  staff: StaffLine[];
  backups: BackupLine[];
  passwordPolicy: Array<[string, string]>;
  updates: VersionLogEntry[];
  dependencies: { lines: DependencyLine[]; auditTakenAt: Date | null };
  versions: { server: string; node: string; postgres: string };
}

/** Sign-in failures: wrong passwords and wrong second-factor codes, of client users and staff. */
export const SIGN_IN_FAILURES = ['auth.login_failed', 'auth.second_factor_failed', 'staff.login_failed', 'staff.second_factor_failed'];
export const LOCKOUTS = ['auth.lockout', 'staff.lockout'];

/** The years a report may be asked for: since 2020, up to this one. */
export function checkedYear(value: unknown, now: Date = new Date()): number | null {
  const year = typeof value === 'string' && /^\d{4}$/.test(value) ? Number(value) : NaN;
  return year >= 2020 && year <= now.getUTCFullYear() ? year : null;
}


/** Direct dependencies with their locked versions, and the advisories of the latest npm audit. */
async function dependencies(projectRoot: string): Promise<ComplianceReport['dependencies']> {
  const pkg = JSON.parse(await fs.readFile(path.join(projectRoot, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
  const lock = JSON.parse(await fs.readFile(path.join(projectRoot, 'package-lock.json'), 'utf8')) as { packages?: Record<string, { version?: string }> };
  const [taken] = await sql<{ taken_at: Date; report: { vulnerabilities?: Record<string, { severity?: string; via?: Array<string | { title?: string; url?: string }> }> } }>(
    'SELECT taken_at, report FROM dependency_audits ORDER BY taken_at DESC LIMIT 1');
  const vulnerabilities = taken?.report.vulnerabilities ?? {};
  const wanted = { ...pkg.dependencies, ...pkg.devDependencies };
  const lines = Object.keys(wanted).sort().map((name) => {
    const found = vulnerabilities[name];
    const advisories = !taken ? 'not audited yet (npm run deps:audit)'
      : !found ? 'none known'
      : `${found.severity ?? 'unknown'}: ${(found.via ?? []).map((v) => (typeof v === 'string' ? `via ${v}` : `${v.title ?? 'advisory'}${v.url ? ` (${v.url})` : ''}`)).join('; ')}`;
    return { name, wanted: wanted[name]!, installed: lock.packages?.[`node_modules/${name}`]?.version ?? 'not installed', advisories };
  });
  return { lines, auditTakenAt: taken?.taken_at ?? null };
}

/** The report for `year`, read in the current (Technical Director's) unit of work, and audited. */
export async function complianceReport(config: Pick<Config, 'projectRoot' | 'passwordMinLength' | 'bcryptCost' | 'login' | 'session' | 'staffSession'>, year: number, format: 'page' | 'xlsx'): Promise<ComplianceReport> {
  const from = new Date(Date.UTC(year, 0, 1));
  const to = new Date(Date.UTC(year + 1, 0, 1));
  const byMonthAndAction = (await sql<{ month: string; action: string; entries: string }>('SELECT * FROM ops_audit_summary($1, $2)', [from, to]))
    .map((r) => ({ month: r.month, action: r.action, entries: Number(r.entries) }));
  const sum = (actions: string[]) => byMonthAndAction.filter((r) => actions.includes(r.action)).reduce((a, r) => a + r.entries, 0);
  const supportSessions = await sql<SupportSessionLine>('SELECT * FROM ops_support_sessions($1, $2)', [from, to]);
  const staff = await sql<StaffLine>('SELECT name, email, role, status, totp_enabled_at FROM staff_users ORDER BY role, name, id');
  const backups = (await sql<{ kind: string; at: Date; status: string; detail: string }>('SELECT * FROM ops_backup_history($1, $2)', [from, to]))
    .map((r) => ({ kind: r.kind, at: r.at.toISOString(), status: r.status, detail: r.detail }));
  const updates = (await versionLog(1000)).filter((v) => v.recordedAt >= from && v.recordedAt < to).reverse();
  const [pg] = await sql<{ version: string }>('SELECT version() AS version');
  const report: ComplianceReport = {
    year,
    generatedAt: new Date(),
    audit: { byMonthAndAction, total: byMonthAndAction.reduce((a, r) => a + r.entries, 0), signInFailures: sum(SIGN_IN_FAILURES), lockouts: sum(LOCKOUTS) },
    supportSessions,
    staff,
    backups,
    passwordPolicy: [
      ['Minimum length', `${config.passwordMinLength} characters`],
      ['Composition', 'an upper-case letter, a lower-case letter, a digit and a special character; common passwords and parts of the name or e-mail refused'],
      ['Longest', '72 bytes'],
      ['Hashing', `bcrypt, cost ${config.bcryptCost}, a salt per password`],
      ['Lockout', `after ${config.login.lockoutThreshold} consecutive wrong passwords; unlocked by a reset link`],
      ['Throttling', `${config.login.accountMax} failures per account and ${config.login.ipMax} per IP in ${config.login.windowMs / 60_000} minutes`],
      ['Sessions', `idle ${config.session.idleMs / 60_000} min, absolute ${config.session.absoluteMs / 3_600_000} h (staff: ${config.staffSession.idleMs / 60_000} min, ${config.staffSession.absoluteMs / 3_600_000} h)`],
      ['Second factor', 'mandatory for staff (TOTP); optional for client users, required where their Administrator says so'],
    ],
    updates,
    dependencies: await dependencies(config.projectRoot),
    versions: { server: `PlanTRAK on ${process.platform} ${process.arch}`, node: process.version, postgres: pg!.version },
  };
  await audit({ action: 'compliance.report_generated', clientId: null, entityType: 'compliance_report', changes: { year, format } });
  return report;
}

const text = (header: string, width = 20): TableColumn => ({ header, width, type: 'text' });
const num = (header: string): TableColumn => ({ header, width: 12, type: 'number' });
const when = (header: string): TableColumn => ({ header: `${header} (UTC)`, width: 20, type: 'datetime' });

/** The report as a workbook of a sheet per part. */
export async function complianceWorkbook(report: ComplianceReport): Promise<Buffer> {
  const sheet = (sheetName: string, columns: TableColumn[], rows: CellValue[][]) => ({ sheetName, columns, rows: rows.length ? [rows] : [] });
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await streamXlsx(out,
    sheet('Summary', [text('Item', 30), text('Value', 60)], [
      ['Year', String(report.year)], ['Generated (UTC)', report.generatedAt.toISOString()],
      ['Audit entries', String(report.audit.total)], ['Sign-in failures', String(report.audit.signInFailures)], ['Lockouts', String(report.audit.lockouts)],
      ['Support sessions', String(report.supportSessions.length)], ['Server', report.versions.server], ['Node.js', report.versions.node], ['PostgreSQL', report.versions.postgres],
      ['Dependency audit taken (UTC)', report.dependencies.auditTakenAt ? report.dependencies.auditTakenAt.toISOString() : 'never (npm run deps:audit)'],
    ]),
    sheet('Audit log by month', [text('Month', 10), text('Action', 34), num('Entries')], report.audit.byMonthAndAction.map((r) => [r.month, r.action, r.entries])),
    sheet('Support sessions', [text('Client', 28), text('Staff', 24), text('Reason', 40), text('Read-only', 10), text('Status', 12), when('Requested'), when('Started'), when('Ended')],
      report.supportSessions.map((s) => [s.client_name, s.staff_name, s.reason, s.read_only ? 'yes' : 'no', s.status, s.requested_at, s.started_at, s.ended_at])),
    sheet('Staff accounts', [text('Name', 24), text('E-mail', 30), text('Role', 22), text('Status', 12), text('Two-factor', 12)],
      report.staff.map((s) => [s.name, s.email, s.role, s.status, s.totp_enabled_at ? 'enabled' : 'not set up'])),
    sheet('Backups', [text('Kind', 14), text('At', 24), text('Status', 14), text('Detail', 80)], report.backups.map((b) => [b.kind, b.at, b.status, b.detail])),
    sheet('Password policy', [text('Rule', 20), text('In force', 80)], report.passwordPolicy),
    sheet('Update log', [when('Recorded'), text('App', 12), text('Node', 12), text('PostgreSQL', 40), text('Lockfile SHA-256', 66), num('Migrations')],
      report.updates.map((u) => [u.recordedAt, u.appVersion, u.nodeVersion, u.postgresVersion, u.lockfileSha256, u.migrations.length])),
    sheet('Dependencies', [text('Package', 30), text('Wanted', 14), text('Installed', 14), text('Known advisories', 80)],
      report.dependencies.lines.map((d) => [d.name, d.wanted, d.installed, d.advisories])),
  );
  out.end();
  return Buffer.concat(chunks);
}
