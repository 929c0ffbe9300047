// Benchmark (not a test): event generation for 10,000 Plan Items over ~200 facilities with
// a one-year horizon (lead time 365 days), DESIGN.md §12: first run ≤ 10 s, repeat run ≤ 2 s.
// Also times the next day's run (the job's steady state: one more day enters every horizon), and
// a daily-heavy client (3,000 daily items, 90-day lead time: ~273,000 events in one client, the
// shape that once made one 225,000-row INSERT), target ≥ 30,000 events/s. Every generation
// statement must stay ≤ 2 s (the runtime role's statement_timeout is 15 s); the longest is shown.
// It boots its own embedded PostgreSQL under var/, and stops and removes everything it started.
//
//   npm run bench:generation   (BENCH_ITEMS=10000 BENCH_FACILITIES=200 BENCH_DAILY_ITEMS=3000 BENCH_DAILY_LEAD=90;
//                               BENCH_ROWS_PER_UNIT to try another unit-of-work size than the default)
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { addDays, todayIn } from '../lib/calendar-dates.ts';
import { setLogLevel } from '../lib/logger.ts';
import { openDatabase } from '../models/index.ts';
import { migrateUp } from '../services/database/migrator.ts';
import { provisionDatabase } from '../services/database/provision.ts';
import { roleNames } from '../services/database/roles.ts';
import { generateEvents } from '../services/events/generation.ts';
import { benchScratch, scratchPostgres } from './scratch.ts';

