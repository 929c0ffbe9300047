// Bad report input is answered with a message on the page and the unfiltered report, never a 500:
// unknown filter values, malformed ids and dates, a reversed range, page numbers out of range, a
// search of punctuation alone, repeated parameters.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { signedInAgent, testApp } from '../support/http.ts';
import { reportFixture, tableRows } from './report-fixture.ts';

const REPORTS = ['open', 'upcoming', 'completed', 'on-time', 'plan-summary', 'assignments', 'documents'];

describe('reports: bad input', () => {
  it('gives a message and the unfiltered page for every kind of bad value, on every report', async () => {
    const fx = await reportFixture();
    const agent = await signedInAgent(testApp(), fx.admin.email, fx.admin.password);
    const bad = [
      'node=not-a-uuid', `facility=${fx.north.id}`, 'facility=%27%3B%20DROP%20TABLE%20events%3B--', `assignee=${randomUUID()}`, 'assignee=42',
      `uploader=${randomUUID()}`, 'category=No%20such%20category', 'from=2026-13-45', 'to=yesterday', 'from=2030-01-01&to=2020-01-01',
      'page=0', 'page=-3', 'page=abc', 'page=1.5', 'page=99999999999', 'q=%21%21%3F%3F...', `q=${'x'.repeat(500)}`, 'by=planet',
      `node=${fx.north.id}&node=${fx.south.id}`, 'from=2020-01-01&from=2021-01-01',
    ];
    for (const report of REPORTS) {
      const clean = await agent.get(`/reports/${report}`).expect(200);
      for (const query of bad) {
        const page = await agent.get(`/reports/${report}?${query}`);
        expect(page.status, `${report}?${query}`).to.equal(200);
        expect(page.text, `${report}?${query}`).to.match(/class="flash flash-error" role="alert"/);
        // The unfiltered report: the same rows as with no filter at all.
        expect(tableRows(page.text), `${report}?${query}`).to.deep.equal(tableRows(clean.text));
      }
    }
  });

  it('names the problem: a reversed range, a page past the end, a search of punctuation only', async () => {
    const fx = await reportFixture();
    const agent = await signedInAgent(testApp(), fx.admin.email, fx.admin.password);
    const reversed = await agent.get(`/reports/open?facility=${fx.beta.id}&from=2030-01-01&to=2020-01-01`).expect(200);
    expect(reversed.text).to.include('The due-date range ends before it starts');
    expect(reversed.text, 'unfiltered: Alpha too').to.include('Alpha logbook check');
    const past = await agent.get('/reports/open?page=7').expect(200);
    expect(past.text).to.include('Page 7 is past the last page (1). Showing page 1.');
    expect(past.text).to.include('Page 1 of 1');
    const punctuation = await agent.get('/reports/documents?q=%25%25__%2A').expect(200);
    expect(punctuation.text).to.include('not only punctuation');
    expect(punctuation.text).to.include('alpha-evidence-');
  });

  it('searches file names literally: % and _ match only themselves', async () => {
    const fx = await reportFixture();
    const agent = await signedInAgent(testApp(), fx.admin.email, fx.admin.password);
    const found = await agent.get('/reports/documents?q=beta-evidence').expect(200);
    expect(tableRows(found.text).map((r) => r[0]).every((name) => name.startsWith('beta-evidence-'))).to.equal(true);
    expect(tableRows(found.text)).to.have.length(2);
    const wildcard = await agent.get('/reports/documents?q=a%25e').expect(200);
    expect(tableRows(wildcard.text)).to.deep.equal([]);
  });
});
