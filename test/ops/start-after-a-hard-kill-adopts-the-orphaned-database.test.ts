// After the app is killed hard (SIGKILL, OOM, crash) its embedded PostgreSQL keeps running,
// orphaned. The next start adopts it (the pid file names a live postgres on this very data
// directory), and stops it cleanly at its own shutdown. A pid file that names anything else (a
// dead process, a live process that is not a postgres, another cluster's postgres) is stale: it
// is removed, and that process is left alone.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { testEnv } from '../support/env.ts';
import { type AppProcess, type Install, gone, isAlive, postmasterPid, removeInstall, scratchInstall, startApp, statusOf, stopApp } from './app-process.ts';

describe('start after a hard kill adopts the orphaned embedded database', function () {
  this.timeout(240_000);
  let install: Install;
  let app: AppProcess | undefined;
  const strays: number[] = [];
  before(async () => {
    install = await scratchInstall('orphan');
  });
  after(async () => {
    await removeInstall(install, app);
    for (const stray of strays) if (isAlive(stray)) process.kill(stray, 'SIGKILL');
  });

  /** Writes a postmaster.pid as PostgreSQL 15 does, naming `pid`. */
  async function fakePidFile(pid: number, dataDir = path.join(install.dataDir, 'postgres')): Promise<void> {
    const lines = [pid, dataDir, Math.floor(Date.now() / 1000), install.env.EMBEDDED_PG_PORT, '', '127.0.0.1', '  1234567   7654321', 'ready   ', ''];
    await fs.writeFile(path.join(install.dataDir, 'postgres', 'postmaster.pid'), lines.join('\n'));
  }

  it('comes up again on the orphan left by a SIGKILL, and stops it at shutdown', async () => {
    app = await startApp(install);
    const orphan = (await postmasterPid(install))!;
    await stopApp(app, 'SIGKILL');
    app = undefined;
    expect(isAlive(orphan), 'the orphaned postgres keeps running').to.equal(true);

    app = await startApp(install);
    expect(app.output()).to.include(`Adopting the PostgreSQL already running`);
    expect(await statusOf(install, '/readyz')).to.equal(200);
    expect(await postmasterPid(install)).to.equal(orphan);

    await stopApp(app);
    app = undefined;
    expect(await gone(orphan), 'the adopted postgres is stopped with the app').to.equal(true);
    expect(await postmasterPid(install)).to.equal(null);
  });

  it('ignores a pid file of a dead process, and of a live process that is not a postgres, leaving that process alone', async () => {
    const dead = spawn('true');
    await new Promise((resolve) => dead.once('exit', resolve));
    await fakePidFile(dead.pid!);
    app = await startApp(install);
    expect(await statusOf(install, '/readyz')).to.equal(200);
    await stopApp(app);
    app = undefined;

    const sleeper = spawn('sleep', ['120'], { stdio: 'ignore' });
    strays.push(sleeper.pid!);
    await fakePidFile(sleeper.pid!);
    app = await startApp(install);
    expect(await statusOf(install, '/readyz')).to.equal(200);
    const ours = (await postmasterPid(install))!;
    expect(ours).to.not.equal(sleeper.pid);
    await stopApp(app);
    app = undefined;
    expect(await gone(ours)).to.equal(true);
    expect(isAlive(sleeper.pid!), 'the foreign process is untouched').to.equal(true);
  });

  it("never touches another cluster's postgres that a stale pid file names", async function () {
    // The suite's own PostgreSQL: a live postgres on another data directory (absent on an external server).
    const foreign = Number((await fs.readFile(path.join(testEnv().config.dataDir, 'postgres', 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
    if (!foreign) this.skip();
    await fakePidFile(foreign); // claims this data directory, but that postgres runs on its own
    app = await startApp(install);
    expect(await statusOf(install, '/readyz')).to.equal(200);
    const ours = (await postmasterPid(install))!;
    expect(ours).to.not.equal(foreign);
    await stopApp(app);
    app = undefined;
    expect(isAlive(foreign)).to.equal(true);
    // …and the suite's database still answers.
    const { rows } = await testEnv().owner.query<{ one: number }>('SELECT 1 AS one');
    expect(rows[0]!.one).to.equal(1);
  });
});
