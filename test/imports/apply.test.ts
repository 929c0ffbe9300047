// Applying an import: all rows or none, in one transaction, after reading the kept file again;
// one audit entry per item plus a summary; events generated after the commit; the same file
// imported twice is found out (duplicates are skipped, not doubled).
import { expect } from 'chai';
import { importGenerationSettled } from '../../services/imports/plan-import.ts';
import { ownerQuery } from '../support/factories.ts';
import { csrfToken } from '../support/http.ts';
import { apply, counts, csvOf, fiveRows, importWorld, uploaded } from './world.ts';

describe('Plan Item import: applying', () => {
  it('creates every row, audited one entry per item plus a summary, and their events after the commit', async () => {
    const w = await importWorld();
    const path = await uploaded(w.agent, csvOf(fiveRows()));
    const res = await apply(w.agent, path);
    expect(res.status).to.equal(303);
    await importGenerationSettled();
    const items = await ownerQuery<{ activity: string; facility_id: string; rrule: string | null; relative_every: number | null; checklist: unknown[]; requirement: string; lead_time_days: number; created_at: Date; created_by: string }>(
      'SELECT activity, facility_id, rrule, relative_every, checklist, requirement, lead_time_days, created_at, created_by FROM plan_items ORDER BY activity');
    expect(items.map((i) => [i.activity, i.rrule ?? `after ${i.relative_every}`])).to.deep.equal([
      ['Daily chlorine check', 'FREQ=DAILY'],
      ['Filter replacement', 'after 90'],
      ['Month-end meter reading', 'FREQ=MONTHLY;BYMONTHDAY=-1'],
      ['Pump inspection', 'FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH'],
      ['Safety meeting', 'FREQ=MONTHLY;BYDAY=1MO'],
    ]);
    const pump = items.find((i) => i.activity === 'Pump inspection')!;
    expect(pump.requirement).to.equal('checklist');
    expect(pump.checklist).to.have.length(2);
    expect(pump.lead_time_days).to.equal(14);
    expect(items.every((i) => i.created_by === w.director.id)).to.equal(true);
    const perItem = await ownerQuery<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'plan_item.import' AND actor_user_id = $1`, [w.director.id]);
    expect(perItem[0].n).to.equal(5);
    const [summary] = await ownerQuery<{ changes: Record<string, unknown> }>(`SELECT changes FROM audit_log WHERE action = 'plan_items.import'`);
    expect(summary.changes).to.include({ rows: 5, created: 5, skipped_duplicates: 0, file_name: 'plan.csv' });
    // Every item has its first events, written by a later transaction than the items.
    const events = await ownerQuery<{ activity: string; n: number; later: boolean }>(
      `SELECT p.activity, count(e.id)::int AS n, bool_and(e.created_at > p.created_at) AS later FROM plan_items p LEFT JOIN events e ON e.plan_item_id = p.id GROUP BY p.activity`);
    expect(events.every((e) => e.n >= 1), JSON.stringify(events)).to.equal(true);
    expect(events.every((e) => e.later), 'events come after the import commits').to.equal(true);
  });

  it('creates nothing when one row is bad (422, the errors shown, the file still there to fix)', async () => {
    const w = await importWorld();
    const rows = fiveRows();
    const path = await uploaded(w.agent, csvOf(rows));
    // The dry run was clean; then the row's assignee is deactivated before the apply.
    await ownerQuery(`UPDATE users SET status = 'deactivated' WHERE id = $1`, [w.worker.id]);
    const res = await apply(w.agent, path);
    expect(res.status).to.equal(422);
    expect(res.text).to.include('Nothing was imported').and.to.include('no active user has the e-mail address “walt@acme.test”');
    const c = await counts();
    expect(c).to.deep.equal({ items: 0, events: 0, imports: 1, audit: 0 });
  });

  it('creates nothing when the database refuses one row mid-way (the whole transaction rolls back)', async () => {
    const w = await importWorld();
    const path = await uploaded(w.agent, csvOf(fiveRows()));
    // A check only the database makes: the fourth row's activity is refused at insert.
    await ownerQuery(`ALTER TABLE plan_items ADD CONSTRAINT test_no_safety CHECK (activity <> 'Safety meeting') NOT VALID`);
    try {
      const res = await apply(w.agent, path);
      expect(res.status).to.be.within(400, 599);
    } finally {
      await ownerQuery('ALTER TABLE plan_items DROP CONSTRAINT test_no_safety');
    }
    expect(await counts()).to.deep.equal({ items: 0, events: 0, imports: 1, audit: 0 });
    const [kept] = await ownerQuery<{ applied_at: Date | null }>('SELECT applied_at FROM plan_item_imports');
    expect(kept.applied_at).to.equal(null);
  });

  it('warns about duplicates when the same file is imported twice, and skips them instead of doubling', async () => {
    const w = await importWorld();
    const first = await uploaded(w.agent, csvOf(fiveRows()));
    expect((await apply(w.agent, first)).status).to.equal(303);
    await importGenerationSettled();
    // The same import applied again is refused.
    expect((await apply(w.agent, first)).status).to.equal(409);
    // The same file uploaded again: every row is a duplicate.
    const again = await uploaded(w.agent, csvOf([...fiveRows(), ['P1', 'New one', '', '', '', '', 'walt@acme.test', '', '', 'Quarterly', '2031-01-15', '', '']]));
    const page = await w.agent.get(again).expect(200);
    expect(page.text).to.include('1 ready, 0 with errors, 5 duplicates');
    expect(page.text).to.include('Already in Plant One&#39;s plan (same activity and schedule): this row will be skipped, not doubled.');
    expect((await apply(w.agent, again)).status).to.equal(303);
    await importGenerationSettled();
    expect((await counts()).items).to.equal(6);
    const [summary] = await ownerQuery<{ changes: Record<string, unknown> }>(`SELECT changes FROM audit_log WHERE action = 'plan_items.import' ORDER BY occurred_at DESC, id DESC LIMIT 1`);
    expect(summary.changes).to.include({ rows: 6, created: 1, skipped_duplicates: 5 });
  });

  it('finds duplicates within one file too', async () => {
    const w = await importWorld();
    const row = fiveRows()[0]!;
    const page = await w.agent.get(await uploaded(w.agent, csvOf([row, row]))).expect(200);
    expect(page.text).to.include('The same as row 2 (facility, activity and schedule)');
  });
});

describe('Plan Item import: text that looks like health information', () => {
  it('warns in the dry run, imports nothing without the confirmation, and counts the confirmed warning', async () => {
    const w = await importWorld();
    const rows = fiveRows();
    rows[1]![2] = 'Check pumps; note the patient ID of anyone hurt';
    const path = await uploaded(w.agent, csvOf(rows));
    const page = await w.agent.get(path).expect(200);
    expect(page.text).to.include('may contain health information').and.to.include('name="confirmSensitive"');
    const refused = await apply(w.agent, path);
    expect(refused.status).to.equal(422);
    expect(refused.text).to.include('Nothing was imported: 1 row looks as if it may contain health information');
    expect(await counts()).to.include({ items: 0, audit: 0 });
    const token = await csrfToken(w.agent, path);
    const res = await w.agent.post(`${path}/apply`).type('form').send({ _csrf: token, confirmSensitive: '1' });
    expect(res.status).to.equal(303);
    await importGenerationSettled();
    expect((await counts()).items).to.equal(5);
    const warnings = await ownerQuery<{ form: string; kinds: string[] }>('SELECT form, kinds FROM sensitive_data_warnings');
    expect(warnings).to.deep.equal([{ form: 'plan-item-import', kinds: ['medical-record'] }]);
  });
});
