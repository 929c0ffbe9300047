// Delivers the outbox: claims due rows (SKIP LOCKED, so several servers share the work), sends
// outside any transaction, then records the outcome; failures retry with backoff.
import type { Sequelize } from 'sequelize';
import { logger } from '../../lib/logger.ts';
import { inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import type { MailTransport } from './transport.ts';

const BATCH = 20;
const LEASE = '2 minutes';
export const MAX_ATTEMPTS = 8;

interface Claimed {
  id: string;
  to_address: string;
  subject: string;
  text_body: string | null;
  html_body: string | null;
  headers: Record<string, string> | null;
  attempts: number;
}

const system = { actorKind: 'system' as const };

export class MailDelivery {
  private running: Promise<number> | undefined;
  private again = false;

  constructor(private readonly sequelize: Sequelize, private readonly transport: MailTransport) {}

  /** Delivers everything due; concurrent calls coalesce into one more pass. Returns how many were sent. */
  deliverDue(): Promise<number> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.drain().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async drain(): Promise<number> {
    let sent = 0;
    do {
      this.again = false;
      for (;;) {
        const batch = await inUnitOfWork(this.sequelize, system, () =>
          sql<Claimed>('SELECT * FROM mail_outbox_claim($1, $2::interval)', [BATCH, LEASE]),
        );
        if (batch.length === 0) break;
        for (const message of batch) sent += (await this.deliver(message)) ? 1 : 0;
      }
    } while (this.again);
    return sent;
  }

  private async deliver(message: Claimed): Promise<boolean> {
    let error: string | null = null;
    try {
      await this.transport.send({ id: message.id, to: message.to_address, subject: message.subject, text: message.text_body ?? '', html: message.html_body, headers: message.headers });
    } catch (failure) {
      error = (failure as Error).message || 'send failed';
      // The SMTP reply can quote the recipient, so only its code goes to the log.
      logger.warn({ mailId: message.id, attempt: message.attempts, code: (failure as { code?: string }).code }, 'mail delivery failed');
    }
    await inUnitOfWork(this.sequelize, system, () =>
      sql('SELECT mail_outbox_settle($1, $2, $3, $4, $5)', [message.id, error === null, this.transport.name, error, MAX_ATTEMPTS]),
    );
    return error === null;
  }
}
