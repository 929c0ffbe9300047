// Timing only: deliver the outbox right after a commit that queued mail, and every 15 s for
// retries and for mail queued by other app servers.
import { loggableError, logger } from '../lib/logger.ts';
import type { MailDelivery } from '../services/mail/delivery.ts';
import { outboxEvents } from '../services/mail/outbox.ts';

const TICK_MS = 15_000;

export function startMailDeliveryJob(delivery: MailDelivery): () => void {
  const run = () => {
    delivery.deliverDue().catch((error: unknown) => logger.error({ err: loggableError(error) }, 'mail delivery pass failed'));
  };
  outboxEvents.on('queued', run);
  const timer = setInterval(run, TICK_MS);
  timer.unref();
  run();
  return () => {
    clearInterval(timer);
    outboxEvents.off('queued', run);
  };
}
