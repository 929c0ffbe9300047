// Benchmark (not a test): Plan Item import of a 5,000-row XLSX (DESIGN.md §12, the targets)
//   - upload, parse and dry run page rendered ≤ 10 s;
//   - apply (read and checked again, 5,000 items created and audited in one transaction) ≤ 20 s;
// on a small client of its own (20 facilities in one region, 60 users), through the app in
// production mode and its real forms (sign-in, CSRF, multipart upload), as the runtime role
// (row-level security applies). Event generation runs after the apply's commit and is timed apart.
// It boots its own embedded PostgreSQL under var/ and stops and removes all it started.
//
//   npx tsx bench/imports.ts [-- --rows 5000]
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import bcrypt from 'bcrypt';
import pg from 'pg';
import supertest from 'supertest';
import { buildApp } from '../app.ts';
import { loadConfig } from '../config/index.ts';
import { setLogLevel } from '../lib/logger.ts';
import { initModels, openDatabase } from '../models/index.ts';
import { migrateUp } from '../services/database/migrator.ts';
import { provisionDatabase } from '../services/database/provision.ts';
import { roleNames } from '../services/database/roles.ts';
import { writeXlsx } from '../services/exports/xlsx.ts';
import { importGenerationSettled } from '../services/imports/plan-import.ts';
import { benchScratch, scratchPostgres } from './scratch.ts';

const DRY_RUN_TARGET_S = 10;
const APPLY_TARGET_S = 20;
const argv = process.argv.slice(2);
const ROWS = Number(argv[argv.indexOf('--rows') + 1] ?? 5000) || 5000;
const say = (line = '') => process.stdout.write(`${line}\n`);
const PASSWORD = 'Bench-Lantern-47!';

const STYLES = ['Daily', 'Weekly on Monday', 'Every 2 weeks on Tue and Thu', 'Monthly on the 15th', 'Last day of each month', 'First Monday of the month',
  'Last Friday', 'Quarterly', 'Semi-annually', 'Annually on 29 Feb', 'January, April, July and October on the 1st', 'Every 90 days after completion', 'Once'];

