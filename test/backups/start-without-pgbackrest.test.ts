// Without pgBackRest, npm start still works: the embedded server runs unarchived and the start-up
// says there are no backups (the Backups page then says how to install it: backups-page.test.ts).
import { expect } from 'chai';
import pg from 'pg';
import fs from 'node:fs/promises';
import path from 'node:path';
import { type AppProcess, type Install, removeInstall, scratchInstall, startApp, statusOf } from '../ops/app-process.ts';

describe('starting without pgBackRest', function () {
  this.timeout(120_000);
  let install: Install | undefined;
  let app: AppProcess | undefined;
  after(async () => removeInstall(install, app));

  it('starts, serves, and runs its PostgreSQL without archiving', async () => {
    install = await scratchInstall('no-pgbackrest');
    install.env.BACKUP_PGBACKREST = 'plantrak-no-such-pgbackrest';
    app = await startApp(install);
    for (let i = 0; i < 50 && !app.output().includes('Press Ctrl-C'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(app.output()).to.include('Backups: none. pgBackRest is not installed.');
    expect(await statusOf(install, '/readyz')).to.equal(200);
    const secrets = JSON.parse(await fs.readFile(path.join(install.dataDir, 'secrets.json'), 'utf8')) as { superuser: string };
    const client = new pg.Client({ connectionString: `postgres://postgres:${encodeURIComponent(secrets.superuser)}@127.0.0.1:${install.env.EMBEDDED_PG_PORT}/postgres` });
    await client.connect();
    const { rows } = await client.query<{ mode: string; sockets: string }>(`SELECT current_setting('archive_mode') AS mode, current_setting('unix_socket_directories') AS sockets`);
    await client.end();
    expect(rows[0]).to.deep.equal({ mode: 'off', sockets: '' });
  });
});
