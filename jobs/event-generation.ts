// Timing only: event generation at start-up and every 15 minutes, and the self-check (active
// items without a future occurrence) once a day. Several app servers may run this job: the
// service takes a per-client advisory lock, and its inserts are idempotent anyway.
import type { Sequelize } from 'sequelize';
import { loggableError, logger } from '../lib/logger.ts';
import { type GenerationFailure, generateEvents, runSelfCheck } from '../services/events/generation.ts';
import { generationPassFinished } from '../services/operations/metrics.ts';

const TICK_MS = 15 * 60_000;
const SELF_CHECK_MS = 24 * 60 * 60_000;

/** Starts the job; the returned function stops it and resolves once a pass in progress has ended. */
export function startEventGenerationJob(
  sequelize: Sequelize,
  options: { tickMs?: number; selfCheckMs?: number; /** Runs after each generation pass (the notification pass), told which clients got new events. */ afterPass?: (clientsWithNewEvents: string[]) => Promise<void> } = {},
): () => Promise<void> {
  let running: Promise<void> | undefined;
  let lastSelfCheck = 0;
  let stopped = false;
  /** The latest pass's failures, which the self-check reports with the items it finds. */
  let failures: GenerationFailure[] = [];
  const run = () => {
    if (running || stopped) return;
    running = (async () => {
      let clientsWithNewEvents: string[] = [];
      try {
        const started = Date.now();
        const result = await generateEvents(sequelize);
        failures = result.failures;
        ({ clientsWithNewEvents } = result);
        generationPassFinished();
        logger.info({ ...result, skippedClients: result.skippedClients.length, clientsWithNewEvents: clientsWithNewEvents.length, failures: result.failures.length, ms: Date.now() - started }, 'event generation pass');
        // Each failure is also an app_errors row (the admin errors page); ids and errors only.
        if (result.failures.length) logger.error({ failures: result.failures.slice(0, 50) }, 'event generation failed for some plan items');
      } catch (error) {
        logger.error({ err: loggableError(error) }, 'event generation pass failed');
      }
      if (!stopped && options.afterPass) await options.afterPass(clientsWithNewEvents);
      if (!stopped && Date.now() - lastSelfCheck >= (options.selfCheckMs ?? SELF_CHECK_MS)) {
        lastSelfCheck = Date.now();
        try {
          const found = await runSelfCheck(sequelize, new Date(), { generationFailures: failures });
          logger.info({ itemsWithoutFutureOccurrence: found.length, failing: found.filter((f) => f.failure).length }, 'plan item self-check');
        } catch (error) {
          logger.error({ err: loggableError(error) }, 'plan item self-check failed');
        }
      }
    })().finally(() => {
      running = undefined;
    });
  };
  const timer = setInterval(run, options.tickMs ?? TICK_MS);
  timer.unref();
  run();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
