// Benchmark (not a test): throughput and latency of the main pages under load, against a bare
// Express "hello" measured in the same run (DESIGN.md §12), with the statements each request sends
// to PostgreSQL. On the shared fixture (bench/fixture.ts), its own embedded PostgreSQL; the app in
// production mode in a child process (bench/pages-app.ts) so autocannon, here, does not take its
// CPU; the Administrator signs in through the real form.
//   - lines: bare Express, /healthz, the sign-in page, then the dashboard, My events, a facility's
//     Open events (50 rows), a region roll-up, a Plan Item, an event and a report;
//   - each line: a short warm-up, then autocannon for --duration seconds at --connections;
//   - CPU per request of the app's process and of PostgreSQL's (from /proc), steadier than req/s;
//   - statements per request: one request alone, counted by the child (every statement of both
//     pools: the session read and write, START TRANSACTION and COMMIT included), and listed at the
//     end with each one's time in a request of its own;
//   - with --statement-stats: each line's statements under the load from pg_stat_statements (the
//     server runs with it and track_planning), planning and execution apart, per request;
//   - a sign-in burst (bench/sign-in-burst.ts): --burst users sign in at once while My events is
//     loaded at --burst-connections, beside the same page's latency without the burst.
// It stops and removes everything it started.
//
//   npm run bench:pages [-- --duration 10 --connections 32 --pool-max 10
//                           --burst 50 --burst-connections 4 --bcrypt-concurrency N --burst-only
//                           --only <label part> --cpu-prof <folder for the app's V8 profile>
//                           --statement-stats
//                           (and any fixture size: --facilities, --open-events, --scale …)]
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import pg from 'pg';
import { setLogLevel } from '../lib/logger.ts';
import { FIXTURE_PASSWORD, buildFixture, fixtureOptions } from './fixture.ts';
import { benchHttp } from './http.ts';
import { type CpuSample, perRequest, sampleCpu } from './cpu.ts';
import { benchScratch } from './scratch.ts';
import { reportSignInBurst, signInBurst } from './sign-in-burst.ts';

const argv = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : fallback;
};
const DURATION = Number(flag('duration', '10'));
const CONNECTIONS = Number(flag('connections', '32'));
const POOL_MAX = flag('pool-max', '10');
/** Sign-ins at once in the burst section (0: none), the page's connections meanwhile, and the
 *  app's BCRYPT_CONCURRENCY when set (its own default otherwise); --burst-only skips the lines. */
const BURST = Number(flag('burst', '50'));
const BURST_CONNECTIONS = Number(flag('burst-connections', '4'));
const BCRYPT_CONCURRENCY = flag('bcrypt-concurrency', '');
const BURST_ONLY = argv.includes('--burst-only');
/** Only the lines whose label contains this (bare Express always runs: the ratios need it). */
const ONLY = flag('only', '');
/** A V8 CPU profile of the app's process, written to this folder when it exits. */
const CPU_PROF = flag('cpu-prof', '');
/** Each line's statements from pg_stat_statements: which are planned at every execution, and what
 *  their planning and execution cost per request. */
