// Database-security test helpers: raw connections as each role, PostgreSQL error checks, the
// tenant tables read generically from the catalog, and a full set of rows per tenant.
import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import pg from 'pg';
import { type ClientRow, type UserRow, createClient, createUser } from './factories.ts';
import { testEnv } from './env.ts';

export type RoleKey = 'owner' | 'app' | 'session' | 'backup';

export function urlOf(role: RoleKey): string {
  const url = testEnv().urls[role];
  if (!url) throw new Error(`no URL for the ${role} role`);
  return url;
}

/** A plain pg client connected as `role`, closed whatever `fn` does. */
export async function withConnection<T>(role: RoleKey, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: urlOf(role), application_name: `plantrak-test-${role}` });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The PostgreSQL error behind an error (pg's own, or the one Sequelize wraps). */
export function pgErrorOf(error: unknown): { code?: string; message: string } {
  const e = error as { parent?: { code?: string; message: string }; original?: { code?: string; message: string }; code?: string; message: string };
  return e.parent ?? e.original ?? e;
}

/** Awaits `promise`, expecting PostgreSQL to refuse it with `code` (and a message matching `message`). */
export async function expectPgError(promise: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected PostgreSQL error ${code}, but the statement succeeded`).to.exist;
  const pgError = pgErrorOf(caught);
  expect(pgError.code, pgError.message).to.equal(code);
  if (message) expect(pgError.message).to.match(message);
}

/** Runs `text` in a savepoint of the open transaction, so a refusal leaves the transaction usable. */
export async function inSavepoint(client: pg.Client, text: string, params: unknown[] = []): Promise<pg.QueryResult> {
  await client.query('SAVEPOINT attempt');
  try {
    const result = await client.query(text, params);
    await client.query('RELEASE SAVEPOINT attempt');
    return result;
  } catch (error) {
    await client.query('ROLLBACK TO SAVEPOINT attempt');
    throw error;
  }
}

export const RLS_VIOLATION = /^new row violates row-level security policy/;

/** The refusal by a tenant table's restrictive guard, naming the table. */
/** The tenant guard's refusal, or (tables with scope policies, without any context) the refusal
 *  of a row no permissive policy admits: either way row-level security stopped the write. */
export function guardViolation(table: string): RegExp {
  return new RegExp(`^new row violates row-level security policy (?:"tenant_guard" )?for table "${table}"$`);
}
export const INSUFFICIENT_PRIVILEGE = '42501';

export interface TenantTable {
  table: string;
  /** The column the tenant guard compares: `id` for clients, `client_id` elsewhere. */
  column: string;
}

/** Every table in public that holds tenant data: `clients` and each table with a client_id column. */
export async function tenantTables(): Promise<TenantTable[]> {
  const { rows } = await testEnv().owner.query<{ table: string }>(`
    SELECT c.relname AS table
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
       AND (c.relname = 'clients' OR EXISTS (
             SELECT 1 FROM pg_attribute a
              WHERE a.attrelid = c.oid AND a.attname = 'client_id' AND a.attnum > 0 AND NOT a.attisdropped))
     ORDER BY c.relname`);
  return rows.map((r) => ({ table: r.table, column: r.table === 'clients' ? 'id' : 'client_id' }));
}

export interface Tenant {
  client: ClientRow;
  user: UserRow;
}

/**
 * Statements inserting one row into a tenant table for the given tenant. Every tenant table
 * must have one (tests fail for a table without), so new tables are covered by the RLS tests.
 * `clients` is absent on purpose: the runtime role cannot insert clients at all.
 */
const FIRST_EVENT = '(SELECT id FROM events WHERE client_id = $1 ORDER BY created_at, id LIMIT 1)';
const FIRST_EVENT_FACILITY = '(SELECT facility_id FROM events WHERE client_id = $1 ORDER BY created_at, id LIMIT 1)';

export const tenantRowInserts: Record<string, (tenant: { clientId: string | null; userId: string }) => [string, unknown[]]> = {
  users: ({ clientId }) => [
    `INSERT INTO users (client_id, email, name, rank, status) VALUES ($1, $2, 'Inserted User', 'associate', 'invited') RETURNING id`,
    [clientId, `inserted-${randomUUID().slice(0, 8)}@example.com`],
  ],
  password_reset_tokens: ({ clientId, userId }) => [
    `INSERT INTO password_reset_tokens (client_id, user_id, purpose, token_hash, expires_at)
     VALUES ($1, $2, 'reset', $3, now() + interval '1 hour') RETURNING id`,
    [clientId, userId, randomBytes(32)],
  ],
  mail_outbox: ({ clientId }) => [
    `INSERT INTO mail_outbox (client_id, to_address, subject, text_body, kind) VALUES ($1, 'someone@example.com', 'Hello', 'Body', 'test') RETURNING id`,
    [clientId],
  ],
  org_units: ({ clientId }) => [
    `INSERT INTO org_units (client_id, kind, name) VALUES ($1, 'facility', 'Inserted Facility') RETURNING id`,
    [clientId],
  ],
  // A whole-client scope row (no unit), so the insert touches no other table.
  user_scopes: ({ clientId, userId }) => [
    `INSERT INTO user_scopes (client_id, user_id, org_unit_id) VALUES ($1, $2, NULL) RETURNING id`,
    [clientId, userId],
  ],
  recovery_codes: ({ clientId, userId }) => [
    `INSERT INTO recovery_codes (client_id, user_id, code_hash) VALUES ($1, $2, $3) RETURNING id`,
    [clientId, userId, randomBytes(32)],
  ],
  audit_log: ({ clientId, userId }) => [
    `INSERT INTO audit_log (client_id, actor_kind, actor_user_id, action) VALUES ($1, 'user', $2, 'test.inserted') RETURNING id`,
    [clientId, userId],
  ],
  // On the client's first facility (the org_units row above). Scalar subqueries, not INSERT …
  // SELECT, so that a context that cannot see the facility still attempts the row and meets RLS.
  plan_items: ({ clientId, userId }) => [
    `INSERT INTO plan_items (client_id, facility_id, activity, assignee_id, schedule_kind, rrule, schedule_start, created_by, updated_by)
     VALUES ($1, (SELECT id FROM org_units WHERE client_id = $1 AND kind = 'facility' ORDER BY created_at, id LIMIT 1),
             'Inserted monthly inspection', $2, 'calendar', 'FREQ=MONTHLY;BYMONTHDAY=-1', DATE '2026-01-01', $2, $2)
     RETURNING id`,
    [clientId, userId],
  ],
  // For the client's first plan item (above), on the day after its latest event, so that inserting
  // it again never meets the (client_id, plan_item_id, scheduled_date) key. The source is always
  // exactly one row (LEFT JOINs on a one-row SELECT), so an invisible item still meets RLS.
  events: ({ clientId, userId }) => [
    `INSERT INTO events (client_id, plan_item_id, facility_id, activity, scheduled_date, due_date, assignee_id)
     SELECT $1, i.id, i.facility_id, 'Inserted monthly inspection', d.day, d.day, $2
       FROM (SELECT 1) one
       LEFT JOIN LATERAL (SELECT id, facility_id FROM plan_items WHERE client_id = $1 ORDER BY created_at, id LIMIT 1) i ON true
       LEFT JOIN LATERAL (SELECT coalesce(max(e.scheduled_date) + 1, DATE '2026-01-31') AS day FROM events e
                           WHERE e.client_id = $1 AND e.plan_item_id = i.id) d ON true
     RETURNING id`,
    [clientId, userId],
  ],
  // Children of the client's first event (above). Scalar subqueries again, so an invisible event
  // still meets RLS rather than an empty SELECT.
  checklist_responses: ({ clientId, userId }) => [
    `INSERT INTO checklist_responses (client_id, event_id, facility_id, item_key, value, answered_by)
     VALUES ($1, ${FIRST_EVENT}, ${FIRST_EVENT_FACILITY}, 'k-' || gen_random_uuid(), 'yes', $2) RETURNING item_key`,
    [clientId, userId],
  ],
  documents: ({ clientId, userId }) => [
    `INSERT INTO documents (client_id, event_id, facility_id, file_name, content_type, size_bytes, sha256, uploaded_by)
     VALUES ($1, ${FIRST_EVENT}, ${FIRST_EVENT_FACILITY}, 'inserted.txt', 'text/plain', 5, repeat('a', 64), $2) RETURNING id`,
    [clientId, userId],
  ],
  // For the client's newest document without bytes.
  document_blobs: ({ clientId }) => [
    `INSERT INTO document_blobs (client_id, document_id, facility_id, content)
     VALUES ($1, (SELECT d.id FROM documents d WHERE d.client_id = $1 AND NOT EXISTS (SELECT 1 FROM document_blobs b WHERE b.client_id = $1 AND b.document_id = d.id) ORDER BY d.uploaded_at DESC, d.id LIMIT 1),
             (SELECT d.facility_id FROM documents d WHERE d.client_id = $1 AND NOT EXISTS (SELECT 1 FROM document_blobs b WHERE b.client_id = $1 AND b.document_id = d.id) ORDER BY d.uploaded_at DESC, d.id LIMIT 1),
             decode('68656c6c6f', 'hex')) RETURNING document_id`,
    [clientId],
  ],
  event_comments: ({ clientId, userId }) => [
    `INSERT INTO event_comments (client_id, event_id, facility_id, author_id, body) VALUES ($1, ${FIRST_EVENT}, ${FIRST_EVENT_FACILITY}, $2, 'Inserted comment') RETURNING id`,
    [clientId, userId],
  ],
  event_closures: ({ clientId, userId }) => [
    `INSERT INTO event_closures (client_id, event_id, facility_id, closed_by, completed_on, due_date, late)
     VALUES ($1, ${FIRST_EVENT}, ${FIRST_EVENT_FACILITY}, $2, DATE '2026-01-31', DATE '2026-01-31', false) RETURNING id`,
    [clientId, userId],
  ],
  // A pending visit by the first staff member (createTenant makes sure one exists).
  support_sessions: ({ clientId }) => [
    `INSERT INTO support_sessions (client_id, staff_id, reason, duration_minutes, status)
     VALUES ($1, (SELECT id FROM staff_users ORDER BY created_at, id LIMIT 1), 'Inserted visit', 60, 'pending') RETURNING id`,
    [clientId],
  ],
  // A notice about the client's first event, and a digest day.
  notifications: ({ clientId, userId }) => [
    `INSERT INTO notifications (client_id, event_id, facility_id, recipient_id, kind, due_for)
     VALUES ($1, ${FIRST_EVENT}, ${FIRST_EVENT_FACILITY}, $2, 'reminder', DATE '2026-01-17' + (SELECT count(*)::int FROM notifications WHERE client_id = $1)) RETURNING id`,
    [clientId, userId],
  ],
  // A waiting notice (the ledger's own test row queues one too, through its trigger).
  notification_queue: ({ clientId, userId }) => [
    `INSERT INTO notification_queue (client_id, notification_id, recipient_id) VALUES ($1, gen_random_uuid(), $2) RETURNING notification_id`,
    [clientId, userId],
  ],
  notification_digests: ({ clientId, userId }) => [
    `INSERT INTO notification_digests (client_id, user_id, digest_date, mail_id)
     VALUES ($1, $2, DATE '2026-01-17' + (SELECT count(*)::int FROM notification_digests WHERE client_id = $1), gen_random_uuid()) RETURNING user_id`,
    [clientId, userId],
  ],
  // The user's own-events feed, or (taken already) their scope's.
  calendar_feeds: ({ clientId, userId }) => [
    `INSERT INTO calendar_feeds (client_id, user_id, kind, token_sha256)
     VALUES ($1, $2, CASE WHEN EXISTS (SELECT 1 FROM calendar_feeds WHERE client_id = $1 AND user_id = $2 AND kind = 'mine') THEN 'scope' ELSE 'mine' END,
             encode(sha256(gen_random_uuid()::text::bytea), 'hex')) RETURNING id`,
    [clientId, userId],
  ],
  // Counts on the client's first facility, in a month of their own (a month further on each time).
  closed_event_months: ({ clientId }) => [
    `INSERT INTO closed_event_months (client_id, facility_id, month)
     VALUES ($1, (SELECT id FROM org_units WHERE client_id = $1 AND kind = 'facility' ORDER BY created_at, id LIMIT 1),
             (DATE '2000-01-01' + make_interval(months => (SELECT count(*)::int FROM closed_event_months WHERE client_id = $1)))::date)
     RETURNING month`,
    [clientId],
  ],
  closed_event_assignee_months: ({ clientId, userId }) => [
    `INSERT INTO closed_event_assignee_months (client_id, facility_id, month, assignee_id)
     VALUES ($1, (SELECT id FROM org_units WHERE client_id = $1 AND kind = 'facility' ORDER BY created_at, id LIMIT 1),
             (DATE '2000-01-01' + make_interval(months => (SELECT count(*)::int FROM closed_event_assignee_months WHERE client_id = $1)))::date, $2)
     RETURNING month`,
    [clientId, userId],
  ],
  // The tenant's user at the client's first facility (already counted there once the events
  // above exist: the row is then written again as it is).
  facility_people: ({ clientId, userId }) => [
    `INSERT INTO facility_people (client_id, facility_id, person_id)
     VALUES ($1, (SELECT id FROM org_units WHERE client_id = $1 AND kind = 'facility' ORDER BY created_at, id LIMIT 1), $2)
     ON CONFLICT (client_id, facility_id, person_id) DO UPDATE SET events = facility_people.events
     RETURNING person_id`,
    [clientId, userId],
  ],
  plan_item_imports: ({ clientId, userId }) => [
    `INSERT INTO plan_item_imports (client_id, uploaded_by, file_name, format, content, sha256)
     VALUES ($1, $2, 'plan.csv', 'csv', '\\x61'::bytea, repeat('a', 64)) RETURNING id`,
    [clientId, userId],
  ],
  sensitive_data_warnings: ({ clientId, userId }) => [
    `INSERT INTO sensitive_data_warnings (client_id, user_id, form, kinds) VALUES ($1, $2, 'test', ARRAY['ssn']) RETURNING id`,
    [clientId, userId],
  ],
};

/** Tables whose test row refers to rows of other tenant tables, in the order they must be filled. */
const SEED_LAST = ['plan_items', 'events', 'checklist_responses', 'documents', 'document_blobs', 'event_comments', 'event_closures', 'notifications', 'closed_event_months', 'closed_event_assignee_months', 'facility_people'];

/** A client with a user and one row in every other tenant table, inserted as the owner. */
export async function createTenant(name: string): Promise<Tenant> {
  const client = await createClient({ name });
  // An administrator: whole-client scope, so facility-scoped tables show all of the client's rows.
  const user = await createUser(client, { name: `${name} User`, rank: 'administrator' });
  const rank = (table: string) => SEED_LAST.indexOf(table);
  const tables = (await tenantTables()).sort((x, y) => rank(x.table) - rank(y.table));
  for (const { table } of tables) {
    if (table === 'clients' || table === 'users') continue;
    if (table === 'support_sessions') await ensureStaffMember();
    const insert = tenantRowInserts[table];
    if (!insert) throw new Error(`no test row for tenant table ${table}: add one to tenantRowInserts in test/support/db-roles.ts`);
    // The scope row goes to a second member, so the tenant's user can still be given one in a test.
    const userId = table === 'user_scopes' ? (await createUser(client, { name: `${name} Member` })).id : user.id;
    const [text, params] = insert({ clientId: client.id, userId });
    await testEnv().owner.query(text, params);
  }
  return { client, user };
}

async function ensureStaffMember(): Promise<void> {
  await testEnv().owner.query(
    `INSERT INTO staff_users (email, name, role, status)
     SELECT 'seed-staff@vendor.example', 'Seed Staff', 'application_developer', 'active'
      WHERE NOT EXISTS (SELECT 1 FROM staff_users)`,
  );
}

/** Rows of tenant tables that belong to no client (allowed where the guard permits NULL). */
export async function createClientlessRows(): Promise<void> {
  const { owner } = testEnv();
  await owner.query(`INSERT INTO mail_outbox (client_id, to_address, subject, kind) VALUES (NULL, 'staff@example.com', 'Staff note', 'test')`);
  await owner.query(`INSERT INTO audit_log (client_id, actor_kind, action) VALUES (NULL, 'anonymous', 'test.clientless')`);
  await ensureStaffMember();
  await owner.query(`INSERT INTO staff_tokens (staff_id, token_hash, expires_at) SELECT id, $1, now() + interval '1 hour' FROM staff_users LIMIT 1`, [randomBytes(32)]);
  await owner.query(`INSERT INTO app_errors (request_id, method, path, status, error_name, message) VALUES ('r1', 'GET', '/x', 500, 'Error', 'test')`);
  // The backup machinery's operations tables.
  await owner.query(`INSERT INTO backup_runs (tier, trigger, status) VALUES ('daily', 'command', 'queued')`);
  await owner.query(`INSERT INTO restore_checks (trigger, status) VALUES ('command', 'queued')`);
  await owner.query(`INSERT INTO restore_markers (tables) VALUES ('{}')`);
}
