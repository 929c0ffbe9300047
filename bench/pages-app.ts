// The app for bench/pages.ts, in its own process so the load generator does not take its CPU:
// production mode, the runtime role (RLS applies), and beside it a bare Express "hello" as the
// ceiling. It counts every statement this process sends to PostgreSQL (both pools: the app's and
// the session store's) and answers the parent's "count" message with the running total; between
// "capture" and "captured" it also keeps each statement's text and time.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import pg from 'pg';
import { buildApp } from '../app.ts';
import { loadConfig } from '../config/index.ts';
import { setLogLevel } from '../lib/logger.ts';
import { initModels, openDatabase } from '../models/index.ts';

let statements = 0;
/** While the parent asks for them: each statement's text and time, for one request at a time. */
let captured: Array<{ text: string; ms: number; values?: unknown }> | undefined;
// Every statement of either pool goes through Client#query (Sequelize's and connect-pg-simple's).
const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
(pg.Client.prototype as { query: unknown }).query = function counted(this: pg.Client, ...args: unknown[]) {
  statements++;
  if (!captured) return query.apply(this, args);
  const first = args[0] as string | { text?: string };
  const entry = { text: (typeof first === 'string' ? first : first?.text ?? '(portal)').replace(/\s+/g, ' ').trim(), ms: NaN, values: Array.isArray(args[1]) ? args[1] : (first as { values?: unknown })?.values };
  captured.push(entry);
  const t0 = performance.now();
  const done = () => void (entry.ms = performance.now() - t0);
  const last = args.at(-1);
  if (typeof last === 'function') {
    args[args.length - 1] = (...results: unknown[]) => {
      done();
      return (last as (...r: unknown[]) => unknown)(...results);
    };
    return query.apply(this, args);
  }
  const result = query.apply(this, args);
  if (result && typeof (result as Promise<unknown>).then === 'function') (result as Promise<unknown>).then(done, done);
  return result;
};

const listen = (app: express.Express): Promise<number> =>
  new Promise((resolve) => {
    const server: http.Server = app.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    server.keepAliveTimeout = 120_000;
    server.headersTimeout = 121_000;
  });

async function main(): Promise<void> {
  const { app: appUrl, session: sessionUrl, dataDir, poolMax } = JSON.parse(process.env.BENCH_PAGES_APP!) as { app: string; session: string; dataDir: string; poolMax: string };
  process.env.NODE_ENV = 'production';
  const config = loadConfig({
    NODE_ENV: 'production', LOG_LEVEL: 'silent', DB_POOL_MAX: poolMax, DB_ROLE_PREFIX: 'plantrak_bench',
    SESSION_SECRET: randomBytes(32).toString('hex'), DATA_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    DATA_DIR: dataDir, BASE_URL: 'http://127.0.0.1',
  });
  setLogLevel(config.logLevel);
  const db = openDatabase({ app: appUrl, session: sessionUrl }, config.poolMax);
  initModels(db.sequelize);
  const app = buildApp({ config, db, sessionSecret: config.sessionSecret!, dataEncryptionKey: config.dataEncryptionKey });
  if (!app.enabled('view cache')) throw new Error('the app is not in production mode (no view cache)');
  const bare = express();
  bare.get('/', (_req, res) => void res.send('hello'));
  const ports = { app: await listen(app), bare: await listen(bare) };
  process.on('message', (m: { type: string }) => {
    if (m.type === 'count') process.send!({ type: 'count', statements });
    if (m.type === 'capture') captured = [];
    if (m.type === 'captured') {
      process.send!({ type: 'captured', statements: captured ?? [] });
      captured = undefined;
    }
  });
  process.on('disconnect', () => void db.close().finally(() => process.exit(0)));
  process.send!({ type: 'ready', ports });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench app failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
