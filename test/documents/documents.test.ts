// Event documents: upload through the real multipart form (CSRF included),
// content-typed against the allowlist, named safely, hashed, audited; downloaded byte-identical
// with the protective headers; removed only while the event is open; isolated by row-level
// security (404) and the event policy (403). Every refusal leaves the database as it was.
import { createHash } from 'node:crypto';
import type { Express } from 'express';
import { expect } from 'chai';
import supertest from 'supertest';
import { auditRows } from '../support/auth-helpers.ts';
import { type ClientRow, createClient, createUser, ownerQuery, type UserRow } from '../support/factories.ts';
import { createUnit, grantScope, type UnitRow } from '../support/hierarchy-factories.ts';
import { type Agent, csrfFrom, signedInAgent, testApp } from '../support/http.ts';
import { sanitizeFileName } from '../../services/events/documents.ts';

interface World {
  client: ClientRow;
  facility: UnitRow;
  assignee: UserRow;
  otherAssociate: UserRow;
  manager: UserRow;
  outsider: UserRow;
  foreignAdmin: UserRow;
  eventId: string;
  app: Express;
  as: (user: UserRow) => Promise<Agent>;
}

async function world(overrides: Record<string, string> = {}): Promise<World> {
  const client = await createClient({ name: 'Docs Water' });
  const region = await createUnit(client, { kind: 'region', name: 'North' });
  const facility = await createUnit(client, { kind: 'facility', name: 'Plant One', parent: region });
  const sibling = await createUnit(client, { kind: 'facility', name: 'Plant Two', parent: region });
  const assignee = await createUser(client, { name: 'Andy Assignee', rank: 'associate' });
  await grantScope(assignee, facility);
  const otherAssociate = await createUser(client, { name: 'Olga Other', rank: 'associate' });
  await grantScope(otherAssociate, facility);
  const manager = await createUser(client, { name: 'Mona Manager', rank: 'manager' });
  await grantScope(manager, facility);
  const outsider = await createUser(client, { name: 'Sid Sibling', rank: 'director' });
  await grantScope(outsider, sibling);
  const foreign = await createClient({ name: 'Other Co' });
  const foreignAdmin = await createUser(foreign, { name: 'Fran Foreign', rank: 'administrator' });
  const [item] = await ownerQuery<{ id: string }>(
    `INSERT INTO plan_items (client_id, facility_id, activity, assignee_id, schedule_kind, rrule, schedule_start)
     VALUES ($1, $2, 'Stormwater inspection', $3, 'calendar', 'FREQ=MONTHLY;BYMONTHDAY=-1', DATE '2032-01-01') RETURNING id`,
    [client.id, facility.id, assignee.id],
  );
  const [event] = await ownerQuery<{ id: string }>(
    `INSERT INTO events (client_id, plan_item_id, facility_id, activity, scheduled_date, due_date, assignee_id)
     VALUES ($1, $2, $3, 'Stormwater inspection', DATE '2032-01-31', DATE '2032-01-31', $4) RETURNING id`,
    [client.id, item.id, facility.id, assignee.id],
  );
  const app = testApp(overrides);
  return { client, facility, assignee, otherAssociate, manager, outsider, foreignAdmin, eventId: event.id, app, as: (u) => signedInAgent(app, u.email, u.password) };
}

