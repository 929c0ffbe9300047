// Benchmark (not a test): the dashboard and the first page of each report for a client with 500
// facilities and 1,000,000 events (DESIGN.md §12: p95 ≤ 200 ms, index scans only), on the shared
// fixture (bench/fixture.ts) with close records and documents as evidence of the closed events.
// The app runs in process in production mode, as the runtime role (RLS applies); each user signs
// in through the real sign-in form, then every page is a real GET over keep-alive HTTP:
//   - ranks: an Administrator (the whole client), a Director of one region, a Manager of one
//     facility;
//   - pages: the dashboard (GET /) and the first page of each report (/reports/…);
//   - each (page, rank): warm-up requests, then N timed rounds: p50 and p95 against the target;
//   - baselines in the same run: GET /healthz, a signed-in page that reads no events
//     (GET /account), and a count(*) of the client's events as the runtime role;
//   - then the statements each page ran, replayed with EXPLAIN (ANALYZE, BUFFERS) as the runtime
//     role in that user's context, and whether any plan reads events sequentially (exit code 2).
// It boots its own embedded PostgreSQL under var/, and stops and removes everything it started.
//
//   npm run bench:dashboard [-- --rounds 20 --warmup 3 --plans full|short|none --document-every 10
//                               --closed-events 930000 --open-events 50000 --cancelled-events 20000
//                               (and any fixture size: --facilities, --users, --scale …)]
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { buildApp } from '../app.ts';
import { loadConfig } from '../config/index.ts';
import { setLogLevel } from '../lib/logger.ts';
import { type ExplainContext, type ExplainResult, type Fixture, FIXTURE_PASSWORD, buildFixture, fixtureOptions, SET_CONTEXT } from './fixture.ts';
import { type BenchHttp, benchHttp, type Reply } from './http.ts';
import { type BenchScratch, benchScratch } from './scratch.ts';
import { type SentStatement, captureStatements, roleOf } from './statements.ts';

const TARGET_P95_MS = 200;
const argv = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : fallback;
};
const ROUNDS = Number(flag('rounds', '20'));
const WARMUP = Number(flag('warmup', '3'));
const PLANS = flag('plans', 'short');
const DOCUMENT_EVERY = Number(flag('document-every', '10'));

const say = (line = '') => process.stdout.write(`${line}\n`);
const loadavg = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;

/** Nearest-rank percentile of sorted values. */
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

interface Person {
  rank: string;
  /** Where their scope is, in words. */
  scope: string;
  id: string;
  email: string;
  cookie: string;
}

interface Page {
  label: string;
  path: string;
  /** The part of the page that says what it found, as text (checked to be there). */
  summary: RegExp;
}

const PAGES: Page[] = [
  { label: 'dashboard', path: '/', summary: /<div class="figures" id="scope-figures">([\s\S]*?)<\/div>/ },
  ...['open', 'upcoming', 'completed', 'on-time', 'plan-summary', 'assignments', 'documents'].map((key) => ({
    label: `report ${key}`, path: `/reports/${key}`, summary: /<p id="report-counts">([\s\S]*?)<\/p>/,
  })),
];

const textOf = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/&amp;/g, '&').replace(/\s+/g, ' ').trim();

interface Timing {
  n: number;
  p50: number;
  p95: number;
  max: number;
}

function timing(times: number[]): Timing {
  const sorted = [...times].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1)! };
}

interface Timed {
  /** Every timed request, answered or not (a failure's time counts too). */
  timing: Timing;
  /** The last 200 answer, if any. */
  ok?: Reply;
  /** Answers other than 200, with the error the app recorded for the last of them. */
  failures: number;
  failure?: string;
}

/** Warm-up requests, then `rounds` timed ones, one after another. A page that fails (a statement
 *  time-out is a 500) is counted and the rounds go on. */
async function timeGets(client: BenchHttp, path: string, cookie: string | undefined, owner?: pg.Client, rounds = ROUNDS): Promise<Timed> {
  let ok: Reply | undefined;
  let failures = 0;
  let failure: string | undefined;
  const times: number[] = [];
  for (let i = 0; i < WARMUP + rounds; i++) {
    const t0 = performance.now();
    const reply = await client.request('GET', path, cookie);
    const ms = performance.now() - t0;
    if (i >= WARMUP) times.push(ms);
    if (reply.status === 200) {
      ok = reply;
      continue;
    }
    failures++;
    failure = `${reply.status}${owner ? ` ${await lastAppError(owner)}` : ''}`;
  }
  return { timing: timing(times), ok, failures, failure };
}

