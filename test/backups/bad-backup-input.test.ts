// Bad input to the backup machinery: a clear message and a non-zero exit, nothing overwritten.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { ConfigError, loadConfig, missingBackupPassphrases } from '../../config/index.ts';
import { backupSetup, passphrases, writeBackupConfig } from '../../services/backups/pgbackrest.ts';
import { BASE_TEST_ENV, testConfig } from '../support/env.ts';
import { requirePgbackrest } from '../support/backup-cluster.ts';
import { removeDir, scratchPath } from '../support/mail-helpers.ts';

const root = path.resolve(import.meta.dirname, '../..');
const production = {
  NODE_ENV: 'production', SESSION_SECRET: 'p'.repeat(40), DATA_ENCRYPTION_KEY: 'a'.repeat(64),
};
const strong = 'Vq3+Jc8r/Lk2Wm9Zt5Yx1Np7Hd4Gf6Bs0Qe=Ra';

describe('bad backup input', function () {
  this.timeout(60_000);

  it('refuses production without both passphrases, and anywhere a weak one or the same one twice', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig({ ...production, ...env });
        return '';
      } catch (error) {
        expect(error).to.be.an.instanceOf(ConfigError);
        return (error as Error).message;
      }
    };
    // Missing ones are refused where backups start (pgBackRest installed), so a server without it still starts.
    expect(problems({})).to.equal('');
    expect(missingBackupPassphrases(loadConfig(production))!.message).to.match(/BACKUP_PASSPHRASE is required in production/).and.match(/BACKUP_ARCHIVE_PASSPHRASE is required/);
    expect(missingBackupPassphrases(loadConfig({ ...production, BACKUP_PASSPHRASE: strong, BACKUP_ARCHIVE_PASSPHRASE: `${strong}x` }))).to.equal(null);
    expect(problems({ BACKUP_PASSPHRASE: 'short', BACKUP_ARCHIVE_PASSPHRASE: strong })).to.match(/BACKUP_PASSPHRASE is too weak/);
    expect(problems({ BACKUP_PASSPHRASE: 'a'.repeat(40), BACKUP_ARCHIVE_PASSPHRASE: strong })).to.match(/BACKUP_PASSPHRASE is too weak/);
    expect(problems({ BACKUP_PASSPHRASE: strong, BACKUP_ARCHIVE_PASSPHRASE: strong })).to.match(/must differ/);
    expect(problems({ BACKUP_PASSPHRASE: strong, BACKUP_ARCHIVE_PASSPHRASE: `${strong}x` })).to.equal('');
  });

  it('refuses a repository path the database user cannot write', async () => {
    const executable = await requirePgbackrest();
    const dataDir = scratchPath('bad-repo');
    const closed = scratchPath('closed-repo');
    await fs.mkdir(dataDir, { recursive: true });
    // Only root may enter it; a non-root run cannot even create it under a file.
    await fs.mkdir(closed, { recursive: true, mode: 0o700 });
    const repo = process.getuid?.() === 0 ? path.join(closed, 'repo') : '/proc/plantrak-repo';
    try {
      const config = testConfig({ DATA_DIR: dataDir, BACKUP_REPO_PATH: repo });
      const setup = await backupSetup(config, executable);
      const error = await writeBackupConfig(setup, config, passphrases(config, { backupPassphrase: strong, archivePassphrase: `${strong}x` })).catch((e: Error) => e);
      expect((error as Error).message).to.match(/The repository path .* cannot be written by the database's system user/);
      expect(await fs.stat(repo).catch(() => null)).to.equal(null);
    } finally {
      await removeDir(dataDir);
      await removeDir(closed);
    }
  });

  it('exits non-zero with a message for unknown options, a bad time, and a missing target', async () => {
    const env = { ...process.env, ...(BASE_TEST_ENV as Record<string, string>), DATA_DIR: scratchPath('bad-cli') };
    const run = (script: string, args: string[]) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', `scripts/${script}`, ...args], { cwd: root, env, timeout: 30_000 }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
      );
    expect(await run('backup.ts', ['--weekly'])).to.deep.include({ code: 1 });
    expect((await run('backup.ts', ['--weekly'])).stderr).to.match(/unknown option --weekly; usage: npm run backup/);
    expect((await run('restore.ts', ['--to', '/nonexistent-plantrak', '--time', 'yesterday'])).stderr).to.match(/--time yesterday is not a timestamp/);
    expect((await run('restore.ts', ['--time', '2026-01-01T00:00:00Z'])).stderr).to.match(/--to is required/);
    const missing = await run('restore.ts', ['--to', '/nonexistent-plantrak', '--latest']);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.match(/does not exist/);
    await removeDir(env.DATA_DIR);
  });
});
