// Helpers for mail tests: a real SMTP-backed deliverer, outbox rows as the owner, reset links.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Express } from 'express';
import supertest from 'supertest';
import { MailDelivery } from '../../services/mail/delivery.ts';
import { createMailTransport, type MailTransport } from '../../services/mail/transport.ts';
import { testEnv } from './env.ts';
import { ownerQuery } from './factories.ts';
import { submitForm } from './http.ts';
import { decodeBody, type TestSmtp } from './smtp.ts';

export const TEST_FROM = 'PlanTRAK <no-reply@plantrak.test>';
export const RESET_LINK = /http:\/\/plantrak\.test\/password\/reset\?token=([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/;

export interface OutboxRow {
  id: string;
  client_id: string | null;
  to_address: string;
  subject: string;
  text_body: string | null;
  kind: string;
  sensitive: boolean;
  status: string;
  attempts: number;
  last_error: string | null;
  transport: string | null;
  sent_at: Date | null;
  /** Seconds from now to next_attempt_at, as the database sees it. */
  due_in: number;
}

/** A scratch directory under var/ (removed by the caller). */
export function scratchPath(label: string): string {
  return path.resolve(import.meta.dirname, `../../var/test-${label}-${process.pid}-${randomUUID().slice(0, 8)}`);
}

export async function removeDir(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
}

/** A deliverer on the shared test database that sends through the test SMTP listener. */
export function smtpDelivery(smtp: TestSmtp, mailDir = scratchPath('unused-mail')): { delivery: MailDelivery; transport: MailTransport } {
  const transport = createMailTransport({ smtpUrl: smtp.url, mailDir, from: TEST_FROM });
  return { delivery: new MailDelivery(testEnv().db.sequelize, transport), transport };
}

/** Every outbox row, oldest first, read as the owner. */
export function outboxRows(): Promise<OutboxRow[]> {
  return ownerQuery<OutboxRow>(
    `SELECT id, client_id, to_address, subject, text_body, kind, sensitive, status, attempts, last_error, transport, sent_at,
            extract(epoch FROM next_attempt_at - now())::float8 AS due_in
       FROM mail_outbox ORDER BY created_at, id`,
  );
}

/** Queues plain messages directly in the outbox (as the owner), due now; returns their ids. */
export async function insertOutbox(count: number, attrs: { to?: (i: number) => string; subject?: (i: number) => string } = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const [row] = await ownerQuery<{ id: string }>(
      `INSERT INTO mail_outbox (to_address, subject, text_body, kind) VALUES ($1, $2, $3, 'test') RETURNING id`,
      [attrs.to?.(i) ?? `recipient-${i}@example.com`, attrs.subject?.(i) ?? `Test message ${i}`, `Body of message ${i}`],
    );
    ids.push(row.id);
  }
  return ids;
}

/** The Message-ID header of a raw message. */
export function messageId(raw: string): string {
  const match = /^Message-ID:\s*(<[^>]+>)/im.exec(raw);
  if (!match) throw new Error('no Message-ID header');
  return match[1];
}

/** The reset token in a received message's body. */
export function resetTokenIn(raw: string): string {
  const match = RESET_LINK.exec(decodeBody(raw));
  if (!match) throw new Error('no reset link in the message');
  return match[1];
}

/**
 * Asks for a reset link through the real form, delivers the outbox through the SMTP listener and
 * returns the token from the message that arrived.
 */
export async function resetLinkFor(app: Express, smtp: TestSmtp, email: string): Promise<string> {
  const res = await submitForm(supertest.agent(app), '/password/forgot', '/password/forgot', { email });
  if (res.status !== 200) throw new Error(`forgot-password form answered ${res.status}`);
  const before = smtp.received.length;
  const { delivery, transport } = smtpDelivery(smtp);
  try {
    await delivery.deliverDue();
  } finally {
    transport.close();
  }
  const arrived = smtp.received.slice(before);
  if (arrived.length !== 1 || arrived[0].to[0] !== email) throw new Error(`expected one message to ${email}, got ${arrived.length}`);
  return resetTokenIn(arrived[0].raw);
}

/** A user's password hash, to prove it changed or did not. */
export async function passwordHashOf(userId: string): Promise<string> {
  const [row] = await ownerQuery<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [userId]);
  return row.password_hash;
}
