// Benchmark (not a test): one notification pass (services/notifications/pass.ts) over the shared
// fixture (bench/fixture.ts) with 50,000 open events, DESIGN.md §12: the first pass (plans,
// records, settles and queues the digests) ≤ 10 s, a repeat pass at the same instant ≤ 1 s.
// The pass runs as the runtime role (RLS applies) at a fixed instant, on a ledger emptied before
// each round; per phase, the time of its statements (Sequelize timings; the rest is JavaScript:
// rendering the messages). Baselines in the same run: a bare count(*) of the open events as the
// runtime role, and a plain INSERT … SELECT of as many notices into a copy of the ledger as the
// owner. Then EXPLAIN (ANALYZE, BUFFERS), as the runtime role in the system context, of the
// planning query and insert, the due-recipients and pending-notices queries as the first pass
// sees them, and the planning insert, stale-settling and due-recipients as the repeat pass does.
// It boots its own embedded PostgreSQL under var/, and stops and removes everything it started.
//
//   npm run bench:notifications [-- --rounds 3 --open-events 50000 --at 2026-03-16T15:00:00Z --plans full|short
//                                   (and any fixture size: --closed-events, --users, --scale …)]
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { setLogLevel } from '../lib/logger.ts';
import { inUnitOfWork } from '../lib/unit-of-work.ts';
import { Client } from '../models/index.ts';
import { runNotificationPass, type PassResult } from '../services/notifications/pass.ts';
import { plannedNoticesQuery } from '../services/notifications/planner.ts';
import { type ExplainResult, fixtureOptions, buildFixture, SET_CONTEXT } from './fixture.ts';
import { benchScratch } from './scratch.ts';
import pg from 'pg';

const FIRST_TARGET_MS = 10_000;
const REPEAT_TARGET_MS = 1_000;
const argv = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : fallback;
};
const ROUNDS = Number(flag('rounds', '3'));
const PLANS = flag('plans', 'full');
const BASE_URL = 'https://plantrak.bench.example';
const SECRET = 'bench-session-secret-that-is-long-enough-0123456789';

