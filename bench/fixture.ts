// The shared benchmark fixture: one large client (and a few smaller ones sharing the tables, so
// the tenant guard has something to filter), built on a throw-away PostgreSQL with the app's own
// roles and migrations, seeded as the owner with set-based SQL.
//
//   - 5 regions × 4 divisions above 500 facilities in several time zones (every tenth facility
//     has none and so keeps the client's, America/New_York);
//   - 2,000 users of every rank (5 Administrators, 25 Executives, 150 Directors, 600 Managers,
//     the rest Associates), scoped at the whole organisation, a region, a division or 1–3
//     facilities; a few deactivated or invited, some with their own zone, digest hour, opt-outs;
//   - 10,000 Plan Items (20 per facility, each assigned to someone whose scope covers it);
//   - events over several years: closed (some late, some recorded late), cancelled, and open in
//     a mix relative to the fixture's instant (overdue by months, weeks and days, due today, due
//     soon, upcoming, far future).
//
// Sizes come from FixtureOptions; fixtureOptions() reads them from the command line
// (`--open-events 50000 --closed-events 150000 --scale 2 …`) over the benchmark's defaults.
// The code under test should connect as the runtime role (fixture.openApp()), so RLS applies;
// fixture.explain() shows a statement's plan as that role inside a unit of work's context.
import bcrypt from 'bcrypt';
import pg from 'pg';
import { performance } from 'node:perf_hooks';
import { addDays, todayIn } from '../lib/calendar-dates.ts';
import { type Database, initModels, openDatabase } from '../models/index.ts';
import type { DatabaseUrls } from '../config/index.ts';
import type { EmbeddedServer } from '../services/database/embedded.ts';
import { migrateUp } from '../services/database/migrator.ts';
import { provisionDatabase } from '../services/database/provision.ts';
import { type RoleNames, roleNames, urlFor } from '../services/database/roles.ts';
import { type BenchScratch, scratchPostgres } from './scratch.ts';

/** Every fixture user's password (bcrypt cost 4, for benchmarks that sign in). */
export const FIXTURE_PASSWORD = 'Bench-Lantern-47!';

export const RANKS = ['administrator', 'executive', 'director', 'manager', 'associate'] as const;
export type FixtureRank = (typeof RANKS)[number];

export interface FixtureOptions {
  regions: number;
  divisionsPerRegion: number;
  facilities: number;
  users: number;
  planItems: number;
  openEvents: number;
  closedEvents: number;
  cancelledEvents: number;
  /** Closed and cancelled events spread over this many years before the instant. */
  years: number;
  /** Smaller clients in the same tables, each a tenth of the main one. */
  noiseClients: number;
  /** The instant the open events' mix is relative to (its date in the client's zone). */
  at: Date;
}

export const DEFAULT_FIXTURE: FixtureOptions = {
  regions: 5,
  divisionsPerRegion: 4,
  facilities: 500,
  users: 2_000,
  planItems: 10_000,
  openEvents: 50_000,
  closedEvents: 150_000,
  cancelledEvents: 5_000,
  years: 3,
  noiseClients: 2,
  // A Monday (weekly summaries go out), 15:00 UTC: past 7 a.m. in the Americas and Europe,
  // before it in Auckland.
  at: new Date('2026-03-16T15:00:00Z'),
};

/** The open events' due dates, in days from the instant's date: [label, weight, from, to]. */
export const OPEN_MIX: Array<[string, number, number, number]> = [
  ['overdue by months', 5, -365, -31],
  ['overdue by weeks', 5, -30, -8],
  ['overdue by days', 5, -7, -1],
  ['due today', 1.5, 0, 0],
  ['due soon (1-14 days)', 13.5, 1, 14],
  ['upcoming (15-60 days)', 25, 15, 60],
  ['far future (61-365 days)', 45, 61, 365],
];

/**
 * Options from `--kebab-case value` arguments (and `--scale x`, which multiplies every count)
 * over the defaults given.
 */
