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

interface Recorder {
  user: string;
  statements: SentStatement[];
}

const recorders = new Set<Recorder>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  (pg.Client.prototype as { query: unknown }).query = function recorded(this: pg.Client, ...args: unknown[]) {
    const mine = [...recorders].filter((r) => r.user === this.user);
    if (!mine.length) return query.apply(this, args);
    const first = args[0] as string | { text?: string; values?: unknown[] };
    const values = Array.isArray(args[1]) ? args[1] : typeof first === 'object' ? first?.values : undefined;
    const statement: SentStatement = { sql: typeof first === 'string' ? first : first?.text ?? '', bind: values ?? [], ms: NaN };
    for (const r of mine) r.statements.push(statement);
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

/** The statements sent as the database role `user` (the runtime role, say) while `run` runs,
 *  failed ones included. */
export async function captureStatements(user: string, run: () => Promise<unknown>): Promise<SentStatement[]> {
  install();
  const recorder: Recorder = { user, statements: [] };
  recorders.add(recorder);
  try {
    await run();
  } finally {
    recorders.delete(recorder);
  }
  return recorder.statements;
}

/** The database role a connection URL signs in as. */
export const roleOf = (url: string): string => decodeURIComponent(new URL(url).username);
