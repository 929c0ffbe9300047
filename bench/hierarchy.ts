// Benchmark (not a test): a client with 500 facilities and 200 users among other
// clients of the same size, then
//   (a) EXPLAIN (ANALYZE, BUFFERS) as the runtime role, inside a transaction carrying the same
//       context the app sets, of the statements the main listing pages really run (captured from
//       one request each), plus the plan inside app_scope_for (auto_explain, nested statements);
//   (b) p50/p95/p99 of the hierarchy and user pages for a Director and an Administrator, with
//       GET /healthz as the baseline in the same run.
// It boots its own embedded PostgreSQL under var/, and stops and removes everything it started.
//
//   npm run bench:hierarchy   (BENCH_NOISE_CLIENTS=19 BENCH_SEQ=300 BENCH_CONC=300 BENCH_WORKERS=8
//                              BENCH_PHASE_SECONDS=5 BENCH_VIEW_CACHE=1 BENCH_VERBOSE=)
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import bcrypt from 'bcrypt';
import pg from 'pg';
import { buildApp } from '../app.ts';
import { loadConfig } from '../config/index.ts';
import { setLogLevel } from '../lib/logger.ts';
import { initModels, openDatabase } from '../models/index.ts';
import { migrateUp } from '../services/database/migrator.ts';
import { provisionDatabase } from '../services/database/provision.ts';
import { roleNames, urlFor } from '../services/database/roles.ts';
import { benchScratch, scratchPostgres } from './scratch.ts';
import { captureStatements, roleOf } from './statements.ts';

const NOISE_CLIENTS = Number(process.env.BENCH_NOISE_CLIENTS ?? 19);
const SEQUENTIAL = Number(process.env.BENCH_SEQ ?? 300);
const CONCURRENT = Number(process.env.BENCH_CONC ?? 300);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 8);
/** Each measured phase stops early after this long (n then says how many ran), so the whole
 *  run stays near two minutes on a slow or busy machine. */
const PHASE_SECONDS = Number(process.env.BENCH_PHASE_SECONDS ?? 5);
const WARMUP = 20;
const REGIONS = 5;
const DIVISIONS_PER_REGION = 4;
const FACILITIES_PER_DIVISION = 25; // 5 × 4 × 25 = 500
const USERS_PER_CLIENT = 200;
const PASSWORD = 'Bench-Lantern-47!';
const TIME_ZONES = ['America/New_York', 'America/Chicago'];

const say = (line = '') => process.stdout.write(`${line}\n`);
const loadavg = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;

// ---------------------------------------------------------------------------------------------
// Seeding (as the owner; RLS does not apply)

interface Seeded {
  clientId: string;
  director: { id: string; email: string; divisionId: string; divisionName: string; facilityId: string };
  admin: { id: string; email: string; divisionId: string; facilityId: string };
}

