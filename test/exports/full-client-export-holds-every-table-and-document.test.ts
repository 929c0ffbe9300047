// The full client export: one ZIP with a workbook of a sheet per table, each holding exactly the
// rows the runtime role sees for that client (read back with exceljs and counted against the
// database in the Administrator's own context), and every document's bytes, identical, under a
// safe path. Nothing of another client, and no secret (password hashes, authenticator secrets,
// recovery codes, link tokens) is in it; a client without documents gets the workbook alone; the
// download is audited once; only Administrators may take it.
import { randomBytes, createHash } from 'node:crypto';
import { expect } from 'chai';
import { inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { EXPORTED_TABLES, NOT_EXPORTED } from '../../services/exports/client-export.ts';
import { auditRows } from '../support/auth-helpers.ts';
import { createTenant, tenantTables } from '../support/db-roles.ts';
import { testEnv } from '../support/env.ts';
import { createClient, createUser, ownerQuery, type UserRow } from '../support/factories.ts';
import { createUnit } from '../support/hierarchy-factories.ts';
import { signedInAgent, testApp } from '../support/http.ts';
import { everyCell, zipDownload } from './zip-read-back.ts';
import { sheetValues } from './read-back.ts';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Rows of a table as the runtime role sees them in the user's own context (RLS applied). */
async function runtimeCount(admin: UserRow, table: string): Promise<number> {
  return inUnitOfWork(testEnv().db.sequelize, { actorKind: 'user', clientId: admin.client_id, userId: admin.id }, async () => {
    const [row] = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
    return row!.n;
  });
}

/** A facility with an event and documents of real bytes (binary, and a name that needs care). */
async function addDocuments(clientId: string, assigneeId: string, facilityName: string): Promise<Array<{ id: string; bytes: Buffer }>> {
  const facility = await createUnit({ id: clientId }, { name: facilityName });
  const [item] = await ownerQuery<{ id: string }>(
    `INSERT INTO plan_items (client_id, facility_id, activity, assignee_id, schedule_kind, rrule, schedule_start)
     VALUES ($1, $2, 'Boiler inspection', $3, 'calendar', 'FREQ=YEARLY', DATE '2026-02-01') RETURNING id`,
    [clientId, facility.id, assigneeId],
  );
  const [event] = await ownerQuery<{ id: string }>(
    `INSERT INTO events (client_id, plan_item_id, facility_id, activity, scheduled_date, due_date, assignee_id)
     VALUES ($1, $2, $3, 'Boiler inspection', DATE '2026-02-01', DATE '2026-02-01', $4) RETURNING id`,
    [clientId, item!.id, facility.id, assigneeId],
  );
  const docs: Array<{ id: string; bytes: Buffer }> = [];
  for (const [name, bytes] of [['sub/../Quarterly report: Q1?.pdf', randomBytes(300_000)], ['evidence.pdf', Buffer.from('%PDF-1.4 second evidence')]] as const) {
    const [doc] = await ownerQuery<{ id: string }>(
      `INSERT INTO documents (client_id, event_id, facility_id, file_name, content_type, size_bytes, sha256, uploaded_by)
       VALUES ($1, $2, $3, $4, 'application/pdf', $5, $6, $7) RETURNING id`,
      [clientId, event!.id, facility.id, name, bytes.length, sha256(bytes), assigneeId],
    );
    await ownerQuery('INSERT INTO document_blobs (client_id, document_id, facility_id, content) VALUES ($1, $2, $3, $4)', [clientId, doc!.id, facility.id, bytes]);
    docs.push({ id: doc!.id, bytes });
  }
  return docs;
}

describe('full client export', () => {
  it('holds every table’s rows and every document’s bytes, nothing of another client and no secret', async function () {
    this.timeout(120_000);
    const a = await createTenant('Export Alpha');
    const b = await createTenant('Export Bravo');
    await addDocuments(a.client.id, a.user.id, 'Alpha East Works');
    await addDocuments(b.client.id, b.user.id, 'Bravo West Works');
    const admin = a.user;
    const agent = await signedInAgent(testApp(), admin.email, admin.password);
    // Secrets the export must leave behind: an authenticator secret (set once signed in, so the
    // sign-in asks for no code) on top of the password hash, the reset token and recovery code.
    await ownerQuery(`UPDATE users SET totp_secret = 'sealed:alpha-authenticator-secret', totp_enabled_at = now() WHERE id = $1`, [a.user.id]);
    const zip = await zipDownload(agent, '/settings/export/full.zip', /full-export-export-alpha-\d{4}-\d{2}-\d{2}\.zip/);
    const workbookName = zip.names.find((n) => n.endsWith('.xlsx'))!;
    expect(workbookName).to.match(/^full-export-export-alpha-\d{4}-\d{2}-\d{2}\.xlsx$/);
    const book = await zip.workbook(workbookName);

    // A sheet per table, in order, each holding what the runtime role sees of the client.
    expect(book.worksheets.map((s) => s.name)).to.deep.equal(EXPORTED_TABLES.map((t) => t.sheetName));
    const [entry] = await auditRows('client.exported');
    for (const table of EXPORTED_TABLES) {
      const rows = sheetValues(book.getWorksheet(table.sheetName)!);
      expect(rows[0], `${table.sheetName} header`).to.deep.equal(table.columns.map(([header]) => header));
      // The audit log also holds the export's own entry, written once the workbook was out.
      const expected = (await runtimeCount(admin, table.table)) - (table.table === 'audit_log' ? 1 : 0);
      expect(expected, `${table.table} has rows to export`).to.be.greaterThan(0);
      expect(rows.length - 1, `${table.sheetName}: rows of ${table.table}`).to.equal(expected);
      expect((entry!.changes as { rows: Record<string, number> }).rows[table.table], `${table.table} in the audit entry`).to.equal(expected);
    }
    // The ids are the client's own, exactly (first column of the id-keyed sheets).
    for (const [sheet, table] of [['Events', 'events'], ['Documents', 'documents'], ['Users', 'users'], ['Organisation', 'org_units'], ['Close records', 'event_closures']] as const) {
      const ids = sheetValues(book.getWorksheet(sheet)!).slice(1).map((r) => r[0]).sort();
      const own = (await ownerQuery<{ id: string }>(`SELECT id::text FROM ${table} WHERE client_id = $1 ORDER BY id`, [a.client.id])).map((r) => r.id).sort();
      expect(ids, sheet).to.deep.equal(own);
    }

    // Every document of the client, byte for byte, once, under documents/<facility>/<event>/<id>-<name>.
    const docs = await ownerQuery<{ id: string; content: Buffer }>(
      'SELECT d.id::text, b.content FROM documents d JOIN document_blobs b ON b.client_id = d.client_id AND b.document_id = d.id WHERE d.client_id = $1',
      [a.client.id],
    );
    expect(docs.length).to.equal(3);
    const documentNames = zip.names.filter((n) => n !== workbookName);
    expect(documentNames).to.have.length(docs.length);
    for (const doc of docs) {
      const [name, ...more] = documentNames.filter((n) => n.includes(`/${doc.id}-`));
      expect(more, doc.id).to.deep.equal([]);
      expect(name).to.match(/^documents\/[a-z0-9-]+\/\d{4}-\d{2}-\d{2}-[a-z0-9-]+\/[0-9a-f-]{36}-[^/\\:?*"<>|]+$/);
      const bytes = await zip.bytes(name!);
      expect(bytes.equals(doc.content), `${name} byte-identical`).to.equal(true);
    }
    expect(documentNames.some((n) => n.endsWith('-Quarterly report Q1.pdf'))).to.equal(true);

    // Nothing of the other client: none of its ids or names in any cell, none of its files.
    const cells = everyCell(book).join('\n');
    const bravoIds = await ownerQuery<{ id: string }>(
      `SELECT id::text FROM org_units WHERE client_id = $1 UNION ALL SELECT id::text FROM users WHERE client_id = $1
       UNION ALL SELECT id::text FROM events WHERE client_id = $1 UNION ALL SELECT id::text FROM documents WHERE client_id = $1
       UNION ALL SELECT id::text FROM audit_log WHERE client_id = $1 UNION ALL SELECT $1::text`,
      [b.client.id],
    );
    for (const { id } of bravoIds) expect(cells.includes(id), `another client's ${id}`).to.equal(false);
    expect(cells).to.not.include('Bravo');
    expect(zip.names.join('\n')).to.not.include('bravo');

    // No secret: no column named for one, and none of the stored values anywhere.
    for (const sheet of book.worksheets) {
      for (const header of sheetValues(sheet)[0]!) expect(String(header), sheet.name).to.not.match(/hash|secret|token|recovery|totp|epoch|last step/i);
    }
    const secrets = await ownerQuery<{ value: string }>(
      `SELECT password_hash AS value FROM users WHERE client_id = $1 AND password_hash IS NOT NULL
       UNION ALL SELECT totp_secret FROM users WHERE client_id = $1 AND totp_secret IS NOT NULL
       UNION ALL SELECT encode(token_hash, 'hex') FROM password_reset_tokens WHERE client_id = $1
       UNION ALL SELECT encode(code_hash, 'hex') FROM recovery_codes WHERE client_id = $1`,
      [a.client.id],
    );
    expect(secrets.length).to.be.greaterThan(3);
    for (const { value } of secrets) expect(cells.includes(value), 'a secret in the export').to.equal(false);
    expect(cells).to.not.match(/\$2[aby]\$\d\d\$/);

    // One audit entry for the whole export.
    expect(await auditRows('client.exported')).to.have.length(1);
    expect(entry!.changes).to.deep.include({ format: 'zip', documents: 3 });
  });

  it('leaves out only the tables it says it leaves out, and why', async () => {
    const exported = new Set(EXPORTED_TABLES.map((t) => t.table));
    for (const { table } of await tenantTables()) {
      expect(exported.has(table) || Object.hasOwn(NOT_EXPORTED, table), `${table}: exported, or left out with a reason`).to.equal(true);
    }
  });

  it('gives a client without documents a ZIP with only the workbook', async () => {
    const client = await createClient({ name: 'Paperless Co' });
    const admin = await createUser(client, { name: 'Pat Admin', rank: 'administrator' });
    const agent = await signedInAgent(testApp(), admin.email, admin.password);
    const zip = await zipDownload(agent, '/settings/export/full.zip', /full-export-paperless-co-\d{4}-\d{2}-\d{2}\.zip/);
    expect(zip.names).to.have.length(1);
    expect(zip.names[0]).to.match(/^full-export-paperless-co-\d{4}-\d{2}-\d{2}\.xlsx$/);
    const book = await zip.workbook(zip.names[0]!);
    expect(book.worksheets.map((s) => s.name)).to.deep.equal(EXPORTED_TABLES.map((t) => t.sheetName));
    expect(sheetValues(book.getWorksheet('Documents')!)).to.have.length(1);
    expect(sheetValues(book.getWorksheet('Users')!).slice(1).map((r) => r[1])).to.deep.equal(['Pat Admin']);
    expect(await auditRows('client.exported')).to.have.length(1);
  });

  it('is for Administrators only, offered on the settings pages', async () => {
    const client = await createClient({ name: 'Ranked Co' });
    const admin = await createUser(client, { rank: 'administrator' });
    const executive = await createUser(client, { rank: 'executive' });
    const page = await (await signedInAgent(testApp(), admin.email, admin.password)).get('/settings/export').expect(200);
    expect(page.text).to.include('href="/settings/export/full.zip"');
    const settings = await (await signedInAgent(testApp(), admin.email, admin.password)).get('/settings/security').expect(200);
    expect(settings.text).to.include('href="/settings/export"');
    const other = await signedInAgent(testApp(), executive.email, executive.password);
    await other.get('/settings/export').expect(403);
    await other.get('/settings/export/full.zip').expect(403);
    expect(await auditRows('client.exported')).to.deep.equal([]);
  });
});
