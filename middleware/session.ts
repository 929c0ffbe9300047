// Server-side sessions in PostgreSQL through the session-store role (DESIGN.md §8.3).
import connectPgSimple from 'connect-pg-simple';
import session from 'express-session';
import type pg from 'pg';
import type { Config } from '../config/index.ts';

export const SESSION_COOKIE = 'plantrak.sid';

export function sessions(config: Config, pool: pg.Pool, secret: string) {
  const PgStore = connectPgSimple(session);
  const store = new PgStore({
    pool,
    tableName: 'session',
    createTableIfMissing: false,
    // Expired rows are refused on read either way; pruning only keeps the table small.
    pruneSessionInterval: config.env === 'test' ? false : 15 * 60,
  });
  const middleware = session({
    store,
    name: SESSION_COOKIE,
    secret,
    resave: false,
    saveUninitialized: false,
    // Every request pushes the idle deadline forward; the absolute limit is checked in request-context.
    rolling: true,
    cookie: { httpOnly: true, sameSite: 'lax', secure: 'auto', maxAge: config.session.idleMs },
  });
  return { middleware, close: () => store.close() };
}
