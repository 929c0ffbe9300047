// A download streams inside the request's unit of work: the response starts before the last row is
// read (chunked), and a browser that goes away mid-file rolls the unit of work back (no audit
// entry claims a download that never arrived) and gives its connection back to the pool.
import { expect } from 'chai';
import supertest from 'supertest';
import { auditRows } from '../support/auth-helpers.ts';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { signIn, testApp } from '../support/http.ts';
import { abandon, noUnitOfWorkLeft } from './abandoned-downloads.ts';
import { csvRows } from './read-back.ts';

describe('downloads stream inside the unit of work', () => {
  const formats = [
    { ext: 'csv', type: 'text/csv; charset=utf-8' },
    { ext: 'xlsx', type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
  ];
  for (const { ext, type } of formats) it(`a download abandoned mid-file (${ext.toUpperCase()}) is rolled back, and its connection is free again`, async function () {
    this.timeout(120_000);
    const client = await createClient({ name: 'Stream Co' });
    const admin = await createUser(client, { name: 'Alice Admin', rank: 'administrator' });
    await ownerQuery(
      `INSERT INTO audit_log (client_id, occurred_at, actor_kind, action, entity_type, changes)
       SELECT $1, now() - make_interval(secs => n), 'system', 'bulk.entry', 'plan_item', jsonb_build_object('note', repeat('x', 200)) FROM generate_series(1, 60000) n`,
      [client.id],
    );
    const app = testApp();
    const server = app.listen(0);
    try {
      const agent = supertest.agent(server);
      expect((await signIn(agent, admin.email, admin.password)).status).to.equal(303);
      // Read the first bytes, then go away.
      const firstChunk = await abandon(server, agent, `/audit/export.${ext}?action=bulk.entry`);
      expect(firstChunk.headers['content-type']).to.equal(type);
      expect(firstChunk.headers['transfer-encoding']).to.equal('chunked');
      expect(firstChunk.bytes).to.be.greaterThan(0);
      // The unit of work ends (rolled back) once the server notices.
      await noUnitOfWorkLeft();
      expect(await auditRows('audit.exported')).to.deep.equal([]);
      // More downloads than the pool has connections: none waits for a connection left behind.
      for (let i = 0; i < 12; i += 1) {
        const rows = await csvRows(agent, '/audit/export.csv?from=2000-01-01&to=2000-01-01');
        expect(rows).to.have.length(1);
      }
      expect(await auditRows('audit.exported')).to.have.length(12);
    } finally {
      server.close();
    }
  });
});
