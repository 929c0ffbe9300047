// CLI commands beside a running app (npm start) on the embedded database: they use its running
// PostgreSQL instead of failing on its postmaster.pid, leave it running, and start (then stop)
// one of their own only when none runs.
import { expect } from 'chai';
import { type AppProcess, type Install, gone, isAlive, postmasterPid, removeInstall, runCli, scratchInstall, startApp, statusOf, stopApp } from './app-process.ts';

describe('CLI commands use the running embedded database', function () {
  this.timeout(180_000);
  let install: Install;
  let app: AppProcess | undefined;
  before(async () => {
    install = await scratchInstall('cli');
  });
  after(async () => {
    await removeInstall(install, app);
  });

  it('runs npm run events:generate and npm run migrate -- status while the app runs, and the app keeps its database', async () => {
    app = await startApp(install);
    const pid = await postmasterPid(install);
    expect(pid).to.be.a('number');

    const generated = await runCli(install, 'generate-events.ts');
    expect(generated.stdout).to.include(`Using the PostgreSQL already running`);
    expect(generated.stdout).to.match(/Generating events for 1 client\(s\)/);
    expect(generated.stdout).to.match(/Done in [\d.]+ s: 1 client\(s\)/);
    const status = await runCli(install, 'migrate.ts', ['status']);
    expect(status.stdout).to.include('applied  0001-foundation');

    // The same server, still running, and still the app's.
    expect(await postmasterPid(install)).to.equal(pid);
    expect(isAlive(pid!)).to.equal(true);
    expect(await statusOf(install, '/readyz')).to.equal(200);

    // SIGTERM: the app stops, and its database with it.
    await stopApp(app);
    app = undefined;
    expect(await gone(pid!)).to.equal(true);
  });

  it('starts its own database when none runs, and stops it again', async () => {
    expect(await postmasterPid(install)).to.equal(null);
    const generated = await runCli(install, 'generate-events.ts');
    expect(generated.stdout).to.include('Starting PostgreSQL on 127.0.0.1:');
    expect(generated.stdout).to.match(/Done in [\d.]+ s: 1 client\(s\)/);
    expect(await postmasterPid(install)).to.equal(null);
  });
});
