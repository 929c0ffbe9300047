// Every report covers the user's scope only: another client's rows and an out-of-scope facility's
// rows never appear (row-level security), a node outside the scope is a 404, and Associates are
// refused the whole area (403).
import { expect } from 'chai';
import { signedInAgent, testApp } from '../support/http.ts';
import { reportFixture, tableRows } from './report-fixture.ts';

const REPORT_PATHS = ['/reports/open', '/reports/upcoming', '/reports/completed', '/reports/on-time', '/reports/on-time?by=assignee', '/reports/plan-summary', '/reports/assignments', '/reports/documents'];

describe('reports: scope and permission', () => {
  it('a Manager of the North region never sees the South facility nor another client, on any report', async () => {
    const fx = await reportFixture();
    const agent = await signedInAgent(testApp(), fx.manager.email, fx.manager.password);
    const index = await agent.get('/reports').expect(200);
    for (const path of REPORT_PATHS) expect(index.text).to.include(`href="${path.split('?')[0]}"`);
    for (const path of REPORT_PATHS) {
      const page = await agent.get(path);
      expect(page.status, path).to.equal(200);
      for (const secret of ['Gamma', 'gamma-evidence', fx.foreign.activity, fx.foreign.fileName, 'Foreign Works', 'Fran Foreign']) {
        expect(page.text, `${path} shows ${secret}`).not.to.include(secret);
      }
    }
    // The rows in scope are there (so the absence above means something).
    expect((await agent.get('/reports/open')).text).to.include('Alpha logbook check').and.include('Beta pump inspection');
    expect((await agent.get('/reports/documents')).text).to.include('alpha-evidence-');
    expect((await agent.get('/reports/completed')).text).to.include('Beta pump inspection');
  });

  it('an Administrator sees the whole client and still nothing of another client', async () => {
    const fx = await reportFixture();
    const agent = await signedInAgent(testApp(), fx.admin.email, fx.admin.password);
    for (const path of REPORT_PATHS) {
      const page = await agent.get(path);
      expect(page.status, path).to.equal(200);
      for (const secret of [fx.foreign.activity, fx.foreign.fileName, 'Foreign Works', 'Fran Foreign']) expect(page.text, `${path} shows ${secret}`).not.to.include(secret);
    }
    expect((await agent.get('/reports/completed')).text).to.include('Gamma secret south audit');
    expect((await agent.get('/reports/documents')).text).to.include('gamma-evidence-');
  });

  it('answers 404 for a node or facility outside the scope, or of another client, on every report', async () => {
    const fx = await reportFixture();
    const manager = await signedInAgent(testApp(), fx.manager.email, fx.manager.password);
    const foreign = await signedInAgent(testApp(), fx.foreign.admin.email, fx.foreign.admin.password);
    for (const path of REPORT_PATHS) {
      const join = path.includes('?') ? '&' : '?';
      for (const [agent, query] of [
        [manager, `node=${fx.gamma.id}`], [manager, `node=${fx.south.id}`], [manager, `facility=${fx.gamma.id}`],
        [foreign, `node=${fx.north.id}`], [foreign, `facility=${fx.alpha.id}`],
        // Other bad input does not hide the 404.
        [manager, `node=${fx.gamma.id}&page=abc&from=2030-01-01&to=2020-01-01`],
      ] as const) {
        const page = await agent.get(`${path}${join}${query}`);
        expect(page.status, `${path} ${query}`).to.equal(404);
        expect(page.text).not.to.include('Gamma').and.not.to.include('Alpha logbook');
      }
    }
  });

  it('narrows to a node in scope: the North Division leaves Alpha and Beta, a facility leaves itself', async () => {
    const fx = await reportFixture();
    const agent = await signedInAgent(testApp(), fx.admin.email, fx.admin.password);
    const division = await agent.get(`/reports/open?node=${fx.northDivision.id}`).expect(200);
    expect(division.text).to.include('Alpha logbook check').and.include('Beta pump inspection').and.not.include('Gamma secret');
    const facility = await agent.get(`/reports/open?facility=${fx.beta.id}`).expect(200);
    expect(facility.text).to.include('Beta pump inspection').and.not.include('Alpha logbook check');
    const assignee = await agent.get(`/reports/assignments?node=${fx.south.id}`).expect(200);
    expect(tableRows(assignee.text).map((r) => r[0])).to.deep.equal(['Ann Assignee']);
  });

  it('refuses Associates every report page (403)', async () => {
    const fx = await reportFixture();
    const agent = await signedInAgent(testApp(), fx.associate.email, fx.associate.password);
    expect((await agent.get('/')).text).not.to.include('href="/reports"');
    for (const path of ['/reports', ...REPORT_PATHS]) expect((await agent.get(path)).status, path).to.equal(403);
  });
});