/** A small but well-formed PDF. */
const PDF = Buffer.from(
  '%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n',
  'latin1',
);
const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(200, 1)]);
function peExecutable(): Buffer {
  const b = Buffer.alloc(512);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(128, 0x3c);
  b.write('PE\0\0', 128, 'latin1');
  return b;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A CSRF token of the agent's session (any page with a form carries it). */
const tokenOf = async (agent: Agent) => csrfFrom((await agent.get('/account/password')).text);

async function upload(agent: Agent, eventId: string, content: Buffer, fileName: string, fields: Record<string, string | null> = {}) {
  const token = 'token' in fields ? fields.token : await tokenOf(agent);
  let req = agent.post(`/events/${eventId}/documents`);
  if (token !== null) req = req.field('_csrf', token!);
  for (const [k, v] of Object.entries(fields)) if (k !== 'token' && v !== null) req = req.field(k, v);
  return req.attach('file', content, { filename: fileName, contentType: 'application/octet-stream' });
}

interface DocRow { id: string; event_id: string; file_name: string; content_type: string; size_bytes: number; sha256: string; uploaded_by: string }
const docs = () => ownerQuery<DocRow>('SELECT id, event_id, file_name, content_type, size_bytes, sha256, uploaded_by FROM documents ORDER BY uploaded_at, id');
const blobs = () => ownerQuery<{ document_id: string; content: Buffer }>('SELECT document_id, content FROM document_blobs');
async function nothingStored(): Promise<void> {
  expect(await docs()).to.have.length(0);
  expect(await blobs()).to.have.length(0);
  expect(await auditRows('document.uploaded')).to.have.length(0);
}

async function closeEvent(w: World): Promise<void> {
  await ownerQuery(`UPDATE events SET status = 'closed', completed_on = DATE '2032-01-20', closed_by = $2, closed_at = now() WHERE id = $1`, [w.eventId, w.manager.id]);
}

describe('Event documents', () => {
  it('uploads a PDF: stored with its size and SHA-256, audited without the content, listed on the event page', async () => {
    const w = await world();
    const agent = await w.as(w.assignee);
    const res = await upload(agent, w.eventId, PDF, 'Inspection report.pdf');
    expect(res.status, res.text.slice(0, 500)).to.equal(303);
    expect(res.headers.location).to.equal(`/events/${w.eventId}#documents`);
    const [doc] = await docs();
    expect(doc).to.include({ event_id: w.eventId, file_name: 'Inspection report.pdf', content_type: 'application/pdf', size_bytes: PDF.length, sha256: sha256(PDF), uploaded_by: w.assignee.id });
    const [blob] = await blobs();
    expect(Buffer.compare(blob.content, PDF)).to.equal(0);
    const [entry] = await auditRows('document.uploaded');
    expect(entry).to.include({ entity_type: 'event', entity_id: w.eventId, actor_user_id: w.assignee.id });
    expect(entry.changes).to.deep.include({ documentId: doc.id, fileName: 'Inspection report.pdf', sizeBytes: PDF.length, sha256: sha256(PDF) });
    expect(JSON.stringify(entry.changes)).not.to.include('%PDF');

    const page = await agent.get(`/events/${w.eventId}`).expect(200);
    expect(page.text).to.include('Inspection report.pdf').and.to.include(`href="/documents/${doc.id}"`).and.to.include(`action="/documents/${doc.id}/delete"`)
      .and.to.include('enctype="multipart/form-data"').and.to.include(`title="${sha256(PDF)}"`).and.to.include('accept=".pdf,');
    expect(page.text, 'no confirmation box until the server warns').not.to.include('upload-sensitive-warning');
    // Someone who may see but not work the event gets the list without the upload form or delete buttons.
    const reader = await (await w.as(w.otherAssociate)).get(`/events/${w.eventId}`).expect(200);
    expect(reader.text).to.include('Inspection report.pdf').and.not.to.include('id="upload-form"').and.not.to.include(`/documents/${doc.id}/delete`);
  });

  it('downloads byte-identical, as an attachment, with nosniff and a sandboxing CSP; audited', async () => {
    const w = await world();
    const agent = await w.as(w.assignee);
    expect((await upload(agent, w.eventId, PDF, 'report.pdf')).status).to.equal(303);
    const [doc] = await docs();
    // Another user who may see the event (not the uploader) downloads it.
    const reader = await w.as(w.otherAssociate);
    const res = await reader.get(`/documents/${doc.id}`).buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(res.status).to.equal(200);
    expect(Buffer.compare(res.body as Buffer, PDF)).to.equal(0);
    expect(res.headers['content-disposition']).to.match(/^attachment; filename="?report\.pdf"?$/);
    expect(res.headers['content-type']).to.match(/^application\/pdf/);
    expect(res.headers['x-content-type-options']).to.equal('nosniff');
    expect(res.headers['content-security-policy']).to.include("default-src 'none'").and.to.include('sandbox');
    const [entry] = await auditRows('document.downloaded');
    expect(entry).to.include({ entity_type: 'event', entity_id: w.eventId, actor_user_id: w.otherAssociate.id });
    expect(entry.changes).to.deep.include({ documentId: doc.id, sha256: sha256(PDF) });
  });

  it('refuses a file over MAX_UPLOAD_MB with 413 and stores nothing', async () => {
    const w = await world({ MAX_UPLOAD_MB: '1' });
    const agent = await w.as(w.assignee);
    const big = Buffer.concat([PDF, Buffer.alloc(1024 * 1024, 0x20)]);
    const res = await upload(agent, w.eventId, big, 'big.pdf');
    expect(res.status).to.equal(413);
    expect(res.text).to.include('larger than the 1 MB limit');
    await nothingStored();
    // Just under the limit is fine.
    const fits = Buffer.concat([PDF, Buffer.alloc(1024 * 1024 - PDF.length - 10, 0x20)]);
    expect((await upload(agent, w.eventId, fits, 'fits.pdf')).status).to.equal(303);
  });

  it('refuses renamed executables (ELF, PE) naming what they are, and unknown or non-text content', async () => {
    const w = await world();
    const agent = await w.as(w.assignee);
    const elf = await upload(agent, w.eventId, ELF, 'report.pdf');
    expect(elf.status).to.equal(415);
    expect(elf.text).to.include('Linux program (ELF');
    const pe = await upload(agent, w.eventId, peExecutable(), 'invoice.pdf');
    expect(pe.status).to.equal(415);
    expect(pe.text).to.include('Windows program (EXE');
    const binaryCsv = await upload(agent, w.eventId, Buffer.from([0x61, 0x2c, 0x00, 0xff, 0xfe]), 'data.csv');
    expect(binaryCsv.status).to.equal(415);
    const html = await upload(agent, w.eventId, Buffer.from('<html><script>alert(1)</script></html>'), 'page.html');
    expect(html.status).to.equal(415);
    await nothingStored();
  });

  it('accepts CSV and plain text only as UTF-8 text under a .csv or .txt name', async () => {
    const w = await world();
    const agent = await w.as(w.assignee);
    const csv = Buffer.from('site,reading\nPlant One,7.2 °C\n', 'utf8');
    expect((await upload(agent, w.eventId, csv, 'readings.csv')).status).to.equal(303);
    expect((await upload(agent, w.eventId, Buffer.from('All good.\n'), 'notes.txt')).status).to.equal(303);
    expect((await upload(agent, w.eventId, Buffer.from('All good.\n'), 'notes.md')).status).to.equal(415);
    expect((await docs()).map((d) => d.content_type)).to.deep.equal(['text/csv; charset=utf-8', 'text/plain; charset=utf-8']);
  });

  it('refuses an empty file and a form without a file', async () => {
    const w = await world();
    const agent = await w.as(w.assignee);
    const empty = await upload(agent, w.eventId, Buffer.alloc(0), 'empty.pdf');
    expect(empty.status).to.equal(422);
    expect(empty.text).to.include('is empty');
    const none = await agent.post(`/events/${w.eventId}/documents`).field('_csrf', await tokenOf(agent)).field('confirmSensitive', 'yes');
    expect(none.status).to.equal(422);
    const twoFiles = await agent.post(`/events/${w.eventId}/documents`).field('_csrf', await tokenOf(agent))
      .attach('file', PDF, 'a.pdf').attach('file', PDF, 'b.pdf');
    expect(twoFiles.status).to.equal(400);
    const wrongField = await agent.post(`/events/${w.eventId}/documents`).field('_csrf', await tokenOf(agent)).attach('upload', PDF, 'a.pdf');
    expect(wrongField.status).to.equal(400);
    await nothingStored();
  });

  it('stores path-traversal and hostile names sanitised', async () => {
    const w = await world();
    const agent = await w.as(w.assignee);
    expect((await upload(agent, w.eventId, PDF, '../../etc/passwd.pdf')).status).to.equal(303);
    expect((await upload(agent, w.eventId, PDF, '..\\..\\x.pdf')).status).to.equal(303);
    expect((await upload(agent, w.eventId, PDF, '...hidden   report\t.pdf')).status).to.equal(303);
    expect((await docs()).map((d) => d.file_name)).to.deep.equal(['passwd.pdf', 'x.pdf', 'hidden report.pdf']);

    expect(sanitizeFileName('C:\\Users\\me\\Desktop\\a<b>:c"d|e?f*.pdf')).to.equal('abcdef.pdf');
    expect(sanitizeFileName('report\u202Efdp.exe')).to.equal('reportfdp.exe');
    expect(sanitizeFileName('../..')).to.equal('document');
    expect(sanitizeFileName('.pdf')).to.equal('document.pdf');
    expect(sanitizeFileName('   .PDF')).to.equal('document.PDF');
    expect(sanitizeFileName('con.txt')).to.equal('con_.txt');
    expect(sanitizeFileName('line\r\nbreak\u0000.pdf')).to.equal('linebreak.pdf');
    const long = sanitizeFileName(`${'é'.repeat(300)}.pdf`);
    expect(Array.from(long)).to.have.length(200);
    expect(long.endsWith('.pdf')).to.equal(true);
  });

  it('enforces CSRF on the multipart upload: missing or wrong token → 403, nothing stored', async () => {
    const w = await world();
    const agent = await w.as(w.assignee);
    const missing = await upload(agent, w.eventId, PDF, 'a.pdf', { token: null });
    expect(missing.status).to.equal(403);
    const wrong = await upload(agent, w.eventId, PDF, 'a.pdf', { token: 'not-the-token' });
    expect(wrong.status).to.equal(403);
    // A token only in the query string does not count either.
    const inUrl = await agent.post(`/events/${w.eventId}/documents?_csrf=${encodeURIComponent(await tokenOf(agent))}`).attach('file', PDF, 'a.pdf');
    expect(inUrl.status).to.equal(403);
    // Multipart bodies elsewhere still meet the global check (and fail it).
    const elsewhere = await agent.post(`/events/${w.eventId}/comments`).field('_csrf', await tokenOf(agent)).field('body', 'hello');
    expect(elsewhere.status).to.equal(403);
    await nothingStored();
  });

  it('runs no upload parsing for a signed-out visitor (401)', async () => {
    const w = await world();
    const res = await supertest(w.app).post(`/events/${w.eventId}/documents`).attach('file', PDF, 'a.pdf');
    expect(res.status).to.equal(401);
    await nothingStored();
  });

  it('answers 404 to another client and to a user outside the facility, for upload, download and delete', async () => {
    const w = await world();
    const owner = await w.as(w.assignee);
    expect((await upload(owner, w.eventId, PDF, 'kept.pdf')).status).to.equal(303);
    const [doc] = await docs();
    for (const intruder of [w.foreignAdmin, w.outsider]) {
      const agent = await w.as(intruder);
      const up = await upload(agent, w.eventId, PDF, 'intruder.pdf');
      expect(up.status, `${intruder.name} upload`).to.equal(404);
      const down = await agent.get(`/documents/${doc.id}`);
      expect(down.status, `${intruder.name} download`).to.equal(404);
      expect(down.text).not.to.include('kept.pdf');
      const del = await agent.post(`/documents/${doc.id}/delete`).type('form').send({ _csrf: await tokenOf(agent) });
      expect(del.status, `${intruder.name} delete`).to.equal(404);
    }
    expect((await docs()).map((d) => d.file_name)).to.deep.equal(['kept.pdf']);
    expect(await blobs()).to.have.length(1);
    expect(await auditRows('document.downloaded')).to.have.length(0);
    expect(await auditRows('document.deleted')).to.have.length(0);
    // Malformed ids are simply not found.
    expect((await owner.get('/documents/not-a-uuid')).status).to.equal(404);
  });

  it('refuses an Associate who is not the assignee (403); a Manager may upload and delete', async () => {
    const w = await world();
    const other = await w.as(w.otherAssociate);
    const refused = await upload(other, w.eventId, PDF, 'a.pdf');
    expect(refused.status).to.equal(403);
    await nothingStored();

    const manager = await w.as(w.manager);
    expect((await upload(manager, w.eventId, PDF, 'by-manager.pdf')).status).to.equal(303);
    const [doc] = await docs();
    const otherDelete = await other.post(`/documents/${doc.id}/delete`).type('form').send({ _csrf: await tokenOf(other) });
    expect(otherDelete.status).to.equal(403);
    const del = await manager.post(`/documents/${doc.id}/delete`).type('form').send({ _csrf: await tokenOf(manager) });
    expect(del.status).to.equal(303);
    expect(del.headers.location).to.equal(`/events/${w.eventId}#documents`);
    expect(await docs()).to.have.length(0);
    expect(await blobs()).to.have.length(0);
    const [entry] = await auditRows('document.deleted');
    expect(entry).to.include({ entity_type: 'event', entity_id: w.eventId, actor_user_id: w.manager.id });
    expect(entry.changes).to.deep.include({ documentId: doc.id, fileName: 'by-manager.pdf', sha256: sha256(PDF) });
  });

  it('freezes the evidence of a closed event: upload and delete refused (409), download still works', async () => {
    const w = await world();
    const agent = await w.as(w.assignee);
    expect((await upload(agent, w.eventId, PDF, 'evidence.pdf')).status).to.equal(303);
    const [doc] = await docs();
    await closeEvent(w);
    const manager = await w.as(w.manager);
    const up = await upload(manager, w.eventId, PDF, 'late.pdf');
    expect(up.status).to.equal(409);
    expect(up.text).to.include('evidence is frozen');
    const del = await manager.post(`/documents/${doc.id}/delete`).type('form').send({ _csrf: await tokenOf(manager) });
    expect(del.status).to.equal(409);
    expect((await docs()).map((d) => d.file_name)).to.deep.equal(['evidence.pdf']);
    expect((await agent.get(`/documents/${doc.id}`)).status).to.equal(200);
  });

  it('asks for confirmation when a file name looks like health data, and counts the confirmed warning', async () => {
    const w = await world();
    const agent = await w.as(w.assignee);
    const warned = await upload(agent, w.eventId, PDF, 'employee 123-45-6789.pdf');
    expect(warned.status).to.equal(422);
    expect(warned.text).to.include('Social Security number');
    await nothingStored();
    const confirmed = await upload(agent, w.eventId, PDF, 'employee 123-45-6789.pdf', { confirmSensitive: '1' });
    expect(confirmed.status).to.equal(303);
    expect(await docs()).to.have.length(1);
    const warnings = await ownerQuery<{ form: string; kinds: string[] }>('SELECT form, kinds FROM sensitive_data_warnings');
    expect(warnings).to.deep.equal([{ form: 'document-upload', kinds: ['ssn'] }]);
  });
});
