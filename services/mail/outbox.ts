// Queues mail in the transactional outbox; delivery starts once the unit of work commits.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { afterCommit, currentUnit } from '../../lib/unit-of-work.ts';
import { MailMessage } from '../../models/index.ts';

/** Emits 'queued' after a commit that added mail, so the deliverer need not wait for its tick. */
export const outboxEvents = new EventEmitter();

export interface NewMail {
  to: string;
  subject: string;
  text: string;
  /** An HTML alternative to the text (sent as multipart/alternative). */
  html?: string;
  /** Extra headers, such as List-Unsubscribe. */
  headers?: Record<string, string>;
  kind: string;
  /** The body holds a secret (a link with a token): erase it once delivered. */
  sensitive?: boolean;
  /** Defaults to the unit of work's client; null files it vendor-level (staff writing about a
   *  client they cannot open, e.g. a visit waiting for approval). */
  clientId?: string | null;
}

/** Queues the message in the current unit of work; returns its outbox id. */
export async function queueMail(mail: NewMail): Promise<string> {
  const { context } = currentUnit();
  const id = randomUUID();
  // No RETURNING: RLS checks returned rows against the read policy, and a client-less row
  // (staff or system mail) may be written but is outside every client's read scope.
  await MailMessage.create({
    id,
    clientId: mail.clientId === undefined ? context.clientId ?? null : mail.clientId,
    toAddress: mail.to,
    subject: mail.subject,
    textBody: mail.text,
    htmlBody: mail.html ?? null,
    headers: mail.headers ?? null,
    kind: mail.kind,
    sensitive: mail.sensitive ?? false,
  }, { returning: false });
  afterCommit(() => outboxEvents.emit('queued'));
  return id;
}
