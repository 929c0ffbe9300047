// Server-side sessions in PostgreSQL through the session-store role (DESIGN.md §8.3).
import connectPgSimple from 'connect-pg-simple';
import session from 'express-session';
import type pg from 'pg';
import type { Config } from '../config/index.ts';
import { touchingLessOften } from './session-store.ts';

export const SESSION_COOKIE = 'plantrak.sid';

/** Behind a TLS proxy (TRUST_PROXY set) every request the app answers arrived over HTTPS. */
export const behindTls = (config: Pick<Config, 'trustProxy'>): boolean => config.trustProxy !== false && config.trustProxy !== 0;

/** The session cookie's name: behind TLS with the __Host- prefix, which browsers accept only
 *  from HTTPS, with Secure, Path=/ and no Domain, so no sibling subdomain can plant or shadow
 *  it. Over plain HTTP (development) the prefix would be refused, so the name stays bare. */
export const sessionCookieName = (config: Pick<Config, 'trustProxy'>): string => (behindTls(config) ? `__Host-${SESSION_COOKIE}` : SESSION_COOKIE);

export function sessions(config: Config, pool: pg.Pool, secret: string) {
  const PgStore = touchingLessOften(connectPgSimple(session));
  const store = new PgStore({
    pool,
    tableName: 'session',
    createTableIfMissing: false,
    // Expired rows are refused on read either way; pruning only keeps the table small.
    pruneSessionInterval: config.env === 'test' ? false : 15 * 60,
  });
  const middleware = session({
    store,
    name: sessionCookieName(config),
    secret,
    resave: false,
    saveUninitialized: false,
    // Every request pushes the idle deadline forward (the row's by steps of a minute: session-store.ts);
    // the absolute limit is checked in request-context.
    rolling: true,
    // Secure whenever the request came over HTTPS (behind TLS: whenever the trusted proxy says
    // so, i.e. always). A request the proxy did not mark as HTTPS gets no Secure flag, and
    // browsers then refuse the __Host- cookie outright: no session over plain HTTP behind TLS.
    // Path=/ and no Domain, as __Host- requires.
    cookie: { httpOnly: true, sameSite: 'lax', secure: 'auto', path: '/', maxAge: config.session.idleMs },
  });
  return { middleware, close: () => store.close() };
}
