// Queues mail in the transactional outbox; delivery starts once the unit of work commits.
import { EventEmitter } from 'node:events';
import { afterCommit, currentUnit } from '../../lib/unit-of-work.ts';
import { MailMessage } from '../../models/index.ts';

/** Emits 'queued' after a commit that added mail, so the deliverer need not wait for its tick. */
export const outboxEvents = new EventEmitter();

export interface NewMail {
  to: string;
  subject: string;
  text: string;
  kind: string;
  /** The body holds a secret (a link with a token): erase it once delivered. */
  sensitive?: boolean;
  /** Defaults to the unit of work's client; null files it vendor-level (staff writing about a
   *  client they cannot open, e.g. a visit waiting for approval). */
  clientId?: string | null;
}

export async function queueMail(mail: NewMail): Promise<void> {
  const { context } = currentUnit();
  // No RETURNING: RLS checks returned rows against the read policy, and a client-less row
  // (staff or system mail) may be written but is outside every client's read scope.
  await MailMessage.create({
    clientId: mail.clientId === undefined ? context.clientId ?? null : mail.clientId,
    toAddress: mail.to,
    subject: mail.subject,
    textBody: mail.text,
    kind: mail.kind,
    sensitive: mail.sensitive ?? false,
  }, { returning: false });
  afterCommit(() => outboxEvents.emit('queued'));
}