async function seedClient(owner: pg.Client, n: number, passwordHash: string): Promise<Seeded> {
  const { rows: [client] } = await owner.query<{ id: string }>(
    `INSERT INTO clients (name, time_zone) VALUES ($1, 'America/New_York') RETURNING id`,
    [n === 0 ? 'Bench Co' : `Noise Client ${n}`],
  );
  const c = client.id;
  await owner.query(
    `INSERT INTO org_units (client_id, kind, name) SELECT $1, 'region', 'Region ' || r FROM generate_series(1, $2) r`,
    [c, REGIONS],
  );
  await owner.query(
    `INSERT INTO org_units (client_id, kind, name, parent_id)
     SELECT $1, 'division', 'Division ' || r || '.' || d, p.id
       FROM generate_series(1, $2) r CROSS JOIN generate_series(1, $3) d
       JOIN org_units p ON p.client_id = $1 AND p.name = 'Region ' || r`,
    [c, REGIONS, DIVISIONS_PER_REGION],
  );
  await owner.query(
    `INSERT INTO org_units (client_id, kind, name, code, parent_id, address, time_zone)
     SELECT $1, 'facility', 'Facility ' || r || '.' || d || '.' || f, format('F%s%s%s', r, d, lpad(f::text, 2, '0')), p.id,
            f || ' Plant Road', ($5::text[])[1 + (f % 2)]
       FROM generate_series(1, $2) r CROSS JOIN generate_series(1, $3) d CROSS JOIN generate_series(1, $4) f
       JOIN org_units p ON p.client_id = $1 AND p.name = 'Division ' || r || '.' || d`,
    [c, REGIONS, DIVISIONS_PER_REGION, FACILITIES_PER_DIVISION, TIME_ZONES],
  );
  const units = (await owner.query<{ id: string; kind: string; name: string }>(`SELECT id, kind, name FROM org_units WHERE client_id = $1 ORDER BY name`, [c])).rows;
  const byKind = (kind: string) => units.filter((u) => u.kind === kind);
  const regions = byKind('region');
  const divisions = byKind('division');
  const facilities = byKind('facility');
  const unitId = (name: string) => units.find((u) => u.name === name)!.id;

  // 200 users: 5 Administrators, 15 Executives (5 whole-client, 10 by region), 40 Directors (a
  // division; every fourth two), 80 Managers (1–3 facilities), 60 Associates (1–2 facilities).
  const ids: string[] = [];
  const emails: string[] = [];
  const names: string[] = [];
  const ranks: string[] = [];
  const scopes: [number, string | null][] = [];
  for (let i = 0; i < USERS_PER_CLIENT; i++) {
    const rank = i < 5 ? 'administrator' : i < 20 ? 'executive' : i < 60 ? 'director' : i < 140 ? 'manager' : 'associate';
    emails.push(`${rank}-${i}@client-${n}.bench`);
    names.push(`${rank[0].toUpperCase()}${rank.slice(1)} ${String(i).padStart(3, '0')}`);
    ranks.push(rank);
    if (rank === 'administrator' || (rank === 'executive' && i < 10)) scopes.push([i, null]);
    else if (rank === 'executive') scopes.push([i, regions[i % regions.length].id]);
    else if (rank === 'director') {
      scopes.push([i, divisions[i % divisions.length].id]);
      if (i % 4 === 0) scopes.push([i, divisions[(i + 7) % divisions.length].id]);
    } else {
      const count = rank === 'manager' ? 1 + (i % 3) : 1 + (i % 2);
      for (let k = 0; k < count; k++) scopes.push([i, facilities[(i * 7 + k * 131) % facilities.length].id]);
    }
  }
  const inserted = await owner.query<{ id: string; email: string }>(
    `INSERT INTO users (client_id, email, name, rank, status, password_hash, password_changed_at)
     SELECT $1, e, nm, rk, 'active', $5, now() FROM unnest($2::text[], $3::text[], $4::text[]) AS t(e, nm, rk)
     RETURNING id, email`,
    [c, emails, names, ranks, passwordHash],
  );
  const idByEmail = new Map(inserted.rows.map((r) => [r.email, r.id]));
  for (const e of emails) ids.push(idByEmail.get(e)!);
  await owner.query(
    `INSERT INTO user_scopes (client_id, user_id, org_unit_id) SELECT $1, u, s FROM unnest($2::uuid[], $3::uuid[]) AS t(u, s)`,
    [c, scopes.map(([i]) => ids[i]), scopes.map(([, unit]) => unit)],
  );

  // The measured Director (index 21: one division, 25 facilities) and Administrator (index 0).
  const directorDivision = divisions[21 % divisions.length];
  const directorFacility = facilities.find((f) => f.name.startsWith(`Facility ${directorDivision.name.slice('Division '.length)}.`))!;
  return {
    clientId: c,
    director: { id: ids[21], email: emails[21], divisionId: directorDivision.id, divisionName: directorDivision.name, facilityId: directorFacility.id },
    admin: { id: ids[0], email: emails[0], divisionId: unitId('Division 3.2'), facilityId: unitId('Facility 3.2.17') },
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP: a tiny keep-alive client with a cookie jar, so the server's work dominates the timings

const agent = new http.Agent({ keepAlive: true, maxSockets: WORKERS + 2 });

interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

function request(port: number, method: string, urlPath: string, cookie?: string, form?: Record<string, string>): Promise<Reply> {
  const body = form ? new URLSearchParams(form).toString() : undefined;
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1', port, method, path: urlPath, agent,
        headers: {
          ...(cookie ? { cookie } : {}),
          ...(body ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

const cookieOf = (reply: Reply) =>
  ([] as string[]).concat(reply.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).find((c) => c.startsWith('plantrak.sid='));

async function signIn(port: number, email: string): Promise<string> {
  const form = await request(port, 'GET', '/login');
  const token = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1];
  const cookie = cookieOf(form);
  if (!token || !cookie) throw new Error('no sign-in form');
  const done = await request(port, 'POST', '/login', cookie, { _csrf: token, email, password: PASSWORD });
  if (done.status !== 303) throw new Error(`sign-in of ${email} answered ${done.status}`);
  return cookieOf(done) ?? cookie;
}

interface Measured {
  label: string;
  mode: string;
  n: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  rps: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function measure(port: number, label: string, urlPath: string, cookie: string | undefined, check: (r: Reply) => void): Promise<Measured[]> {
  const one = async (times: number[]) => {
    const t0 = performance.now();
    const reply = await request(port, 'GET', urlPath, cookie);
    times.push(performance.now() - t0);
    if (reply.status !== 200) throw new Error(`${label}: ${urlPath} answered ${reply.status}`);
    return reply;
  };
  const warm: number[] = [];
  check(await one(warm));
  for (let i = 1; i < WARMUP; i++) await one(warm);

  const results: Measured[] = [];
  const summarise = (mode: string, times: number[], wall: number) => {
    const sorted = [...times].sort((a, b) => a - b);
    results.push({
      label, mode, n: times.length,
      p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99),
      mean: times.reduce((a, b) => a + b, 0) / times.length,
      rps: (times.length / wall) * 1000,
    });
  };
  const seq: number[] = [];
  let t0 = performance.now();
  const budget = () => performance.now() - t0 < PHASE_SECONDS * 1000;
  for (let i = 0; i < SEQUENTIAL && budget(); i++) await one(seq);
  summarise('seq', seq, performance.now() - t0);

  const conc: number[] = [];
  let next = 0;
  t0 = performance.now();
  await Promise.all(Array.from({ length: WORKERS }, async () => {
    while (next < CONCURRENT && budget()) {
      next++;
      await one(conc);
    }
  }));
  summarise(`c${WORKERS}`, conc, performance.now() - t0);
  return results;
}

// ---------------------------------------------------------------------------------------------
// Plans

/** Runs `run` n times sequentially, summing the time spent in statements sent as the runtime role. */
async function timeQueries(user: string, n: number, run: () => Promise<unknown>): Promise<{ total: number; dbMs: number }> {
  let total = 0;
  const statements = await captureStatements(user, async () => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await run();
    total = performance.now() - t0;
  });
  return { total, dbMs: statements.reduce((sum, st) => sum + (Number.isFinite(st.ms) ? st.ms : 0), 0) };
}

/** The unit of work's opening statement (lib/unit-of-work.ts), for EXPLAIN sessions. */
const SET_CONTEXT = `SELECT set_config('app.client_id', $1, true), set_config('app.user_id', $2, true),
              set_config('app.staff_id', $3, true), set_config('app.actor_kind', $4, true),
              set_config('app.support_session_id', $5, true),
              set_config('app.scope_all', CASE WHEN s.whole OR $4 IN ('system', 'staff') THEN 'on' ELSE '' END, true),
              set_config('app.scope_units', s.units, true),
              set_config('app.scope_ancestors', s.ancestors, true)
         FROM app_scope_for(nullif($1, '')::uuid, CASE WHEN $4 = 'user' THEN nullif($2, '')::uuid END) s`;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function nodesOf(plan: PlanNode, out: string[] = []): string[] {
  const where = plan['Index Name'] ? ` ${plan['Index Name']}` : plan['Relation Name'] ? ` ${plan['Relation Name']}` : '';
  out.push(`${plan['Node Type']}${where}`);
  for (const child of plan.Plans ?? []) nodesOf(child, out);
  return out;
}

/** Tables whose rows a plan reads with a sequential scan. */
const seqScans = (nodes: string[]) => nodes.filter((n) => n.startsWith('Seq Scan')).map((n) => n.slice('Seq Scan '.length));

interface PlanSummary {
  label: string;
  ms: number;
  planMs?: number;
  nodes: string[];
  seq: string[];
}

async function explainAs(appUrl: string, context: { clientId: string; userId: string }, label: string, sql: string, bind: unknown[]): Promise<PlanSummary> {
  const c = new pg.Client({ connectionString: appUrl, application_name: 'plantrak-bench-explain' });
  await c.connect();
  try {
    await c.query('BEGIN');
    await c.query(SET_CONTEXT, [context.clientId, context.userId, '', 'user', '']);
    await c.query(sql, bind); // once unmeasured, so the plan shows a warm cache as the app sees it
    const { rows } = await c.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`, bind);
    await c.query('ROLLBACK');
    const [result] = rows[0]['QUERY PLAN'] as [{ Plan: PlanNode; 'Execution Time': number; 'Planning Time': number }];
    const nodes = nodesOf(result.Plan);
    return { label, ms: result['Execution Time'], planMs: result['Planning Time'], nodes, seq: seqScans(nodes) };
  } finally {
    await c.end();
  }
}

/** The plans of the statements inside app_scope_for (SECURITY DEFINER), through auto_explain:
 *  a superuser session that loads it, then becomes the runtime role and opens a unit of work. */
async function scopeFunctionPlans(adminDbUrl: string, appRole: string, context: { clientId: string; userId: string }): Promise<PlanSummary[]> {
  const c = new pg.Client({ connectionString: adminDbUrl, application_name: 'plantrak-bench-auto-explain' });
  const plans: PlanSummary[] = [];
  c.on('notice', (notice) => {
    const text = notice.message ?? '';
    const json = text.slice(text.indexOf('{'));
    try {
      const parsed = JSON.parse(json) as { 'Query Text': string; Plan: PlanNode & { 'Actual Total Time'?: number } };
      if (!/WITH RECURSIVE/.test(parsed['Query Text'] ?? '')) return;
      const nodes = nodesOf(parsed.Plan);
      plans.push({ label: 'app_scope_for body (as its definer, via auto_explain)', ms: parsed.Plan['Actual Total Time'] ?? NaN, nodes, seq: seqScans(nodes) });
    } catch {
      // not a plan
    }
  });
  await c.connect();
  try {
    await c.query(`LOAD 'auto_explain'`);
    await c.query(`SET auto_explain.log_min_duration = 0; SET auto_explain.log_analyze = on; SET auto_explain.log_buffers = on;
                   SET auto_explain.log_nested_statements = on; SET auto_explain.log_format = json; SET auto_explain.log_level = notice;
                   SET client_min_messages = notice`);
    await c.query(`SET ROLE ${c.escapeIdentifier(appRole)}`);
    await c.query('BEGIN');
    await c.query(SET_CONTEXT, [context.clientId, context.userId, '', 'user', '']);
    plans.length = 0; // keep the second, warm run only
    await c.query(SET_CONTEXT, [context.clientId, context.userId, '', 'user', '']);
    await c.query('ROLLBACK');
  } finally {
    await c.end();
  }
  return plans;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const scratch = await benchScratch('hierarchy', say);

  try {
    say(`PlanTRAK hierarchy benchmark — ${new Date().toISOString()}, node ${process.version}, ${os.cpus().length} CPUs, load ${loadavg()}`);
    const server = await scratchPostgres(scratch);
    const roles = roleNames('plantrak_bench');
    const passwords = { owner: 'bench-owner', app: 'bench-app', session: 'bench-session', backup: 'bench-backup' };
    const urls = await provisionDatabase(server.adminUrl, roles, passwords);
    await migrateUp(urls.owner, roles);
    say(`[${elapsed()}] PostgreSQL up, migrated`);

    // Seed: the measured client first, then the other clients sharing the tables.
    const owner = new pg.Client({ connectionString: urls.owner });
    await owner.connect();
    scratch.defer(() => owner.end());
    const hash = await bcrypt.hash(PASSWORD, 4);
    const bench = await seedClient(owner, 0, hash);
    for (let n = 1; n <= NOISE_CLIENTS; n++) await seedClient(owner, n, hash);
    await owner.query('ANALYZE');
    const counts = (await owner.query<{ t: string; n: number }>(
      `SELECT 'org_units' AS t, count(*)::int AS n FROM org_units UNION ALL SELECT 'users', count(*)::int FROM users
       UNION ALL SELECT 'user_scopes', count(*)::int FROM user_scopes`,
    )).rows.map((r) => `${r.t} ${r.n}`).join(', ');
    const mine = (await owner.query<{ f: number; u: number }>(
      `SELECT (SELECT count(*) FROM org_units WHERE client_id = $1 AND kind = 'facility')::int AS f, (SELECT count(*) FROM users WHERE client_id = $1)::int AS u`,
      [bench.clientId],
    )).rows[0];
    say(`[${elapsed()}] seeded: measured client ${mine.f} facilities, ${mine.u} users; with ${NOISE_CLIENTS} other clients: ${counts}`);

    // The app, in process, on 127.0.0.1, as the runtime role.
    const config = loadConfig({
      NODE_ENV: 'test', BCRYPT_COST: '4', LOG_LEVEL: 'silent', DB_POOL_MAX: String(WORKERS + 2), DB_ROLE_PREFIX: 'plantrak_bench',
      SESSION_SECRET: randomBytes(32).toString('hex'), DATA_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      DATA_DIR: scratch.dir, BASE_URL: 'http://127.0.0.1', LOGIN_THROTTLE_IP_MAX: '1000',
    });
    setLogLevel(config.logLevel);
    const db = openDatabase(urls, config.poolMax);
    initModels(db.sequelize);
    scratch.defer(() => db.close());
    const app = buildApp({ config, db, sessionSecret: config.sessionSecret!, dataEncryptionKey: config.dataEncryptionKey });
    // Express caches compiled views only under NODE_ENV=production; measure that configuration.
    const viewCache = process.env.BENCH_VIEW_CACHE !== '0';
    if (viewCache) app.enable('view cache');
    const httpServer: http.Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    scratch.defer(async () => {
      agent.destroy();
      httpServer.closeAllConnections();
      await new Promise((resolve) => httpServer.close(resolve));
    });
    // Idle keep-alive sockets must outlive the pauses between phases (else: ECONNRESET races).
    httpServer.keepAliveTimeout = 120_000;
    httpServer.headersTimeout = 121_000;
    const port = (httpServer.address() as AddressInfo).port;
    const directorCookie = await signIn(port, bench.director.email);
    const adminCookie = await signIn(port, bench.admin.email);
    const usersPage = (await request(port, 'GET', '/users', adminCookie)).status === 200;
    say(`[${elapsed()}] app on 127.0.0.1:${port} (view cache ${viewCache ? 'on, as in production' : 'off'}); /users page ${usersPage ? 'present' : 'absent (users query measured by plan only)'}`);

    // (a) Plans of what the pages really run, replayed as the runtime role in the same context.
    const ctx = {
      director: { clientId: bench.clientId, userId: bench.director.id },
      admin: { clientId: bench.clientId, userId: bench.admin.id },
    };
    const pages: Array<[string, keyof typeof ctx, string, string]> = [
      ['tree + selector', 'director', '/units', directorCookie],
      ['tree + selector', 'admin', '/units', adminCookie],
      ['division roll-up', 'director', `/units/${bench.director.divisionId}`, directorCookie],
      ['division roll-up', 'admin', `/units/${bench.admin.divisionId}`, adminCookie],
    ];
    if (usersPage) pages.push(['users list', 'director', '/users', directorCookie], ['users list', 'admin', '/users', adminCookie]);
    const admin = new URL(server.adminUrl);
    const superuserInBenchDb = urlFor(server.adminUrl, decodeURIComponent(admin.username), decodeURIComponent(admin.password), roles.database);
    const plans: Array<PlanSummary & { who: string }> = [];
    for (const who of ['director', 'admin'] as const) {
      const call = await explainAs(urls.app, ctx[who], 'scope computation: set_config … FROM app_scope_for()', SET_CONTEXT, [ctx[who].clientId, ctx[who].userId, '', 'user', '']);
      plans.push({ ...call, who });
      for (const inner of await scopeFunctionPlans(superuserInBenchDb, roles.app, ctx[who])) plans.push({ ...inner, who });
    }
    if (!usersPage) {
      const q = `SELECT id, name, email, rank, status FROM users WHERE client_id = (SELECT app_current_client()) ORDER BY email LIMIT 50`;
      for (const who of ['director', 'admin'] as const) plans.push({ ...(await explainAs(urls.app, ctx[who], 'users by client (plain)', q, [])), who });
    }
    const seen = new Set<string>();
    const perRequest: string[] = [];
    for (const [page, who, urlPath, cookie] of pages) {
      const statements = await captureStatements(roleOf(urls.app), () => request(port, 'GET', urlPath, cookie));
      const scopeCalls = statements.filter((s) => s.sql.includes('app_scope_for(')).length;
      perRequest.push(`    ${`${page} (${who})`.padEnd(30)} ${String(statements.length).padStart(3)} statements on the runtime connection, app_scope_for called ${scopeCalls}×`);
      if (process.env.BENCH_VERBOSE) for (const s of statements) say(`      ${s.sql.replace(/\s+/g, ' ').slice(0, 150)}`);
      for (const s of statements) {
        if (!/^\s*(SELECT|WITH)/i.test(s.sql) || /set_config\(/.test(s.sql)) continue;
        if (!/\b(org_units|users|user_scopes)\b/.test(s.sql)) continue;
        const key = `${who} ${s.sql} ${JSON.stringify(s.bind)}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const label = `${page}: ${describe(s.sql)}`;
        plans.push({ ...(await explainAs(urls.app, ctx[who], label, s.sql.replace(/;\s*$/, ''), s.bind)), who });
      }
    }
    // Where a request's time goes: the runtime connection's statements (round trip, execution
    // and row parsing, timed at the driver) against the whole request.
    const breakdown: string[] = [];
    for (const [page, who, urlPath, cookie] of pages) {
      const { total, dbMs } = await timeQueries(roleOf(urls.app), 30, () => request(port, 'GET', urlPath, cookie));
      breakdown.push(`    ${`${page} (${who})`.padEnd(30)} request ${(total / 30).toFixed(1).padStart(5)} ms, of which statements ${(dbMs / 30).toFixed(1).padStart(5)} ms`);
    }
    say();
    say('Statements per request (at the driver, runtime role; the session store has its own role and pool):');
    for (const line of perRequest) say(line);
    say('Mean time per request over 30 sequential requests:');
    for (const line of breakdown) say(line);    say();
    say('(a) EXPLAIN (ANALYZE, BUFFERS) as the runtime role, in a transaction with the unit of work\'s set_config context');
    say('    who       plan ms  exec ms  index use  statement / plan nodes');
    for (const p of plans) {
      const indexNodes = p.nodes.filter((n) => /Index/.test(n));
      const verdict = p.seq.length ? `SEQ ${p.seq.join(',')}` : indexNodes.length ? 'index' : 'no table';
      say(`    ${p.who.padEnd(9)} ${(p.planMs === undefined ? '—' : p.planMs.toFixed(2)).padStart(7)}  ${p.ms.toFixed(2).padStart(7)}  ${verdict.padEnd(9)}  ${p.label}`);
      say(`${' '.repeat(42)}${p.nodes.filter((n) => n !== 'Result').join(' › ')}`);
    }
    const tenantSeq = plans.filter((p) => p.seq.some((t) => ['org_units', 'users', 'user_scopes'].includes(t)));
    say(tenantSeq.length ? `    ⚠ ${tenantSeq.length} statement(s) read a tenant table sequentially` : '    ✓ every statement reads org_units, users and user_scopes through indexes');

    // (b) Latency.
    say();
    say(`[${elapsed()}] measuring: ${WARMUP} warm-up, ${SEQUENTIAL} sequential, ${CONCURRENT} at concurrency ${WORKERS} per line …`);
    const facilityCount = (body: string) => (/<select id="unit-select"[\s\S]*?<\/select>/.exec(body)?.[0].match(/<option /g) ?? []).length;
    const expectFacilities = (n: number) => (r: Reply) => {
      const got = facilityCount(r.body);
      if (got !== n) throw new Error(`selector offers ${got} facilities, expected ${n}`);
    };
    const lines: Measured[] = [];
    lines.push(...(await measure(port, 'GET /healthz (baseline)', '/healthz', undefined, () => undefined)));
    lines.push(...(await measure(port, 'GET /units  director', '/units', directorCookie, expectFacilities(FACILITIES_PER_DIVISION))));
    lines.push(...(await measure(port, 'GET /units  admin', '/units', adminCookie, expectFacilities(REGIONS * DIVISIONS_PER_REGION * FACILITIES_PER_DIVISION))));
    lines.push(...(await measure(port, 'GET /units/:facility  director', `/units/${bench.director.facilityId}`, directorCookie, expectFacilities(FACILITIES_PER_DIVISION))));
    lines.push(...(await measure(port, 'GET /units/:facility  admin', `/units/${bench.admin.facilityId}`, adminCookie, expectFacilities(500))));
    lines.push(...(await measure(port, 'GET /units/:division  director', `/units/${bench.director.divisionId}`, directorCookie, () => undefined)));
    lines.push(...(await measure(port, 'GET /units/:division  admin', `/units/${bench.admin.divisionId}`, adminCookie, () => undefined)));
    if (usersPage) {
      lines.push(...(await measure(port, 'GET /users  director', '/users', directorCookie, () => undefined)));
      lines.push(...(await measure(port, 'GET /users  admin', '/users', adminCookie, () => undefined)));
    }
    const base = new Map(lines.filter((l) => l.label.startsWith('GET /healthz')).map((l) => [l.mode, l]));
    say();
    say(`(b) latency in ms (in-process server, keep-alive HTTP on 127.0.0.1); ratios against /healthz in the same mode`);
    say(`    ${'endpoint'.padEnd(32)} ${'mode'.padEnd(5)} ${'n'.padStart(4)} ${'p50'.padStart(7)} ${'p95'.padStart(7)} ${'p99'.padStart(7)} ${'mean'.padStart(7)} ${'req/s'.padStart(7)}  ${'p95×'.padStart(6)} ${'thru%'.padStart(6)}`);
    for (const l of lines) {
      const b = base.get(l.mode)!;
      say(`    ${l.label.padEnd(32)} ${l.mode.padEnd(5)} ${String(l.n).padStart(4)} ${l.p50.toFixed(2).padStart(7)} ${l.p95.toFixed(2).padStart(7)} ${l.p99.toFixed(2).padStart(7)} ${l.mean.toFixed(2).padStart(7)} ${l.rps.toFixed(0).padStart(7)}  ${(l.p95 / b.p95).toFixed(1).padStart(6)} ${((100 * l.rps) / b.rps).toFixed(1).padStart(6)}`);
    }
    say(`    (load average now ${loadavg()}: other processes on this machine share its CPUs with the server and PostgreSQL)`);
    say();
    say(`[${elapsed()}] done`);
  } finally {
    await scratch.cleanup();
  }
}

/** A short name for a captured statement: its table and shape. */
function describe(sql: string): string {
  const compact = sql.replace(/\s+/g, ' ');
  if (/WITH RECURSIVE below/.test(compact)) return 'facilities below a unit (recursive)';
  if (/count\(\*\) OVER/.test(compact)) return 'users list (paged, with scope names)';
  if (/app_scope_all\(\) AS whole/.test(compact)) return 'scope read-back (settings)';
  const table = /FROM "?(\w+)"?/.exec(compact)?.[1] ?? '?';
  const where = /WHERE (.*?)(ORDER BY|LIMIT|;|$)/.exec(compact)?.[1]?.slice(0, 70) ?? 'all rows';
  return `${table} where ${where}`;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`benchmark failed: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
