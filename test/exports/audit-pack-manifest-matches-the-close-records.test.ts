// The audit pack of a facility and a period: a ZIP with the facility's events due in the period and
// their close records (a workbook), those events' documents and a manifest. Each manifest line's
// SHA-256, recomputed here from the bytes in the ZIP, equals the hash recorded at upload and the one
// the close records froze; where the stored hash or bytes disagree, the manifest says so. Nothing of
// another facility or outside the period is in it; the download is audited.
import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { MANIFEST_HEADER } from '../../services/exports/audit-pack.ts';
import { createEvent, createEventSite, type EventSite } from '../events/event-factories.ts';
import { auditRows } from '../support/auth-helpers.ts';
import { ownerQuery } from '../support/factories.ts';
import { signedInAgent, testApp } from '../support/http.ts';
import { parseCsv, sheetValues } from './read-back.ts';
import { type ZipRead, zipDownload } from './zip-read-back.ts';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function documentOn(site: EventSite, eventId: string, facilityId: string, name: string, bytes: Buffer): Promise<string> {
  const [doc] = await ownerQuery<{ id: string }>(
    `INSERT INTO documents (client_id, event_id, facility_id, file_name, content_type, size_bytes, sha256, uploaded_by)
     VALUES ($1, $2, $3, $4, 'application/pdf', $5, $6, $7) RETURNING id`,
    [site.client.id, eventId, facilityId, name, bytes.length, sha256(bytes), site.associate.id],
  );
  await ownerQuery('INSERT INTO document_blobs (client_id, document_id, facility_id, content) VALUES ($1, $2, $3, $4)', [site.client.id, doc!.id, facilityId, bytes]);
  return doc!.id;
}

/** Closes the event with a close record listing its documents as they are now (as closing does). */
async function closeWithEvidence(site: EventSite, eventId: string): Promise<string> {
  const docs = await ownerQuery<{ id: string; file_name: string; size_bytes: number; sha256: string }>(
    'SELECT id, file_name, size_bytes, sha256 FROM documents WHERE event_id = $1 ORDER BY uploaded_at, id',
    [eventId],
  );
  const evidence = docs.map((d) => ({ id: d.id, fileName: d.file_name, sizeBytes: d.size_bytes, sha256: d.sha256 }));
  await ownerQuery(
    `UPDATE events SET status = 'closed', completed_on = due_date, closed_by = $2, closed_at = now(), closing_notes = 'All outfalls clear' WHERE id = $1`,
    [eventId, site.manager.id],
  );
  const [closure] = await ownerQuery<{ id: string }>(
    `INSERT INTO event_closures (client_id, event_id, facility_id, closed_by, completed_on, due_date, late, notes, documents)
     SELECT client_id, id, facility_id, $2, due_date, due_date, false, 'All outfalls clear', $3::jsonb FROM events WHERE id = $1 RETURNING id`,
    [eventId, site.manager.id, JSON.stringify(evidence)],
  );
  return closure!.id;
}

interface Pack {
  site: EventSite;
  closed: string;
  open: string;
  closureId: string;
  url: string;
}

async function packFixture(): Promise<Pack> {
  const site = await createEventSite({ requirement: 'document', dueDate: '2026-03-31' });
  const closed = site.eventId;
  await documentOn(site, closed, site.facility.id, 'outfall-photos.pdf', randomBytes(200_000));
  await documentOn(site, closed, site.facility.id, 'lab results.pdf', Buffer.from('%PDF-1.4 lab results'));
  const closureId = await closeWithEvidence(site, closed);
  const open = await createEvent({ client: site.client, facility: site.facility, itemId: site.itemId, assignee: site.associate }, '2026-04-30');
  await documentOn(site, open, site.facility.id, 'draft.pdf', Buffer.from('%PDF-1.4 draft'));
  // Outside the pack: an event due after the period, and another facility's event within it.
  const later = await createEvent({ client: site.client, facility: site.facility, itemId: site.itemId, assignee: site.associate }, '2027-01-31');
  await documentOn(site, later, site.facility.id, 'next-year.pdf', Buffer.from('%PDF-1.4 next year'));
  const [item] = await ownerQuery<{ id: string }>(
    `INSERT INTO plan_items (client_id, facility_id, activity, assignee_id, schedule_kind, rrule, schedule_start)
     VALUES ($1, $2, 'Yard sweep', $3, 'calendar', 'FREQ=MONTHLY', DATE '2026-05-01') RETURNING id`,
    [site.client.id, site.otherFacility.id, site.associate.id],
  );
  const elsewhere = await createEvent({ client: site.client, facility: site.otherFacility, itemId: item!.id, assignee: site.associate }, '2026-05-01');
  await documentOn(site, elsewhere, site.otherFacility.id, 'joliet.pdf', Buffer.from('%PDF-1.4 joliet'));
  return { site, closed, open, closureId, url: `/reports/audit-pack/pack.zip?facility=${site.facility.id}&from=2026-01-01&to=2026-12-31` };
}

