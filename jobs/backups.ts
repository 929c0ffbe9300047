// Timing only: the backup work (services/backups/schedule.ts) every minute, the first a minute
// after start-up. Several servers may run this job: the work takes the backup lock, and a
// server that finds it held moves on.
import { loggableError, logger } from '../lib/logger.ts';
import type { BackupContext } from '../services/backups/runs.ts';
import { type ScheduleOptions, runDueBackupWork } from '../services/backups/schedule.ts';

const TICK_MS = 60_000;

export function startBackupJob(ctx: BackupContext, options: ScheduleOptions, tickMs = TICK_MS): () => Promise<void> {
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = () => {
    if (running || stopped) return;
    running = (async () => {
      try {
        const done = await runDueBackupWork(ctx, options);
        if (done !== 'busy' && done.length) logger.info({ done }, 'backup work');
      } catch (error) {
        logger.error({ err: loggableError(error) }, 'backup work failed');
      }
    })().finally(() => {
      running = undefined;
    });
  };
  const timer = setInterval(tick, tickMs);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
