// Every page and download routed to the replica only reads inside its unit of work: run in a READ
// ONLY transaction (what a standby allows), each answers 200, is counted as a replica read, and
// the downloads' audit entries reach the primary. The stand-in replica here is a second pool on
// the test database whose transactions are READ ONLY, refusing any write as a standby would.
import { expect } from 'chai';
import type { Express } from 'express';
import supertest from 'supertest';
import { buildApp } from '../../app.ts';
import { type Database, openDatabase } from '../../models/index.ts';
import { appRouteTable } from '../../routes/index.ts';
import { testConfig, testEnv } from '../support/env.ts';
import { ownerQuery } from '../support/factories.ts';
import { signedInAgent } from '../support/http.ts';
import { reportFixture } from '../reports/report-fixture.ts';

const METRICS_TOKEN = 'replica-routes-metrics-token-0123456789abcdef';
/** The routes the table sends to the replica (routes/index.ts `onReplica`). */
const readOnReplica = (path: string) => path === '/reports' || (/^\/reports\//.test(path) && !path.startsWith('/reports/audit-pack')) || /\/export\.(csv|xlsx)$/.test(path);

describe('routes read on the replica', function () {
  this.timeout(60_000);
  let db: Database | undefined;

  after(() => db?.close());

  it('answers every report and table download from a READ ONLY unit of work, auditing each download on the primary', async () => {
    const { urls } = testEnv();
    db = openDatabase(urls, 2, { replicaUrl: urls.app });
    const config = testConfig({
      DATABASE_URL: urls.owner, DATABASE_APP_URL: urls.app, DATABASE_SESSION_URL: urls.session, DATABASE_REPLICA_URL: urls.app, METRICS_TOKEN,
    });
    const app: Express = buildApp({ config, db, sessionSecret: config.sessionSecret! });
    const fixture = await reportFixture();
    const paths = appRouteTable({ config, db, sessionSecret: config.sessionSecret! })
      .filter(([verb, path]) => verb === 'get' && readOnReplica(path))
      .map(([, path]) => path.replace('/units/:id', `/units/${fixture.alpha.id}`).replace('/plan-items/:id', `/plan-items/${fixture.items.alpha}`));
    expect(paths.length).to.be.greaterThan(30);
    const reads = async () => Number(/^plantrak_replica_reads_total (\S+)$/m.exec((await supertest(app).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`)).text)?.[1] ?? 0);

    const admin = await signedInAgent(app, fixture.admin.email, fixture.admin.password);
    const before = await reads();
    const auditsBefore = (await ownerQuery<{ n: number }>('SELECT count(*)::int AS n FROM audit_log')).at(0)!.n;
    const failed: string[] = [];
    for (const path of paths) {
      const res = await admin.get(path);
      if (res.status !== 200) failed.push(`${path}: ${res.status}`);
    }
    expect(failed).to.deep.equal([]);
    expect(await reads() - before).to.equal(paths.length);
    const downloads = paths.filter((p) => /\/export\.(csv|xlsx)$/.test(p)).length;
    const [audited] = await ownerQuery<{ n: number }>('SELECT count(*)::int AS n FROM audit_log');
    expect(audited!.n - auditsBefore).to.equal(downloads);
  });
});
