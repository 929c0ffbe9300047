// /notifications: the client's whole ledger for Administrators (and staff in a support session),
// filtered by kind, status, recipient and due-for dates; CSV and XLSX downloads of the same rows
// with formulas defused, each audited; bad filters answer 422; other ranks and other clients' rows
// stay out.
import { expect } from 'chai';
import ExcelJS from 'exceljs';
import type { Express } from 'express';
import { auditRows } from '../support/auth-helpers.ts';
import { createClient, createUser, ownerQuery, type UserRow } from '../support/factories.ts';
import { type Agent, signedInAgent, testApp } from '../support/http.ts';
import { assignRepresentative, createStaff, signedInStaffAgent } from '../support/staff.ts';
import { getBytes, parseCsv } from '../audit-log/helpers.ts';
import { createEventSite, type EventSite } from '../events/event-factories.ts';
import { requestEntry } from '../visits/helpers.ts';
import { insertMail, insertNotification, listedIds, rowCellsOf } from './helpers.ts';

const HEADER = ['Recorded', 'Due for', 'Kind', 'Recipient', 'Recipient e-mail', 'Facility', 'Activity', 'Event id', 'Status', 'Mail status', 'Skip reason'];

describe('the client\'s notification ledger', () => {
  let app: Express;
  let site: EventSite;
  let admin: UserRow;
  let weird: UserRow;
  let agent: Agent;
  let ids: { reminder: string; overdue: string; escalation: string; summary: string; formula: string };
  before(() => {
    app = testApp();
  });
  beforeEach(async () => {
    site = await createEventSite();
    const { client, associate, manager, director, facility, eventId } = site;
    admin = await createUser(client, { rank: 'administrator', name: 'Alma Admin' });
    weird = await createUser(client, { rank: 'director', name: '=HYPERLINK("http://evil.example","x")' });
    const mail = await insertMail(client, { to: associate.email, status: 'sent' });
    ids = {
      reminder: await insertNotification(client, { recipient: associate, kind: 'reminder', eventId, facilityId: facility.id, dueFor: '2026-03-17', status: 'queued', mailId: mail, createdAt: '2026-03-10T12:00:00Z' }),
      overdue: await insertNotification(client, { recipient: associate, kind: 'overdue', eventId, facilityId: facility.id, dueFor: '2026-04-01', status: 'skipped', skipReason: 'opted out', createdAt: '2026-04-01T12:00:00Z' }),
      escalation: await insertNotification(client, { recipient: manager, kind: 'escalation', level: 1, eventId, facilityId: facility.id, dueFor: '2026-04-07', createdAt: '2026-04-07T12:00:00Z' }),
      summary: await insertNotification(client, { recipient: director, kind: 'weekly_summary', dueFor: '2026-04-06', createdAt: '2026-04-06T12:00:00Z' }),
      formula: await insertNotification(client, { recipient: weird, kind: 'weekly_summary', dueFor: '2026-04-06', status: 'skipped', skipReason: '@SUM(A1)', createdAt: '2026-04-06T13:00:00Z' }),
    };
    // Another client's notice never shows.
    const other = await createClient();
    const stranger = await createUser(other, { rank: 'director' });
    await insertNotification(other, { recipient: stranger, kind: 'weekly_summary', dueFor: '2026-04-06' });
    agent = await signedInAgent(app, admin.email, admin.password);
  });

  it('lists every notice of the client, newest first, with its recipient, and links it from the navigation', async () => {
    const page = await agent.get('/notifications').expect(200);
    expect(page.text).to.include('<a href="/notifications">Notifications</a>');
    expect(listedIds(page.text)).to.deep.equal([ids.escalation, ids.formula, ids.summary, ids.overdue, ids.reminder]);
    expect(rowCellsOf(page.text, ids.escalation)).to.deep.equal([
      '2026-04-07 07:00 -05:00', `Mona Manager ${site.manager.email}`, 'Escalation, level 1 (Managers)', 'Stormwater inspection', 'Springfield Plant', '2026-04-07', 'Pending',
    ]);
    expect(rowCellsOf(page.text, ids.reminder).at(-1)).to.equal('Queued · mail sent');
    expect(rowCellsOf(page.text, ids.summary).slice(2, 5)).to.deep.equal(['Weekly summary', '—', '—']);
    expect(page.text).to.include('times in America/Chicago');
  });

  it('filters by kind, status, recipient and due-for dates', async () => {
    const list = async (query: string) => listedIds((await agent.get(`/notifications?${query}`).expect(200)).text);
    expect(await list('kind=weekly_summary')).to.deep.equal([ids.formula, ids.summary]);
    expect(await list('status=skipped')).to.deep.equal([ids.formula, ids.overdue]);
    expect(await list(`recipient=${site.associate.id}`)).to.deep.equal([ids.overdue, ids.reminder]);
    expect(await list(`recipient=${site.associate.id.toUpperCase()}`)).to.deep.equal([ids.overdue, ids.reminder]);
    expect(await list('from=2026-04-01&to=2026-04-06')).to.deep.equal([ids.formula, ids.summary, ids.overdue]);
    expect(await list('kind=reminder&status=pending')).to.deep.equal([]);
    const page = await agent.get('/notifications?kind=overdue&from=2026-01-01').expect(200);
    expect(page.text).to.include('href="/notifications/export.csv?kind=overdue&amp;from=2026-01-01"');
  });

  const BAD: [string, string, RegExp][] = [
    ['an unknown kind', 'kind=digest', /Choose a kind from the list\./],
    ['an unknown status', 'status=sent', /Choose a status from the list\./],
    ['a recipient who is not a UUID', 'recipient=bob', /Choose a recipient from the list\./],
    ['a recipient of another client', 'recipient=00000000-0000-4000-8000-000000000000', /Choose a recipient from the list\./],
    ['a date that is no date', 'from=2026-02-30', /Enter the start date as a date like 2026-03-31\./],
    ['an end before the start', 'from=2026-04-02&to=2026-04-01', /The end date must be on or after the start date\./],
    ['a repeated parameter', 'kind=reminder&kind=overdue', /Choose a kind from the list\./],
    ['a bad page link', 'before=12', /That page link is not valid\./],
  ];
  for (const [what, query, message] of BAD) {
    it(`refuses ${what} with 422 and a message, on the page and the downloads`, async () => {
      for (const path of ['/notifications', '/notifications/export.csv', '/notifications/export.xlsx']) {
        const res = await agent.get(`${path}?${query}`);
        expect(res.status, path).to.equal(422);
        expect(res.text, path).to.match(message);
        expect(listedIds(res.text)).to.deep.equal([]);
      }
      expect(await auditRows('notifications.exported')).to.deep.equal([]);
    });
  }

  it('downloads the filtered rows as CSV with formulas defused, audited', async () => {
    const res = await getBytes(agent, '/notifications/export.csv?kind=weekly_summary').expect(200);
    expect(res.headers['content-type']).to.equal('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).to.match(/^attachment; filename=notifications-client-[a-z0-9-]+-\d{4}-\d{2}-\d{2}\.csv$/);
    expect(res.headers['x-content-type-options']).to.equal('nosniff');
    const [header, ...rows] = parseCsv((res.body as Buffer).subarray(3).toString('utf8'));
    expect(header).to.deep.equal(HEADER);
    expect(rows).to.deep.equal([
      ['2026-04-06 08:00 -05:00', '2026-04-06', 'Weekly summary', `'=HYPERLINK("http://evil.example","x")`, weird.email, '', '', '', 'skipped', '', "'@SUM(A1)"],
      ['2026-04-06 07:00 -05:00', '2026-04-06', 'Weekly summary', 'Dora Director', site.director.email, '', '', '', 'pending', '', ''],
    ]);
    const [entry] = await auditRows('notifications.exported');
    expect(entry).to.include({ client_id: site.client.id, actor_kind: 'user', actor_user_id: admin.id });
    expect(entry!.changes).to.deep.equal({ format: 'csv', filters: { kind: 'weekly_summary' }, rows: 2});
  });

  it('downloads the same rows as XLSX, strings never formulas, audited', async () => {
    const res = await getBytes(agent, `/notifications/export.xlsx?recipient=${site.associate.id}`).expect(200);
    expect(res.headers['content-type']).to.equal('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(res.body as unknown as ArrayBuffer);
    const rows: unknown[][] = [];
    workbook.worksheets[0]!.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
    expect(rows[0]).to.deep.equal(HEADER);
    expect(rows.slice(1).map((r) => [r[2], r[8], r[9], r[10]])).to.deep.equal([['Overdue', 'skipped', undefined, 'opted out'], ['Reminder', 'queued', 'sent', undefined]]);
    expect(rows[1]![7]).to.equal(site.eventId);
    const [entry] = await auditRows('notifications.exported');
    expect(entry!.changes).to.deep.equal({ format: 'xlsx', filters: { recipient: site.associate.id }, rows: 2});
  });

  it('pages through older notices', async () => {
    const { client, associate } = site;
    for (let i = 0; i < 100; i++) {
      await insertNotification(client, { recipient: associate, kind: 'reminder', dueFor: new Date(Date.UTC(2027, 0, 1 + i)).toISOString().slice(0, 10), createdAt: `2027-01-01T00:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z` });
    }
    const first = await agent.get('/notifications').expect(200);
    expect(listedIds(first.text)).to.have.length(100);
    const next = /href="\/notifications\?before=([0-9a-f-]{36})" rel="next"/.exec(first.text)![1];
    const second = await agent.get(`/notifications?before=${next}`).expect(200);
    expect(listedIds(second.text)).to.deep.equal([ids.escalation, ids.formula, ids.summary, ids.overdue, ids.reminder]);
  });

  it('refuses every rank below Administrator', async () => {
    for (const user of [site.director, site.manager, site.associate]) {
      const other = await signedInAgent(app, user.email, user.password);
      const home = await other.get('/').expect(200);
      expect(home.text).to.not.include('<a href="/notifications">');
      await other.get('/notifications').expect(403);
      await other.get('/notifications/export.csv').expect(403);
      await other.get('/notifications/export.xlsx').expect(403);
    }
    expect(await auditRows('notifications.exported')).to.deep.equal([]);
  });

  it('is open to staff inside a support session, who act as Administrators', async () => {
    const rep = await createStaff({ role: 'client_representative' });
    await assignRepresentative(site.client, rep);
    const staff = await signedInStaffAgent(app, rep);
    expect((await requestEntry(staff, rep, site.client)).status).to.equal(303);
    const page = await staff.get('/notifications').expect(200);
    expect(listedIds(page.text)).to.have.length(5);
    await getBytes(staff, '/notifications/export.csv').expect(200);
    const [entry] = await auditRows('notifications.exported');
    expect(entry).to.include({ client_id: site.client.id, actor_kind: 'staff' });
    const [{ n }] = await ownerQuery<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'support.request' AND client_id = $1`, [site.client.id]);
    expect(n).to.be.greaterThan(1);
  });
});
