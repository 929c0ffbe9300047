// Queues mail in the transactional outbox; delivery starts once the unit of work commits.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { chunks } from '../../lib/chunks.ts';
import { afterCommit, currentUnit, sql } from '../../lib/unit-of-work.ts';

/** Emits 'queued' after a commit that added mail, so the deliverer need not wait for its tick. */
export const outboxEvents = new EventEmitter();

export interface NewMail {
  /** The outbox id, when the caller has given it already (to rows written before); else a new one. */
  id?: string;
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
  const [id] = await queueMails([mail]);
  return id!;
}

/** Queues several messages in one statement; returns their outbox ids, in order. */
export async function queueMails(mails: NewMail[]): Promise<string[]> {
  if (mails.length === 0) return [];
  const { context } = currentUnit();
  const ids = mails.map((m) => m.id ?? randomUUID());
  // A statement carries at most MAILS_PER_STATEMENT messages (each up to tens of kilobytes).
  for (const [n, batch] of chunks(mails, MAILS_PER_STATEMENT).entries()) {
    const column = <T>(pick: (m: NewMail) => T) => batch.map(pick);
    // No RETURNING: RLS checks returned rows against the read policy, and a client-less row
    // (staff or system mail) may be written but is outside every client's read scope.
    await sql(
      `INSERT INTO mail_outbox (id, client_id, to_address, subject, text_body, html_body, headers, kind, sensitive)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::text[], $9::boolean[])`,
      [
        ids.slice(n * MAILS_PER_STATEMENT, n * MAILS_PER_STATEMENT + batch.length),
        column((m) => (m.clientId === undefined ? context.clientId ?? null : m.clientId)),
        column((m) => m.to),
        column((m) => m.subject),
        column((m) => m.text),
        column((m) => m.html ?? null),
        column((m) => (m.headers ? JSON.stringify(m.headers) : null)),
        column((m) => m.kind),
        column((m) => m.sensitive ?? false),
      ],
    );
  }
  afterCommit(() => outboxEvents.emit('queued'));
  return ids;
}

const MAILS_PER_STATEMENT = 500;
