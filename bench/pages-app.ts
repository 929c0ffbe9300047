// The app for bench/pages.ts, in its own process so the load generator does not take its CPU:
// production mode, the runtime role (RLS applies), and beside it a bare Express "hello" as the
// ceiling. It counts every statement this process sends to PostgreSQL (both pools: the app's and
// the session store's) and answers the parent's "count" message with the running total; between
// "capture" and "captured" it also keeps each statement's text and time.
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { buildApp } from '../app.ts';
import { loadConfig } from '../config/index.ts';
import { setLogLevel } from '../lib/logger.ts';
import { initModels, openDatabase } from '../models/index.ts';
import { type SentStatement, watchStatements } from './statements.ts';

let statements = 0;
/** While the parent asks for them: each statement's text and time, for one request at a time. */
let captured: SentStatement[] | undefined;
// Every statement of either pool (Sequelize's, the unit of work's and connect-pg-simple's).
watchStatements((statement) => {
  statements++;
  if (!captured) return false;
  captured.push(statement);
  return true;
});

const listen = (app: express.Express): Promise<number> =>
  new Promise((resolve) => {
    const server: http.Server = app.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    server.keepAliveTimeout = 120_000;
    server.headersTimeout = 121_000;
  });

async function main(): Promise<void> {
  const { app: appUrl, session: sessionUrl, dataDir, poolMax, bcryptConcurrency } = JSON.parse(process.env.BENCH_PAGES_APP!) as { app: string; session: string; dataDir: string; poolMax: string; bcryptConcurrency?: string };
  process.env.NODE_ENV = 'production';
  const config = loadConfig({
    NODE_ENV: 'production', LOG_LEVEL: 'silent', DB_POOL_MAX: poolMax, DB_ROLE_PREFIX: 'plantrak_bench',
    SESSION_SECRET: randomBytes(32).toString('hex'), DATA_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    DATA_DIR: dataDir, BASE_URL: 'http://127.0.0.1', BCRYPT_CONCURRENCY: bcryptConcurrency,
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
      process.send!({ type: 'captured', statements: (captured ?? []).map((s) => ({ text: s.sql.replace(/\s+/g, ' ').trim(), ms: s.ms })) });
      captured = undefined;
    }
  });
  process.on('disconnect', () => void db.close().finally(() => process.exit(0)));
  process.send!({ type: 'ready', ports, bcryptCost: config.bcryptCost });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench app failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
