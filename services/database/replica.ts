// Reads for a streaming standby (DATABASE_REPLICA_URL): reports and downloads run there while it
// answers and its replay is within REPLICA_MAX_LAG_SECONDS of the primary; otherwise the primary
// serves them. Every write (a download's audit entry) stays on the primary (middleware/action.ts).
import { ConnectionError, QueryTypes, type Sequelize } from 'sequelize';
import { loggableError, logger } from '../../lib/logger.ts';
import { observeReplicaRead } from '../operations/metrics.ts';

export type FallbackReason = 'unreachable' | 'lagging';
type Verdict = { usable: true } | { usable: false; reason: FallbackReason };

/** One look at the standby holds this long, and never longer than the lag bound itself, so a
 *  read is at most about twice the bound behind the primary. */
const RECHECK_MS = 5_000;

/**
 * The standby's replay lag in seconds. Caught up (everything received is replayed) is 0: an idle
 * primary sends no new commits, so the last replayed commit may be old on a standby that is not
 * behind at all. Receiving WAL it has not replayed, the lag is the age of the last replayed
 * commit (unknown, as when none was replayed since it started, counts as lagging). A server not
 * in recovery (a promoted standby) has no lag.
 */
const LAG_SQL = `
  SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0
              WHEN pg_last_wal_receive_lsn() IS NOT NULL AND pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0
              ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 'Infinity') END::float8 AS lag`;

/** Errors that mean the standby is not there (refused, timed out, shut down, starting), as opposed
 *  to a failure of the read itself. */
function unreachable(error: unknown): boolean {
  if (error instanceof ConnectionError) return true;
  const code = (error as { parent?: { code?: unknown }; original?: { code?: unknown } })?.parent?.code;
  if (typeof code === 'string' && (/^08/.test(code) || ['57P01', '57P02', '57P03'].includes(code))) return true;
  return /Connection terminated|ECONNREFUSED|ECONNRESET|timeout expired/i.test((error as Error)?.message ?? '');
}

export class ReplicaReads {
  #checked?: { at: number; verdict: Promise<Verdict> };
  #lastReason: FallbackReason | null = null;

  constructor(
    private readonly replica: Sequelize,
    private readonly maxLagSeconds: number,
  ) {}

  /** Runs `work` on the replica when it is usable, else on the primary; a replica that turns out
   *  unreachable before anything was sent (`retryable`) hands the work to the primary too. */
  async run<T>(primary: Sequelize, retryable: () => boolean, work: (sequelize: Sequelize) => Promise<T>): Promise<T> {
    const verdict = await this.check();
    if (!verdict.usable) {
      observeReplicaRead({ fallback: verdict.reason });
      return work(primary);
    }
    try {
      const result = await work(this.replica);
      observeReplicaRead('replica');
      return result;
    } catch (error) {
      if (!unreachable(error) || !retryable()) throw error;
      this.#settle({ usable: false, reason: 'unreachable' }, { err: loggableError(error) });
      this.#checked = { at: Date.now(), verdict: Promise.resolve({ usable: false, reason: 'unreachable' }) };
      observeReplicaRead({ fallback: 'unreachable' });
      return work(primary);
    }
  }

  /** Whether the replica may serve now (kept for a few seconds; concurrent requests share one look). */
  check(): Promise<Verdict> {
    const now = Date.now();
    if (!this.#checked || now - this.#checked.at >= Math.min(RECHECK_MS, this.maxLagSeconds * 1000)) {
      this.#checked = { at: now, verdict: this.#measure() };
    }
    return this.#checked.verdict;
  }

  async #measure(): Promise<Verdict> {
    let lag: number;
    try {
      const [row] = await this.replica.query<{ lag: number }>(LAG_SQL, { type: QueryTypes.SELECT, outsideUnitOfWork: 'health' });
      lag = Number(row!.lag);
    } catch (error) {
      return this.#settle({ usable: false, reason: 'unreachable' }, { err: loggableError(error) });
    }
    if (lag > this.maxLagSeconds) return this.#settle({ usable: false, reason: 'lagging' }, { lagSeconds: Number.isFinite(lag) ? Math.round(lag) : null, maxLagSeconds: this.maxLagSeconds });
    return this.#settle({ usable: true }, {});
  }

  /** Logs each change of state once (not each request): falling back, and back to the replica. */
  #settle(verdict: Verdict, details: Record<string, unknown>): Verdict {
    const reason = verdict.usable ? null : verdict.reason;
    if (reason !== this.#lastReason) {
      if (reason) logger.warn({ reason, ...details }, 'replica reads fall back to the primary');
      else logger.info('replica reads go to the replica again');
      this.#lastReason = reason;
    }
    return verdict;
  }
}
