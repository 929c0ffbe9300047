// Records server errors (5xx) for the admin page of recent errors (DESIGN.md §9): what failed
// where, never request bodies, query strings or client data. The request's own unit of work has
// rolled back by then, so this opens a new one as the system. Background jobs record their
// failures here too (method 'JOB', the path naming the job and the ids it failed on).
import type { Request } from 'express';
import type { Sequelize } from 'sequelize';
import { inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { loggableError, logger } from '../../lib/logger.ts';
import { Client } from '../../models/index.ts';

const clip = (value: unknown, max: number): string | null => (typeof value === 'string' ? value.slice(0, max) : null);

/** Inserts one app_errors row; never throws (a failure to record must not mask the error). */
export async function recordServerError(req: Pick<Request, 'method' | 'path'> & { context?: Request['context'] }, status: number, error: unknown): Promise<void> {
  try {
    // The models' connection is the runtime one (models/index.ts binds one per process).
    const sequelize = Client.sequelize;
    if (!sequelize) return;
    const { requestId, ip, userAgent } = req.context ?? {};
    await inUnitOfWork(sequelize, { actorKind: 'system', requestId, ip, userAgent }, () =>
      sql(
        `INSERT INTO app_errors (request_id, method, path, status, error_name, message) VALUES ($1, $2, $3, $4, $5, $6)`,
        [
          clip(requestId, 200),
          clip(req.method, 20),
          clip(req.path, 500),
          status,
          clip((error as Error)?.name ?? typeof error, 200),
          clip((error as Error)?.message ?? String(error), 1000),
        ],
      ),
    );
  } catch (failure) {
    logger.error({ reqId: req.context?.requestId, err: loggableError(failure) }, 'could not record a server error');
  }
}

/** One failure of background work: `where` names the job and the ids it failed on (no client data). */
export interface JobError {
  where: string;
  error: unknown;
}

/**
 * Inserts app_errors rows for failed background work, in one system unit of work; never throws.
 * A failure already recorded (same job, ids and message) less than `againAfterMs` ago, by this
 * or any other server, is not recorded again (the database decides: migration 0026).
 */
export async function recordJobErrors(sequelize: Sequelize, entries: JobError[], options: { againAfterMs?: number } = {}): Promise<void> {
  if (entries.length === 0) return;
  try {
    await inUnitOfWork(sequelize, { actorKind: 'system' }, () =>
      sql(
        `SELECT app_record_job_errors($1::text[], $2::text[], $3::text[], make_interval(secs => $4))`,
        [
          entries.map((e) => clip(e.where, 500)),
          entries.map((e) => clip((e.error as Error)?.name ?? typeof e.error, 200)),
          entries.map((e) => clip((e.error as Error)?.message ?? String(e.error), 1000)),
          (options.againAfterMs ?? 0) / 1000,
        ],
      ),
    );
  } catch (failure) {
    logger.error({ err: loggableError(failure) }, 'could not record background job errors');
  }
}
