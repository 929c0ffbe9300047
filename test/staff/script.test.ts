// npm run staff:create, as a separate process fed through a pipe: creates an active account with
// a bcrypt hash; a weak password or a mismatch creates nothing; a password argument is refused.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { BASE_TEST_ENV, testEnv } from '../support/env.ts';
import { ownerQuery } from '../support/factories.ts';
import { auditRows } from '../support/auth-helpers.ts';

const root = path.resolve(import.meta.dirname, '../..');

function staffCreate(args: string[], input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { urls } = testEnv();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/staff-create.ts', ...args], {
      cwd: root,
      env: { PATH: process.env.PATH, ...BASE_TEST_ENV, DATABASE_URL: urls.owner, DATABASE_APP_URL: urls.app, DATABASE_SESSION_URL: urls.session },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

const staffCount = async () => (await ownerQuery<{ n: number }>('SELECT count(*)::int AS n FROM staff_users'))[0].n;

describe('npm run staff:create', function () {
  this.timeout(90_000);

  it('creates an active Technical Director with a bcrypt hash, printing no password', async () => {
    const password = 'Granite-Owl-Ledger-71!';
    const run = await staffCreate([], `First@SolutionsTRAK.example\nFran First\n${password}\n${password}\n`);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.include('Created Technical Director Fran First <first@solutionstrak.example> (active).');
    expect(run.stdout).to.include('/admin/login');
    expect(run.stdout + run.stderr).to.not.include(password);
    const [row] = await ownerQuery<{ role: string; status: string; password_hash: string; totp_enabled_at: Date | null }>(
      `SELECT role, status, password_hash, totp_enabled_at FROM staff_users WHERE email = 'first@solutionstrak.example'`);
    expect(row).to.include({ role: 'technical_director', status: 'active', totp_enabled_at: null });
    expect(row.password_hash).to.match(/^\$2[aby]\$04\$/);
    const [created] = await auditRows('staff.created');
    expect(created).to.include({ client_id: null, actor_kind: 'system', entity_type: 'staff' });

    // The same address again: refused, nothing added.
    const again = await staffCreate(['--role', 'application_developer'], `first@solutionstrak.example\nOther\n${password}\n${password}\n`);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.include('already exists');
    expect(await staffCount()).to.equal(1);
  });

  it('takes --role', async () => {
    const password = 'Willow-Prairie-Beacon-22#';
    const run = await staffCreate(['--role', 'client_representative'], `rep@solutionstrak.example\nRey Rep\n${password}\n${password}\n`);
    expect(run.code, run.stderr).to.equal(0);
    const [row] = await ownerQuery<{ role: string }>(`SELECT role FROM staff_users WHERE email = 'rep@solutionstrak.example'`);
    expect(row.role).to.equal('client_representative');
  });

  it('refuses a weak password with the rule\'s message, a mismatch, and a password argument; creating nothing', async () => {
    const weak = await staffCreate([], 'weak@solutionstrak.example\nWeak Person\npassword\npassword\n');
    expect(weak.code).to.equal(1);
    expect(weak.stderr).to.include('Add an upper-case letter.').and.include('Nothing was created.');

    const mismatch = await staffCreate([], 'mm@solutionstrak.example\nMis Match\nGranite-Owl-Ledger-71!\nGranite-Owl-Ledger-72!\n');
    expect(mismatch.code).to.equal(1);
    expect(mismatch.stderr).to.include('do not match');

    for (const args of [['--password', 'Granite-Owl-Ledger-71!'], ['--password=Granite-Owl-Ledger-71!']]) {
      const refused = await staffCreate(args, '');
      expect(refused.code).to.equal(1);
      expect(refused.stderr).to.include('never taken on the command line');
    }
    const badRole = await staffCreate(['--role', 'administrator'], '');
    expect(badRole.code).to.equal(1);
    expect(badRole.stderr).to.include('unknown role');
    expect(await staffCount()).to.equal(0);
  });
});