export function fixtureOptions(argv: string[] = process.argv.slice(2), defaults: Partial<FixtureOptions> = {}): FixtureOptions {
  const options: FixtureOptions = { ...DEFAULT_FIXTURE, ...defaults };
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]!);
    if (!m) continue;
    flags.set(m[1]!, m[2] ?? argv[++i] ?? '');
  }
  const scale = Number(flags.get('scale') ?? 1);
  if (!(scale > 0)) throw new Error('--scale must be a positive number');
  const counted: Array<keyof FixtureOptions> = ['facilities', 'users', 'planItems', 'openEvents', 'closedEvents', 'cancelledEvents'];
  for (const key of counted) (options[key] as number) = Math.max(1, Math.round((options[key] as number) * scale));
  for (const key of Object.keys(DEFAULT_FIXTURE) as Array<keyof FixtureOptions>) {
    const flag = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    const value = flags.get(flag);
    if (value === undefined) continue;
    if (key === 'at') {
      options.at = new Date(value);
      if (Number.isNaN(options.at.getTime())) throw new Error(`--at: not an instant: ${value}`);
    } else {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0) throw new Error(`--${flag}: not a count: ${value}`);
      (options[key] as number) = n;
    }
  }
  if (options.facilities < options.regions * options.divisionsPerRegion) throw new Error('fewer facilities than divisions');
  return options;
}

export interface FixtureClient {
  id: string;
  name: string;
  timeZone: string;
  regions: string[];
  divisions: string[];
  facilities: string[];
  /** User ids by rank, in creation order (active ones first within each rank). */
  users: Record<FixtureRank, string[]>;
  /** Some users by role, for benchmarks that act as someone. */
  sample: { administrator: FixtureUser; wholeExecutive: FixtureUser; director: FixtureUser; manager: FixtureUser; associate: FixtureUser };
  counts: { facilities: number; users: number; planItems: number; open: number; closed: number; cancelled: number; openMix: Record<string, number> };
}

export interface FixtureUser {
  id: string;
  email: string;
  /** The units of their scope (null: the whole organisation). */
  scope: Array<string | null>;
}

export interface ExplainContext {
  clientId: string;
  userId?: string | null;
  actorKind: 'user' | 'system';
}

export interface Fixture {
  options: FixtureOptions;
  server: EmbeddedServer;
  urls: DatabaseUrls;
  roles: RoleNames;
  /** A superuser URL into the bench database (auto_explain and the like). */
  superuserUrl: string;
  /** An owner connection (bypasses RLS): for seeding, resets and baselines. */
  owner: pg.Client;
  client: FixtureClient;
  noiseClients: string[];
  /** The instant's date in the main client's zone. */
  today: string;
  /** The app's runtime-role connection (RLS applies), models bound; closed at cleanup. */
  openApp(poolMax?: number): Database;
  /** EXPLAIN (ANALYZE, BUFFERS) as the runtime role in a unit of work's context; rolled back. */
  explain(context: ExplainContext, sql: string, bind?: unknown[], options?: ExplainOptions): Promise<ExplainResult>;
}

export interface ExplainOptions {
  /** Statements run first, in the same transaction (the state the plan should see). */
  before?: Array<[string, unknown[]]>;
  /** Run the statement once unmeasured first (in a savepoint), for a warm cache. */
  warm?: boolean;
  /** The transaction's statement_timeout (the runtime role's own, 15 s, by default). */
  timeoutMs?: number;
  /** Plain EXPLAIN (no ANALYZE): the plan only, for a statement too slow to run. */
  planOnly?: boolean;
}

export interface ExplainResult {
  text: string;
  executionMs: number;
  planningMs: number;
}

const say0 = (line: string) => process.stdout.write(`${line}\n`);

/** Starts the cluster (with these server settings), provisions the roles, runs the migrations and
 *  seeds the fixture. */