async function main(): Promise<void> {
  const scratch = await benchScratch('imports', say);
  try {
    const server = await scratchPostgres(scratch);
    const roles = roleNames('plantrak_bench');
    const urls = await provisionDatabase(server.adminUrl, roles, { owner: 'bench-owner', app: 'bench-app', session: 'bench-session', backup: 'bench-backup' });
    await migrateUp(urls.owner, roles);
    const owner = new pg.Client({ connectionString: urls.owner });
    await owner.connect();
    scratch.defer(() => owner.end());
    const { rows: [client] } = await owner.query<{ id: string }>(`INSERT INTO clients (name, time_zone) VALUES ('Bench Water', 'Europe/London') RETURNING id`);
    const { rows: [region] } = await owner.query<{ id: string }>(`INSERT INTO org_units (client_id, kind, name) VALUES ($1, 'region', 'North') RETURNING id`, [client!.id]);
    const facilities: string[] = [];
    for (let f = 1; f <= 20; f++) {
      await owner.query(`INSERT INTO org_units (client_id, kind, name, code, parent_id) VALUES ($1, 'facility', $2, $3, $4)`, [client!.id, `Plant ${f}`, `P${f}`, region!.id]);
      facilities.push(`P${f}`);
    }
    const hash = await bcrypt.hash(PASSWORD, 4);
    const { rows: [director] } = await owner.query<{ id: string }>(
      `INSERT INTO users (client_id, email, name, rank, status, password_hash, password_changed_at) VALUES ($1, 'director@bench.test', 'Dana Director', 'director', 'active', $2, now()) RETURNING id`, [client!.id, hash]);
    await owner.query('INSERT INTO user_scopes (client_id, user_id, org_unit_id) VALUES ($1, $2, $3)', [client!.id, director!.id, region!.id]);
    const emails: string[] = [];
    for (let u = 1; u <= 60; u++) {
      const { rows: [user] } = await owner.query<{ id: string }>(
        `INSERT INTO users (client_id, email, name, rank, status, password_hash) VALUES ($1, $2, $3, 'associate', 'active', $4) RETURNING id`, [client!.id, `worker${u}@bench.test`, `Worker ${u}`, hash]);
      await owner.query('INSERT INTO user_scopes (client_id, user_id, org_unit_id) VALUES ($1, $2, $3)', [client!.id, user!.id, region!.id]);
      emails.push(`worker${u}@bench.test`);
    }

    const header = ['Facility', 'Activity', 'Description', 'Additional information', 'Regulatory reference', 'Category', 'Assignee', 'Requirement', 'Checklist', 'Schedule', 'Schedule start', 'Lead time', 'Month-end policy'];
    const rows = Array.from({ length: ROWS }, (_, i) => {
      const style = STYLES[i % STYLES.length]!;
      return [facilities[i % facilities.length]!, `Obligation ${i + 1}`, 'Bench row', '', `Reg ${i % 97}`, `Cat ${i % 7}`, emails[i % emails.length]!,
        i % 3 === 0 ? 'checklist' : 'none', i % 3 === 0 ? 'Step one\nStep two' : '', style, style === 'Annually on 29 Feb' ? '2028-02-29' : '2031-01-15', '30', ''];
    });
    const xlsx = await writeXlsx({ sheetName: 'Plan Items', columns: header.map((h) => ({ header: h })), rows });
    say(`${ROWS} rows, XLSX ${(xlsx.length / 1024).toFixed(0)} kB`);

    process.env.NODE_ENV = 'production';
    const config = loadConfig({
      NODE_ENV: 'production', LOG_LEVEL: 'silent', DB_POOL_MAX: '4', DB_ROLE_PREFIX: 'plantrak_bench',
      SESSION_SECRET: randomBytes(32).toString('hex'), DATA_ENCRYPTION_KEY: randomBytes(32).toString('hex'), DATA_DIR: scratch.dir, BASE_URL: 'http://127.0.0.1',
    });
    setLogLevel(config.logLevel);
    const db = openDatabase(urls, config.poolMax);
    initModels(db.sequelize);
    scratch.defer(() => db.close());
    // Production cookies are Secure: the session cookie is carried by hand over plain HTTP, as bench/http.ts does.
    const app = buildApp({ config, db, sessionSecret: config.sessionSecret!, dataEncryptionKey: config.dataEncryptionKey });
    let cookie = '';
    const keep = (res: supertest.Response) => {
      const sid = ([] as string[]).concat(res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!).find((c) => /plantrak\.sid=/.test(c));
      if (sid) cookie = sid;
      return res;
    };
    const agent = {
      get: async (path: string) => keep(await supertest(app).get(path).set('Cookie', cookie)),
      form: async (path: string, form: Record<string, string>) => keep(await supertest(app).post(path).set('Cookie', cookie).type('form').send(form)),
      upload: async (path: string, token: string, file: Buffer) => keep(await supertest(app).post(path).set('Cookie', cookie).field('_csrf', token).attach('file', file, 'bench.xlsx')),
    };
    const token = async (path: string) => /name="_csrf" value="([^"]+)"/.exec((await agent.get(path)).text)![1]!;
    const login = await agent.form('/login', { _csrf: await token('/login'), email: 'director@bench.test', password: PASSWORD });
    if (login.status !== 303) throw new Error(`sign-in answered ${login.status}`);

    const uploadToken = await token('/plan-imports/new');
    const t0 = performance.now();
    const up = await agent.upload('/plan-imports', uploadToken, xlsx);
    if (up.status !== 303) throw new Error(`upload answered ${up.status}: ${up.text.slice(0, 300)}`);
    const page = await agent.get(up.headers.location as string);
    const dryS = (performance.now() - t0) / 1000;
    if (page.status !== 200 || !page.text.includes(`${ROWS} ready, 0 with errors`)) throw new Error(`dry run page: ${page.status} ${page.text.slice(0, 300)}`);
    say(`upload + dry run page: ${dryS.toFixed(2)} s (target ≤ ${DRY_RUN_TARGET_S} s), page ${(page.text.length / 1024 / 1024).toFixed(1)} MB`);

    const applyToken = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const t1 = performance.now();
    const applied = await agent.form(`${up.headers.location as string}/apply`, { _csrf: applyToken });
    const applyS = (performance.now() - t1) / 1000;
    if (applied.status !== 303) throw new Error(`apply answered ${applied.status}: ${applied.text.slice(0, 300)}`);
    const t2 = performance.now();
    await importGenerationSettled();
    const genS = (performance.now() - t2) / 1000;
    const { rows: [n] } = await owner.query<{ items: number; audit: number; events: number }>(
      `SELECT (SELECT count(*)::int FROM plan_items) AS items, (SELECT count(*)::int FROM audit_log WHERE action LIKE 'plan_item%') AS audit, (SELECT count(*)::int FROM events) AS events`);
    say(`apply: ${applyS.toFixed(2)} s (target ≤ ${APPLY_TARGET_S} s): ${n!.items} items, ${n!.audit} audit entries`);
    say(`event generation after the commit: ${genS.toFixed(2)} s, ${n!.events} events`);
    say(dryS <= DRY_RUN_TARGET_S && applyS <= APPLY_TARGET_S ? 'PASS' : 'FAIL');
  } finally {
    await scratch.cleanup();
  }
}

await main();
