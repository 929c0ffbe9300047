// A ZIP streams inside the request's unit of work like any download: the response starts before the
// last document is read, and a browser that goes away mid-file, whether in the documents or in the
// workbook, ends the unit of work at once (rolled back: no audit entry claims an export that never
// arrived; no transaction left open) and gives its connection back to the pool.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import supertest from 'supertest';
import { createEventSite } from '../events/event-factories.ts';
import { auditRows } from '../support/auth-helpers.ts';
import { createUser, ownerQuery } from '../support/factories.ts';
import { signIn, testApp } from '../support/http.ts';
import { abandon, noUnitOfWorkLeft } from './abandoned-downloads.ts';
import { zipDownload } from './zip-read-back.ts';

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