/** The newest server error the app recorded (its admin errors page). */
async function lastAppError(owner: pg.Client): Promise<string> {
  const { rows: [row] } = await owner.query<{ text: string }>(`SELECT error_name || ': ' || message AS text FROM app_errors ORDER BY occurred_at DESC LIMIT 1`);
  return row?.text ?? '(no error recorded)';
}

// ---------------------------------------------------------------------------------------------
// Evidence: the fixture's closed events get their close records, and some of them a document.

async function seedEvidence(fixture: Fixture): Promise<void> {
  const { owner, client } = fixture;
  const t0 = performance.now();
  const chunks = 10;
  const per = Math.ceil(client.facilities.length / chunks);
  let documents = 0;
  let closures = 0;
  for (let k = 0; k < chunks; k++) {
    const facilities = client.facilities.slice(k * per, (k + 1) * per);
    if (!facilities.length) break;
    const d = await owner.query(
      `INSERT INTO documents (client_id, event_id, facility_id, file_name, content_type, size_bytes, sha256, uploaded_by, uploaded_at)
       SELECT e.client_id, e.id, e.facility_id, 'inspection-record-' || to_char(e.due_date, 'YYYY-MM-DD') || '.pdf', 'application/pdf',
              20000 + abs(hashtext(e.id::text)) % 500000, encode(sha256(e.id::text::bytea), 'hex'), e.closed_by, e.closed_at - interval '1 hour'
         FROM events e
        WHERE e.client_id = $1 AND e.facility_id = ANY ($2::uuid[]) AND e.status = 'closed' AND abs(hashtext(e.id::text)) % $3 = 0`,
      [client.id, facilities, DOCUMENT_EVERY],
    );
    const c = await owner.query(
      `INSERT INTO event_closures (client_id, event_id, facility_id, closed_by, closed_at, completed_on, due_date, late, recorded_late, documents)
       SELECT e.client_id, e.id, e.facility_id, e.closed_by, e.closed_at, e.completed_on, e.due_date, e.late, e.recorded_late,
              coalesce((SELECT jsonb_agg(jsonb_build_object('id', d.id, 'fileName', d.file_name, 'sizeBytes', d.size_bytes, 'sha256', d.sha256))
                          FROM documents d WHERE d.client_id = e.client_id AND d.event_id = e.id), '[]')
         FROM events e
        WHERE e.client_id = $1 AND e.facility_id = ANY ($2::uuid[]) AND e.status = 'closed'`,
      [client.id, facilities],
    );
    documents += d.rowCount ?? 0;
    closures += c.rowCount ?? 0;
    const s = (performance.now() - t0) / 1000;
    say(`[evidence ${elapsed()}] facilities ${k * per + facilities.length} of ${client.facilities.length}: ${closures} close records, ${documents} documents (${Math.round(closures / s)} records/s)`);
  }
  await owner.query('VACUUM ANALYZE event_closures, documents');
  say(`[evidence ${elapsed()}] VACUUM ANALYZE of close records and documents done`);
}

// ---------------------------------------------------------------------------------------------
// The app in production mode, and the people who sign in to it.

