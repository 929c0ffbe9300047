// Helpers for the authentication and web-security tests (test/auth/): sign-in posts with extra
// headers, cookie parsing, audit and session rows read as the owner, page normalisation.
import { type Agent, csrfToken, submitForm } from './http.ts';
import { ownerQuery } from './factories.ts';

export interface AuditRow {
  client_id: string | null;
  actor_kind: string;
  actor_user_id: string | null;
  action: string;
  entity_type: string | null;
  entity_id: string | null;
  changes: Record<string, unknown> | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
}

/** Audit entries with this action, oldest first (as owner, so rows without a client show too). */
export function auditRows(action: string): Promise<AuditRow[]> {
  return ownerQuery<AuditRow>(
    `SELECT client_id, actor_kind, actor_user_id, action, entity_type, entity_id, changes, host(ip) AS ip, user_agent, request_id
       FROM audit_log WHERE action = $1 ORDER BY seq`,
    [action],
  );
}

export async function auditCount(): Promise<number> {
  const [row] = await ownerQuery<{ n: number }>('SELECT count(*)::int AS n FROM audit_log');
  return row.n;
}

/** Rows in the session table that stand for this user's signed-in sessions. */
export async function sessionRowsOf(userId: string): Promise<number> {
  const [row] = await ownerQuery<{ n: number }>(`SELECT count(*)::int AS n FROM session WHERE sess->'auth'->>'userId' = $1`, [userId]);
  return row.n;
}

export async function sessionRowExists(sid: string): Promise<boolean> {
  const [row] = await ownerQuery<{ n: number }>('SELECT count(*)::int AS n FROM session WHERE sid = $1', [sid]);
  return row.n === 1;
}

/** Loads the sign-in form, then posts it with these fields; `headers` go on the POST only. */
export async function postLogin(agent: Agent, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const token = await csrfToken(agent, '/login');
  return agent.post('/login').set(headers).type('form').send({ _csrf: token, ...fields });
}

/** Submits the change-password form of a signed-in agent. */
export function changePasswordForm(agent: Agent, currentPassword: string, newPassword: string, confirmation = newPassword) {
  return submitForm(agent, '/account/password', '/account/password', { currentPassword, newPassword, confirmation });
}

/** Every Set-Cookie header of a response. */
export function setCookies(res: { headers: Record<string, unknown> }): string[] {
  return ([] as string[]).concat((res.headers['set-cookie'] as string[] | string | undefined) ?? []);
}

/** The `name=value` part of a Set-Cookie header, ready to send back in a Cookie header. */
export const cookiePair = (setCookie: string) => setCookie.split(';')[0];

/** The session id inside a signed express-session cookie (`plantrak.sid=s%3A<sid>.<signature>`). */
export function sidOf(setCookie: string): string {
  const value = decodeURIComponent(cookiePair(setCookie).slice(cookiePair(setCookie).indexOf('=') + 1));
  const match = /^s:(.+)\.[^.]+$/.exec(value);
  if (!match) throw new Error(`not a signed session cookie: ${value}`);
  return match[1];
}

/** The attributes of a Set-Cookie header, keys lower-cased (`httponly` → true, `samesite` → 'Lax'). */
export function cookieAttributes(setCookie: string): Record<string, string | true> {
  const attributes: Record<string, string | true> = {};
  for (const part of setCookie.split(';').slice(1)) {
    const [key, ...rest] = part.trim().split('=');
    attributes[key.toLowerCase()] = rest.length ? rest.join('=') : true;
  }
  return attributes;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A page with its per-request parts (CSRF token, request ids) and the given strings blanked out. */
export function normalisePage(html: string, ...varying: string[]): string {
  let out = html
    .replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value="CSRF"')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, 'REQUEST-ID');
  for (const s of varying) out = out.replace(new RegExp(escapeRegExp(s), 'g'), 'VARYING');
  return out;
}

/** The CSP of a response as a map of directive → sources. */
export function cspDirectives(header: string | undefined): Map<string, string[]> {
  if (!header) throw new Error('no Content-Security-Policy header');
  return new Map(
    header.split(';').map((d) => d.trim()).filter(Boolean).map((d) => {
      const [name, ...sources] = d.split(/\s+/);
      return [name.toLowerCase(), sources] as [string, string[]];
    }),
  );
}
