// The statements this process sends to PostgreSQL, seen at the driver (pg.Client#query): what
// every path sends, the unit of work's prepared statements and Sequelize's queries alike, with
// each one's binds and time (from its sending to its last row).
import { performance } from 'node:perf_hooks';
import pg from 'pg';

export interface SentStatement {
  sql: string;
  bind: unknown[];
  ms: number;
}

/** Sees each statement as it is sent, and the role it is sent as; returns true to keep it (and
 *  have its time filled in when it ends), false to only count it. */
export type StatementWatcher = (statement: SentStatement, user: string) => boolean;

const watchers = new Set<StatementWatcher>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  (pg.Client.prototype as { query: unknown }).query = function watched(this: pg.Client, ...args: unknown[]) {
    if (!watchers.size) return query.apply(this, args);
    const first = args[0] as string | { text?: string; values?: unknown[] };
    const values = Array.isArray(args[1]) ? args[1] : typeof first === 'object' ? first?.values : undefined;
    const statement: SentStatement = { sql: typeof first === 'string' ? first : first?.text ?? '(portal)', bind: values ?? [], ms: NaN };
    let kept = false;
    for (const watcher of watchers) kept = watcher(statement, this.user ?? '') || kept;
    if (!kept) return query.apply(this, args);
    const t0 = performance.now();
    const done = () => void (statement.ms = performance.now() - t0);
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
}

/** Calls `watcher` for every statement this process sends until the returned stop is called. */
export function watchStatements(watcher: StatementWatcher): () => void {
  install();
  watchers.add(watcher);
  return () => void watchers.delete(watcher);
}

/** The statements sent as the database role `user` (the runtime role, say) while `run` runs,
 *  failed ones included. */
export async function captureStatements(user: string, run: () => Promise<unknown>): Promise<SentStatement[]> {
  const statements: SentStatement[] = [];
  const stop = watchStatements((statement, as) => as === user && statements.push(statement) > 0);
  try {
    await run();
  } finally {
    stop();
  }
  return statements;
}

/** The database role a connection URL signs in as. */
export const roleOf = (url: string): string => decodeURIComponent(new URL(url).username);