async function startApp(scratch: BenchScratch, fixture: Fixture): Promise<{ port: number }> {
  // Express caches compiled views when NODE_ENV is production as the app is built.
  process.env.NODE_ENV = 'production';
  const config = loadConfig({
    NODE_ENV: 'production', LOG_LEVEL: 'silent', DB_POOL_MAX: '10', DB_ROLE_PREFIX: 'plantrak_bench',
    SESSION_SECRET: randomBytes(32).toString('hex'), DATA_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    DATA_DIR: scratch.dir, BASE_URL: 'http://127.0.0.1',
  });
  setLogLevel(config.logLevel);
  const db = fixture.openApp(config.poolMax);
  const app = buildApp({ config, db, sessionSecret: config.sessionSecret!, dataEncryptionKey: config.dataEncryptionKey });
  if (!app.enabled('view cache')) throw new Error('the app is not in production mode (no view cache)');
  const server: http.Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  scratch.defer(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { port: (server.address() as AddressInfo).port };
}

async function people(fixture: Fixture, client: BenchHttp): Promise<Person[]> {
  const { owner } = fixture;
  const c = fixture.client;
  // A Director whose scope is exactly one region.
  const { rows: [director] } = await owner.query<{ id: string; email: string; region: string }>(
    `SELECT u.id, u.email, min(o.name) AS region FROM users u JOIN user_scopes s ON s.client_id = u.client_id AND s.user_id = u.id
       JOIN org_units o ON o.client_id = s.client_id AND o.id = s.org_unit_id
      WHERE u.client_id = $1 AND u.rank = 'director' AND u.status = 'active'
      GROUP BY u.id, u.email HAVING count(*) = 1 AND bool_and(o.kind = 'region') ORDER BY u.email LIMIT 1`,
    [c.id],
  );
  const { rows: [facility] } = await owner.query<{ name: string }>(`SELECT name FROM org_units WHERE id = $1`, [c.sample.manager.scope[0]]);
  if (!director || c.sample.manager.scope.length !== 1) throw new Error('the fixture has no region Director or single-facility Manager');
  const list = [
    { rank: 'administrator', scope: 'whole client', id: c.sample.administrator.id, email: c.sample.administrator.email },
    { rank: 'director', scope: `region ${director.region}`, id: director.id, email: director.email },
    { rank: 'manager', scope: `facility ${facility!.name}`, id: c.sample.manager.id, email: c.sample.manager.email },
  ];
  const out: Person[] = [];
  for (const p of list) out.push({ ...p, cookie: await client.signIn(p.email, FIXTURE_PASSWORD) });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Plans: the statements one request ran, replayed as the runtime role in the same context.

type Captured = SentStatement;

/** Statements worth a plan: reads of the event tables (events, their roll-ups and records). */
const readsEvents = (sql: string) => /^\s*(SELECT|WITH)/i.test(sql) && !/set_config\(/.test(sql) && /\b(events|event_closures|documents|closed_event_months)\b/.test(sql);
/** Statements whose plans are shown: those that read events, and any other read this slow. */
const SLOW_STATEMENT_MS = 10;
const explained = (c: { sql: string; ms: number }) =>
  readsEvents(c.sql) || (c.ms >= SLOW_STATEMENT_MS && /^\s*(SELECT|WITH)/i.test(c.sql) && !/set_config\(/.test(c.sql));

/** Tables a text plan reads with a sequential scan. */
const seqScanned = (plan: string) => [...plan.matchAll(/Seq Scan on (\w+)/g)].map((m) => m[1]!);

/** The tenant guard's client, as the planner inlines app_current_client(), shown by its name. */
const INLINED_CLIENT = /CASE WHEN \(NULLIF\(current_setting\('app\.actor_kind'::text, true\), ''::text\) = 'staff'::text\) THEN app_support_client\(false\) ELSE \(NULLIF\(current_setting\('app\.client_id'::text, true\), ''::text\)\)::uuid END/g;
const readable = (line: string) => line.replace(INLINED_CLIENT, 'app_current_client()');
/** The one-row InitPlans of the context readers (app_scope_all() and the like), left out of short plans. */
const INIT_PLAN_RESULT = /->  Result  \(cost=0\.00\.\.0\.\d+ rows=1 width=\d+\)/;

/** A one-line name for a statement: its first table and the start of its select list. */
const describe = (sql: string) => sql.replace(/\s+/g, ' ').slice(0, 110);

interface PlanLine {
  page: string;
  rank: string;
  statement: string;
  executionMs: number;
  seq: string[];
}

async function explainPage(fixture: Fixture, client: BenchHttp, page: Page, person: Person, plans: PlanLine[]): Promise<void> {
  const statements = await captureStatements(roleOf(fixture.urls.app), () => client.request('GET', page.path, person.cookie));
  const sqlMs = statements.reduce((s, c) => s + (Number.isFinite(c.ms) ? c.ms : 0), 0);
  say();
  say(`── ${page.label} (GET ${page.path}) as the ${person.rank}: ${statements.length} statements, ${sqlMs.toFixed(0)} ms in statements (timed at the driver, one request)`);
  for (const s of statements) say(`   ${`${s.ms.toFixed(1)} ms`.padStart(11)}  ${describe(s.sql)}`);
  const context = { clientId: fixture.client.id, userId: person.id, actorKind: 'user' as const };
  for (const s of statements.filter(explained)) {
    const e = await explainOrPlan(fixture, context, s);
    const seq = seqScanned(e.text);
    plans.push({ page: page.label, rank: person.rank, statement: describe(s.sql), executionMs: e.executionMs, seq });
    const ms = Number.isNaN(e.executionMs) ? 'timed out' : `${e.executionMs.toFixed(1)} ms`;
    say(`   ${ms.padStart(11)}  ${seq.length ? `SEQ ${seq.join(',')}` : 'index  '}  ${describe(s.sql)}`);
    if (PLANS === 'none') continue;
    const lines = e.text.split('\n').map(readable);
    const shown = PLANS === 'full' ? lines : lines.filter((l) => /^\S|->|Index Cond|Rows Removed|Buffers: shared/.test(l) && !INIT_PLAN_RESULT.test(l)).slice(0, 80);
    for (const l of shown) say(`        ${l}`);
  }
}

/** The statement's plan with ANALYZE, or (when it runs past the runtime role's statement
 *  time-out) the plan alone. */
async function explainOrPlan(fixture: Fixture, context: ExplainContext, s: Captured): Promise<ExplainResult> {
  try {
    return await fixture.explain(context, s.sql, s.bind, { warm: true });
  } catch (error) {
    if (!/statement timeout/.test((error as Error).message)) throw error;
    return fixture.explain(context, s.sql, s.bind, { planOnly: true });
  }
}

// ---------------------------------------------------------------------------------------------

async function countBaseline(fixture: Fixture): Promise<number> {
  const c = new pg.Client({ connectionString: fixture.urls.app, application_name: 'plantrak-bench-baseline' });
  await c.connect();
  const times: number[] = [];
  try {
    for (let i = 0; i < 5; i++) {
      await c.query('BEGIN');
      await c.query(SET_CONTEXT, [fixture.client.id, fixture.client.sample.administrator.id, '', 'user', '']);
      const t0 = performance.now();
      await c.query('SELECT count(*) FROM events WHERE client_id = $1', [fixture.client.id]);
      times.push(performance.now() - t0);
      await c.query('COMMIT');
    }
  } finally {
    await c.end();
  }
  return timing(times).p50;
}

async function main(): Promise<void> {
  setLogLevel('silent');
  const scratch = await benchScratch('dashboard', say);
  let seqEvents = 0;
  try {
    const options = fixtureOptions(argv, { closedEvents: 930_000, openEvents: 50_000, cancelledEvents: 20_000, at: new Date() });
    say(`PlanTRAK dashboard and reports benchmark — ${new Date().toISOString()}, node ${process.version}, ${os.cpus().length} CPUs, load ${loadavg()}`);
    say(`Fixture: ${JSON.stringify({ ...options, at: options.at.toISOString() })}; a document for every ${DOCUMENT_EVERY}th closed event`);
    const fixture = await buildFixture(scratch, options, say);
    await seedEvidence(fixture);
    const { rows: [sizes] } = await fixture.owner.query<{ events: number; mine: number }>(
      `SELECT (SELECT count(*) FROM events)::int AS events, (SELECT count(*) FROM events WHERE client_id = $1)::int AS mine`, [fixture.client.id]);
    say(`Events: ${sizes!.mine} of the measured client, ${sizes!.events} in all; client's today ${fixture.today}`);

    const { port } = await startApp(scratch, fixture);
    const client = benchHttp(port);
    scratch.defer(async () => client.close());
    const ranks = await people(fixture, client);
    say(`[${elapsed()}] app on 127.0.0.1:${port} in production mode; signed in through the form: ${ranks.map((p) => `${p.rank} (${p.scope})`).join(', ')}`);

    say();
    say(`Measuring: ${WARMUP} warm-up and ${ROUNDS} timed requests per line, one at a time (load ${loadavg()})`);
    const health = await timeGets(client, '/healthz', undefined);
    const account = await timeGets(client, '/account', ranks[0]!.cookie);
    if (!health.ok || !account.ok) throw new Error('a baseline page failed');
    const count = await countBaseline(fixture);
    const results: Array<{ page: Page; person: Person; timed: Timed; summary: string }> = [];
    for (const page of PAGES) {
      for (const person of ranks) {
        const timed = await timeGets(client, page.path, person.cookie, fixture.owner);
        const found = timed.ok && page.summary.exec(timed.ok.body);
        if (timed.ok && !found) throw new Error(`${page.label} as the ${person.rank}: the page has no summary`);
        const summary = found ? textOf(found[1]!) : `never answered 200: ${timed.failure}`;
        results.push({ page, person, timed, summary });
        const t = timed.timing;
        say(`  [${elapsed()}] ${page.label.padEnd(20)} ${person.rank.padEnd(14)} p50 ${t.p50.toFixed(0).padStart(6)} ms  p95 ${t.p95.toFixed(0).padStart(6)} ms${timed.failures ? `  ${timed.failures} failed: ${timed.failure}` : ''}`);
      }
    }

    const plans: PlanLine[] = [];
    say();
    say(`EXPLAIN (ANALYZE, BUFFERS) as the runtime role in each user's context (warm), of each page's statements that read events, close records or documents:`);
    for (const page of PAGES) for (const person of ranks) await explainPage(fixture, client, page, person, plans);

    say();
    say(`What each page showed:`);
    for (const r of results) say(`  ${r.page.label.padEnd(20)} ${r.person.rank.padEnd(14)} ${r.summary.slice(0, 220)}`);
    say();
    say(`Latency in ms, ${ROUNDS} sequential requests per line after ${WARMUP} warm-up (load ${loadavg()}); target p95 ≤ ${TARGET_P95_MS} ms`);
    say(`  baselines: GET /healthz p50 ${health.timing.p50.toFixed(1)} / p95 ${health.timing.p95.toFixed(1)}; GET /account (signed in, no events) p50 ${account.timing.p50.toFixed(1)} / p95 ${account.timing.p95.toFixed(1)}; count(*) of the client's events as the runtime role ${count.toFixed(0)}`);
    say(`  ${'page'.padEnd(20)} ${'rank'.padEnd(14)} ${'scope'.padEnd(26)} ${'p50'.padStart(7)} ${'p95'.padStart(7)} ${'max'.padStart(7)}  ${'p95÷/account'.padStart(12)}  verdict`);
    let misses = 0;
    for (const r of results) {
      const t = r.timed.timing;
      const pass = t.p95 <= TARGET_P95_MS && r.timed.failures === 0;
      if (!pass) misses++;
      say(`  ${r.page.label.padEnd(20)} ${r.person.rank.padEnd(14)} ${r.person.scope.slice(0, 26).padEnd(26)} ${t.p50.toFixed(1).padStart(7)} ${t.p95.toFixed(1).padStart(7)} ${t.max.toFixed(1).padStart(7)}  ${(t.p95 / account.timing.p95).toFixed(1).padStart(12)}  ${pass ? 'PASS' : 'MISS'}${r.timed.failures ? ` (${r.timed.failures} of ${t.n + WARMUP} failed)` : ''}`);
    }
    seqEvents = plans.filter((p) => p.seq.includes('events')).length;
    const otherSeq = [...new Set(plans.flatMap((p) => p.seq.filter((t) => t !== 'events')))];
    say();
    say(`  ${results.length - misses} of ${results.length} lines meet the target`);
    say(seqEvents
      ? `  ✗ ${seqEvents} of ${plans.length} plans read events with a sequential scan: ${plans.filter((p) => p.seq.includes('events')).map((p) => `${p.page}/${p.rank}`).join(', ')}`
      : `  ✓ none of the ${plans.length} plans reads events with a sequential scan`);
    if (otherSeq.length) say(`  (sequential scans of other tables: ${otherSeq.join(', ')})`);
    say(`[${elapsed()}] done`);
  } finally {
    await scratch.cleanup();
  }
  if (seqEvents) process.exitCode = 2;
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    process.stderr.write(`benchmark failed: ${(error as { parent?: Error }).parent?.message ?? ''} ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
