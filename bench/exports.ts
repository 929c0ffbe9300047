// Benchmark (not a test): streamed downloads of the events list (DESIGN.md §12, the issue's
// targets) on the shared fixture (bench/fixture.ts):
//   - XLSX of ~100,000 events (the facilities whose events add up to that): the RSS the export
//     adds to the idle process ≤ 100 MB;
//   - CSV of ~1,000,000 events (the whole client, every status) ≥ 100,000 rows/s;
// each against a same-run baseline: COPY (the same statement) TO STDOUT as CSV, as the runtime
// role in the same context. Every measurement runs in a child process of its own (a clean heap
// and RSS), as the runtime role inside a unit of work (row-level security applies), through the
// code a download runs (middleware/download.ts writeTable: the list's cursor, the row shaping, the
// writer, the audit entry) into a sink that drops the bytes; only Express and the socket are left
// out. It boots its own embedded PostgreSQL under var/ and stops and removes all it started.
//
//   npm run bench:exports [-- --rounds 2 --xlsx-rows 100000 (and any fixture size: --closed-events 950000 --open-events 50000 …)]
//   BENCH_CPU_PROFILE_DIR=<dir> writes each child's CPU profile there (node --cpu-prof).
import { spawn } from 'node:child_process';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { DatabaseUrls } from '../config/index.ts';
import { setLogLevel } from '../lib/logger.ts';
import { allowLongStatement, currentUnit, inUnitOfWork } from '../lib/unit-of-work.ts';
import { Client, initModels, openDatabase } from '../models/index.ts';
import { writeTable } from '../middleware/download.ts';
import { eventListExport } from '../services/events/list-export.ts';
import { type EventListQuery, eventRowsSql } from '../services/events/lists.ts';
import { buildFixture, fixtureOptions } from './fixture.ts';
import { benchScratch } from './scratch.ts';

const XLSX_RSS_TARGET_MB = 100;
const CSV_RATE_TARGET = 100_000;
const argv = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : fallback;
};
const say = (line = '') => process.stdout.write(`${line}\n`);
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const rate = (rows: number, ms: number) => Math.round(rows / (ms / 1000));

type Mode = 'csv' | 'xlsx' | 'copy';
interface ChildJob {
  mode: Mode;
  urls: Pick<DatabaseUrls, 'app' | 'session'>;
  clientId: string;
  userId: string;
  facilityIds: string[] | null;
  at: string;
}
interface ChildResult {
  rows: number;
  bytes: number;
  ms: number;
  idleRss: number;
  peakRss: number;
}

/** A sink that takes every byte at once and keeps none (a fast reader). */
function countingSink(): Writable & { bytes: number } {
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { sink.bytes += chunk.length; done(); } }) as Writable & { bytes: number };
  sink.bytes = 0;
  return sink;
}

/** $n parameters written into the text as literals (COPY takes no parameters). */
function inline(text: string, params: unknown[]): string {
  const literal = (v: unknown): string => {
    if (Array.isArray(v)) return pg.Client.prototype.escapeLiteral(`{${v.map((x) => `"${String(x)}"`).join(',')}}`);
    if (typeof v === 'number') return String(v);
    return pg.Client.prototype.escapeLiteral(String(v));
  };
  return text.replace(/\$(\d+)/g, (_, n: string) => literal(params[Number(n) - 1]));
}

async function child(job: ChildJob): Promise<ChildResult> {
  setLogLevel('silent');
  const db = openDatabase(job.urls, 2);
  initModels(db.sequelize);
  const context = { actorKind: 'user' as const, clientId: job.clientId, userId: job.userId };
  const client = await inUnitOfWork(db.sequelize, context, async () => (await Client.findByPk(job.clientId))!);
  const query: EventListQuery = { status: 'all', facilityIds: job.facilityIds ?? undefined, now: new Date(job.at) };
  global.gc?.();
  await new Promise((resolve) => setTimeout(resolve, 200));
  const idleRss = process.memoryUsage.rss();
  let peakRss = idleRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 10);
  const sink = countingSink();
  const started = performance.now();
  const rows = await inUnitOfWork(db.sequelize, context, async () => {
    if (job.mode === 'copy') {
      await allowLongStatement(30);
      const { text, params } = eventRowsSql(client, query);
      const connection = (currentUnit().transaction as unknown as { connection: pg.ClientBase }).connection;
      const stream = connection.query(copyTo(`COPY (${inline(text, params)}) TO STDOUT WITH (FORMAT csv, HEADER)`));
      await new Promise<void>((resolve, reject) => {
        stream.on('error', reject);
        sink.on('finish', resolve);
        stream.pipe(sink);
      });
      return stream.rowCount;
    }
    return writeTable(sink, eventListExport(client, query, job.mode, { title: 'All events', unitId: null, filters: { status: 'all' } }));
  });
  const ms = performance.now() - started;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  await db.close();
  return { rows, bytes: sink.bytes, ms, idleRss, peakRss };
}

