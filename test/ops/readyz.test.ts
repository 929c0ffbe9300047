// Monitoring: /readyz follows the database, /healthz only the process. Uses its own throw-away
// PostgreSQL so stopping it cannot disturb the shared test cluster.
import { expect } from 'chai';
import supertest from 'supertest';
import { buildApp } from '../../app.ts';
import { type Database, openDatabase } from '../../models/index.ts';
import { type EmbeddedServer, startEmbeddedPostgres } from '../../services/database/embedded.ts';
import { freePort, testConfig } from '../support/env.ts';
import { removeDir, scratchPath } from '../support/mail-helpers.ts';

describe('health endpoints', function () {
  this.timeout(120_000);

  let dir: string;
  let server: EmbeddedServer | undefined;
  let db: Database | undefined;
  before(async () => {
    dir = scratchPath('readyz');
    server = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), superuserPassword: 'readyz-test-pw' });
    // No initModels: the models stay bound to the shared test database.
    db = openDatabase({ app: server.adminUrl, session: server.adminUrl }, 2);
  });
  after(async () => {
    await db?.close();
    await server?.stop();
    await removeDir(dir);
  });

  it('answers /readyz 503 once the database is gone, while /healthz stays 200', async () => {
    const app = buildApp({ config: testConfig(), db: db!, sessionSecret: 'x'.repeat(40) });

    const ready = await supertest(app).get('/readyz');
    expect(ready.status).to.equal(200);
    expect(ready.body).to.deep.equal({ status: 'ok', database: 'ok' });
    expect(ready.headers['cache-control']).to.equal('no-store');
    // Probes create no session.
    expect(ready.headers['set-cookie']).to.equal(undefined);

    const stopping = server!;
    server = undefined;
    await stopping.stop();

    const started = Date.now();
    const down = await supertest(app).get('/readyz');
    expect(down.status).to.equal(503);
    expect(down.body).to.deep.equal({ status: 'unavailable', database: 'unreachable' });
    expect(Date.now() - started).to.be.below(10_000);
    // Still 503 on the next probe (a fresh connection attempt, not a stale pooled one).
    expect((await supertest(app).get('/readyz')).status).to.equal(503);

    const live = await supertest(app).get('/healthz');
    expect(live.status).to.equal(200);
    expect(live.body).to.deep.equal({ status: 'ok' });
  });
});
