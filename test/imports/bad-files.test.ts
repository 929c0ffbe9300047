// Files that cannot be imported: a clear message, a 4xx and nothing saved (not even the file).
import { expect } from 'chai';
import { keepUpload } from '../../services/imports/plan-import.ts';
import { csrfToken, signedInAgent, testApp } from '../support/http.ts';
import { counts, csvOf, fiveRows, HEADER, importWorld, upload, xlsxOf } from './world.ts';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082', 'hex');

describe('Plan Item import: files that cannot be imported', () => {
  it('refuses each with a clear message and a 4xx, saving nothing', async () => {
    const w = await importWorld();
    const manyRows = Array.from({ length: 10_001 }, (_, i) => ['P1', `Item ${i}`, '', '', '', '', 'walt@acme.test', '', '', 'Daily', '2031-01-06', '', '']);
    const cp1252 = Buffer.from(csvOf([['P1', 'Caf\u00e9 check', '', '', '', '', 'walt@acme.test', '', '', 'Daily', '2031-01-06', '', '']]), 'latin1');
    const cases: Array<[string, Buffer | string, string, number, RegExp]> = [
      ['a picture', PNG, 'plan.xlsx', 415, /is a PNG file, not a spreadsheet/],
      ['a PDF', Buffer.from('%PDF-1.4\n%\u00e2\u00e3\n1 0 obj\n<<>>\nendobj\n', 'latin1'), 'plan.csv', 415, /is a PDF file, not a spreadsheet/],
      ['an empty file', Buffer.alloc(0), 'plan.csv', 422, /is empty/],
      ['an empty sheet', await xlsxOf([], []), 'plan.xlsx', 422, /no rows|no Plan Items/],
      ['a header without rows', csvOf([]), 'plan.csv', 422, /header row but no Plan Items/],
      ['missing required columns', csvOf([['P1', 'Thing']], ['Facility', 'Activity']), 'plan.csv', 422, /missing: Assignee, Schedule, Schedule start/],
      ['more than 10,000 rows (CSV)', csvOf(manyRows), 'plan.csv', 422, /more than 10,000 rows below its header; at most 10,000/],
      ['more than 10,000 rows (XLSX)', await xlsxOf(manyRows), 'plan.xlsx', 422, /more than 10,000 rows below its header; at most 10,000/],
      ['a CSV in Windows-1252', cp1252, 'plan.csv', 415, /UTF-8 or UTF-16LE/],
      ['UTF-16 big-endian', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(csvOf(fiveRows()), 'utf16le').swap16()]), 'plan.csv', 415, /big-endian/],
    ];
    for (const [what, content, name, status, message] of cases) {
      const res = await upload(w.agent, content, name);
      expect(res.status, what).to.equal(status);
      expect(res.text, what).to.match(message).and.to.include('Nothing was saved.');
      expect(res.text, `${what}: the upload form is shown again`).to.include('action="/plan-imports"');
    }
    expect(await counts()).to.deep.equal({ items: 0, events: 0, imports: 0, audit: 0 });
  });

  it('refuses a file over the size limit (413) and a missing file (422), saving nothing', async () => {
    const w = await importWorld();
    const small = await signedInAgent(testApp({ MAX_UPLOAD_MB: '1' }), w.director.email, w.director.password);
    const big = Buffer.alloc(1024 * 1024 + 10, 'a');
    const res = await upload(small, big, 'big.csv');
    expect(res.status).to.equal(413);
    expect(res.text).to.include('larger than the 1 MB limit');
    const token = await csrfToken(w.agent, '/plan-imports/new');
    const none = await w.agent.post('/plan-imports').field('_csrf', token);
    expect(none.status).to.equal(422);
    expect(none.text).to.include('Choose an XLSX or CSV file');
    expect(HEADER.length).to.equal(13);
    expect((await counts()).imports).to.equal(0);
  });
});

describe('Plan Item import: who keeps the file', () => {
  it('refuses a support visit\'s stand-in (no user id) with a 403 before anything is read or saved', async () => {
    let refused: unknown;
    try {
      await keepUpload({ id: null, clientId: '00000000-0000-0000-0000-000000000000' }, { originalname: 'plan.csv', buffer: Buffer.from(csvOf(fiveRows())) });
    } catch (error) {
      refused = error;
    }
    expect((refused as { status?: number }).status).to.equal(403);
    expect((refused as Error).message).to.include('Nothing was saved');
  });
});