function runChild(job: ChildJob): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const profile = process.env.BENCH_CPU_PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROFILE_DIR] : [];
    const proc = spawn(process.execPath, [...process.execArgv, '--expose-gc', ...profile, import.meta.filename, '--child', JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`child ${job.mode} failed (${code}): ${out}`));
      else resolve(JSON.parse(line) as ChildResult);
    });
  });
}

async function main(): Promise<void> {
  setLogLevel('silent');
  const rounds = Number(flag('rounds', '2'));
  const xlsxRows = Number(flag('xlsx-rows', '100000'));
  const scratch = await benchScratch('exports', say);
  try {
    const options = fixtureOptions(argv, { openEvents: 50_000, closedEvents: 950_000, cancelledEvents: 5_000, noiseClients: 1 });
    say(`PlanTRAK export benchmark — ${new Date().toISOString()}, node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    say(`Fixture: ${JSON.stringify({ ...options, at: options.at.toISOString() })}`);
    const fixture = await buildFixture(scratch, options, say);
    const { owner, client } = fixture;
    // The facilities whose events add up to the XLSX's size, largest first.
    const { rows: perFacility } = await owner.query<{ id: string; n: number }>(
      `SELECT facility_id AS id, count(*)::int AS n FROM events WHERE client_id = $1 GROUP BY facility_id ORDER BY facility_id`, [client.id]);
    const chosen: string[] = [];
    let sum = 0;
    for (const f of perFacility) {
      if (sum >= xlsxRows) break;
      chosen.push(f.id);
      sum += f.n;
    }
    const base = { urls: fixture.urls, clientId: client.id, userId: client.sample.administrator.id, at: options.at.toISOString() };
    const measure = async (label: string, job: ChildJob) => {
      const results: ChildResult[] = [];
      for (let r = 0; r < rounds; r += 1) results.push(await runChild(job));
      const best = results.reduce((a, b) => (b.ms < a.ms ? b : a));
      const growth = Math.max(...results.map((x) => x.peakRss - x.idleRss));
      say(`  ${label.padEnd(30)} ${String(best.rows).padStart(9)} rows  ${(best.ms / 1000).toFixed(2).padStart(6)} s  ${String(rate(best.rows, best.ms)).padStart(8)} rows/s  ${mb(best.bytes).padStart(9)}  RSS idle ${mb(best.idleRss)}, growth ≤ ${mb(growth)}`);
      return { best, growth };
    };
    say(`\nXLSX: ${chosen.length} facilities, ${sum} events (best of ${rounds}, each in its own child process)`);
    const xlsx = await measure('export XLSX (streamed)', { ...base, mode: 'xlsx', facilityIds: chosen });
    const xlsxCopy = await measure('baseline COPY TO STDOUT', { ...base, mode: 'copy', facilityIds: chosen });
    say(`\nCSV: the whole client, every status (best of ${rounds})`);
    const csv = await measure('export CSV (streamed)', { ...base, mode: 'csv', facilityIds: null });
    const csvCopy = await measure('baseline COPY TO STDOUT', { ...base, mode: 'copy', facilityIds: null });

    const xlsxOk = xlsx.growth <= XLSX_RSS_TARGET_MB * 1024 * 1024;
    const csvRate = rate(csv.best.rows, csv.best.ms);
    const csvOk = csvRate >= CSV_RATE_TARGET && csv.best.rows >= 1_000_000;
    say('\nTargets');
    say(`  XLSX of ${xlsx.best.rows} events: RSS growth ${mb(xlsx.growth)} ≤ ${XLSX_RSS_TARGET_MB} MB: ${xlsxOk ? 'met' : 'NOT met'} (COPY baseline: ${mb(xlsxCopy.growth)}; ${(xlsx.best.ms / xlsxCopy.best.ms).toFixed(1)}× its time)`);
    say(`  CSV of ${csv.best.rows} events: ${csvRate} rows/s ≥ ${CSV_RATE_TARGET}: ${csvOk ? 'met' : 'NOT met'} (COPY baseline: ${rate(csvCopy.best.rows, csvCopy.best.ms)} rows/s; the export at ${((rate(csv.best.rows, csv.best.ms) / rate(csvCopy.best.rows, csvCopy.best.ms)) * 100).toFixed(0)}% of it)`);
  } finally {
    await scratch.cleanup();
  }
}

if (argv[0] === '--child') {
  child(JSON.parse(argv[1]!) as ChildJob).then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
} else {
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}
