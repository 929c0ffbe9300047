// The dashboard's figures are the scope's own: for every demo user, each figure equals a direct
// SQL count over the events of the facilities their scope covers, by the shared definitions in
// each facility's zone; a drill-down shows a unit's children; a unit outside the scope is a 404.
import { expect } from 'chai';
import { seedDemoIfEmpty } from '../../services/demo/seed.ts';
import { testEnv } from '../support/env.ts';
import { ownerQuery } from '../support/factories.ts';
import { signedInAgent, testApp } from '../support/http.ts';
import { removeDir, scratchPath } from '../support/mail-helpers.ts';

interface Counts { overdue: number; dueSoon: number; upcoming: number; closedThisMonth: number; onTime: number; counted: number; recordedLate: number }

/** The figures counted straight from the tables (as the owner) over the user's scope. */
async function countedDirectly(clientId: string, userId: string): Promise<Counts> {
  const [row] = await ownerQuery<Counts>(
    `WITH s AS (SELECT whole, units::uuid[] AS units FROM app_scope_for($1, $2)),
          ev AS (SELECT e.*, (now() AT TIME ZONE coalesce(f.time_zone, c.time_zone))::date AS today
                   FROM events e JOIN org_units f ON f.id = e.facility_id JOIN clients c ON c.id = e.client_id, s
                  WHERE e.client_id = $1 AND f.active AND (s.whole OR e.facility_id = ANY (s.units)))
     SELECT count(*) FILTER (WHERE status = 'open' AND due_date < today)::int AS overdue,
            count(*) FILTER (WHERE status = 'open' AND due_date >= today AND due_date <= today + 7)::int AS "dueSoon",
            count(*) FILTER (WHERE status = 'open' AND due_date >= today AND due_date <= today + 30)::int AS upcoming,
            count(*) FILTER (WHERE status = 'closed' AND date_trunc('month', completed_on) = date_trunc('month', today))::int AS "closedThisMonth",
            count(*) FILTER (WHERE due_date > today - interval '12 months' AND due_date <= today AND status = 'closed' AND completed_on <= due_date)::int AS "onTime",
            count(*) FILTER (WHERE due_date > today - interval '12 months' AND due_date <= today AND (status = 'closed' OR (status = 'open' AND due_date < today)))::int AS counted,
            count(*) FILTER (WHERE status = 'closed' AND recorded_late AND completed_on > today - interval '12 months')::int AS "recordedLate"
       FROM ev`,
    [clientId, userId],
  );
  return row!;
}

/** The figures as the dashboard shows them, by label. */
function shown(html: string): Record<string, string> {
  const box = /<div class="figures" id="scope-figures">([\s\S]*?)<\/div>/.exec(html)![1]!;
  const figures: Record<string, string> = {};
  for (const m of box.matchAll(/<p class="figure-value">(?:<a href="[^"]*">)?([^<]*)(?:<\/a>)?<\/p>\s*<p class="figure-label">([^<]*)<\/p>/g)) figures[m[2]!] = m[1]!;
  return figures;
}

describe('dashboard: the figures of each scope', function () {
  this.timeout(60_000);
  let dataDir: string;
  after(async () => removeDir(dataDir));

  it('equal a direct count for every demo rank and scope, with some work closed on time, late and recorded late', async () => {
    dataDir = scratchPath('dashboard-demo');
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
      const direct = await countedDirectly(client!.id, user!.id);
      const rate = direct.counted ? `${Math.round((direct.onTime / direct.counted) * 1000) / 10}% (${direct.onTime} of ${direct.counted})` : '—';
      expect(figures, login.email).to.deep.equal({
        Overdue: String(direct.overdue),
        'Due soon (7 days)': String(direct.dueSoon),
        'Upcoming (30 days)': String(direct.upcoming),
        'Closed this month': String(direct.closedThisMonth),
        'On time, last 12 months': rate,
        'Recorded late': String(direct.recordedLate),
      });
      checked += 1;
    }
    expect(checked).to.equal(7);
    const admin = logins.find((l) => l.email === 'admin@northwind.example')!;
    const agent = await signedInAgent(app, admin.email, admin.password);
    expect(Number(shown((await agent.get('/')).text).Overdue)).to.be.greaterThan(10);
  });

  it('drills down from regions to facilities, links each figure to its list, and answers 404 outside the scope', async () => {
    dataDir = scratchPath('dashboard-drill');
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
