// Timing only: the notification pass after each event-generation pass (every 15 minutes, see
// jobs/event-generation.ts), and every minute the assignments that fall due within days, which go
// out at once. Several servers may run this: the pass takes a per-client advisory lock.
import type { Sequelize } from 'sequelize';
import { loggableError, logger } from '../lib/logger.ts';
import { type PassOptions, runNotificationPass } from '../services/notifications/pass.ts';

const URGENT_TICK_MS = 60_000;

export function notificationJob(sequelize: Sequelize, options: Omit<PassOptions, 'now' | 'clientIds' | 'urgentOnly' | 'waitForClients'>, tickMs = URGENT_TICK_MS) {
  let running: Promise<void> | undefined;
  let stopped = false;
  const pass = (urgentOnly: boolean, waitForClients?: string[]) => {
    if (stopped) return Promise.resolve();
    // One pass at a time; a full pass also sends what is urgent.
    running = (running ?? Promise.resolve()).then(async () => {
      try {
        const started = Date.now();
        const result = await runNotificationPass(sequelize, { ...options, urgentOnly, waitForClients });
        if (!urgentOnly || result.messages) logger.info({ ...result, busyClients: result.busyClients.length, urgentOnly, ms: Date.now() - started }, 'notification pass');
      } catch (error) {
        logger.error({ err: loggableError(error) }, 'notification pass failed');
      }
    });
    return running;
  };
  const timer = setInterval(() => void pass(true), tickMs);
  timer.unref();
  return {
    /** The full pass, for the generation job to run after each of its passes. */
    afterGeneration: (clientsWithNewEvents: string[]) => pass(false, clientsWithNewEvents),
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
