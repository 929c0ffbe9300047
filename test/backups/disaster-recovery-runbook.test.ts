// docs/DISASTER-RECOVERY.md, performed step by step with the same commands: back up beside the
// running app, do more work, lose the server and its data directory, restore on a "new machine"
// (a fresh DATA_DIR with the escrowed secrets.json and the repositories, which lived elsewhere)
// to the latest point, and reopen: the app serves everything committed up to the last archived WAL.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { type AppProcess, type Install, postgresOf, removeInstall, runCli, scratchInstall, startApp, statusOf, stopApp } from '../ops/app-process.ts';
import { flushWal } from '../../services/backups/runs.ts';
import { requirePgbackrest, userOwnedDir } from '../support/backup-cluster.ts';
import { removeDir } from '../support/mail-helpers.ts';

interface Secrets { superuser: string; owner: string }
const urlOf = (install: Install, user: string, password: string, database = 'plantrak_test') =>
  `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${install.env.EMBEDDED_PG_PORT}/${database}`;

describe('the disaster-recovery runbook', function () {
  this.timeout(300_000);
  let lost: Install | undefined;
  let fresh: Install | undefined;
  let app: AppProcess | undefined;
  const dirs: string[] = [];
  after(async () => {
    if (app) await stopApp(app, 'SIGKILL');
    await removeInstall(lost);
    await removeInstall(fresh);
    for (const dir of dirs) await removeDir(dir);
  });

  it('restores a lost server from its repositories to the last archived WAL, and the app serves it', async () => {
    await requirePgbackrest();
    // The repositories live off the server (here: outside its DATA_DIR), owned by the database user.
    const repos = { BACKUP_REPO_PATH: await userOwnedDir('dr-daily'), BACKUP_ARCHIVE_REPO_PATH: await userOwnedDir('dr-monthly') };
    dirs.push(repos.BACKUP_REPO_PATH, repos.BACKUP_ARCHIVE_REPO_PATH);
    lost = await scratchInstall('dr-lost');
    Object.assign(lost.env, repos);
    app = await startApp(lost);

    // Backups beside the running server.
    const daily = await runCli(lost, 'backup.ts');
    expect(daily.stdout).to.include('Using the PostgreSQL already running');
    expect(daily.stdout).to.match(/Backup \d{8}-\d{6}F done/);
    const monthly = await runCli(lost, 'backup.ts', ['--monthly']);
    expect(monthly.stdout).to.match(/Backing up the monthly tier \(full\)/);

    // More work after the backups, reaching the archive (as archive_timeout would within a minute).
    const secrets = JSON.parse(await fs.readFile(path.join(lost.dataDir, 'secrets.json'), 'utf8')) as Secrets;
    const escrow = JSON.stringify(secrets);
    const name = `Recovered client ${randomUUID()}`;
    const owner = new pg.Client({ connectionString: urlOf(lost, 'plantrak_test_owner', secrets.owner) });
    await owner.connect();
    await owner.query('INSERT INTO clients (name) VALUES ($1)', [name]);
    await owner.end();
    await flushWal(urlOf(lost, 'postgres', secrets.superuser));

    // Lose the server: the process, its PostgreSQL and its whole DATA_DIR.
    await stopApp(app, 'SIGKILL');
    app = undefined;
    for (const pid of await postgresOf(lost)) process.kill(pid, 'SIGKILL');
    await fs.rm(lost.dataDir, { recursive: true, force: true });

    // On the new machine: an empty DATA_DIR with the escrowed secrets.json, then restore.
    fresh = await scratchInstall('dr-new');
    Object.assign(fresh.env, repos);
    await fs.writeFile(path.join(fresh.dataDir, 'secrets.json'), escrow, { mode: 0o600 });
    const restored = await runCli(fresh, 'restore.ts', ['--to', fresh.dataDir, '--latest']);
    expect(restored.stdout).to.match(/Restoring backup \d{8}-\d{6}F \(daily\)/);
    expect(restored.stdout).to.include('Restored: the cluster in');

    // Reopen: the app starts on it and serves what was committed.
    app = await startApp(fresh);
    expect(await statusOf(fresh, '/readyz')).to.equal(200);
    expect(await statusOf(fresh, '/login')).to.equal(200);
    const check = new pg.Client({ connectionString: urlOf(fresh, 'plantrak_test_owner', secrets.owner) });
    await check.connect();
    const { rows } = await check.query<{ n: number }>('SELECT count(*)::int AS n FROM clients WHERE name = $1', [name]);
    const runs = await check.query<{ tier: string }>(`SELECT tier FROM backup_runs WHERE status = 'succeeded' ORDER BY tier`);
    await check.end();
    expect(rows[0]!.n, 'the work committed after the backup').to.equal(1);
    expect(runs.rows.map((r) => r.tier)).to.deep.equal(['daily', 'monthly']);

    // And the restored server archives again (a new timeline in the same repositories): it can be backed up.
    const again = await runCli(fresh, 'backup.ts');
    expect(again.stdout, again.stdout).to.match(/Backup \d{8}-\d{6}F_\d{8}-\d{6}D done/);
    // The runbook's last check, beside the running app: a random restore check passes.
    const verified = await runCli(fresh, 'backup-verify.ts');
    expect(verified.stdout, verified.stdout).to.match(/Restore check passed: \d+ tables hold exactly what they held at/);
  });
});