export async function buildFixture(scratch: BenchScratch, options: FixtureOptions = DEFAULT_FIXTURE, say: (line: string) => void = say0, serverSettings: Record<string, string> = {}): Promise<Fixture> {
  const t0 = performance.now();
  const since = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
  const server = await scratchPostgres(scratch, serverSettings);
  const roles = roleNames('plantrak_bench');
  const urls = await provisionDatabase(server.adminUrl, roles, { owner: 'bench-owner', app: 'bench-app', session: 'bench-session', backup: 'bench-backup' });
  await migrateUp(urls.owner, roles);
  const admin = new URL(server.adminUrl);
  const superuserUrl = urlFor(server.adminUrl, decodeURIComponent(admin.username), decodeURIComponent(admin.password), roles.database);
  say(`[fixture ${since()}] PostgreSQL up, migrated (the app's migrations)`);

  const owner = new pg.Client({ connectionString: urls.owner, application_name: 'plantrak-bench-fixture' });
  await owner.connect();
  scratch.defer(() => owner.end());
  const passwordHash = await bcrypt.hash(FIXTURE_PASSWORD, 4);

  const client = await seedClient(owner, options, 'Fixture Co', 'fixture', passwordHash, (line) => say(`[fixture ${since()}] ${line}`));
  const noiseClients: string[] = [];
  for (let n = 1; n <= options.noiseClients; n++) {
    const tenth = (k: number) => Math.max(1, Math.round(k / 10));
    const small: FixtureOptions = {
      ...options,
      regions: Math.max(1, Math.round(options.regions / 2)),
      divisionsPerRegion: 2,
      facilities: Math.max(tenth(options.facilities), options.regions * 2),
      users: Math.max(tenth(options.users), 50),
      planItems: tenth(options.planItems),
      openEvents: tenth(options.openEvents),
      closedEvents: tenth(options.closedEvents),
      cancelledEvents: tenth(options.cancelledEvents),
    };
    noiseClients.push((await seedClient(owner, small, `Noise Client ${n}`, `noise-${n}`, passwordHash, () => undefined)).id);
    say(`[fixture ${since()}] noise client ${n} of ${options.noiseClients} seeded (a tenth of the size)`);
  }
  await owner.query('VACUUM ANALYZE');
  say(`[fixture ${since()}] VACUUM ANALYZE done`);

  const apps: Database[] = [];
  scratch.defer(async () => {
    for (const db of apps) await db.close();
  });
  return {
    options,
    server,
    urls,
    roles,
    superuserUrl,
    owner,
    client,
    noiseClients,
    today: todayIn(client.timeZone, options.at),
    openApp(poolMax = 4) {
      const db = openDatabase(urls, poolMax);
      initModels(db.sequelize);
      apps.push(db);
      return db;
    },
    explain: (context, sql, bind = [], explainOptions = {}) => explainAsRuntime(urls.app, context, sql, bind, explainOptions),
  };
}

/** The unit of work's opening statement (lib/unit-of-work.ts), for sessions outside the app. */
export const SET_CONTEXT = `SELECT set_config('app.client_id', $1, true), set_config('app.user_id', $2, true),
              set_config('app.staff_id', $3, true), set_config('app.actor_kind', $4, true),
              set_config('app.support_session_id', $5, true),
              set_config('app.scope_all', CASE WHEN s.whole OR $4 IN ('system', 'staff') THEN 'on' ELSE '' END, true),
              set_config('app.scope_units', s.units, true),
              set_config('app.scope_ancestors', s.ancestors, true)
         FROM app_scope_for(nullif($1, '')::uuid, CASE WHEN $4 = 'user' THEN nullif($2, '')::uuid END) s`;

/**
 * EXPLAIN (ANALYZE, BUFFERS) of one statement as the runtime role, in a transaction carrying the
 * context a unit of work sets, after `before` statements (state the plan should see); rolled
 * back, so writes leave nothing. With warm, the statement runs once unmeasured first (savepoint).
 */
