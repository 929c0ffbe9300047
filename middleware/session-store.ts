// The session store, writing a session's idle deadline only when it would move by more than a
// minute: a page view then costs one statement (the read), not two. The deadline may so fall up
// to a minute earlier than the last request plus the idle time-out, never later (fail closed).
import type connectPgSimple from 'connect-pg-simple';
import type session from 'express-session';
import type pg from 'pg';

/** A deadline that would move by less than this is left as it is. */
export const TOUCH_STEP_MS = 60_000;
/** Deadlines remembered between a request's read and its touch (bounded: a touch may never come). */
const REMEMBERED = 10_000;

type PgStoreClass = ReturnType<typeof connectPgSimple>;
// express-session's own callback types, loose as they are.
type Done = (error?: any, value?: any) => void;
interface Queryable {
  query(text: string, params: unknown[], fn: (error: Error | null, row?: { sess: unknown; expire: string }) => void): void;
  quotedTable(): string;
}

export function touchingLessOften(PgStore: PgStoreClass): PgStoreClass {
  return class SteppedStore extends PgStore {
    /** The deadline in the row as last read or written, in ms, by session id. */
    readonly #deadlines = new Map<string, number>();
    readonly #pool?: pg.Pool;

    constructor(options: connectPgSimple.PGStoreOptions = {}) {
      super(options);
      this.#pool = options.pool;
    }

    // The pool ends with the database (at shutdown, or a test's app): a prune that falls due after
    // that has nothing to prune, and would only log that the pool is gone.
    override pruneSessions(fn?: Done): void {
      if (this.#pool?.ending) return void fn?.();
      super.pruneSessions(fn);
    }

    #remember(sid: string, ms: number): void {
      if (this.#deadlines.size >= REMEMBERED) this.#deadlines.clear();
      this.#deadlines.set(sid, ms);
    }

    // The parent's read, with the row's deadline too (same statement, same conditions).
    override get(sid: string, fn: Done): void {
      const self = this as unknown as Queryable;
      self.query(
        `SELECT sess, (extract(epoch FROM expire) * 1000)::bigint AS expire FROM ${self.quotedTable()} WHERE sid = $1 AND expire >= to_timestamp($2)`,
        [sid, Math.ceil(Date.now() / 1000)],
        (error, row) => {
          if (error) return fn(error);
          if (!row) {
            this.#deadlines.delete(sid);
            return fn(null);
          }
          let sess: unknown;
          try {
            sess = typeof row.sess === 'string' ? JSON.parse(row.sess) : row.sess;
          } catch {
            return this.destroy(sid, fn);
          }
          this.#remember(sid, Number(row.expire));
          fn(null, sess);
        },
      );
    }

    override set(sid: string, sess: session.SessionData, fn?: Done): void {
      this.#deadlines.delete(sid);
      super.set(sid, sess, fn as never);
    }

    override destroy(sid: string, fn?: Done): void {
      this.#deadlines.delete(sid);
      super.destroy(sid, fn as never);
    }

    override touch(sid: string, sess: session.SessionData, fn?: Done): void {
      // In whole seconds, as the row holds it (connect-pg-simple rounds up).
      const expires = sess.cookie?.expires ? Math.ceil(new Date(sess.cookie.expires).getTime() / 1000) * 1000 : NaN;
      const stored = this.#deadlines.get(sid);
      // A deadline that would move earlier (a shorter idle time-out since) is always written.
      if (stored !== undefined && Number.isFinite(expires) && expires >= stored && expires - stored < TOUCH_STEP_MS) {
        fn?.(null);
        return;
      }
      super.touch(sid, sess, (error?: unknown) => {
        if (!error && Number.isFinite(expires)) this.#remember(sid, expires);
        fn?.(error);
      });
    }
  } as unknown as PgStoreClass;
}
