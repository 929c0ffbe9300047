// A ZIP streams inside the request's unit of work like any download: the response starts before the
// last document is read, and a browser that goes away mid-file, whether in the documents or in the
// workbook, ends the unit of work at once (rolled back: no audit entry claims an export that never
// arrived; no transaction left open) and gives its connection back to the pool.
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import pg from 'pg';
import supertest from 'supertest';
import { createEventSite } from '../events/event-factories.ts';
import { auditRows } from '../support/auth-helpers.ts';
import { testEnv } from '../support/env.ts';
import { createUser, ownerQuery } from '../support/factories.ts';
import { signIn, testApp } from '../support/http.ts';
import { zipDownload } from './zip-read-back.ts';

/** The runtime role's connections inside a transaction (an open unit of work), read as a
 *  superuser: the owner may not see another role's sessions. */
async function openUnitsOfWork(): Promise<number> {
  const admin = new pg.Client({ connectionString: testEnv().adminUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1 AND xact_start IS NOT NULL',
      [testEnv().roles.app],
    );
    return rows[0]!.n;
  } finally {
    await admin.end();
  }
}

/** Signs in, reads the first bytes of the download, then goes away; gives the response's headers. */
async function abandon(server: ReturnType<ReturnType<typeof testApp>['listen']>, agent: ReturnType<typeof supertest.agent>, path: string) {
  const cookie = (agent as unknown as { jar: { getCookies: (info: unknown) => Array<{ toValueString: () => string }> } }).jar
    .getCookies({ domain: '127.0.0.1', path: '/', secure: false, script: false }).map((c) => c.toValueString()).join('; ');
  const { port } = server.address() as AddressInfo;
  return new Promise<{ headers: Record<string, unknown>; bytes: number }>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { cookie } }, (res) => {
      res.once('data', (chunk: Buffer) => {
        resolve({ headers: res.headers, bytes: chunk.length });
        req.destroy();
      });
    });
    req.on('error', () => undefined);
    req.on('close', () => reject(new Error('closed before any byte')));
    req.end();
  });
}

async function noUnitOfWorkLeft(): Promise<void> {
  for (let i = 0; i < 100 && (await openUnitsOfWork()) > 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
  expect(await openUnitsOfWork(), 'units of work still open').to.equal(0);
}

describe('ZIP downloads stream inside the unit of work', () => {
  it('an export abandoned mid-file is rolled back, and its connection is free again', async function () {
    this.timeout(120_000);
    const site = await createEventSite();
    const admin = await createUser(site.client, { name: 'Alice Admin', rank: 'administrator' });
    // 24 MB of documents that do not compress: far more than a socket takes before it is read.
    const bytes = randomBytes(1024 * 1024);
    await ownerQuery(
      `INSERT INTO documents (client_id, event_id, facility_id, file_name, content_type, size_bytes, sha256)
       SELECT $1, $2, $3, 'scan-' || n || '.pdf', 'application/pdf', $4, repeat('b', 64) FROM generate_series(1, 24) n`,
      [site.client.id, site.eventId, site.facility.id, bytes.length],
    );
    await ownerQuery(
      'INSERT INTO document_blobs (client_id, document_id, facility_id, content) SELECT client_id, id, facility_id, $2 FROM documents WHERE client_id = $1',
      [site.client.id, bytes],
    );
    const server = testApp().listen(0);
    try {
      const agent = supertest.agent(server);
      expect((await signIn(agent, admin.email, admin.password)).status).to.equal(303);
      const first = await abandon(server, agent, '/settings/export/full.zip');
      expect(first.headers['content-type']).to.equal('application/zip');
      expect(first.headers['transfer-encoding']).to.equal('chunked');
      expect(first.bytes).to.be.greaterThan(0);
      await noUnitOfWorkLeft();
      expect(await auditRows('client.exported')).to.deep.equal([]);
      // More archives than the pool has connections: none waits for a connection left behind.
      for (let i = 0; i < 12; i += 1) {
        await zipDownload(agent, `/reports/audit-pack/pack.zip?facility=${site.facility.id}&from=2030-01-01&to=2030-01-31`, /audit-pack-.*\.zip/);
      }
      expect(await auditRows('audit_pack.exported')).to.have.length(12);
    } finally {
      server.close();
    }
  });

  it('an export abandoned while its workbook is written is rolled back too, its cursor closed', async function () {
    this.timeout(120_000);
    const site = await createEventSite();
    const admin = await createUser(site.client, { name: 'Alice Admin', rank: 'administrator' });
    await ownerQuery(
      `INSERT INTO audit_log (client_id, occurred_at, actor_kind, action, entity_type, changes)
       SELECT $1, now() - make_interval(secs => n), 'system', 'bulk.entry', 'plan_item', jsonb_build_object('note', md5(n::text) || md5((n + 1)::text) || md5((n + 2)::text))
         FROM generate_series(1, 60000) n`,
      [site.client.id],
    );
    const server = testApp().listen(0);
    try {
      const agent = supertest.agent(server);
      expect((await signIn(agent, admin.email, admin.password)).status).to.equal(303);
      const first = await abandon(server, agent, '/settings/export/full.zip');
      expect(first.headers['content-type']).to.equal('application/zip');
      await noUnitOfWorkLeft();
      expect(await auditRows('client.exported')).to.deep.equal([]);
      const whole = await zipDownload(agent, '/settings/export/full.zip', /full-export-.*\.zip/);
      expect(whole.names).to.have.length(1);
      expect(await auditRows('client.exported')).to.have.length(1);
    } finally {
      server.close();
    }
  });
});
