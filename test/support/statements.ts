// Counts the statements the app sends to PostgreSQL while a piece of work runs: every query of
// every pool (the runtime role's and the session store's) goes through pg's Client#query. The
// statements still run against the real database; they are only counted.
import pg from 'pg';

export interface CountedStatement {
  text: string;
}

/** Runs work and returns the statements sent meanwhile (the work's own, and any other's). */
export async function statementsDuring(work: () => Promise<unknown>): Promise<CountedStatement[]> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = proto.query;
  const seen: CountedStatement[] = [];
  proto.query = function counted(this: pg.Client, ...args: unknown[]) {
    const first = args[0] as string | { text?: string };
    seen.push({ text: (typeof first === 'string' ? first : first?.text ?? '').replace(/\s+/g, ' ').trim() });
    return query.apply(this, args);
  };
  try {
    await work();
  } finally {
    proto.query = query;
  }
  return seen;
}
