// The audit-log viewer: an Administrator reads their own client's log only, filtered
// (dates in the client's zone, actor, action, entity), page by page; staff entries name the staff
// member, their role, the client they acted for and the support session; secrets stay redacted.
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Express } from 'express';
import { createClient, createUser, ownerQuery, type ClientRow, type UserRow } from '../support/factories.ts';
import { type Agent, signedInAgent, testApp } from '../support/http.ts';
import { entryRow, insertEntry, insertStaff, pageSeqs, rowCells } from './helpers.ts';

describe('audit-log viewer', () => {
  let app: Express;
  before(() => {
    app = testApp();
  });

  let client: ClientRow;
  let admin: UserRow;
  let agent: Agent;
  beforeEach(async () => {
    client = await createClient({ name: 'Acme Water', timeZone: 'Europe/Berlin' });
    admin = await createUser(client, { name: 'Alice Admin', rank: 'administrator' });
    agent = await signedInAgent(app, admin.email, admin.password);
  });

  it("shows the Administrator their client's entries and none of another client's", async () => {
    const other = await createClient({ name: 'Other Co' });
    const mine = await insertEntry(client, { action: 'plan_item.update', entityType: 'plan_item', entityId: randomUUID() });
    const theirs = await insertEntry(other, { action: 'plan_item.secret_other', entityType: 'plan_item', requestId: 'req-other-client' });
    const res = await agent.get('/audit').expect(200);
    const seqs = pageSeqs(res.text);
    expect(seqs).to.include(mine);
    expect(seqs).to.not.include(theirs);
    expect(res.text).to.not.include('req-other-client');
    expect(res.text).to.not.include('plan_item.secret_other');
    // Newest first, by seq.
    expect(seqs).to.deep.equal([...seqs].sort((a, b) => Number(b) - Number(a)));
    // The Administrator's own sign-in is in the log too, credited to them.
    const [login] = await ownerQuery<{ seq: string }>(`SELECT seq::text AS seq FROM audit_log WHERE client_id = $1 AND action = 'auth.login'`, [client.id]);
    const loginCells = rowCells(entryRow(res.text, login.seq));
    expect(loginCells[1]).to.equal(`Alice Admin ${admin.email}`);
    expect(loginCells[2]).to.equal('—');
  });

  it('shows times in the client zone, naming the zone', async () => {
    const seq = await insertEntry(client, { occurredAt: '2026-03-01T23:30:00Z', action: 'test.zone', ip: '203.0.113.9' });
    const summer = await insertEntry(client, { occurredAt: '2026-07-01T10:00:00Z', action: 'test.zone' });
    const res = await agent.get('/audit').expect(200);
    expect(rowCells(entryRow(res.text, seq))[0]).to.equal('2026-03-02 00:30:00 CET');
    expect(rowCells(entryRow(res.text, seq))[7]).to.equal('203.0.113.9');
    expect(rowCells(entryRow(res.text, summer))[0]).to.equal('2026-07-01 12:00:00 CEST');
  });

  it('narrows by each filter', async () => {
    const mona = await createUser(client, { name: 'Mona Manager', rank: 'manager' });
    const plan = randomUUID();
    const a = await insertEntry(client, { occurredAt: '2026-03-01T23:30:00Z', actorKind: 'user', actorUserId: mona.id, action: 'plan_item.update', entityType: 'plan_item', entityId: plan });
    const b = await insertEntry(client, { occurredAt: '2026-03-02T12:00:00Z', actorKind: 'user', actorUserId: admin.id, action: 'user.update', entityType: 'user', entityId: mona.id });
    const c = await insertEntry(client, { occurredAt: '2026-03-03T12:00:00Z', actorKind: 'system', action: 'events.generated', entityType: 'plan_item', entityId: plan });
    const d = await insertEntry(client, { occurredAt: '2026-03-01T12:00:00Z', actorKind: 'anonymous', actorUserId: mona.id, action: 'auth.login_failed', entityType: 'user', entityId: mona.id });
    const list = async (query: string) => pageSeqs((await agent.get(`/audit?${query}`).expect(200)).text);

    // 2026-03-01T23:30Z is 2 March 00:30 in Berlin: the client's zone decides the day.
    expect(await list('from=2026-03-02&to=2026-03-02')).to.have.members([a, b]);
    expect(await list('from=2026-03-01&to=2026-03-01')).to.have.members([d]);
    expect(await list('from=2026-03-03')).to.include(c).and.not.include.members([a, b, d]);
    expect(await list('to=2026-03-02')).to.have.members([a, b, d]);
    expect(await list(`actor=user:${mona.id}`)).to.have.members([a]);
    expect(await list('actor=system')).to.have.members([c]);
    expect(await list('actor=anonymous')).to.have.members([d]);
    expect(await list('action=user.update')).to.have.members([b]);
    expect(await list('entityType=plan_item')).to.have.members([a, c]);
    expect(await list(`entityId=${plan}`)).to.have.members([a, c]);
    expect(await list(`entityId=${plan.toUpperCase()}&actor=system&entityType=plan_item&action=events.generated`)).to.have.members([c]);
    // Blank fields are no filter; unknown parameters are ignored.
    expect(await list('from=&to=&actor=&action=&entityType=&entityId=&utm=x')).to.include.members([a, b, c, d]);

    // The selects offer what the log and the client hold, and keep the choice.
    const page = (await agent.get(`/audit?actor=user:${mona.id}&action=user.update`).expect(200)).text;
    expect(page).to.include(`<option value="user:${mona.id}" selected>Mona Manager &lt;${mona.email}&gt;</option>`);
    expect(page).to.include('<option value="user.update" selected>user.update</option>');
    expect(page).to.include('<option value="events.generated">events.generated</option>');
    expect(page).to.include('<option value="system">System</option>');
    expect(page).to.include('<option value="anonymous">Anonymous</option>');
    // The download links carry the filters.
    expect(page).to.include(`/audit/export.csv?actor=user%3A${mona.id}&amp;action=user.update`);
  });

  it('answers bad filter values with 422 and a message, never a 500', async () => {
    const cases: Array<[string, string]> = [
      ['from=2026-02-30', 'Enter the start date as a date like 2026-03-31.'],
      ['to=yesterday', 'Enter the end date as a date like 2026-03-31.'],
      ['from=2026-03-05&to=2026-03-01', 'The end date must be on or after the start date.'],
      ['from=2026-03-01&from=2026-03-02', 'Enter one start date.'],
      ['actor=robot', 'Choose an actor from the list.'],
      ['actor=user:not-a-uuid', 'Choose an actor from the list.'],
      [`actor=user:${randomUUID()}`, 'Choose an actor from the list.'],
      [`actor=staff:${randomUUID()}`, 'Choose an actor from the list.'],
      ['action=no.such.action', 'Choose an action from the list.'],
      ['entityType=spaceship', 'Choose an entity type from the list.'],
      ['entityId=42', 'Enter the entity id as a UUID'],
      ['entityId=a&entityId=b', 'Enter one entity id.'],
      ['before=abc', 'That page link is not valid.'],
      ['before=99999999999999999999', 'That page link is not valid.'],
    ];
    for (const [query, message] of cases) {
      const res = await agent.get(`/audit?${query}`);
      expect(res.status, query).to.equal(422);
      expect(res.text, query).to.include(message);
      expect(res.text, query).to.include('<form method="get" action="/audit"');
      expect(pageSeqs(res.text), query).to.deep.equal([]);
      const download = await agent.get(`/audit/export.csv?${query}`);
      expect(download.status, `export ${query}`).to.equal(422);
    }
    // The value given is shown back in its field.
    expect((await agent.get('/audit?entityId=42').expect(422)).text).to.match(/name="entityId"[^>]*value="42"/);
  });

  it('refuses Directors (and lower ranks) with 403', async () => {
    for (const rank of ['executive', 'director', 'associate'] as const) {
      const user = await createUser(client, { rank });
      const other = await signedInAgent(app, user.email, user.password);
      expect((await other.get('/audit')).status, rank).to.equal(403);
      expect((await other.get('/audit/export.csv')).status, rank).to.equal(403);
      expect((await other.get('/audit/export.xlsx')).status, rank).to.equal(403);
    }
    // And the menu offers the log to Administrators only.
    expect((await agent.get('/').expect(200)).text).to.include('href="/audit"');
  });

  it('credits staff entries: name, role, the client acted for and the support session', async () => {
    const ada = await insertStaff({ name: 'Ada Lovelace', role: 'client_representative' });
    const visit = randomUUID();
    const seq = await insertEntry(client, { actorKind: 'staff', actorStaffId: ada, supportSessionId: visit, action: 'plan_item.update', entityType: 'plan_item', entityId: randomUUID() });
    const userSeq = await insertEntry(client, { actorKind: 'user', actorUserId: admin.id, action: 'user.update' });
    const res = await agent.get('/audit').expect(200);
    const row = entryRow(res.text, seq);
    const cells = rowCells(row);
    expect(cells[1]).to.equal('Ada Lovelace SolutionsTRAK Client Representative');
    expect(cells[2]).to.equal('Acme Water');
    expect(cells[3]).to.equal(visit.slice(0, 8));
    expect(row).to.include(`href="/settings/support#visit-${visit}"`);
    expect(rowCells(entryRow(res.text, userSeq))[2]).to.equal('—');
    expect(rowCells(entryRow(res.text, userSeq))[3]).to.equal('—');
    // The actor select offers the staff member seen in the log, and filters by them.
    expect(res.text).to.include(`<option value="staff:${ada}">Ada Lovelace (SolutionsTRAK Client Representative)</option>`);
    expect(pageSeqs((await agent.get(`/audit?actor=staff:${ada}`).expect(200)).text)).to.deep.equal([seq]);
  });

  it('shows changes readably with secrets redacted, whatever was stored', async () => {
    const seq = await insertEntry(client, {
      actorKind: 'user', actorUserId: admin.id, action: 'user.update', entityType: 'user', entityId: admin.id,
      changes: {
        name: ['Old Name', 'New Name'],
        rank: [null, 'manager'],
        password_hash: ['$2b$12$oldhasholdhash', '$2b$12$newhashnewhash'],
        totp_secret: 'JBSWY3DPEHPK3PXP',
        details: { reset_token: 'tok-visible-nowhere', note: 'kept' },
        count: 3,
      },
    });
    const res = await agent.get('/audit').expect(200);
    const cells = rowCells(entryRow(res.text, seq));
    expect(cells[6]).to.include('name: Old Name → New Name');
    expect(cells[6]).to.include('rank: (none) → manager');
    expect(cells[6]).to.include('password_hash: [redacted]');
    expect(cells[6]).to.include('totp_secret: [redacted]');
    expect(cells[6]).to.include('count: 3');
    expect(cells[6]).to.include('&#34;note&#34;:&#34;kept&#34;');
    for (const secret of ['oldhasholdhash', 'newhashnewhash', 'JBSWY3DPEHPK3PXP', 'tok-visible-nowhere']) expect(res.text).to.not.include(secret);
  });

  it('pages by seq, 100 at a time, keeping the filters', async () => {
    await ownerQuery(
      `INSERT INTO audit_log (client_id, occurred_at, actor_kind, action, entity_type)
       SELECT $1, now() - make_interval(secs => n), 'system', 'bulk.entry', 'plan_item' FROM generate_series(1, 250) n`,
      [client.id],
    );
    await insertEntry(client, { action: 'other.entry' });
    const all = (await ownerQuery<{ seq: string }>(`SELECT seq::text AS seq FROM audit_log WHERE client_id = $1 AND action = 'bulk.entry' ORDER BY audit_log.seq DESC`, [client.id])).map((r) => r.seq);
    const seen: string[] = [];
    let url: string | null = '/audit?action=bulk.entry';
    let pages = 0;
    while (url) {
      const res = await agent.get(url).expect(200);
      const seqs = pageSeqs(res.text);
      expect(seqs.length).to.be.at.most(100);
      seen.push(...seqs);
      pages += 1;
      const next = /<a href="(\/audit\?[^"]*before=\d+)" rel="next">Older entries<\/a>/.exec(res.text);
      url = next ? next[1].replaceAll('&amp;', '&') : null;
      if (url) expect(url).to.include('action=bulk.entry');
      expect(pages).to.be.below(5);
    }
    expect(pages).to.equal(3);
    expect(seen).to.deep.equal(all);
    // A page further back than the log holds is empty, not an error.
    const empty = await agent.get(`/audit?action=bulk.entry&before=${all[all.length - 1]}`).expect(200);
    expect(pageSeqs(empty.text)).to.deep.equal([]);
    expect(empty.text).to.include('No older entries match.');
  });
});
