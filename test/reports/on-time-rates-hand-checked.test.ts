// The on-time report's rates on a small fixture with every case of the definition (on time, late,
// closed on the due date, open past due, cancelled, not yet due, due before the period): by
// facility, division, region and assignee and per due month, against counts worked out by hand,
// and the same rules as the shared definition (services/events/definitions.ts onTimeRate).
import { expect } from 'chai';
import { onTimeRate } from '../../services/events/definitions.ts';
import { signedInAgent, testApp } from '../support/http.ts';
import { reportFixture, tableRows } from './report-fixture.ts';

const pct = (onTime: number, counted: number) => (counted ? `${Math.round((onTime / counted) * 1000) / 10}%` : '—');
/** [on time, closed late, open past due, counted, rate] as the table shows them. */
const cells = (onTime: number, late: number, missed: number) => [String(onTime), String(late), String(missed), String(onTime + late + missed), pct(onTime, onTime + late + missed)];

describe('reports: on-time rates, hand-checked', () => {
  it('by facility, region, division and assignee over the last 12 months', async () => {
    const fx = await reportFixture();
    const agent = await signedInAgent(testApp(), fx.admin.email, fx.admin.password);

    // By hand: Alpha 1 on time (-40), 1 late (-39), 1 open past due (-10); the cancelled (-20),
    // the not-yet-due (+5) and the one due 400 days ago are left out.
    // Beta: on the due date (-70) and early (-5) are on time; open past due (-3). Gamma: late (-15), on time (-100).
    const byFacility = await agent.get('/reports/on-time').expect(200);
    expect(tableRows(byFacility.text)).to.deep.equal([
      ['Alpha Plant', ...cells(1, 1, 1)],
      ['Gamma Plant', ...cells(1, 1, 0)],
      ['Beta Plant', ...cells(2, 0, 1)],
    ]);
    expect(byFacility.text).to.include('<strong>50%</strong> on time — <strong>4</strong> of <strong>8</strong>');

    const byRegion = await agent.get('/reports/on-time?by=region').expect(200);
    expect(tableRows(byRegion.text)).to.deep.equal([
      ['North Region', ...cells(3, 1, 2)],
      ['South Region', ...cells(1, 1, 0)],
    ]);
    const byDivision = await agent.get('/reports/on-time?by=division').expect(200);
    expect(tableRows(byDivision.text)).to.deep.equal([
      ['No division', ...cells(1, 1, 0)],
      ['North Division', ...cells(3, 1, 2)],
    ]);
    const byAssignee = await agent.get('/reports/on-time?by=assignee').expect(200);
    expect(tableRows(byAssignee.text)).to.deep.equal([
      ['Ann Assignee', ...cells(2, 2, 1)],
      ['Bob Assignee', ...cells(2, 0, 1)],
    ]);
  });

  it('per due month, matching the shared definition event by event', async () => {
    const fx = await reportFixture();
    const agent = await signedInAgent(testApp(), fx.admin.email, fx.admin.password);
    const page = await agent.get('/reports/on-time').expect(200);
    const inPeriod = fx.events.filter((e) => e.inPeriod);
    const months = [...new Set(inPeriod.map((e) => e.due.slice(0, 7)))].sort();
    const expected: string[][] = [];
    // Every month from the first to the last due month, empty ones included.
    for (let m = months[0]!; m <= months.at(-1)!; ) {
      const due = inPeriod.filter((e) => e.due.startsWith(m));
      const onTime = due.filter((e) => e.counts && e.onTime).length;
      const counted = due.filter((e) => e.counts).length;
      // The hand-worked flags agree with the shared definition.
      const shared = onTimeRate(due.map((e) => ({ status: e.status, dueDate: e.due, completedOn: e.completed ?? null, today: fx.today })));
      expect({ onTime: shared.onTime, counted: shared.counted }, m).to.deep.equal({ onTime, counted });
      expected.push([m, String(onTime), String(counted), pct(onTime, counted)]);
      const [y, mm] = m.split('-').map(Number) as [number, number];
      m = mm === 12 ? `${y + 1}-01` : `${y}-${String(mm + 1).padStart(2, '0')}`;
    }
    expect(tableRows(page.text, 'trend-table')).to.deep.equal(expected);
    // The chart reads the same figures from the canvas's data attribute.
    const data = JSON.parse(/data-trend="([^"]*)"/.exec(page.text)![1]!.replace(/&#34;/g, '"').replace(/&quot;/g, '"'));
    expect(data.labels).to.deep.equal(expected.map((r) => r[0]));
    expect(data.counted).to.deep.equal(expected.map((r) => Number(r[2])));
  });

  it('over a chosen due-date range: the event due 400 days ago counts, the not-yet-due one still does not', async () => {
    const fx = await reportFixture();
    const agent = await signedInAgent(testApp(), fx.admin.email, fx.admin.password);
    const alphaEvents = fx.events.filter((e) => e.facility === 'alpha');
    const from = alphaEvents.map((e) => e.due).sort()[0]!;
    const to = alphaEvents.map((e) => e.due).sort().at(-1)!;
    const page = await agent.get(`/reports/on-time?facility=${fx.alpha.id}&from=${from}&to=${to}`).expect(200);
    expect(tableRows(page.text)).to.deep.equal([['Alpha Plant', ...cells(2, 1, 1)]]);
  });

  it('a Manager sees only the rates of the facilities in scope', async () => {
    const fx = await reportFixture();
    const agent = await signedInAgent(testApp(), fx.manager.email, fx.manager.password);
    const page = await agent.get('/reports/on-time').expect(200);
    expect(tableRows(page.text)).to.deep.equal([['Alpha Plant', ...cells(1, 1, 1)], ['Beta Plant', ...cells(2, 0, 1)]]);
    expect(page.text).not.to.include('Gamma');
  });
});
