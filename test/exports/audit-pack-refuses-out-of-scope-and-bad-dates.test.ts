// Who gets an audit pack of what: a facility outside the scope, of another client, unknown, or not
// a facility is a 404 (the same answer for each); a rank below Manager is refused; a missing,
// impossible or reversed date answers the form with what to correct (422). Nothing is audited for
// a refusal. A period without events is still a pack: the workbook's headers and an empty manifest.
// The form is reached from the Reports page and from the facility's page.
import { expect } from 'chai';
import { MANIFEST_HEADER } from '../../services/exports/audit-pack.ts';
import { createEventSite } from '../events/event-factories.ts';
import { auditRows } from '../support/auth-helpers.ts';
import { createClient, createUser } from '../support/factories.ts';
import { createUnit, grantScope } from '../support/hierarchy-factories.ts';
import { signedInAgent, testApp } from '../support/http.ts';
import { sheetValues } from './read-back.ts';
import { zipDownload } from './zip-read-back.ts';

const pack = (facility: string, from = '2026-01-01', to = '2026-12-31') => `/reports/audit-pack/pack.zip?facility=${facility}&from=${from}&to=${to}`;

describe('audit pack: who may have which', () => {
  it('answers 404 for a facility outside the scope, of another client, unknown or not a facility', async () => {
    const site = await createEventSite();
    const region = await createUnit(site.client, { kind: 'region', name: 'Central Region' });
    const stranger = await createClient({ name: 'Stranger Co' });
    const strangersPlant = await createUnit(stranger, { name: 'Stranger Plant' });
    const outsider = await signedInAgent(testApp(), site.outsider.email, site.outsider.password);
    const notFound = await outsider.get(pack(site.facility.id)).expect(404);
    expect(notFound.text).to.not.include('Springfield');
    await outsider.get(pack(site.otherFacility.id)).expect(200);
    const manager = await signedInAgent(testApp(), site.manager.email, site.manager.password);
    await manager.get(pack(strangersPlant.id)).expect(404);
    await manager.get(pack('00000000-0000-4000-8000-000000000000')).expect(404);
    await manager.get(pack('not-a-facility')).expect(404);
    const admin = await createUser(site.client, { rank: 'administrator' });
    await grantScope(admin, null);
    const adminAgent = await signedInAgent(testApp(), admin.email, admin.password);
    await adminAgent.get(pack(region.id)).expect(404);
    // Even with bad dates, a facility out of reach says nothing more than 404.
    await outsider.get(pack(site.facility.id, 'soon', 'later')).expect(404);
    expect(await auditRows('audit_pack.exported')).to.have.length(1);
  });

  it('is refused below Manager', async () => {
    const site = await createEventSite();
    const associate = await signedInAgent(testApp(), site.associate.email, site.associate.password);
    await associate.get(pack(site.facility.id)).expect(403);
    await associate.get('/reports/audit-pack').expect(403);
    expect(await auditRows('audit_pack.exported')).to.deep.equal([]);
  });

  it('answers a missing, impossible or reversed date with the form and what to correct (422)', async () => {
    const site = await createEventSite();
    const manager = await signedInAgent(testApp(), site.manager.email, site.manager.password);
    const impossible = await manager.get(pack(site.facility.id, '2026-02-30', '2026-12-31')).expect(422);
    expect(impossible.headers['content-type']).to.match(/^text\/html/);
    expect(impossible.text).to.include('“2026-02-30” is not a date: write it as YYYY-MM-DD');
    expect(impossible.text).to.include(`<option value="${site.facility.id}" selected>`);
    const reversed = await manager.get(pack(site.facility.id, '2026-12-31', '2026-01-01')).expect(422);
    expect(reversed.text).to.include('The period ends (2026-01-01) before it begins (2026-12-31)');
    const missing = await manager.get(`/reports/audit-pack/pack.zip?facility=${site.facility.id}`).expect(422);
    expect(missing.text).to.include('Enter the first due date of the period');
    expect(missing.text).to.include('Enter the last due date of the period');
    const noFacility = await manager.get('/reports/audit-pack/pack.zip?from=2026-01-01&to=2026-12-31').expect(422);
    expect(noFacility.text).to.include('Choose a facility.');
    expect(await auditRows('audit_pack.exported')).to.deep.equal([]);
  });

  it('makes a valid pack of a period without events: the workbook’s headers and an empty manifest', async () => {
    const site = await createEventSite();
    const manager = await signedInAgent(testApp(), site.manager.email, site.manager.password);
    const zip = await zipDownload(manager, pack(site.facility.id, '2030-01-01', '2030-01-31'), /audit-pack-springfield-plant-[a-z0-9-]+-2030-01-01-to-2030-01-31\.zip/);
    expect(zip.names).to.have.length(3);
    expect(zip.names).to.include.members(['manifest.csv', 'MANIFEST.sha256']);
    const book = await zip.workbook(zip.names.find((n) => n.endsWith('.xlsx'))!);
    expect(book.worksheets.map((s) => s.name)).to.deep.equal(['Events', 'Close records', 'Manifest']);
    for (const sheet of book.worksheets) {
      const rows = sheetValues(sheet);
      expect(rows, sheet.name).to.have.length(1);
      expect(rows[0]!.every((h) => typeof h === 'string' && h.length > 0), `${sheet.name} header`).to.equal(true);
    }
    expect(sheetValues(book.getWorksheet('Manifest')!)[0]).to.deep.equal(MANIFEST_HEADER);
    expect((await zip.bytes('manifest.csv')).toString('utf8')).to.equal(`\uFEFF${MANIFEST_HEADER.join(',')}\r\n`);
    // No documents: MANIFEST.sha256 names only the workbook and manifest.csv.
    expect((await zip.bytes('MANIFEST.sha256')).toString('utf8').trimEnd().split('\n').map((l) => l.split('  ')[1]).sort())
      .to.deep.equal([zip.names.find((n) => n.endsWith('.xlsx'))!, 'manifest.csv'].sort());
    const [entry] = await auditRows('audit_pack.exported');
    expect(entry!.changes).to.deep.include({ events: 0, closeRecords: 0, documents: 0, mismatches: 0 });
  });

  it('is offered on the Reports page and on the facility’s page', async () => {
    const site = await createEventSite();
    const manager = await signedInAgent(testApp(), site.manager.email, site.manager.password);
    const reports = await manager.get('/reports').expect(200);
    expect(reports.text).to.include('href="/reports/audit-pack"');
    const form = await manager.get('/reports/audit-pack').expect(200);
    expect(form.text).to.include('action="/reports/audit-pack/pack.zip"');
    expect(form.text).to.include(`<option value="${site.facility.id}"`);
    expect(form.text).to.not.include(site.otherFacility.id);
    const facilityPage = await manager.get(`/units/${site.facility.id}`).expect(200);
    expect(facilityPage.text).to.include('action="/reports/audit-pack/pack.zip"');
    expect(facilityPage.text).to.include(`name="facility" value="${site.facility.id}"`);
    const associate = await signedInAgent(testApp(), site.associate.email, site.associate.password);
    expect((await associate.get(`/units/${site.facility.id}`).expect(200)).text).to.not.include('audit-pack');
  });
});
