// npm run client:export and client:delete as separate processes: the export of a suspended client
// (whose support visits have lapsed) is the Administrator's ZIP, written as the system actor and
// audited; the deletion asks for the client's name and, mistyped, exits non-zero changing nothing.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { EXPORTED_TABLES } from '../../services/exports/client-export.ts';
import { readZip } from '../exports/zip-read-back.ts';
import { createTenant } from '../support/db-roles.ts';
import { BASE_TEST_ENV, testEnv } from '../support/env.ts';
import { ownerQuery } from '../support/factories.ts';

const root = path.resolve(import.meta.dirname, '../..');

/** Runs a script with `input` on its standard input; resolves with its exit code and output. */
function run(script: string, args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { urls } = testEnv();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: root,
      env: { PATH: process.env.PATH, ...BASE_TEST_ENV, DATABASE_URL: urls.owner, DATABASE_APP_URL: urls.app, DATABASE_SESSION_URL: urls.session },
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

describe('offboarding commands', function () {
  this.timeout(120_000);

  it('exports a suspended client with lapsed visits to a ZIP, as the system actor, and deletes it after the typed name', async () => {
    const leaving = await createTenant('Leaving Works');
    await ownerQuery(`UPDATE clients SET status = 'suspended' WHERE id = $1`, [leaving.client.id]);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'plantrak-offboarding-'));
    try {
      const exported = await run('scripts/client-export.ts', ['Leaving Works', '--out', dir]);
      expect(exported.code, exported.stderr).to.equal(0);
      const [file] = await fs.readdir(dir);
      expect(file).to.match(/^full-export-leaving-works-\d{4}-\d{2}-\d{2}\.zip$/);
      expect(exported.stdout).to.include(path.join(dir, file!));
      const zip = await readZip(await fs.readFile(path.join(dir, file!)));
      const book = await zip.workbook(zip.names.find((n) => n.endsWith('.xlsx'))!);
      expect(book.worksheets.map((s) => s.name)).to.deep.equal(EXPORTED_TABLES.map((t) => t.sheetName));
      expect(book.getWorksheet('Users')!.rowCount).to.be.greaterThan(1);
      expect(zip.names.some((n) => n.startsWith('documents/'))).to.equal(true);
      const [entry] = await ownerQuery<{ client_id: string; actor_kind: string }>(`SELECT client_id, actor_kind FROM audit_log WHERE action = 'client.exported'`);
      expect(entry).to.deep.equal({ client_id: leaving.client.id, actor_kind: 'system' });

      const mistyped = await run('scripts/client-delete.ts', ['Leaving Works'], 'Leaving Work\n');
      expect(mistyped.code).to.equal(1);
      expect(mistyped.stderr).to.include('is not the client\'s name').and.include('Nothing was changed.');
      expect(await ownerQuery('SELECT 1 FROM clients WHERE id = $1', [leaving.client.id])).to.have.length(1);

      const deleted = await run('scripts/client-delete.ts', [leaving.client.id], 'Leaving Works\n');
      expect(deleted.code, deleted.stderr).to.equal(0);
      expect(deleted.stdout).to.match(/Deleted Leaving Works \([0-9a-f-]{36}\): \d+ row\(s\)\./).and.include('Backups still hold');
      expect(await ownerQuery('SELECT 1 FROM clients WHERE id = $1', [leaving.client.id])).to.deep.equal([]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses an unknown client and a missing argument with a message and exit code 1', async () => {
    const unknown = await run('scripts/client-export.ts', ['Nobody Here', '--out', os.tmpdir()]);
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.include('There is no client named "Nobody Here"');
    const usage = await run('scripts/client-delete.ts', []);
    expect(usage.code).to.equal(1);
    expect(usage.stderr).to.include('Usage: npm run client:delete');
  });
});
