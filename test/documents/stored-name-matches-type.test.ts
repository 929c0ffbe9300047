// Regression: the upload type is checked by content, but the stored (and later offered) file name keeps
// whatever extension the uploader gave. A PNG whose bytes also carry HTML, named "invoice.html",
// is accepted and downloaded as "invoice.html": saved to disk, the OS opens it in a browser from
// file://, where the HTML and its script run. (CFB files are already held to .doc/.xls names;
// every other allowed type should be too: refuse a mismatching extension, or replace it.)
import { expect } from 'chai';
import { createEventSite } from '../events/event-factories.ts';
import { ownerQuery } from '../support/factories.ts';
import { csrfFrom, signedInAgent, testApp } from '../support/http.ts';

/** PNG signature and IHDR chunk, followed by an HTML payload (a polyglot). */
const POLYGLOT = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from([0, 0, 0, 13]), Buffer.from('IHDR'), Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0]), Buffer.from([0x1f, 0x15, 0xc4, 0x89]),
  Buffer.from('<html><script>alert(document.cookie)</script></html>'),
]);

const HTML_EXT = /\.(html?|xhtml|svg|js|hta|exe|bat|cmd|com|scr|ps1|vbs|lnk)$/i;

describe('the stored file name matches the detected content type', () => {
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  for (const name of ['invoice.html', 'invoice.svg', 'report.pdf.hta']) {
    it(`does not store or offer PNG bytes under the name "${name}"`, async () => {
      const site = await createEventSite();
      const agent = await signedInAgent(app, site.associate.email, site.associate.password);
      const token = csrfFrom((await agent.get('/account/password')).text);
      const res = await agent.post(`/events/${site.eventId}/documents`).field('_csrf', token)
        .attach('file', POLYGLOT, { filename: name, contentType: 'image/png' });
      // Accepted under its real type's extension (services/events/documents.ts nameForType).
      expect(res.status).to.equal(303);
      const [doc] = await ownerQuery<{ id: string; file_name: string; content_type: string }>('SELECT id, file_name, content_type FROM documents WHERE event_id = $1', [site.eventId]);
      expect(doc!.content_type).to.equal('image/png');
      const download = await agent.get(`/documents/${doc!.id}`);
      expect(download.headers['content-disposition'], 'the offered name must not claim a different, active type').to.not.match(HTML_EXT);
      expect(doc!.file_name).to.not.match(HTML_EXT);
      expect(doc!.file_name).to.equal(`${name}.png`);
    });
  }
});