export async function explainAsRuntime(appUrl: string, context: ExplainContext, sql: string, bind: unknown[] = [], options: ExplainOptions = {}): Promise<ExplainResult> {
  const c = new pg.Client({ connectionString: appUrl, application_name: 'plantrak-bench-explain' });
  await c.connect();
  try {
    await c.query('BEGIN');
    await c.query(SET_CONTEXT, [context.clientId, context.userId ?? '', '', context.actorKind, '']);
    if (options.timeoutMs !== undefined) await c.query(`SELECT set_config('statement_timeout', $1, true)`, [String(options.timeoutMs)]);
    for (const [text, params] of options.before ?? []) await c.query(text, params);
    if (options.warm) {
      await c.query('SAVEPOINT warm');
      await c.query(sql, bind);
      await c.query('ROLLBACK TO SAVEPOINT warm');
    }
    const { rows } = await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${options.planOnly ? '' : '(ANALYZE, BUFFERS) '}${sql}`, bind);
    const text = rows.map((r) => r['QUERY PLAN']).join('\n');
    const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
    return { text, executionMs: num(/Execution Time: ([\d.]+) ms/), planningMs: num(/Planning Time: ([\d.]+) ms/) };
  } finally {
    await c.query('ROLLBACK').catch(() => undefined);
    await c.end();
  }
}

// ---------------------------------------------------------------------------------------------
// Seeding one client (as the owner; RLS does not apply)

const REGION_NAMES = ['Northeast', 'Central', 'Mountain', 'Pacific', 'International', 'South', 'Midwest', 'Northwest'];
const REGION_ZONES = [
  ['America/New_York', 'America/Toronto'],
  ['America/Chicago'],
  ['America/Denver', 'America/Phoenix'],
  ['America/Los_Angeles'],
  ['Europe/London', 'Europe/Berlin', 'Pacific/Auckland'],
];
const CLIENT_ZONE = 'America/New_York';

/** Calendar and relative schedules, roughly what compliance plans hold (weights). */
const SCHEDULES: Array<[number, string | null, number | null, string | null]> = [
  [20, 'FREQ=WEEKLY;BYDAY=MO', null, null],
  [25, 'FREQ=MONTHLY;BYMONTHDAY=-1', null, null],
  [10, 'FREQ=MONTHLY;BYMONTHDAY=15', null, null],
  [20, 'FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15', null, null],
  [10, 'FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=10', null, null],
  [5, 'FREQ=YEARLY;BYMONTH=7;BYMONTHDAY=1', null, null],
  [10, null, 3, 'month'],
];

/** A deterministic 0 ≤ x < 1 from integers (the fixture is the same every run). */
const unit = (...k: number[]) => {
  let h = 2166136261;
  for (const v of k) h = Math.imul(h ^ (v & 0xffff), 16777619) ^ Math.imul(h ^ (v >>> 16), 2246822519);
  return ((h >>> 0) % 1_000_003) / 1_000_003;
};

function rankCounts(total: number): Record<FixtureRank, number> {
  const administrator = Math.max(1, Math.round(total * 0.0025));
  const executive = Math.max(1, Math.round(total * 0.0125));
  const director = Math.max(1, Math.round(total * 0.075));
  const manager = Math.max(1, Math.round(total * 0.3));
  return { administrator, executive, director, manager, associate: Math.max(1, total - administrator - executive - director - manager) };
}

async function seedClient(owner: pg.Client, o: FixtureOptions, name: string, tag: string, passwordHash: string, say: (line: string) => void): Promise<FixtureClient> {
  const today = todayIn(CLIENT_ZONE, o.at);
  const { rows: [row] } = await owner.query<{ id: string }>(`INSERT INTO clients (name, time_zone) VALUES ($1, $2) RETURNING id`, [name, CLIENT_ZONE]);
  const c = row!.id;

  // The hierarchy.
  const regionZones = Array.from({ length: o.regions }, (_, r) => REGION_ZONES[r % REGION_ZONES.length]!);
  const regions = (await owner.query<{ id: string }>(
    `INSERT INTO org_units (client_id, kind, name) SELECT $1, 'region', n FROM unnest($2::text[]) WITH ORDINALITY AS t(n, k) ORDER BY k RETURNING id`,
    [c, Array.from({ length: o.regions }, (_, r) => REGION_NAMES[r % REGION_NAMES.length]! + (r >= REGION_NAMES.length ? ` ${r + 1}` : ''))],
  )).rows.map((r) => r.id);
  const divisionRegion = Array.from({ length: o.regions * o.divisionsPerRegion }, (_, d) => Math.floor(d / o.divisionsPerRegion));
  const divisions = (await owner.query<{ id: string }>(
    `INSERT INTO org_units (client_id, kind, name, parent_id)
     SELECT $1, 'division', n, p FROM unnest($2::text[], $3::uuid[]) WITH ORDINALITY AS t(n, p, k) ORDER BY k RETURNING id`,
    [c, divisionRegion.map((r, d) => `Division ${r + 1}.${(d % o.divisionsPerRegion) + 1}`), divisionRegion.map((r) => regions[r]!)],
  )).rows.map((r) => r.id);
  const facilityDivision = Array.from({ length: o.facilities }, (_, f) => f % divisions.length);
  const facilityZone = facilityDivision.map((d, f) => (f % 10 === 9 ? null : regionZones[divisionRegion[d]!]![Math.floor(f / divisions.length) % regionZones[divisionRegion[d]!]!.length]!));
  const facilities = (await owner.query<{ id: string }>(
    `INSERT INTO org_units (client_id, kind, name, code, parent_id, address, time_zone)
     SELECT $1, 'facility', 'Facility ' || lpad(k::text, 4, '0'), 'F' || lpad(k::text, 4, '0'), p, k || ' Plant Road', z
       FROM unnest($2::uuid[], $3::text[]) WITH ORDINALITY AS t(p, z, k) ORDER BY k RETURNING id`,
    [c, facilityDivision.map((d) => divisions[d]!), facilityZone],
  )).rows.map((r) => r.id);
  const facilityRegion = facilityDivision.map((d) => divisionRegion[d]!);

  // Users and their scopes.
  const counts = rankCounts(o.users);
  const users: Array<{ rank: FixtureRank; i: number; email: string; scope: Array<string | null>; status: string; zone: string | null; hour: number; optOuts: string[] }> = [];
  let wholeExecutives = 0;
  for (const rank of RANKS) {
    for (let i = 0; i < counts[rank]; i++) {
      const n = users.length;
      const scope: Array<string | null> = [];
      let region: number | null = null;
      if (rank === 'administrator') scope.push(null);
      else if (rank === 'executive') {
        if (i < Math.ceil(counts.executive * 0.4)) {
          scope.push(null);
          wholeExecutives++;
        } else scope.push(regions[(region = i % regions.length)]!);
      } else if (rank === 'director') {
        if (i % 10 === 9) scope.push(regions[(region = i % regions.length)]!);
        else {
          const d = i % divisions.length;
          region = divisionRegion[d]!;
          scope.push(divisions[d]!);
          if (i % 4 === 0) scope.push(divisions[(d + 1) % divisions.length]!);
        }
      } else {
        const first = rank === 'manager' ? (i * 3) % facilities.length : i % facilities.length;
        const many = rank === 'manager' ? 1 + (i % 3) : 1 + (i % 2);
        for (let k = 0; k < many; k++) scope.push(facilities[(first + k * 131) % facilities.length]!);
        region = facilityRegion[first]!;
      }
      // A few deactivated or invited (never the first of a rank, which the samples use).
      const status = i > 0 && i % 50 === 17 ? 'deactivated' : i > 0 && i % 100 === 41 ? 'invited' : 'active';
      const zone = region !== null && unit(n, 1) < 0.3 ? regionZones[region]![0]! : null;
      const h = unit(n, 2);
      const hour = h < 0.7 ? 7 : h < 0.85 ? 6 : h < 0.95 ? 8 : 17;
      const optOuts: string[] = [];
      if (rank !== 'manager' && rank !== 'associate' && unit(n, 3) < 0.1) optOuts.push('weekly_summary');
      if (unit(n, 4) < 0.05) optOuts.push('escalation');
      users.push({ rank, i, email: `${rank}-${i}@${tag}.bench`, scope, status, zone, hour, optOuts });
    }
  }
  const inserted = await owner.query<{ id: string; email: string }>(
    `INSERT INTO users (client_id, email, name, rank, status, password_hash, password_changed_at, time_zone, digest_hour, notification_opt_outs)
     SELECT $1, e, initcap(rk) || ' ' || lpad(k::text, 4, '0'), rk, st, CASE WHEN st = 'invited' THEN NULL ELSE $6 END,
            CASE WHEN st = 'invited' THEN NULL ELSE now() END, z, h, string_to_array(oo, ',')
       FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $7::int[], $8::text[]) WITH ORDINALITY AS t(e, rk, st, z, h, oo, k)
     RETURNING id, email`,
    [c, users.map((u) => u.email), users.map((u) => u.rank), users.map((u) => u.status), users.map((u) => u.zone), passwordHash,
      users.map((u) => u.hour), users.map((u) => u.optOuts.join(','))],
  );
  const idOf = new Map(inserted.rows.map((r) => [r.email, r.id]));
  const scopeRows = users.flatMap((u) => u.scope.map((s) => [idOf.get(u.email)!, s] as const));
  await owner.query(
    `INSERT INTO user_scopes (client_id, user_id, org_unit_id) SELECT $1, u, s FROM unnest($2::uuid[], $3::uuid[]) AS t(u, s)`,
    [c, scopeRows.map(([u]) => u), scopeRows.map(([, s]) => s)],
  );
  const byRank = Object.fromEntries(RANKS.map((r) => [r, users.filter((u) => u.rank === r).map((u) => idOf.get(u.email)!)])) as Record<FixtureRank, string[]>;
  const sampleOf = (u: (typeof users)[number]): FixtureUser => ({ id: idOf.get(u.email)!, email: u.email, scope: u.scope });
  const firstOf = (rank: FixtureRank) => sampleOf(users.find((u) => u.rank === rank && u.i === 0)!);
  say(`${name}: ${o.regions} regions, ${divisions.length} divisions, ${facilities.length} facilities; ${users.length} users (${RANKS.map((r) => `${counts[r]} ${r}s`).join(', ')}; ${wholeExecutives} executives over the whole client), ${scopeRows.length} scopes`);

  // Plan items: each facility's share, assigned to an active Associate or Manager covering it.
  const covering = new Map<string, string[]>();
  for (const u of users) {
    if ((u.rank !== 'associate' && u.rank !== 'manager') || u.status !== 'active') continue;
    for (const s of u.scope) if (s) covering.set(s, [...(covering.get(s) ?? []), idOf.get(u.email)!]);
  }
  const fallback = byRank.manager[0]!;
  const totalWeight = SCHEDULES.reduce((s, m) => s + m[0], 0);
  const item = { facility: [] as string[], assignee: [] as string[], kind: [] as string[], rrule: [] as Array<string | null>, every: [] as Array<number | null>,
    unit: [] as Array<string | null>, start: [] as string[], offsets: [] as Array<string | null>, info: [] as Array<string | null>, schedules: [] as boolean[], hidden: [] as boolean[] };
  for (let i = 0; i < o.planItems; i++) {
    const f = facilities[i % facilities.length]!;
    const who = covering.get(f) ?? [fallback];
    let pick = unit(i, 5) * totalWeight;
    const [, rrule, every, unitName] = SCHEDULES.find((s) => (pick -= s[0]) < 0) ?? SCHEDULES[0]!;
    item.facility.push(f);
    item.assignee.push(who[Math.floor(i / facilities.length) % who.length]!);
    item.kind.push(rrule ? 'calendar' : 'relative');
    item.rrule.push(rrule);
    item.every.push(every);
    item.unit.push(unitName);
    item.start.push(addDays(today, -(o.years * 365) - (i % 30)));
    const r = unit(i, 6);
    item.offsets.push(r < 0.08 ? '{30,7}' : r < 0.1 ? '{1}' : null);
    item.info.push(unit(i, 7) < 0.3 ? 'Sign in at the gatehouse; the log book is in the pump room.' : null);
    item.schedules.push(unit(i, 8) >= 0.02);
    item.hidden.push(unit(i, 9) < 0.01);
  }
  await owner.query(
    `INSERT INTO plan_items (client_id, facility_id, activity, description, additional_information, assignee_id, schedule_kind, rrule, relative_every,
                             relative_unit, schedule_start, reminder_offsets, schedules_events, hidden, lead_time_days)
     SELECT $1, f, 'Activity ' || lpad(k::text, 5, '0'), 'Inspect, record and sign off item ' || k, ai, a, sk, r, e, u, s, ro::int[], se, h, 30
       FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::int[], $7::text[], $8::date[], $9::text[], $10::text[], $11::boolean[], $12::boolean[])
            WITH ORDINALITY AS t(f, a, sk, r, e, u, s, ro, ai, se, h, k)`,
    [c, item.facility, item.assignee, item.kind, item.rrule, item.every, item.unit, item.start, item.offsets, item.info, item.schedules, item.hidden],
  );
  say(`${name}: ${o.planItems} plan items`);

  // Events, set-based: the items numbered, then generate_series rows mapped onto them.
  await owner.query(`CREATE TEMP TABLE fixture_items ON COMMIT PRESERVE ROWS AS
    SELECT row_number() OVER (ORDER BY id) - 1 AS k, id, facility_id, assignee_id, activity, description, additional_information
      FROM plan_items WHERE client_id = $1`.replace('$1', `'${c}'`));
  await owner.query('CREATE UNIQUE INDEX ON fixture_items (k)');
  await owner.query('ANALYZE fixture_items');
  const openMix = await insertEvents(owner, c, 'open', o.openEvents, o, today, say);
  await insertEvents(owner, c, 'closed', o.closedEvents, o, today, say);
  await insertEvents(owner, c, 'cancelled', o.cancelledEvents, o, today, say);
  await owner.query('DROP TABLE fixture_items');
  await owner.query(
    `UPDATE plan_items p SET next_due_date = n.d
       FROM (SELECT plan_item_id, min(due_date) AS d FROM events WHERE client_id = $1 AND status = 'open' AND due_date >= $2::date GROUP BY plan_item_id) n
      WHERE p.client_id = $1 AND p.id = n.plan_item_id`,
    [c, today],
  );

  return {
    id: c, name, timeZone: CLIENT_ZONE, regions, divisions, facilities, users: byRank,
    sample: {
      administrator: firstOf('administrator'),
      wholeExecutive: firstOf('executive'),
      director: firstOf('director'),
      manager: firstOf('manager'),
      associate: firstOf('associate'),
    },
    counts: { facilities: facilities.length, users: users.length, planItems: o.planItems, open: o.openEvents, closed: o.closedEvents, cancelled: o.cancelledEvents, openMix },
  };
}

const CHUNK = 50_000;

/**
 * Inserts `count` events of one status in chunks of generate_series rows, each row on item
 * (g mod items), its dates from hashes of g. A date an item already has is skipped by the
 * occurrence key and made up with further rows, so the count is exact.
 */
async function insertEvents(owner: pg.Client, c: string, status: 'open' | 'closed' | 'cancelled', count: number, o: FixtureOptions, today: string, say: (line: string) => void): Promise<Record<string, number>> {
  if (count === 0) return {};
  const t0 = performance.now();
  const total = OPEN_MIX.reduce((s, m) => s + m[1], 0);
  let cumulative = 0;
  const mixCum = OPEN_MIX.map((m) => (cumulative += m[1] / total));
  const span = o.years * 365;
  // The due date, in days from today, for row g: open by the mix; closed over the years before;
  // cancelled over the years before and the year ahead.
  const dueOffset = status === 'open'
    ? `(SELECT f + floor(h2 * (t - f + 1))::int FROM unnest($5::float8[], $6::int[], $7::int[]) WITH ORDINALITY AS b(cum, f, t, n)
         WHERE h1 < cum OR n = cardinality($5::float8[]) ORDER BY n LIMIT 1)`
    : status === 'closed' ? `-(1 + floor(h1 * ${span})::int)` : `(floor(h1 * ${span + 365})::int - ${span})`;
  const closing = status === 'closed'
    ? `CASE WHEN h3 < 0.12 THEN least(d.due + 1 + floor(h2 * 20)::int, $4::date - 1) ELSE d.due - floor(h2 * 5)::int END`
    : 'NULL::date';
  let done = 0;
  // Each status its own range of g, so no two rows share their hashes.
  let next = { open: 0, closed: 1_000_000_000, cancelled: 2_000_000_000 }[status];
  while (done < count) {
    const want = Math.min(CHUNK, count - done);
    const { rowCount } = await owner.query(
      `INSERT INTO events (client_id, plan_item_id, facility_id, activity, description, additional_information, scheduled_date, due_date, assignee_id,
                           status, completed_on, closed_by, closed_at, late, recorded_late, cancel_reason, created_at)
       SELECT $1, i.id, i.facility_id, i.activity, i.description, i.additional_information, d.due, d.due, i.assignee_id,
              $8, x.completed, CASE WHEN $8 = 'closed' THEN i.assignee_id END,
              CASE WHEN $8 = 'closed' THEN x.completed + CASE WHEN h3 > 0.97 THEN 8 + floor(h1 * 20)::int ELSE 0 END + time '16:30' END,
              coalesce(x.completed > d.due, false), $8 = 'closed' AND h3 > 0.97,
              CASE WHEN $8 = 'cancelled' THEN 'No longer required at this facility.' END,
              least(now(), (d.due - 30)::timestamp)
         FROM (SELECT g, (abs(hashint8(g * 3 + 1)) % 1000003) / 1000003.0 AS h1, (abs(hashint8(g * 3 + 2)) % 1000003) / 1000003.0 AS h2,
                      (abs(hashint8(g * 3 + 3)) % 1000003) / 1000003.0 AS h3
                 FROM generate_series($2::bigint, $3::bigint) g) r
         JOIN fixture_items i ON i.k = r.g % (SELECT count(*) FROM fixture_items)
        CROSS JOIN LATERAL (SELECT $4::date + ${dueOffset} AS due) d
        CROSS JOIN LATERAL (SELECT ${closing} AS completed) x
        WHERE $5::float8[] IS NOT NULL AND $6::int[] IS NOT NULL AND $7::int[] IS NOT NULL -- (the mix, typed even when unused)
       ON CONFLICT ON CONSTRAINT events_occurrence_key DO NOTHING`,
      [c, next, next + want - 1, today, mixCum, OPEN_MIX.map((m) => m[2]), OPEN_MIX.map((m) => m[3]), status],
    );
    next += want;
    done += rowCount ?? 0;
    const s = (performance.now() - t0) / 1000;
    say(`${status} events: ${done} of ${count} (${Math.round(done / s)}/s)`);
  }
  if (status !== 'open') return {};
  const { rows } = await owner.query<{ n: number; bucket: number }>(
    `SELECT count(*)::int AS n, (SELECT n FROM unnest($3::int[], $4::int[]) WITH ORDINALITY AS b(f, t, n) WHERE e.due_date - $2::date BETWEEN f AND t)::int AS bucket
       FROM events e WHERE client_id = $1 AND status = 'open' GROUP BY 2 ORDER BY 2`,
    [c, today, OPEN_MIX.map((m) => m[2]), OPEN_MIX.map((m) => m[3])],
  );
  const mix = Object.fromEntries(rows.map((r) => [OPEN_MIX[r.bucket - 1]?.[0] ?? 'other', r.n]));
  say(`open mix: ${Object.entries(mix).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  return mix;
}
