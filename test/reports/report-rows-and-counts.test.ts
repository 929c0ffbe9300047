// What each report's rows say and the counts behind them: close records with who, when (in the
// facility's zone), on time or late, recorded late and the evidence they list; open events overdue
// first with days overdue; the plan summary's schedule in words; each person's holdings.
import { expect } from 'chai';
import { addDays } from '../../lib/calendar-dates.ts';
import { ownerQuery } from '../support/factories.ts';
import { signedInAgent, testApp } from '../support/http.ts';
import { reportFixture, tableRows } from './report-fixture.ts';

describe('reports: rows and counts', () => {
  it('completed history lists each close record with its zone, timeliness and evidence count, linked to the event', async () => {
    const fx = await reportFixture();
    await ownerQuery(`UPDATE org_units SET time_zone = 'America/Los_Angeles' WHERE id = $1`, [fx.beta.id]);
    const agent = await signedInAgent(testApp(), fx.admin.email, fx.admin.password);
    const page = await agent.get(`/reports/completed?facility=${fx.beta.id}`).expect(200);
    const rows = tableRows(page.text);
    expect(rows).to.have.length(2);
    for (const r of rows) {
      expect(r[0]).to.match(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} P[SD]T$/);
      expect(r.slice(1, 3)).to.deep.equal(['Beta Plant', 'Beta pump inspection']);
      expect(r[5]).to.equal('Bob Assignee');
      expect(r[7]).to.equal('1');
    }
    const onDueDate = rows.find((r) => r[3] === addDays(fx.today, -70))!;
    expect(onDueDate[6]).to.equal('On time Recorded late');
    expect(page.text).to.include('<strong>2</strong> close records: <strong>2</strong> on time, <strong>0</strong> late, <strong>1</strong> recorded late');
    for (const e of fx.events.filter((x) => x.facility === 'beta' && x.status === 'closed')) expect(page.text).to.include(`href="/events/${e.id}"`);

    const all = await agent.get('/reports/completed').expect(200);
    expect(all.text).to.include('<strong>7</strong> close records: <strong>5</strong> on time, <strong>2</strong> late');
  });

  it('open and overdue: overdue first with days overdue, then the rest by due date', async () => {
    const fx = await reportFixture();
    const agent = await signedInAgent(testApp(), fx.admin.email, fx.admin.password);
    const page = await agent.get('/reports/open').expect(200);
    expect(tableRows(page.text).map((r) => [r[0], r[1], r[3], r[5]])).to.deep.equal([
      [addDays(fx.today, -10), '10', 'Alpha logbook check', 'Overdue'],
      [addDays(fx.today, -3), '3', 'Beta pump inspection', 'Overdue'],
      [addDays(fx.today, 5), '', 'Alpha logbook check', 'Open'],
    ]);
    expect(page.text).to.include('<strong>3</strong> open events, of which <strong>2</strong> overdue.');
    const anns = await agent.get(`/reports/open?assignee=${fx.ann.id}&category=Safety`).expect(200);
    expect(tableRows(anns.text).map((r) => r[3])).to.deep.equal(['Alpha logbook check', 'Alpha logbook check']);
  });

  it('plan summary and assignments by user', async () => {
    const fx = await reportFixture();
    const agent = await signedInAgent(testApp(), fx.manager.email, fx.manager.password);
    const plan = await agent.get('/reports/plan-summary').expect(200);
    expect(tableRows(plan.text).map((r) => [r[0], r[1], r[2], r[3], r[5]])).to.deep.equal([
      ['Alpha Plant', 'Alpha logbook check Does not schedule events', 'Safety', 'None', 'Ann Assignee'],
      ['Beta Plant', 'Beta pump inspection Does not schedule events', 'Water', 'None', 'Bob Assignee'],
    ]);
    expect(tableRows(plan.text)[0]![4]).to.match(/month/i);
    expect(plan.text).to.include(`href="/plan-items/${fx.items.alpha}"`);
    const held = await agent.get('/reports/assignments').expect(200);
    // Within the North region: Ann holds Alpha's item and two open events (one overdue); Bob Beta's and one overdue.
    expect(tableRows(held.text)).to.deep.equal([['Ann Assignee', '1', '2', '1'], ['Bob Assignee', '1', '1', '1']]);
    expect(held.text).to.include(`href="/reports/open?assignee=${fx.ann.id}"`);
  });
});

describe('reports: drilling down the on-time report', () => {
  it('links each region to the report narrowed to it, keeping the other filters once', async () => {
    const fx = await reportFixture();
    const agent = await signedInAgent(testApp(), fx.admin.email, fx.admin.password);
    const byRegion = await agent.get(`/reports/on-time?by=region&node=${fx.north.id}&category=Safety`).expect(200);
    const link = new RegExp(`href="(/reports/on-time\\?[^"]*node=${fx.north.id}[^"]*)"`).exec(byRegion.text)![1]!.replace(/&amp;/g, '&');
    const drilled = await agent.get(link).expect(200);
    expect(drilled.text).not.to.match(/role="alert"/);
    expect(tableRows(drilled.text)).to.deep.equal([['North Region', '1', '1', '1', '3', '33.3%']]);
  });
});
