// The events lists' downloads: CSV and XLSX read back hold the rows the page shows, in its order,
// with its filters and sort; another client's or an out-of-scope facility's events never appear;
// a unit outside the scope is a 404; refused filters refuse the download (422); zero rows is a
// file with its header; would-be formulas stay text; each download is audited.
import { expect } from 'chai';
import ExcelJS from 'exceljs';
import { auditRows } from '../support/auth-helpers.ts';
import { todayIn } from '../../lib/calendar-dates.ts';
import { ownerQuery } from '../support/factories.ts';
import type { Agent } from '../support/http.ts';
import { day, event, idsIn, item, listWorld, type ListWorld } from '../event-lists/list-world.ts';
import { csvRows, dayOf, downloadLink, sheetValues, xlsxSheet } from './read-back.ts';

const HEADER = ['Due date', 'Days overdue', 'Facility', 'Activity', 'Assignee', 'Status', 'Recorded late', 'Completed', 'Closed by', 'Cancel reason', 'Event id'];
const ID = HEADER.indexOf('Event id');

describe('events lists: downloads hold what the page shows', () => {
  let w: ListWorld;
  let other: ListWorld;
  let director: Agent;
  let ids: Record<string, string>;
  beforeEach(async () => {
    w = await listWorld('Acme Water');
    other = await listWorld('Other Water');
    const outfall = await item(w, w.plantOne, w.alice, { activity: 'Outfall inspection', category: 'Stormwater' });
    const tank = await item(w, w.plantTwo, w.bob, { activity: 'Tank inspection', category: 'Tanks' });
    const formula = await item(w, w.plantTwo, w.alice, { activity: '=HYPERLINK("http://evil.example","x")' });
    const south = await item(w, w.plantThree, w.sue, { activity: 'South inspection' });
    const foreign = await item(other, other.plantOne, other.alice, { activity: 'Foreign inspection' });
    ids = {
      overdue: await event(w, outfall, { due: day(-10) }),
      open: await event(w, outfall, { due: day(12) }),
      closed: await event(w, tank, { due: day(-20), status: 'closed', completedOn: day(-18), recordedLate: true }),
      cancelled: await event(w, tank, { due: day(-30), status: 'cancelled' }),
      formula: await event(w, formula, { due: day(5) }),
      south: await event(w, south, { due: day(-10) }),
      foreign: await event(other, foreign, { due: day(-10) }),
    };
    director = await w.as(w.director);
  });

  const QUERIES = ['', '?status=all', '?status=all&sort=facility&dir=desc', '?status=closed', '?q=inspection&status=all&sort=activity', '?category=Stormwater', `?status=all&unit=${'PLANT_TWO'}`];

  it('downloads, as CSV and XLSX, the rows of the page in its order, for each filter and sort', async () => {
    for (const raw of QUERIES) {
      const query = raw.replace('PLANT_TWO', w.plantTwo.id);
      const page = await director.get(`/units/${w.north.id}/events${query}`).expect(200);
      const pageIds = idsIn(page.text);
      // The page's own links, which carry its filters and sort.
      const csvLink = downloadLink(page.text, 'csv');
      expect(csvLink.startsWith(`/units/${w.north.id}/events/export.csv`)).to.equal(true);
      const [header, ...rows] = await csvRows(director, csvLink);
      expect(header).to.deep.equal(HEADER);
      expect(rows.map((r) => r[ID]), `CSV ${query}`).to.deep.equal(pageIds);
      const sheet = await xlsxSheet(director, downloadLink(page.text, 'xlsx'));
      const [xHeader, ...xRows] = sheetValues(sheet);
      expect(xHeader).to.deep.equal(HEADER);
      expect(xRows.map((r) => r[ID]), `XLSX ${query}`).to.deep.equal(pageIds);
    }
  });

  it('writes each row’s cells: dates as dates in XLSX, the status words of the page', async () => {
    const [, ...rows] = await csvRows(director, `/units/${w.north.id}/events/export.csv?status=all&sort=due`);
    const byId = new Map(rows.map((r) => [r[ID], r]));
    // Days overdue count in Plant One's zone (Pacific/Auckland), a day ahead of UTC part of the day.
    const overdueDays = Math.round((Date.parse(todayIn('Pacific/Auckland')) - Date.parse(day(-10))) / 86_400_000);
    expect(byId.get(ids.overdue)!.slice(0, 7)).to.deep.equal([day(-10), String(overdueDays), 'Plant One', 'Outfall inspection', 'Alice Able', 'Overdue', 'No']);
    expect(byId.get(ids.closed)!.slice(5, 9)).to.deep.equal(['Closed late', 'Yes', day(-18), 'Bob Baker']);
    expect(byId.get(ids.cancelled)![9]).to.equal('No longer needed');
    const sheet = await xlsxSheet(director, `/units/${w.north.id}/events/export.xlsx?status=all&sort=due`);
    const xRows = sheetValues(sheet).slice(1);
    const closed = xRows.find((r) => r[ID] === ids.closed)!;
    expect(dayOf(closed[0])).to.equal(day(-20));
    expect(dayOf(closed[7])).to.equal(day(-18));
    const overdue = xRows.find((r) => r[ID] === ids.overdue)!;
    expect(overdue[1]).to.equal(overdueDays);
    expect(sheet.getColumn(1).numFmt).to.equal('yyyy-mm-dd');
  });

  it('never holds another client’s or an out-of-scope facility’s events; outside the scope is 404', async () => {
    for (const query of ['?status=all', '?q=inspection&status=all', `?unit=${w.plantThree.id}&status=all`]) {
      const res = await director.get(`/units/${w.north.id}/events/export.csv${query}`);
      if (res.status === 422) continue;
      const text = (await csvRows(director, `/units/${w.north.id}/events/export.csv${query}`)).flat().join('|');
      for (const hidden of [ids.south, ids.foreign]) expect(text).not.to.include(hidden);
      expect(text).not.to.include('South inspection').and.not.to.include('Foreign inspection');
    }
    for (const unit of [w.plantThree.id, w.south.id, other.north.id, other.plantOne.id]) {
      await director.get(`/units/${unit}/events/export.csv?status=all`).expect(404);
      await director.get(`/units/${unit}/events/export.xlsx`).expect(404);
    }
    expect((await auditRows('events.exported')).map((e) => e.entity_id)).to.satisfy((units: string[]) => units.every((u) => u === w.north.id));
  });

  it('refuses a download whose filters the page leaves out, with the page’s message (422)', async () => {
    for (const format of ['csv', 'xlsx']) {
      const res = await director.get(`/units/${w.north.id}/events/export.${format}?unit=${w.plantThree.id}`).expect(422);
      expect(res.headers['content-type']).to.match(/^text\/html/);
      expect(res.text).to.include('That place is not one of this list’s');
      await director.get(`/units/${w.north.id}/events/export.${format}?from=2026-02-30`).expect(422);
    }
    expect(await auditRows('events.exported')).to.deep.equal([]);
  });

  it('downloads zero rows as a file with its header', async () => {
    expect(await csvRows(director, `/units/${w.north.id}/events/export.csv?q=nothingmatches`)).to.deep.equal([HEADER]);
    const sheet = await xlsxSheet(director, `/units/${w.north.id}/events/export.xlsx?q=nothingmatches`);
    expect(sheetValues(sheet)).to.deep.equal([HEADER]);
  });

  it('keeps a would-be formula as text in both formats', async () => {
    const [, ...rows] = await csvRows(director, `/units/${w.plantTwo.id}/events/export.csv`);
    expect(rows.find((r) => r[ID] === ids.formula)![3]).to.equal(`'=HYPERLINK("http://evil.example","x")`);
    const sheet = await xlsxSheet(director, `/units/${w.plantTwo.id}/events/export.xlsx`);
    const row = sheet.getRows(2, sheet.rowCount - 1)!.find((r) => r.getCell(ID + 1).value === ids.formula)!;
    expect(row.getCell(4).type).to.equal(ExcelJS.ValueType.String);
    expect(row.getCell(4).value).to.equal('=HYPERLINK("http://evil.example","x")');
    expect(row.getCell(4).formula).to.equal(undefined);
    expect(row.getCell(4).numFmt).to.equal('@');
  });

  it('downloads My events with the page’s filters and window', async () => {
    const alice = await w.as(w.alice);
    for (const query of ['', '?status=all', '?show=all', '?status=all&sort=activity&dir=desc']) {
      const pageIds = idsIn((await alice.get(`/events${query}`).expect(200)).text, 'my-events');
      const [, ...rows] = await csvRows(alice, `/events/export.csv${query}`);
      expect(rows.map((r) => r[ID]), query).to.deep.equal(pageIds);
      const sheet = await xlsxSheet(alice, `/events/export.xlsx${query}`);
      expect(sheetValues(sheet).slice(1).map((r) => r[ID]), query).to.deep.equal(pageIds);
    }
    await alice.get(`/events/export.csv?assignee=${w.bob.id}`).expect(422);
  });

  it('downloads a Plan Item’s events as its page lists them, by status; outside the scope is 404', async () => {
    const [{ id: tank }] = await ownerQuery<{ id: string }>(`SELECT plan_item_id AS id FROM events WHERE id = $1`, [ids.closed]);
    for (const query of ['', '?status=closed', '?status=cancelled', '?status=open']) {
      const page = await director.get(`/plan-items/${tank}${query}`).expect(200);
      const [, ...rows] = await csvRows(director, downloadLink(page.text, 'csv'));
      expect(rows.map((r) => r[ID]), query).to.deep.equal(idsIn(page.text, 'item-events'));
      const sheet = await xlsxSheet(director, downloadLink(page.text, 'xlsx'));
      expect(sheetValues(sheet).slice(1).map((r) => r[ID]), query).to.deep.equal(idsIn(page.text, 'item-events'));
    }
    const [{ id: south }] = await ownerQuery<{ id: string }>(`SELECT plan_item_id AS id FROM events WHERE id = $1`, [ids.south]);
    await director.get(`/plan-items/${south}/events/export.csv`).expect(404);
  });

  it('audits each download with its format, filters and row count', async () => {
    await csvRows(director, `/units/${w.north.id}/events/export.csv?status=all&sort=facility&page=2`);
    await xlsxSheet(director, `/units/${w.plantOne.id}/events/export.xlsx`);
    const entries = await auditRows('events.exported');
    expect(entries.map((e) => [e.entity_type, e.entity_id, e.actor_user_id])).to.deep.equal([['org_unit', w.north.id, w.director.id], ['org_unit', w.plantOne.id, w.director.id]]);
    expect(entries[0]!.changes).to.deep.equal({ format: 'csv', filters: { status: 'all', sort: 'facility' }, rows: 5 });
    expect(entries[1]!.changes).to.deep.equal({ format: 'xlsx', filters: {}, rows: 2 });
  });
});