const ITEMS = Number(process.env.BENCH_ITEMS ?? 10_000);
const FACILITIES = Number(process.env.BENCH_FACILITIES ?? 200);
const LEAD_TIME = 365;
const DAILY_ITEMS = Number(process.env.BENCH_DAILY_ITEMS ?? 3_000);
const DAILY_LEAD_TIME = Number(process.env.BENCH_DAILY_LEAD ?? 90);
const DAILY_TARGET_PER_S = 30_000;
const STATEMENT_TARGET_MS = 2_000;
const TIME_ZONES = ['America/New_York', 'America/Chicago', 'America/Los_Angeles', 'Europe/Berlin', 'Pacific/Auckland'];
/** The mix of schedules (weights out of 100), roughly what compliance plans hold. */
const MIX: Array<{ weight: number; rrule?: string; relative?: [number, string] }> = [
  { weight: 2, rrule: 'FREQ=DAILY' },
  { weight: 15, rrule: 'FREQ=WEEKLY;BYDAY=MO' },
  { weight: 5, rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH' },
  { weight: 15, rrule: 'FREQ=MONTHLY;BYMONTHDAY=-1' },
  { weight: 10, rrule: 'FREQ=MONTHLY;BYMONTHDAY=15' },
  { weight: 5, rrule: 'FREQ=MONTHLY;BYMONTHDAY=31' },
  { weight: 5, rrule: 'FREQ=MONTHLY;BYDAY=1MO' },
  { weight: 15, rrule: 'FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15' },
  { weight: 5, rrule: 'FREQ=MONTHLY;INTERVAL=6;BYMONTHDAY=1' },
  { weight: 8, rrule: 'FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=10' },
  { weight: 5, rrule: 'FREQ=YEARLY;BYMONTH=7;BYMONTHDAY=1' },
  { weight: 5, rrule: 'FREQ=MONTHLY;BYDAY=-1FR' },
  { weight: 5, relative: [3, 'month'] },
];
/** Starts spread over the last 30 days, so expansions differ (the cache cannot collapse them all). */
const START_SPREAD_DAYS = 30;

const say = (line = '') => process.stdout.write(`${line}\n`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function seed(owner: pg.Client, today: string): Promise<string> {
  const { rows: [client] } = await owner.query<{ id: string }>(`INSERT INTO clients (name, time_zone) VALUES ('Bench Co', 'America/New_York') RETURNING id`);
  const c = client!.id;
  await owner.query(
    `INSERT INTO org_units (client_id, kind, name, time_zone)
     SELECT $1, 'facility', 'Facility ' || f, ($3::text[])[1 + f % cardinality($3::text[])] FROM generate_series(1, $2) f`,
    [c, FACILITIES, TIME_ZONES],
  );
  const facilities = (await owner.query<{ id: string }>(`SELECT id FROM org_units WHERE client_id = $1 ORDER BY name`, [c])).rows.map((r) => r.id);
  const users = (await owner.query<{ id: string }>(
    `INSERT INTO users (client_id, email, name, rank, status, password_hash, password_changed_at)
     SELECT $1, 'user-' || i || '@bench.test', 'User ' || i, 'manager', 'active', 'x', now() FROM generate_series(1, 50) i RETURNING id`,
    [c],
  )).rows.map((r) => r.id);

  const cols = { facility: [] as string[], assignee: [] as string[], kind: [] as string[], rrule: [] as (string | null)[], every: [] as (number | null)[], unit: [] as (string | null)[], start: [] as string[] };
  const totalWeight = MIX.reduce((s, m) => s + m.weight, 0);
  for (let i = 0; i < ITEMS; i++) {
    let pick = (i * 37) % totalWeight;
    const mix = MIX.find((m) => (pick -= m.weight) < 0)!;
    cols.facility.push(facilities[i % facilities.length]!);
    cols.assignee.push(users[i % users.length]!);
    cols.kind.push(mix.relative ? 'relative' : 'calendar');
    cols.rrule.push(mix.rrule ?? null);
    cols.every.push(mix.relative?.[0] ?? null);
    cols.unit.push(mix.relative?.[1] ?? null);
    cols.start.push(addDays(today, -((i * 7) % START_SPREAD_DAYS)));
  }
  await owner.query(
    `INSERT INTO plan_items (client_id, facility_id, activity, description, assignee_id, schedule_kind, rrule, relative_every, relative_unit, schedule_start, lead_time_days)
     SELECT $1, f, 'Activity ' || ord, 'Description of activity ' || ord, a, k, r, e, u, s, $9
       FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::int[], $7::text[], $8::date[]) WITH ORDINALITY AS t(f, a, k, r, e, u, s, ord)`,
    [c, cols.facility, cols.assignee, cols.kind, cols.rrule, cols.every, cols.unit, cols.start, LEAD_TIME],
  );
  await owner.query('ANALYZE');
  return c;
}

/** A second client: DAILY_ITEMS daily items over 20 facilities, all starting today, DAILY_LEAD_TIME days ahead. */
async function seedDailyHeavy(owner: pg.Client, today: string): Promise<string> {
  const { rows: [client] } = await owner.query<{ id: string }>(`INSERT INTO clients (name, time_zone) VALUES ('Daily Rounds Co', 'Europe/Berlin') RETURNING id`);
  const c = client!.id;
  await owner.query(`INSERT INTO org_units (client_id, kind, name) SELECT $1, 'facility', 'Plant ' || f FROM generate_series(1, 20) f`, [c]);
  await owner.query(
    `INSERT INTO users (client_id, email, name, rank, status, password_hash, password_changed_at)
     SELECT $1, 'op-' || i || '@daily.test', 'Operator ' || i, 'manager', 'active', 'x', now() FROM generate_series(1, 20) i`,
    [c],
  );
  await owner.query(
    `INSERT INTO plan_items (client_id, facility_id, activity, description, assignee_id, schedule_kind, rrule, schedule_start, lead_time_days)
     SELECT $1, f.id, 'Daily round ' || i, 'Walk-through ' || i, u.id, 'calendar', 'FREQ=DAILY', $2, $3
       FROM generate_series(1, $4) i
       JOIN LATERAL (SELECT id FROM org_units WHERE client_id = $1 ORDER BY name OFFSET i % 20 LIMIT 1) f ON true
       JOIN LATERAL (SELECT id FROM users WHERE client_id = $1 ORDER BY email OFFSET i % 20 LIMIT 1) u ON true`,
    [c, today, DAILY_LEAD_TIME, DAILY_ITEMS],
  );
  await owner.query('ANALYZE');
  return c;
}

/**
 * The same machine's floor: the events a first run creates, inserted by one INSERT … SELECT as the
 * owner (same table, indexes, constraints; no RLS, no rules, no client round trips), then removed.
 */
async function bareInsertBaseline(owner: pg.Client): Promise<{ rows: number; ms: number }> {
  const t0 = performance.now();
  const { rowCount } = await owner.query(
    `INSERT INTO events (client_id, plan_item_id, facility_id, activity, description, scheduled_date, due_date, assignee_id)
     SELECT p.client_id, p.id, p.facility_id, p.activity, p.description, p.schedule_start + n * 14, p.schedule_start + n * 14, p.assignee_id
       FROM plan_items p CROSS JOIN generate_series(0, 24) n`,
  );
  const ms = performance.now() - t0;
  await owner.query('TRUNCATE events CASCADE'); // its child tables are empty here
  await owner.query('VACUUM ANALYZE events');
  return { rows: rowCount ?? 0, ms };
}

async function main(): Promise<void> {
  setLogLevel('silent');
  const scratch = await benchScratch('generation', say);

  try {
    say(`PlanTRAK event generation benchmark — ${new Date().toISOString()}, node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    const server = await scratchPostgres(scratch);
    const roles = roleNames('plantrak_bench');
    const urls = await provisionDatabase(server.adminUrl, roles, { owner: 'bench-owner', app: 'bench-app', session: 'bench-session', backup: 'bench-backup' });
    await migrateUp(urls.owner, roles);
    const owner = new pg.Client({ connectionString: urls.owner });
    await owner.connect();
    scratch.defer(() => owner.end());

    const now = new Date();
    const mixClient = await seed(owner, todayIn('America/New_York', now));
    say(`Seeded ${ITEMS} plan items over ${FACILITIES} facilities (${TIME_ZONES.length} zones), lead time ${LEAD_TIME} days, starts spread over the last ${START_SPREAD_DAYS} days.`);
    say(`Mix: ${MIX.map((m) => `${m.weight}% ${m.rrule ?? `every ${m.relative![0]} ${m.relative![1]}s after completion`}`).join('; ')}`);

    const db = openDatabase(urls, 4);
    scratch.defer(() => db.close());
    // Where the time goes: Sequelize's per-statement timings, by statement, and the longest one.
    const spent = new Map<string, number>();
    const longest = { ms: 0, kind: '' };
    let longestOverall = 0;
    const kind = (text: string) =>
      /INSERT INTO events/.test(text) ? 'insert events' : /UPDATE plan_items/.test(text) ? 'next_due_date update'
        : /FROM plan_items p/.test(text) ? 'read items' : /max\(scheduled_date\)/.test(text) ? 'read high-water marks' : 'transaction, context, lock';
    Object.assign((db.sequelize as unknown as { options: object }).options, {
      benchmark: true,
      logging: (text: string, ms?: number) => {
        spent.set(kind(text), (spent.get(kind(text)) ?? 0) + (ms ?? 0));
        if ((ms ?? 0) > longest.ms) Object.assign(longest, { ms: ms ?? 0, kind: kind(text) });
      },
    });
    const baseline = await bareInsertBaseline(owner);
    say(`  baseline: PostgreSQL alone inserts ${baseline.rows} such events in one statement in ${seconds(baseline.ms)} (${Math.round(baseline.rows / (baseline.ms / 1000))}/s)`);
    const time = async (label: string, at: Date, clientIds: string[], target?: { ms?: number; perSecond?: number }) => {
      spent.clear();
      Object.assign(longest, { ms: 0, kind: '' });
      const t0 = performance.now();
      const r = await generateEvents(db.sequelize, { now: at, clientIds, rowsPerUnit: process.env.BENCH_ROWS_PER_UNIT ? Number(process.env.BENCH_ROWS_PER_UNIT) : undefined });
      const ms = performance.now() - t0;
      const rate = r.created / (ms / 1000);
      let verdict = '';
      if (target?.ms !== undefined) verdict = `  (target ≤ ${seconds(target.ms)}: ${ms <= target.ms ? 'met' : 'MISSED'})`;
      if (target?.perSecond !== undefined) verdict = `  (target ≥ ${target.perSecond}/s: ${rate >= target.perSecond ? 'met' : 'MISSED'})`;
      const ratio = r.created >= 10_000 ? `, ${(ms / baseline.ms / (r.created / baseline.rows)).toFixed(2)}× the baseline's time per event` : '';
      say(`  ${label.padEnd(28)} ${seconds(ms).padStart(9)}  items ${r.items}, events created ${r.created}${r.created ? ` (${Math.round(rate)}/s${ratio})` : ''}${verdict}`);
      if (r.failures.length) say(`  ${''.padEnd(28)} FAILURES: ${r.failures.length} (${r.failures[0]!.error})`);
      // Summed over connections: statements overlap (two inserting units of work at once).
      say(`  ${''.padEnd(28)} statement time, all connections: ${[...spent].map(([k, v]) => `${k} ${seconds(v)}`).join(', ')}`);
      say(`  ${''.padEnd(28)} longest statement: ${seconds(longest.ms)} (${longest.kind})`);
      longestOverall = Math.max(longestOverall, longest.ms);
      return r;
    };
    say('Mix client:');
    await time('first run', now, [mixClient], { ms: 10_000 });
    await time('repeat run (same instant)', now, [mixClient], { ms: 2_000 });
    await time('next day', new Date(now.getTime() + 86_400_000), [mixClient]);
    await time('repeat run (next day)', new Date(now.getTime() + 86_400_000), [mixClient], { ms: 2_000 });

    const dailyClient = await seedDailyHeavy(owner, todayIn('Europe/Berlin', now));
    say(`Daily-heavy client: ${DAILY_ITEMS} daily items over 20 facilities, lead time ${DAILY_LEAD_TIME} days, all starting today:`);
    await time('first run', now, [dailyClient], { perSecond: DAILY_TARGET_PER_S });
    await time('repeat run (same instant)', now, [dailyClient], { ms: 2_000 });
    await time('next day', new Date(now.getTime() + 86_400_000), [dailyClient]);
    say(`Longest generation statement of the whole benchmark: ${seconds(longestOverall)} (target ≤ ${seconds(STATEMENT_TARGET_MS)}: ${longestOverall <= STATEMENT_TARGET_MS ? 'met' : 'MISSED'})`);
    const { rows: [{ n }] } = await owner.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
    say(`  events in the table: ${n}`);
  } finally {
    await scratch.cleanup();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`benchmark failed: ${(error as { parent?: Error }).parent?.message ?? ""} ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