const say = (line = '') => process.stdout.write(`${line}\n`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const ms = (v: number) => `${v.toFixed(0)} ms`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const loadavg = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

/** The pass's statements by phase, from their text. */
const PHASES: Array<[string, RegExp]> = [
  ['plan: INSERT … planned notices', /INSERT INTO notifications .*ON CONFLICT ON CONSTRAINT notifications_once/s],
  ['settle stale', /WITH stale AS|SET status = 'skipped'/],
  ['plan: statistics refresh', /notification_statistics_refresh/],
  ['deliver: due recipients', /"slotOpen"/],
  ['deliver: pending notices', /WITH waiting AS/],
  ['deliver: weekly summary figures', /app_scope_for\(\$1, \$2\)/],
  ['deliver: queue mail', /INSERT INTO mail_outbox/],
  ['deliver: mark queued', /SET status = 'queued'/],
  ['deliver: digest ledger', /INSERT INTO notification_digests/],
];
const phaseOf = (text: string) => PHASES.find(([, re]) => re.test(text))?.[0] ?? 'unit of work: context, lock, client row';

interface Captured {
  sql: string;
  bind: unknown[];
}

interface Timed {
  ms: number;
  result: PassResult;
  phases: Map<string, { ms: number; n: number }>;
}

async function main(): Promise<void> {
  setLogLevel('silent');
  const scratch = await benchScratch('notifications', say);
  try {
    const options = fixtureOptions(argv, { openEvents: 50_000 });
    say(`PlanTRAK notification pass benchmark — ${new Date().toISOString()}, node ${process.version}, ${os.cpus().length} CPUs, load ${loadavg()}`);
    say(`Fixture: ${JSON.stringify({ ...options, at: options.at.toISOString() })}`);
    const fixture = await buildFixture(scratch, options, say);
    const { owner } = fixture;
    const clientId = fixture.client.id;
    const now = options.at;
    say(`Instant of every pass: ${now.toISOString()} (${now.toLocaleString('en-GB', { weekday: 'long', timeZone: 'UTC' })}); client's today ${fixture.today}`);
    const { rows: [open] } = await owner.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE client_id = $1 AND status = 'open'`, [clientId]);
    say(`Open events of the measured client: ${open!.n}; mix: ${Object.entries(fixture.client.counts.openMix).map(([k, v]) => `${k} ${v}`).join(', ')}`);

    const db = fixture.openApp(4);
    const phases = new Map<string, { ms: number; n: number }>();
    const captured = new Map<string, Captured>();
    Object.assign((db.sequelize as unknown as { options: object }).options, {
      benchmark: true,
      logging: (message: string, timing?: number, queryOptions?: { bind?: unknown }) => {
        const text = message.replace(/^Execut(?:ed|ing) \([^)]*\): /, '').replace(/;\s*$/, '');
        const phase = phaseOf(text);
        const p = phases.get(phase) ?? { ms: 0, n: 0 };
        p.ms += timing ?? 0;
        p.n += 1;
        phases.set(phase, p);
        if (!captured.has(phase)) captured.set(phase, { sql: text, bind: Array.isArray(queryOptions?.bind) ? queryOptions.bind : [] });
      },
    });
    const passOptions = { now, clientIds: [clientId], baseUrl: BASE_URL, secret: SECRET };
    const timedPass = async (): Promise<Timed> => {
      phases.clear();
      const t0 = performance.now();
      const result = await runNotificationPass(db.sequelize, passOptions);
      return { ms: performance.now() - t0, result, phases: new Map(phases) };
    };
    const resetLedger = async () => {
      await owner.query('TRUNCATE notification_digests, notification_queue, notifications');
      await owner.query('DELETE FROM mail_outbox WHERE client_id = $1', [clientId]);
      await owner.query('VACUUM ANALYZE notifications, notification_queue, notification_digests, mail_outbox');
    };

    // Baseline 1: the open events counted by the runtime role in the system context.
    const runtime = new pg.Client({ connectionString: fixture.urls.app, application_name: 'plantrak-bench-baseline' });
    await runtime.connect();
    scratch.defer(() => runtime.end());
    const countTimes: number[] = [];
    for (let i = 0; i < 5; i++) {
      await runtime.query('BEGIN');
      await runtime.query(SET_CONTEXT, [clientId, '', '', 'system', '']);
      const t0 = performance.now();
      await runtime.query(`SELECT count(*) FROM events WHERE client_id = $1 AND status = 'open'`, [clientId]);
      countTimes.push(performance.now() - t0);
      await runtime.query('COMMIT');
    }
    const countBaseline = median(countTimes);
    say(`Baseline: SELECT count(*) of the open events (runtime role, system context, RLS on), median of 5: ${ms(countBaseline)}`);

    // The rounds: an empty ledger, the first pass, the repeat pass at the same instant.
    const firsts: Timed[] = [];
    const repeats: Timed[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      await resetLedger();
      say();
      say(`Round ${round} of ${ROUNDS} (load ${loadavg()}):`);
      const first = await timedPass();
      report('first pass', first, FIRST_TARGET_MS);
      if (round === 1) {
        const kinds = await owner.query<{ kind: string; status: string; n: number }>(
          `SELECT kind, status, count(*)::int AS n FROM notifications WHERE client_id = $1 GROUP BY 1, 2 ORDER BY 1, 2`, [clientId]);
        say(`    ledger after it: ${kinds.rows.map((r) => `${r.kind}/${r.status} ${r.n}`).join(', ')}`);
        const mails = await owner.query<{ kind: string; n: number }>(`SELECT kind, count(*)::int AS n FROM mail_outbox WHERE client_id = $1 GROUP BY 1 ORDER BY 1`, [clientId]);
        say(`    outbox after it: ${mails.rows.map((r) => `${r.kind} ${r.n}`).join(', ')}`);
      }
      const repeat = await timedPass();
      report('repeat pass (same instant)', repeat, REPEAT_TARGET_MS);
      firsts.push(first);
      repeats.push(repeat);
    }

    // Baseline 2: as many rows as the first pass recorded, by a plain INSERT … SELECT into a copy
    // of the ledger (same columns, unique key and indexes; no RLS, no foreign keys, no planning).
    await owner.query('CREATE TABLE bench_plain_ledger (LIKE notifications INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)');
    const t0 = performance.now();
    const { rowCount: plainRows } = await owner.query(
      `INSERT INTO bench_plain_ledger (client_id, event_id, plan_item_id, facility_id, recipient_id, kind, level, due_for)
       SELECT client_id, event_id, plan_item_id, facility_id, recipient_id, kind, level, due_for FROM notifications WHERE client_id = $1`,
      [clientId],
    );
    const plainMs = performance.now() - t0;
    await owner.query('DROP TABLE bench_plain_ledger');
    say();
    say(`Baseline: plain INSERT … SELECT of the ${plainRows} recorded notices into a copy of the ledger (owner): ${ms(plainMs)}`);

    // Plans, as the first pass sees them (empty ledger; each statement after the ones before it,
    // in one rolled-back transaction) and as the repeat pass sees them (after a committed pass).
    const plan = captured.get(PHASES[0]![0])!;
    const stale = captured.get('settle stale')!;
    const due = captured.get('deliver: due recipients')!;
    const pending = captured.get('deliver: pending notices')!;
    const refresh: [string, unknown[]] = ['SELECT notification_statistics_refresh()', []];
    const system = { clientId, actorKind: 'system' as const };
    const clientRow = await inUnitOfWork(db.sequelize, system, async () => Client.findByPk(clientId));
    const select = plannedNoticesQuery(clientRow!, { now });
    await resetLedger();
    const show = (label: string, e: ExplainResult) => {
      say();
      say(`── ${label}: execution ${ms(e.executionMs)}, planning ${e.planningMs.toFixed(1)} ms`);
      const lines = e.text.split('\n');
      const shown = PLANS === 'full' ? lines : lines.filter((l) => /^\S|->|Rows Removed|Buffers: shared/.test(l)).slice(0, 60);
      for (const l of shown) say(`   ${l}`);
    };
    say();
    say('EXPLAIN (ANALYZE, BUFFERS) as the runtime role, system context for the client — as the FIRST pass sees them (empty ledger):');
    show('planning query (plannedNoticesQuery, the SELECT)', await fixture.explain(system, select.text, select.params));
    show('planning INSERT … ON CONFLICT DO NOTHING (planNotices)', await fixture.explain(system, plan.sql, plan.bind));
    show('due recipients (after planning and the statistics refresh)', await fixture.explain(system, due.sql, due.bind, { before: [[plan.sql, plan.bind], refresh] }));
    show('pending notices (after planning and the statistics refresh)', await fixture.explain(system, pending.sql, pending.bind, { before: [[plan.sql, plan.bind], refresh] }));
    const settled = await timedPass();
    say();
    say(`(a committed first pass: ${seconds(settled.ms)}, ${settled.result.planned} planned, ${settled.result.messages} messages)`);
    say('EXPLAIN (ANALYZE, BUFFERS) — as the REPEAT pass sees them (after a committed first pass at the same instant):');
    show('planning INSERT … ON CONFLICT DO NOTHING (nothing new)', await fixture.explain(system, plan.sql, plan.bind));
    show('stale settling', await fixture.explain(system, stale.sql, stale.bind));
    show('due recipients', await fixture.explain(system, due.sql, due.bind));

    say();
    say(`Summary over ${ROUNDS} rounds (load ${loadavg()}):`);
    const line = (label: string, xs: Timed[], target: number) => {
      const t = xs.map((x) => x.ms);
      say(`  ${label.padEnd(28)} min ${seconds(Math.min(...t))}, median ${seconds(median(t))}  (target ≤ ${seconds(target)}: ${median(t) <= target ? 'met' : 'MISSED'})` +
        `; ${(median(t) / countBaseline).toFixed(0)}× the count(*) baseline`);
    };
    line('first pass', firsts, FIRST_TARGET_MS);
    line('repeat pass', repeats, REPEAT_TARGET_MS);
    const planMs = firsts.map((f) => f.phases.get(PHASES[0]![0])?.ms ?? 0);
    say(`  planning INSERT (first pass)  median ${ms(median(planMs))} for ${firsts[0]!.result.planned} notices: ${(median(planMs) / plainMs).toFixed(1)}× the plain INSERT baseline (${ms(plainMs)})`);
    say(`  planned notices ${firsts[0]!.result.planned}, messages queued ${firsts[0]!.result.messages}; repeat: planned ${repeats[0]!.result.planned}, messages ${repeats[0]!.result.messages}`);
  } finally {
    await scratch.cleanup();
  }
}

function report(label: string, t: Timed, target: number): void {
  say(`  ${label.padEnd(28)} ${seconds(t.ms).padStart(8)}  planned ${t.result.planned}, skipped ${t.result.skipped}, messages ${t.result.messages}  (target ≤ ${seconds(target)}: ${t.ms <= target ? 'met' : 'MISSED'})`);
  let statements = 0;
  for (const [phase, p] of [...t.phases].sort((a, b) => b[1].ms - a[1].ms)) {
    statements += p.ms;
    say(`      ${phase.padEnd(40)} ${ms(p.ms).padStart(9)}  (${p.n} statement${p.n === 1 ? '' : 's'})`);
  }
  say(`      ${'JavaScript (rendering, marshalling)'.padEnd(40)} ${ms(t.ms - statements).padStart(9)}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`benchmark failed: ${(error as { parent?: Error }).parent?.message ?? ''} ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