async function manifestOf(zip: ZipRead): Promise<Record<string, string>[]> {
  const bytes = await zip.bytes('manifest.csv');
  expect([...bytes.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
  const [header, ...rows] = parseCsv(bytes.subarray(3).toString('utf8'));
  expect(header).to.deep.equal(MANIFEST_HEADER);
  return rows.map((cells) => Object.fromEntries(header!.map((h, i) => [h, cells[i] ?? ''])));
}

const PACK_NAME = /audit-pack-springfield-plant-[a-z0-9-]+-2026-01-01-to-2026-12-31\.zip/;

describe('audit pack', () => {
  it('holds the facility’s events of the period, their close records and evidence, with a manifest equal to the close records', async function () {
    this.timeout(60_000);
    const { site, closed, open, closureId, url } = await packFixture();
    const agent = await signedInAgent(testApp(), site.manager.email, site.manager.password);
    const zip = await zipDownload(agent, url, PACK_NAME);

    const stored = await ownerQuery<{ id: string; event_id: string; sha256: string; size_bytes: number }>(
      'SELECT id::text, event_id::text, sha256, size_bytes FROM documents WHERE event_id = ANY($1::uuid[])',
      [[closed, open]],
    );
    const workbookName = zip.names.find((n) => n.endsWith('.xlsx'))!;
    expect(workbookName).to.match(/^audit-pack-springfield-plant-.*\.xlsx$/);
    expect(zip.names.filter((n) => n.startsWith('documents/'))).to.have.length(3);
    expect(zip.names).to.have.length(3 + 3);
    expect(zip.names).to.include.members(['manifest.csv', 'MANIFEST.sha256']);

    // Each line: the hash of the bytes in the ZIP, recomputed, is the stored one and the close record's.
    const manifest = await manifestOf(zip);
    expect(manifest).to.have.length(3);
    for (const line of manifest) {
      const doc = stored.find((d) => d.id === line['Document id'])!;
      expect(doc, line.Path).to.not.equal(undefined);
      expect(line.Path).to.match(new RegExp(`^documents/springfield-plant/\\d{4}-\\d{2}-\\d{2}-stormwater-inspection/${doc.id}-`));
      const bytes = await zip.bytes(line.Path!);
      expect(sha256(bytes)).to.equal(line['SHA-256']);
      expect(line['SHA-256']).to.equal(doc.sha256);
      expect(line['SHA-256 recorded at upload']).to.equal(doc.sha256);
      expect(Number(line['Size (bytes)'])).to.equal(bytes.length);
      expect(line['Event id']).to.equal(doc.event_id);
      if (doc.event_id === closed) {
        expect(line['Close records']).to.equal(closureId);
        expect(line['SHA-256 in the close records']).to.equal(doc.sha256);
        expect(line.Check).to.equal('matches the upload and the close records');
      } else {
        expect(line['Close records']).to.equal('');
        expect(line.Check).to.equal('matches the upload (in no close record)');
      }
    }
    // Every document a close record of the pack names is in the manifest, with the hash it froze.
    const [closure] = await ownerQuery<{ documents: Array<{ id: string; sha256: string }> }>('SELECT documents FROM event_closures WHERE id = $1', [closureId]);
    expect(closure!.documents).to.have.length(2);
    for (const cited of closure!.documents) {
      const line = manifest.find((l) => l['Document id'] === cited.id)!;
      expect(sha256(await zip.bytes(line.Path!))).to.equal(cited.sha256);
    }
    // MANIFEST.sha256, in sha256sum's own format, covers every other file of the pack: the
    // documents as the manifest lists them, then the workbook and manifest.csv.
    const sums = (await zip.bytes('MANIFEST.sha256')).toString('utf8');
    expect(sums.startsWith(manifest.map((l) => `${l['SHA-256']}  ${l.Path}\n`).join(''))).to.equal(true);
    const summed = sums.trimEnd().split('\n').map((line) => line.split('  ') as [string, string]);
    expect(summed.map(([, path]) => path).sort()).to.deep.equal(zip.names.filter((n) => n !== 'MANIFEST.sha256').sort());
    for (const [hash, path] of summed) expect(sha256(await zip.bytes(path)), path).to.equal(hash);

    // The workbook: the ledger of events (due in the period, this facility only), close records, manifest.
    const book = await zip.workbook(workbookName);
    expect(book.worksheets.map((s) => s.name)).to.deep.equal(['Events', 'Close records', 'Manifest']);
    const events = sheetValues(book.getWorksheet('Events')!);
    expect(events[0]![0]).to.equal('Due date');
    expect(events.slice(1).map((r) => r[14])).to.deep.equal([closed, open]);
    expect(events.slice(1).map((r) => r[4])).to.deep.equal(['closed', 'open']);
    const closures = sheetValues(book.getWorksheet('Close records')!);
    expect(closures.slice(1).map((r) => r[10])).to.deep.equal([closureId]);
    const manifestSheet = sheetValues(book.getWorksheet('Manifest')!);
    expect(manifestSheet[0]).to.deep.equal(MANIFEST_HEADER);
    expect(manifestSheet.slice(1).map((r) => [r[0], r[2], r[6]])).to.deep.equal(manifest.map((l) => [l.Path, l['SHA-256'], l.Check]));

    const entries = await auditRows('audit_pack.exported');
    expect(entries).to.have.length(1);
    expect(entries[0]!.entity_id).to.equal(site.facility.id);
    expect(entries[0]!.changes).to.deep.include({ from: '2026-01-01', to: '2026-12-31', events: 2, closeRecords: 1, documents: 3, mismatches: 0 });
  });

  it('says in the manifest where the bytes, the stored hash and the close record disagree', async function () {
    this.timeout(60_000);
    const { site, closed, closureId, url } = await packFixture();
    const [relabelled, altered] = await ownerQuery<{ id: string }>('SELECT id::text FROM documents WHERE event_id = $1 ORDER BY uploaded_at, id', [closed]);
    // One document's recorded hash no longer fits its bytes; another's bytes were changed since the close.
    await ownerQuery(`UPDATE documents SET sha256 = repeat('0', 64) WHERE id = $1`, [relabelled!.id]);
    await ownerQuery(`UPDATE document_blobs SET content = $2 WHERE document_id = $1`, [altered!.id, Buffer.from('%PDF-1.4 altered')]);
    const agent = await signedInAgent(testApp(), site.manager.email, site.manager.password);
    const zip = await zipDownload(agent, url, PACK_NAME);
    const manifest = await manifestOf(zip);

    const first = manifest.find((l) => l['Document id'] === relabelled!.id)!;
    expect(first['SHA-256']).to.equal(sha256(await zip.bytes(first.Path!)));
    expect(first['SHA-256 recorded at upload']).to.equal('0'.repeat(64));
    expect(first.Check).to.match(/^MISMATCH: differs from the SHA-256 recorded at upload/);
    expect(first.Check).to.not.include('close record');

    const second = manifest.find((l) => l['Document id'] === altered!.id)!;
    const bytes = await zip.bytes(second.Path!);
    expect(bytes.toString()).to.equal('%PDF-1.4 altered');
    expect(second['SHA-256']).to.equal(sha256(bytes));
    expect(second.Check).to.include('differs from the SHA-256 recorded at upload');
    expect(second.Check).to.include(`differs from close record ${closureId}`);

    const [entry] = await auditRows('audit_pack.exported');
    expect(entry!.changes).to.deep.include({ mismatches: 2 });
  });
});