const STATEMENT_STATS = argv.includes('--statement-stats');
const STATEMENT_STATS_SETTINGS = { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track_planning': 'on' };
/** A fixture that builds in a minute or two; the pages read at most a facility's worth at once. */
const PAGES_FIXTURE = { facilities: 200, users: 800, planItems: 4_000, openEvents: 30_000, closedEvents: 120_000, cancelledEvents: 5_000, noiseClients: 2 };

const say = (line = '') => process.stdout.write(`${line}\n`);
const loadavg = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;

interface Line {
  label: string;
  port: 'app' | 'bare';
  path: string;
  signedIn: boolean;
}

interface Measured {
  line: Line;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  statements?: number;
  /** The page's size in kilobytes (its HTML, uncompressed). */
  kilobytes: number;
  /** CPU per request of the app's process and of PostgreSQL (all its processes) under the load. */
  cpu: CpuSample;
  /** The statements of one request alone, with their times. */
  timed: Array<{ text: string; ms: number }>;
}

function startChild(env: object): Promise<{ child: ChildProcess; ports: { app: number; bare: number }; bcryptCost: number }> {
  const child = fork(path.join(import.meta.dirname, 'pages-app.ts'), [], {
    execArgv: ['--import', 'tsx', ...(CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(CPU_PROF)] : [])],
    env: { ...process.env, NODE_ENV: 'production', BENCH_PAGES_APP: JSON.stringify(env) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the app process exited (${code})`)));
    child.on('message', (m: { type: string; ports?: { app: number; bare: number }; bcryptCost?: number }) => {
      if (m.type === 'ready') resolve({ child, ports: m.ports!, bcryptCost: m.bcryptCost! });
    });
  });
}

function statementCount(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const on = (m: { type: string; statements?: number }) => {
      if (m.type !== 'count') return;
      child.off('message', on);
      resolve(m.statements!);
    };
    child.on('message', on);
    child.send({ type: 'count' });
  });
}

function ask<T>(child: ChildProcess, type: string, reply?: string): Promise<T> {
  return new Promise((resolve) => {
    if (!reply) {
      child.send({ type });
      return resolve(undefined as T);
    }
    const on = (m: { type: string; statements?: unknown }) => {
      if (m.type !== reply) return;
      child.off('message', on);
      resolve(m.statements as T);
    };
    child.on('message', on);
    child.send({ type });
  });
}

function cannon(url: string, cookie: string | undefined, duration: number): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: CONNECTIONS, duration, headers: cookie ? { cookie } : {} }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

async function main(): Promise<void> {
  setLogLevel('silent');
  const scratch = await benchScratch('pages', say);
  try {
    const options = fixtureOptions(argv, { ...PAGES_FIXTURE, at: new Date() });
    say(`PlanTRAK pages benchmark — ${new Date().toISOString()}, node ${process.version}, ${os.cpus().length} CPUs, load ${loadavg()}`);
    say(`Fixture: ${JSON.stringify({ ...options, at: options.at.toISOString() })}`);
    const fixture = await buildFixture(scratch, options, say, STATEMENT_STATS ? STATEMENT_STATS_SETTINGS : {});
    const stats = STATEMENT_STATS ? await statementStats(fixture.superuserUrl) : undefined;
    if (stats) scratch.defer(stats.close);
    const { owner } = fixture;
    const c = fixture.client;

    const { child, ports, bcryptCost } = await startChild({ app: fixture.urls.app, session: fixture.urls.session, dataDir: scratch.dir, poolMax: POOL_MAX, bcryptConcurrency: BCRYPT_CONCURRENCY || undefined });
    scratch.defer(async () => {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      await gone;
    });
    const client = benchHttp(ports.app);
    scratch.defer(async () => client.close());
    const cookie = await client.signIn(c.sample.administrator.email, FIXTURE_PASSWORD);
    say(`[${elapsed()}] app on 127.0.0.1:${ports.app} (child process ${child.pid}), bare Express on ${ports.bare}; the Administrator signed in through the form`);

    // The facility with the most open events (a full first page of 50), its region, one of its
    // Plan Items and one of its open events.
    const { rows: [facility] } = await owner.query<{ id: string; open: number }>(
      `SELECT facility_id AS id, count(*)::int AS open FROM events WHERE client_id = $1 AND status = 'open' GROUP BY facility_id ORDER BY 2 DESC LIMIT 1`, [c.id]);
    const { rows: [planItem] } = await owner.query<{ id: string }>(`SELECT plan_item_id AS id FROM events WHERE client_id = $1 AND facility_id = $2 AND status = 'open' LIMIT 1`, [c.id, facility!.id]);
    const { rows: [event] } = await owner.query<{ id: string }>(`SELECT id FROM events WHERE client_id = $1 AND facility_id = $2 AND status = 'open' ORDER BY due_date LIMIT 1`, [c.id, facility!.id]);
    const region = c.regions[0]!;
    say(`Facility ${facility!.id}: ${facility!.open} open events; region ${region}`);

    const lines: Line[] = [
      { label: 'bare Express hello', port: 'bare', path: '/', signedIn: false },
      { label: '/healthz', port: 'app', path: '/healthz', signedIn: false },
      { label: 'sign-in page', port: 'app', path: '/login', signedIn: false },
      { label: 'dashboard', port: 'app', path: '/', signedIn: true },
      { label: 'My events', port: 'app', path: '/events', signedIn: true },
      { label: 'facility Open events', port: 'app', path: `/units/${facility!.id}/events?status=open`, signedIn: true },
      { label: 'region roll-up', port: 'app', path: `/units/${region}`, signedIn: true },
      { label: 'Plan Item', port: 'app', path: `/plan-items/${planItem!.id}`, signedIn: true },
      { label: 'event', port: 'app', path: `/events/${event!.id}`, signedIn: true },
      { label: 'report (open)', port: 'app', path: '/reports/open', signedIn: true },
    ];

    const results: Measured[] = [];
    say();
    say(`Measuring: ${CONNECTIONS} connections, ${DURATION} s per line after a 2 s warm-up (load ${loadavg()})`);
    if (CPU_PROF) say('  (the app runs under the V8 profiler: its CPU per request is higher than without)');
    const measured = lines.filter((line, i) => i === 0 || !ONLY || line.label.includes(ONLY));
    for (const line of BURST_ONLY ? [] : measured) {
      const port = ports[line.port];
      const lineCookie = line.signedIn ? cookie : undefined;
      // One request alone, checked and counted (the app's port only: the bare server sends none).
      const check = await benchHttp(port).request('GET', line.path, lineCookie);
      if (check.status !== 200) throw new Error(`${line.label}: GET ${line.path} answered ${check.status}`);
      let statements: number | undefined;
      let timed: Array<{ text: string; ms: number }> = [];
      if (line.port === 'app') {
        // The fewest of three: a request that opens a pool connection also sends its set-up.
        for (let i = 0; i < 3; i++) {
          const before = await statementCount(child);
          await client.request('GET', line.path, lineCookie);
          const sent = (await statementCount(child)) - before;
          statements = Math.min(statements ?? sent, sent);
        }
        // Once more, alone, with each statement's time (no load: what the statement itself costs).
        await ask(child, 'capture');
        await client.request('GET', line.path, lineCookie);
        timed = await ask(child, 'captured', 'captured');
      }
      await cannon(`http://127.0.0.1:${port}${line.path}`, lineCookie, 2);
      await stats?.reset();
      const cpuBefore = sampleCpu(child.pid, fixture.server.pid);
      const r = await cannon(`http://127.0.0.1:${port}${line.path}`, lineCookie, DURATION);
      const cpu = perRequest(cpuBefore, sampleCpu(child.pid, fixture.server.pid), r.requests.total);
      const lineStats = line.port === 'app' && stats ? await stats.read(r.requests.total) : [];
      results.push({ line, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors + r.timeouts, statements, kilobytes: Buffer.byteLength(check.body) / 1024, cpu, timed });
      say(`  [${elapsed()}] ${line.label.padEnd(22)} ${r.requests.average.toFixed(0).padStart(7)} req/s  p50 ${String(r.latency.p50).padStart(4)} ms  p99 ${String(r.latency.p99).padStart(4)} ms  CPU/request app ${cpu.appMs.toFixed(2)} ms, PostgreSQL ${cpu.databaseMs.toFixed(2)} ms  (load ${loadavg()})`);
      for (const st of lineStats) say(`      plan ${st.planMs.toFixed(3)} + run ${st.runMs.toFixed(3)} ms/request, planned ${st.planned}/${st.calls}  ${st.text}`);
    }

    const bare = results[0]?.rps ?? NaN;
    say();
    say(`Pages under load: ${CONNECTIONS} connections, ${DURATION} s each, app pool ${POOL_MAX} (load at the end ${loadavg()})`);
    say(`  ${'page'.padEnd(22)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'÷ bare'.padStart(7)} ${'stmts'.padStart(6)} ${'app ms'.padStart(7)} ${'PG ms'.padStart(6)} ${'kB'.padStart(5)}  failures`);
    for (const m of results) {
      const failures = m.non2xx + m.errors;
      say(`  ${m.line.label.padEnd(22)} ${m.rps.toFixed(0).padStart(8)} ${String(m.p50).padStart(7)} ${String(m.p99).padStart(7)} ${(m.rps / bare).toFixed(3).padStart(7)} ${(m.statements ?? '—').toString().padStart(6)} ${m.cpu.appMs.toFixed(2).padStart(7)} ${m.cpu.databaseMs.toFixed(2).padStart(6)} ${m.kilobytes.toFixed(0).padStart(5)}  ${failures ? `${m.non2xx} non-2xx, ${m.errors} errors` : ''}`);
    }
    say();
    say('The statements of one request to each page, alone (no load), with their times:');
    for (const m of results.filter((r) => r.timed.length)) {
      const total = m.timed.reduce((sum, t) => sum + (Number.isNaN(t.ms) ? 0 : t.ms), 0);
      say(`  ${m.line.label} (GET ${m.line.path}): ${m.timed.length} statements, ${total.toFixed(1)} ms`);
      for (const t of m.timed) say(`    ${t.ms.toFixed(1).padStart(7)} ms  ${t.text.slice(0, 120)}`);
    }

    if (BURST > 0) {
      say();
      const page = { label: 'My events', path: '/events', cookie };
      const burst = await signInBurst({
        port: ports.app, owner, clientId: c.id, keepUserIds: Object.values(c.sample).map((u) => u.id), password: FIXTURE_PASSWORD,
        bcryptCost, burst: BURST, connections: BURST_CONNECTIONS, aloneSeconds: DURATION, page, say,
      });
      reportSignInBurst(burst, page.label, say);
    }
    say(`[${elapsed()}] done`);
  } finally {
    await scratch.cleanup();
  }
}

/** pg_stat_statements in the bench database, read as the superuser. */
async function statementStats(superuserUrl: string) {
  const admin = new pg.Client({ connectionString: superuserUrl, application_name: 'plantrak-bench-stats' });
  // The server stops at cleanup, perhaps before this connection ends.
  admin.on('error', () => undefined);
  await admin.connect();
  await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  return {
    reset: async () => void (await admin.query('SELECT pg_stat_statements_reset()')),
    /** The statements that cost most in all, each per request of the line's `requests`. */
    async read(requests: number) {
      const { rows } = await admin.query<{ calls: number; planned: number; planMs: number; runMs: number; text: string }>(
        `SELECT calls::int, plans::int AS planned, total_plan_time / $1 AS "planMs", total_exec_time / $1 AS "runMs",
                left(regexp_replace(query, '\\s+', ' ', 'g'), 100) AS text
           FROM pg_stat_statements WHERE calls > 0 AND query NOT LIKE '%pg_stat_statements%'
          ORDER BY total_plan_time + total_exec_time DESC LIMIT 8`, [Math.max(1, requests)]);
      return rows;
    },
    close: () => admin.end().catch(() => undefined),
  };
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`benchmark failed: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
