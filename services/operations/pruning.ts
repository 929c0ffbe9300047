// Scheduled pruning (DESIGN.md §9): server errors past the daily review's use and throttle rows
// whose windows ended long ago. Expired sessions are pruned by the session store itself
// (connect-pg-simple, every 15 minutes, middleware/session.ts).
import type { Sequelize } from 'sequelize';
import { inUnitOfWork, sql } from '../../lib/unit-of-work.ts';

/** Server errors are kept this long (the System page shows the last 24 hours). */
export const ERRORS_KEPT_DAYS = 30;
/** Throttle rows far older than any throttling window. */
export const THROTTLE_KEPT_DAYS = 2;

export async function pruneOperationalRows(sequelize: Sequelize): Promise<{ errors: number; throttle: number }> {
  return inUnitOfWork(sequelize, { actorKind: 'system', requestId: 'job:prune' }, async () => {
    const [row] = await sql<{ errors: string; throttle: string }>('SELECT * FROM ops_prune($1, $2)', [ERRORS_KEPT_DAYS, THROTTLE_KEPT_DAYS]);
    return { errors: Number(row!.errors), throttle: Number(row!.throttle) };
  });
}
