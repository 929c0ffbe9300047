// Audit-log rows for the viewer's tests, inserted as the owner (outside RLS), and readers of the
// viewer's page and downloads.
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Test } from 'supertest';
import { ownerQuery } from '../support/factories.ts';
import type { Agent } from '../support/http.ts';

export interface EntryAttrs {
  occurredAt?: string;
  actorKind?: 'user' | 'staff' | 'system' | 'anonymous';
  actorUserId?: string | null;
  actorStaffId?: string | null;
  supportSessionId?: string | null;
  action?: string;
  entityType?: string | null;
  entityId?: string | null;
  changes?: unknown;
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
}

/** One audit entry of the client; returns its seq. */
export async function insertEntry(client: { id: string }, attrs: EntryAttrs = {}): Promise<string> {
  const [row] = await ownerQuery<{ seq: string }>(
    `INSERT INTO audit_log (client_id, occurred_at, actor_kind, actor_user_id, actor_staff_id, support_session_id,
                            action, entity_type, entity_id, changes, ip, user_agent, request_id)
     VALUES ($1, coalesce($2::timestamptz, now()), $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING seq::text AS seq`,
    [
      client.id, attrs.occurredAt ?? null, attrs.actorKind ?? 'system', attrs.actorUserId ?? null, attrs.actorStaffId ?? null,
      attrs.supportSessionId ?? null, attrs.action ?? 'test.something', attrs.entityType ?? null, attrs.entityId ?? null,
      attrs.changes === undefined ? null : JSON.stringify(attrs.changes), attrs.ip ?? null, attrs.userAgent ?? null,
      attrs.requestId ?? randomUUID(),
    ],
  );
  return row.seq;
}

/** A vendor staff member (the owner may write staff_users). */
export async function insertStaff(attrs: { name: string; role: 'technical_director' | 'application_developer' | 'client_representative' }): Promise<string> {
  const [row] = await ownerQuery<{ id: string }>(
    `INSERT INTO staff_users (email, name, role, status) VALUES ($1, $2, $3, 'active') RETURNING id`,
    [`staff-${randomUUID().slice(0, 8)}@solutionstrak.example`, attrs.name, attrs.role],
  );
  return row.id;
}

/** The seqs of the entries the page lists, in page order. */
export function pageSeqs(html: string): string[] {
  return [...html.matchAll(/<tr id="entry-(\d+)">/g)].map((m) => m[1]);
}

/** The markup of one entry's row. */
export function entryRow(html: string, seq: string): string {
  const start = html.indexOf(`<tr id="entry-${seq}">`);
  expect(start, `row of entry ${seq}`).to.be.greaterThan(-1);
  return html.slice(start, html.indexOf('</tr>', start));
}

/** The cells of a row, tags stripped and whitespace collapsed. */
export function rowCells(rowHtml: string): string[] {
  return [...rowHtml.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) => m[1].replace(/<br>/g, ' ').replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim());
}

/** A GET whose body is kept as raw bytes, whatever its type. */
export function getBytes(agent: Agent, url: string): Test {
  return agent
    .get(url)
    .buffer(true)
    .parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
}

/** RFC 4180 parsing: quoted fields, doubled quotes, CRLF records. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i += 1; }
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { record.push(field); field = ''; }
    else if (ch === '\r' && text[i + 1] === '\n') { record.push(field); records.push(record); record = []; field = ''; i += 1; }
    else field += ch;
  }
  if (field !== '' || record.length) { record.push(field); records.push(record); }
  return records;
}
