// Downloads of the audit log: CSV and XLSX read back hold the same entries as the
// filtered page, defuse spreadsheet formulas, and each download is itself audited.
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import ExcelJS from 'exceljs';
import type { Express } from 'express';
import { createClient, createUser, ownerQuery, type ClientRow, type UserRow } from '../support/factories.ts';
import { type Agent, signedInAgent, testApp } from '../support/http.ts';
import { csvCell, writeCsv } from '../../services/exports/csv.ts';
import { writeXlsx } from '../../services/exports/xlsx.ts';
import { getBytes, insertEntry, insertStaff, pageSeqs, parseCsv } from './helpers.ts';

const HEADER = ['Seq', 'Time', 'Actor', 'Acting for', 'Support session', 'Action', 'Entity type', 'Entity id', 'Changes', 'IP', 'User agent', 'Request id'];

async function readXlsx(bytes: Buffer): Promise<ExcelJS.Worksheet> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  expect(workbook.worksheets).to.have.length(1);
  return workbook.worksheets[0];
}

const sheetRows = (sheet: ExcelJS.Worksheet): unknown[][] => {
  const rows: unknown[][] = [];
  sheet.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
  return rows;
};

describe('audit-log downloads', () => {
  let app: Express;
  before(() => {
    app = testApp();
  });

  let client: ClientRow;
  let admin: UserRow;
  let agent: Agent;
  let seqs: { update: string; staff: string; formula: string; other: string };
  let visit: string;
  beforeEach(async () => {
    client = await createClient({ name: 'Ärger & Söhne, "Water"', timeZone: 'America/New_York' });
    admin = await createUser(client, { name: 'Alice Admin', rank: 'administrator' });
    const weird = await createUser(client, { name: '@SUM(A1)', rank: 'manager' });
    agent = await signedInAgent(app, admin.email, admin.password);
    const ada = await insertStaff({ name: 'Ada Lovelace', role: 'technical_director' });
    visit = randomUUID();
    seqs = {
      update: await insertEntry(client, {
        occurredAt: '2026-01-15T17:00:00Z', actorKind: 'user', actorUserId: admin.id, action: 'plan_item.update', entityType: 'plan_item', entityId: randomUUID(),
        changes: { activity: ['Old, "quoted"', 'New\nline'], password: 'hunter2-plain' }, ip: '198.51.100.7', userAgent: 'Mozilla/5.0 (X11)', requestId: 'req-update',
      }),
      staff: await insertEntry(client, {
        occurredAt: '2026-01-15T18:00:00Z', actorKind: 'staff', actorStaffId: ada, supportSessionId: visit, action: 'plan_item.update', entityType: 'plan_item',
        entityId: randomUUID(), requestId: 'req-staff',
      }),
      formula: await insertEntry(client, {
        occurredAt: '2026-01-15T19:00:00Z', actorKind: 'user', actorUserId: weird.id, action: 'plan_item.update', entityType: 'plan_item', entityId: randomUUID(),
        userAgent: '=HYPERLINK("http://evil.example","click")', requestId: '-2+3',
      }),
      other: await insertEntry(client, { occurredAt: '2026-01-16T12:00:00Z', action: 'events.generated' }),
    };
  });

  it('downloads the filtered entries as CSV, like the page, with formulas defused', async () => {
    const query = 'action=plan_item.update&from=2026-01-15&to=2026-01-15';
    const page = await agent.get(`/audit?${query}`).expect(200);
    expect(pageSeqs(page.text)).to.deep.equal([seqs.formula, seqs.staff, seqs.update]);

    const res = await getBytes(agent, `/audit/export.csv?${query}`).expect(200);
    expect(res.headers['content-type']).to.equal('text/csv; charset=utf-8');
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York' }).format(new Date());
    expect(res.headers['content-disposition']).to.equal(`attachment; filename=audit-log-arger-sohne-water-${today}.csv`);
    expect(res.headers['x-content-type-options']).to.equal('nosniff');
    const bytes = res.body;
    expect([...bytes.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString('utf8');
    expect(text.endsWith('\r\n')).to.equal(true);
    const [header, ...rows] = parseCsv(text);
    expect(header).to.deep.equal(HEADER);
    expect(rows.map((r) => r[0])).to.deep.equal([seqs.formula, seqs.staff, seqs.update]);
    for (const row of rows) expect(row).to.have.length(HEADER.length);

    const [formula, staff, update] = rows;
    expect(formula[2]).to.match(/^'@SUM\(A1\) </);
    expect(formula[10]).to.equal(`'=HYPERLINK("http://evil.example","click")`);
    expect(formula[11]).to.equal("'-2+3");
    expect(staff.slice(1, 6)).to.deep.equal(['2026-01-15 13:00:00 -05:00', 'Ada Lovelace (SolutionsTRAK Technical Director)', 'Ärger & Söhne, "Water"', visit, 'plan_item.update']);
    expect(update[1]).to.equal('2026-01-15 12:00:00 -05:00');
    expect(update[2]).to.equal(`Alice Admin <${admin.email}>`);
    expect(update[3]).to.equal('');
    expect(update[8]).to.equal('activity: Old, "quoted" → New\nline; password: [redacted]');
    expect(update.slice(9)).to.deep.equal(['198.51.100.7', 'Mozilla/5.0 (X11)', 'req-update']);
    expect(text).to.not.include('hunter2-plain');
  });

  it('downloads the filtered entries as XLSX, like the page', async () => {
    const query = `actor=user:${admin.id}`;
    const pageSeqList = pageSeqs((await agent.get(`/audit?${query}`).expect(200)).text);
    const res = await getBytes(agent, `/audit/export.xlsx?${query}`).expect(200);
    expect(res.headers['content-type']).to.equal('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(res.headers['content-disposition']).to.match(/^attachment; filename=audit-log-arger-sohne-water-\d{4}-\d{2}-\d{2}\.xlsx$/);
    const sheet = await readXlsx(res.body);
    expect(sheet.name).to.equal('Audit log');
    const [header, ...rows] = sheetRows(sheet);
    expect(header).to.deep.equal(HEADER);
    expect(sheet.getRow(1).getCell(1).font?.bold).to.equal(true);
    expect(sheet.views[0]).to.include({ state: 'frozen', ySplit: 1 });
    expect(sheet.getColumn(9).width).to.equal(60);
    // The admin's sign-in and the entry inserted for them; the page and the file agree.
    expect(rows.map((r) => r[0])).to.deep.equal(pageSeqList);
    expect(pageSeqList).to.include(seqs.update);
    const update = rows.find((r) => r[0] === seqs.update)!;
    expect(update[8]).to.equal('activity: Old, "quoted" → New\nline; password: [redacted]');

    // A would-be formula stays text in the workbook.
    const all = await readXlsx((await getBytes(agent, '/audit/export.xlsx?action=plan_item.update').expect(200)).body);
    const formulaRow = all.getRows(2, all.rowCount - 1)!.find((r) => r.getCell(1).value === seqs.formula)!;
    const agentCell = formulaRow.getCell(11);
    expect(agentCell.type).to.equal(ExcelJS.ValueType.String);
    expect(agentCell.value).to.equal('=HYPERLINK("http://evil.example","click")');
    expect(agentCell.formula).to.equal(undefined);
    expect(formulaRow.getCell(3).type).to.equal(ExcelJS.ValueType.String);
  });

  it('audits each download, with its format, filters and row count', async () => {
    await getBytes(agent, '/audit/export.csv?action=plan_item.update&entityType=plan_item').expect(200);
    await getBytes(agent, '/audit/export.xlsx').expect(200);
    const rows = await ownerQuery<{ actor_kind: string; actor_user_id: string; client_id: string; changes: Record<string, unknown>; request_id: string | null }>(
      `SELECT actor_kind, actor_user_id, client_id, changes, request_id FROM audit_log WHERE action = 'audit.exported' ORDER BY seq`,
    );
    expect(rows).to.have.length(2);
    expect(rows[0]).to.include({ actor_kind: 'user', actor_user_id: admin.id, client_id: client.id });
    expect(rows[0].changes).to.deep.equal({ format: 'csv', filters: { action: 'plan_item.update', entityType: 'plan_item' }, rows: 3});
    expect(rows[0].request_id).to.be.a('string');
    const total = await ownerQuery<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE client_id = $1 AND action <> 'audit.exported'`, [client.id]);
    // The second download holds everything before it, the first download's entry included.
    expect(rows[1].changes).to.deep.equal({ format: 'xlsx', filters: {}, rows: total[0].n + 1});
    // The download shows in the viewer like any other entry.
    const page = await agent.get('/audit?action=audit.exported').expect(200);
    expect(pageSeqs(page.text)).to.have.length(2);
  });

  it('streams every matching entry, however many: 100,001 entries, newest first', async function () {
    this.timeout(120_000);
    await ownerQuery(
      `INSERT INTO audit_log (client_id, occurred_at, actor_kind, action, entity_type)
       SELECT $1, now() - make_interval(secs => n), 'system', 'bulk.entry', 'plan_item' FROM generate_series(1, 100001) n`,
      [client.id],
    );
    const res = await getBytes(agent, '/audit/export.csv?action=bulk.entry').expect(200);
    expect(res.headers['transfer-encoding']).to.equal('chunked');
    const lines = (res.body as Buffer).toString('utf8').split('\r\n');
    expect(lines).to.have.length(100_003); // header, 100,001 rows, and the empty rest after the last CRLF
    const [newest] = await ownerQuery<{ seq: string }>(`SELECT max(seq)::text AS seq FROM audit_log WHERE action = 'bulk.entry'`);
    expect(lines[1].split(',')[0]).to.equal(newest.seq);
    const [entry] = await ownerQuery<{ changes: Record<string, unknown> }>(`SELECT changes FROM audit_log WHERE action = 'audit.exported'`);
    expect(entry.changes).to.deep.equal({ format: 'csv', filters: { action: 'bulk.entry' }, rows: 100_001 });
  });

  it('writes RFC 4180 CSV cells and generic XLSX sheets', async () => {
    expect(csvCell('plain')).to.equal('plain');
    expect(csvCell('a,b')).to.equal('"a,b"');
    expect(csvCell('say "hi"')).to.equal('"say ""hi"""');
    expect(csvCell('two\r\nlines')).to.equal('"two\r\nlines"');
    for (const danger of ['=1+2', '+1', '-1', '@x', '\tx']) expect(csvCell(danger)).to.equal(`'${danger}`);
    expect(csvCell('\rx')).to.equal(`"'\rx"`);
    expect(csvCell(-5)).to.equal('-5');
    expect(csvCell(null)).to.equal('');
    const csv = await writeCsv(['a', 'b'], [['1', '=x'], ['', null]]);
    expect(csv.toString('utf8')).to.equal("\uFEFFa,b\r\n1,'=x\r\n,\r\n");

    const bytes = await writeXlsx({ sheetName: 'Bad/Name:[x]', columns: [{ header: 'N' }, { header: 'Text', width: 30 }], rows: [[1, 'one\u0001'], [2, null]] });
    const sheet = await readXlsx(bytes);
    expect(sheet.name).to.equal('Bad Name  x');
    expect(sheetRows(sheet)).to.deep.equal([['N', 'Text'], [1, 'one'], [2]]);
  });
});
