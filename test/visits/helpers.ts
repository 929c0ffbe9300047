// Shared steps of the support-session tests: entering a client through the real form,
// reading the session cookie's id, and the visit rows and audit entries as the owner.
import { expect } from 'chai';
import { type ClientRow, ownerQuery } from '../support/factories.ts';
import { type Agent, csrfFrom, sessionCookie } from '../support/http.ts';
import { type StaffRow, freshCode } from '../support/staff.ts';

/** The plantrak.sid value a response set (sessions roll, so every response sets it). */
export function sid(res: { headers: Record<string, unknown> }): string {
  const cookie = sessionCookie(res);
  expect(cookie, 'session cookie').to.be.a('string');
  return /^plantrak\.sid=([^;]*)/.exec(cookie!)![1];
}

export interface EntryFields {
  reason?: string;
  durationMinutes?: string;
  readOnly?: boolean;
  code?: string;
}

/** Loads the entry form and posts it; the code is fresh unless one is given. */
export async function requestEntry(agent: Agent, staff: StaffRow, client: Pick<ClientRow, 'id'>, fields: EntryFields = {}) {
  const form = await agent.get(`/admin/support/new?client=${client.id}`);
  expect(form.status, form.text).to.equal(200);
  const body: Record<string, string> = {
    _csrf: csrfFrom(form.text),
    clientId: client.id,
    reason: fields.reason ?? 'Customer asked for help with the plan import',
    durationMinutes: fields.durationMinutes ?? '60',
    code: fields.code ?? (await freshCode(staff)),
  };
  if (fields.readOnly) body.readOnly = 'on';
  return agent.post('/admin/support').type('form').send(body);
}

/** Posts a form with the CSRF token of `page`. */
export async function postFrom(agent: Agent, page: string, action: string, fields: Record<string, string> = {}) {
  const res = await agent.get(page);
  return agent.post(action).type('form').send({ _csrf: csrfFrom(res.text), ...fields });
}

export interface VisitDbRow {
  id: string;
  client_id: string;
  staff_id: string;
  status: string;
  read_only: boolean;
  end_reason: string | null;
  decided_by: string | null;
  started_at: Date | null;
  expires_at: Date | null;
  requested_at: Date;
}

export const visitRows = () => ownerQuery<VisitDbRow>('SELECT * FROM support_sessions ORDER BY requested_at, id');

export interface VisitAuditRow {
  action: string;
  client_id: string | null;
  actor_kind: string;
  actor_user_id: string | null;
  actor_staff_id: string | null;
  support_session_id: string | null;
  entity_type: string | null;
  entity_id: string | null;
  changes: Record<string, unknown> | null;
}

export const auditOf = (action: string) =>
  ownerQuery<VisitAuditRow>(
    `SELECT action, client_id, actor_kind, actor_user_id, actor_staff_id, support_session_id, entity_type, entity_id, changes
       FROM audit_log WHERE action = $1 ORDER BY seq`,
    [action],
  );
