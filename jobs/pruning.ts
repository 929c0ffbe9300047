// Timing only: prune old server errors and throttle rows once at start and then daily.
import type { Sequelize } from 'sequelize';
import { loggableError, logger } from '../lib/logger.ts';
import { pruneOperationalRows } from '../services/operations/pruning.ts';

const DAY_MS = 24 * 60 * 60_000;

export function startPruningJob(sequelize: Sequelize, tickMs = DAY_MS): () => void {
  const run = () => {
    pruneOperationalRows(sequelize).then(
      (pruned) => logger.info(pruned, 'pruned operational rows'),
      (error: unknown) => logger.error({ err: loggableError(error) }, 'pruning failed'),
    );
  };
  const timer = setInterval(run, tickMs);
  timer.unref();
  run();
  return () => clearInterval(timer);
}
