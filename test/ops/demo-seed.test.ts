// The demo seed: on an empty database it creates the demo client with
// Management Plans and their events, so the demo Associate opens on an overdue event that needs a
// checklist and a document; a second run seeds nothing.
import { expect } from 'chai';
import pg from 'pg';
import { migrateUp } from '../../services/database/migrator.ts';
import { seedDemoIfEmpty } from '../../services/demo/seed.ts';
import { testEnv } from '../support/env.ts';
import { removeDir, scratchPath } from '../support/mail-helpers.ts';
import { createScratchDatabase, dropScratchDatabase } from '../support/scratch-db.ts';

const SCRATCH_DB = `plantrak_demoseed_${process.pid}`;

describe('Demo seed', () => {
  let ownerUrl: string;
  let dataDir: string;
  let db: pg.Client;

  before(async function () {
    this.timeout(60_000);
    ownerUrl = await createScratchDatabase(SCRATCH_DB);
    await migrateUp(ownerUrl, testEnv().roles);
    dataDir = scratchPath('demo-seed');
    db = new pg.Client({ connectionString: ownerUrl });
    await db.connect();
  });

  /** The runtime role on the scratch database. */
  const appUrl = () => {
    const url = new URL(testEnv().urls.app!);
    url.pathname = `/${SCRATCH_DB}`;
    return url.toString();
  };

  after(async () => {
    await db?.end();
    await dropScratchDatabase(SCRATCH_DB);
    await removeDir(dataDir);
  });

  it('seeds plans whose events exist at once, the Associate\'s overdue one needing a checklist and a document; then never again', async function () {
    this.timeout(60_000);
    const progress: string[] = [];
    const logins = await seedDemoIfEmpty({ owner: ownerUrl, app: appUrl() }, { dataDir, bcryptCost: 4, onProgress: (m) => progress.push(m) });
    expect(logins).to.have.length(9);
    expect(logins!.filter((l) => l.staffRole).map((l) => l.staffRole)).to.deep.equal(['technical_director', 'client_representative']);
    // Demo staff: active, not yet enrolled (the first sign-in sets up the authenticator); the
    // Client Representative is the demo client's.
    const { rows: staff } = await db.query(
      `SELECT s.role, s.status, s.totp_enabled_at IS NOT NULL AS enrolled,
              EXISTS (SELECT 1 FROM clients c WHERE c.representative_id = s.id) AS represents
         FROM staff_users s ORDER BY s.role`,
    );
    expect(staff).to.deep.equal([
      { role: 'client_representative', status: 'active', enrolled: false, represents: true },
      { role: 'technical_director', status: 'active', enrolled: false, represents: false },
    ]);
    expect(progress.some((l) => /management plans: \d+ plan items at \d+ facilities/.test(l)), progress.join('\n')).to.equal(true);
    expect(progress.some((l) => /events: \d+ generated/.test(l)), progress.join('\n')).to.equal(true);

    const { rows: overdue } = await db.query<{ activity: string; requirement: string; checklist: unknown[] }>(
      `SELECT e.activity, p.requirement, p.checklist FROM events e
         JOIN plan_items p ON p.id = e.plan_item_id
         JOIN users u ON u.id = e.assignee_id
        WHERE u.email = 'associate@northwind.example' AND e.status = 'open'
          AND e.due_date < (now() AT TIME ZONE 'America/Chicago')::date`,
    );
    const both = overdue.filter((e) => e.requirement === 'both' && e.checklist.length > 0);
    expect(both.length, JSON.stringify(overdue)).to.be.greaterThan(0);

    // Every item is assigned to someone whose scope covers its facility (a node at or above it).
    const { rows: outOfScope } = await db.query(
      `WITH RECURSIVE up AS (
         SELECT p.id AS item, o.id AS unit, o.parent_id FROM plan_items p JOIN org_units o ON o.id = p.facility_id
         UNION ALL
         SELECT up.item, o.id, o.parent_id FROM up JOIN org_units o ON o.id = up.parent_id)
       SELECT p.id FROM plan_items p
        WHERE NOT EXISTS (SELECT 1 FROM user_scopes s WHERE s.user_id = p.assignee_id
                            AND (s.org_unit_id IS NULL OR s.org_unit_id IN (SELECT unit FROM up WHERE up.item = p.id)))`,
    );
    expect(outOfScope).to.deep.equal([]);
    const { rows: [counts] } = await db.query<{ items: number; events: number; relative: number }>(
      `SELECT (SELECT count(*)::int FROM plan_items) AS items, (SELECT count(*)::int FROM events) AS events,
              (SELECT count(*)::int FROM plan_items WHERE schedule_kind = 'relative') AS relative`,
    );
    expect(counts.items).to.be.at.least(6);
    expect(counts.relative).to.be.at.least(1);
    expect(counts.events).to.be.at.least(counts.items);
    // A history to report on: past events closed through the app (close records, answers), one in
    // five late, none recorded late; each worked item still has its latest past event open.
    expect(progress.some((l) => /history: \d+ past events closed/.test(l)), progress.join('\n')).to.equal(true);
    const { rows: [history] } = await db.query<{ closed: number; late: number; recordedLate: number; records: number; answers: number; openPast: number }>(
      `SELECT count(*) FILTER (WHERE e.status = 'closed')::int AS closed, count(*) FILTER (WHERE e.late)::int AS late,
              count(*) FILTER (WHERE e.recorded_late)::int AS "recordedLate",
              (SELECT count(*)::int FROM event_closures) AS records, (SELECT count(DISTINCT event_id)::int FROM checklist_responses) AS answers,
              count(*) FILTER (WHERE e.status = 'open' AND e.activity = 'Weekly forklift pre-use check' AND e.due_date < (now() AT TIME ZONE 'America/Chicago')::date)::int AS "openPast"
         FROM events e`,
    );
    expect(history.closed).to.be.at.least(40);
    expect(history.records).to.equal(history.closed);
    expect(history.late).to.be.within(Math.floor(history.closed / 6), Math.ceil(history.closed / 4));
    expect(history.recordedLate).to.equal(0);
    expect(history.answers).to.be.at.least(history.closed - 10);
    expect(history.openPast).to.be.at.least(1);

    expect(await seedDemoIfEmpty({ owner: ownerUrl, app: appUrl() }, { dataDir, bcryptCost: 4 })).to.equal(undefined);
    const { rows: [again] } = await db.query<{ items: number; events: number }>(
      'SELECT (SELECT count(*)::int FROM plan_items) AS items, (SELECT count(*)::int FROM events) AS events');
    expect(again).to.deep.equal({ items: counts.items, events: counts.events });
  });
});
