// The dashboard's figures are the scope's own: for every demo user, each figure equals a direct
// SQL count over the events of the facilities their scope covers, by the shared definitions in
// each facility's zone; a drill-down shows a unit's children; a unit outside the scope is a 404.
import { expect } from 'chai';
import { seedDemoIfEmpty } from '../../services/demo/seed.ts';
import { testEnv } from '../support/env.ts';
import { ownerQuery } from '../support/factories.ts';
import { signedInAgent, testApp } from '../support/http.ts';
import { removeDir, scratchPath } from '../support/mail-helpers.ts';
import { countedDirectly, expectedFigures, shown } from './direct-counts.ts';

describe('dashboard: the figures of each scope', function () {
  this.timeout(60_000);
  // Each test seeds the demo into a scratch folder of its own; all of them go afterwards.
  const dataDirs: string[] = [];
  const scratchDir = (label: string) => dataDirs[dataDirs.push(scratchPath(label)) - 1]!;
  after(async () => {
    for (const dir of dataDirs) await removeDir(dir);
  });

  it('equal a direct count for every demo rank and scope, with some work closed on time, late and recorded late', async () => {
    const dataDir = scratchDir('dashboard-demo');
    const env = testEnv();
    const logins = (await seedDemoIfEmpty({ owner: env.urls.owner, app: env.urls.app }, { dataDir, bcryptCost: 4 }))!;
    const [client] = await ownerQuery<{ id: string }>('SELECT id FROM clients');
    // Close a few of the overdue events: one on time, one late and recorded late.
    const open = await ownerQuery<{ id: string; due: string; assignee: string }>(
      `SELECT id, due_date::text AS due, assignee_id AS assignee FROM events WHERE status = 'open' AND due_date < now()::date ORDER BY due_date LIMIT 2`);
    await ownerQuery(`UPDATE events SET status = 'closed', completed_on = due_date, closed_by = assignee_id, closed_at = now() WHERE id = $1`, [open[0]!.id]);
    await ownerQuery(`UPDATE events SET status = 'closed', completed_on = due_date + 1, late = true, recorded_late = true, closed_by = assignee_id, closed_at = now() WHERE id = $1`, [open[1]!.id]);
    const app = testApp();
    let checked = 0;
    for (const login of logins.filter((l) => !l.email.endsWith('@solutionstrak.example'))) {
      const [user] = await ownerQuery<{ id: string }>('SELECT id FROM users WHERE email = $1', [login.email]);
      const agent = await signedInAgent(app, login.email, login.password);
      const page = await agent.get('/');
      expect(page.status, login.email).to.equal(200);
      const figures = shown(page.text);
      expect(figures, login.email).to.deep.equal(expectedFigures(await countedDirectly(client!.id, user!.id)));
      checked += 1;
    }
    expect(checked).to.equal(7);
    const admin = logins.find((l) => l.email === 'admin@northwind.example')!;
    const agent = await signedInAgent(app, admin.email, admin.password);
    expect(Number(shown((await agent.get('/')).text).Overdue)).to.be.greaterThan(10);
  });

  it('drills down from regions to facilities, links each figure to its list, and answers 404 outside the scope', async () => {
    const dataDir = scratchDir('dashboard-drill');
    const env = testEnv();
    const logins = (await seedDemoIfEmpty({ owner: env.urls.owner, app: env.urls.app }, { dataDir, bcryptCost: 4 }))!;
    const app = testApp();
    const admin = logins.find((l) => l.email === 'admin@northwind.example')!;
    const agent = await signedInAgent(app, admin.email, admin.password);
    const top = await agent.get('/');
    const [central] = await ownerQuery<{ id: string }>(`SELECT id FROM org_units WHERE kind = 'region' ORDER BY name LIMIT 1`);
    expect(top.text).to.include(`href="/?unit=${central!.id}"`);
    const drilled = await agent.get(`/?unit=${central!.id}`);
    expect(drilled.status).to.equal(200);
    const [division] = await ownerQuery<{ id: string }>(`SELECT id FROM org_units WHERE parent_id = $1 ORDER BY name LIMIT 1`, [central!.id]);
    expect(drilled.text).to.include(`href="/?unit=${division!.id}"`).and.include(`href="/units/${division!.id}/events?status=overdue"`);

    const port = logins.find((l) => l.email === 'port.manager@northwind.example')!;
    const manager = await signedInAgent(app, port.email, port.password);
    expect((await manager.get(`/?unit=${central!.id}`)).status).to.equal(404);
    expect((await manager.get('/?unit=not-a-uuid')).status).to.equal(404);
  });
});
