// Foundation schema: tenants, users, reset tokens, mail outbox, audit log, login throttle,
// sessions; the RLS context functions and tenant guards (DESIGN.md §3, §8).
import type { MigrationContext } from '../services/database/migrator.ts';

/** The restrictive guard every tenant table gets, plus the permissive policy that opens it. */
function tenantPolicies(table: string, column = 'client_id'): string {
  return `
    ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;
    ALTER TABLE ${table} FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_guard ON ${table} AS RESTRICTIVE
      USING (${column} = (SELECT app_current_client()))
      WITH CHECK (${column} = (SELECT app_current_client()));
    CREATE POLICY tenant_access ON ${table} USING (true) WITH CHECK (true);`;
}

export async function up({ sql, roles }: MigrationContext): Promise<void> {
  await sql(`
    -- Context readers. Missing settings read as NULL, so every comparison fails closed.
    CREATE FUNCTION app_current_client() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
      $$ SELECT nullif(current_setting('app.client_id', true), '')::uuid $$;
    CREATE FUNCTION app_current_user() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
      $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;
    CREATE FUNCTION app_actor_kind() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
      $$ SELECT nullif(current_setting('app.actor_kind', true), '') $$;

    CREATE TABLE clients (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      time_zone text NOT NULL DEFAULT 'UTC',
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
      settings jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    ${tenantPolicies('clients', 'id')}

    CREATE TABLE users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      client_id uuid NOT NULL REFERENCES clients (id),
      email text NOT NULL CHECK (email = lower(email) AND length(email) <= 254 AND email LIKE '_%@_%'),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      password_hash text,
      rank text NOT NULL CHECK (rank IN ('administrator', 'executive', 'director', 'manager', 'associate')),
      status text NOT NULL DEFAULT 'invited' CHECK (status IN ('invited', 'active', 'locked', 'deactivated')),
      totp_secret text,
      failed_login_count integer NOT NULL DEFAULT 0,
      locked_at timestamptz,
      last_login_at timestamptz,
      password_changed_at timestamptz,
      session_epoch integer NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (client_id, id)
    );
    -- E-mail is the login name across all clients, so it is unique globally (stored lower-case).
    CREATE UNIQUE INDEX users_email_key ON users (email);
    CREATE INDEX users_client_email ON users (client_id, email);
    ${tenantPolicies('users')}

    CREATE TABLE password_reset_tokens (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      client_id uuid NOT NULL REFERENCES clients (id),
      user_id uuid NOT NULL,
      purpose text NOT NULL CHECK (purpose IN ('reset', 'invite')),
      token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
      expires_at timestamptz NOT NULL,
      used_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (client_id, id),
      FOREIGN KEY (client_id, user_id) REFERENCES users (client_id, id) ON DELETE CASCADE
    );
    CREATE INDEX password_reset_tokens_user ON password_reset_tokens (client_id, user_id);
    ${tenantPolicies('password_reset_tokens')}

    -- Transactional outbox: written with the change that causes it, delivered after commit.
    CREATE TABLE mail_outbox (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      client_id uuid REFERENCES clients (id),
      to_address text NOT NULL,
      subject text NOT NULL,
      text_body text,
      kind text NOT NULL,
      sensitive boolean NOT NULL DEFAULT false,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL DEFAULT now(),
      locked_until timestamptz,
      last_error text,
      transport text,
      sent_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE status IN ('pending', 'sending');
    CREATE INDEX mail_outbox_client ON mail_outbox (client_id, created_at);
    ALTER TABLE mail_outbox ENABLE ROW LEVEL SECURITY;
    ALTER TABLE mail_outbox FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_guard ON mail_outbox AS RESTRICTIVE
      USING (client_id = (SELECT app_current_client()))
      WITH CHECK (client_id = (SELECT app_current_client())
                  OR (client_id IS NULL AND (SELECT app_actor_kind()) IN ('staff', 'system')));
    CREATE POLICY tenant_access ON mail_outbox USING (true) WITH CHECK (true);

    -- Append-only audit trail. Rows without a client (failed logins for unknown e-mails, staff
    -- and system actions) can be written by those actors but are read only outside client scope.
    CREATE TABLE audit_log (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
      occurred_at timestamptz NOT NULL DEFAULT now(),
      client_id uuid REFERENCES clients (id),
      actor_kind text NOT NULL CHECK (actor_kind IN ('user', 'staff', 'system', 'anonymous')),
      actor_user_id uuid,
      actor_staff_id uuid,
      support_session_id uuid,
      action text NOT NULL,
      entity_type text,
      entity_id uuid,
      changes jsonb,
      ip inet,
      user_agent text,
      request_id text
    );
    CREATE INDEX audit_log_client_time ON audit_log (client_id, occurred_at DESC);
    ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
    ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_guard ON audit_log AS RESTRICTIVE
      USING (client_id = (SELECT app_current_client()))
      WITH CHECK (client_id = (SELECT app_current_client())
                  OR (client_id IS NULL AND (SELECT app_actor_kind()) IN ('anonymous', 'staff', 'system')));
    CREATE POLICY tenant_access ON audit_log USING (true) WITH CHECK (true);
    CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();

    -- Failed sign-in counters per account (hashed e-mail) and per IP, shared by all app servers.
    CREATE TABLE login_throttle (
      key text PRIMARY KEY,
      window_started_at timestamptz NOT NULL,
      failures integer NOT NULL
    );

    -- connect-pg-simple's table; only the session-store role may touch it.
    CREATE TABLE session (
      sid varchar NOT NULL PRIMARY KEY,
      sess json NOT NULL,
      expire timestamp(6) NOT NULL
    );
    CREATE INDEX session_expire ON session (expire);

    -- Narrow cross-tenant lookups, needed before the client is known. They return ids only;
    -- everything else is read afterwards inside a unit of work under that client's RLS.
    CREATE FUNCTION auth_user_by_email(p_email text) RETURNS TABLE (user_id uuid, client_id uuid)
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
      $$ SELECT id, client_id FROM users WHERE email = lower(p_email) $$;
    CREATE FUNCTION auth_live_token(p_hash bytea) RETURNS TABLE (token_id uuid, client_id uuid)
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
      $$ SELECT id, client_id FROM password_reset_tokens
         WHERE token_hash = p_hash AND used_at IS NULL AND expires_at > now() $$;

    -- Outbox delivery crosses tenants, so it goes through these, and only in a system context.
    CREATE FUNCTION mail_outbox_claim(p_batch integer, p_lease interval)
      RETURNS TABLE (id uuid, to_address text, subject text, text_body text, attempts integer)
      LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        UPDATE mail_outbox m
           SET status = 'sending', attempts = m.attempts + 1, locked_until = now() + p_lease
         WHERE app_actor_kind() = 'system'
           AND m.id IN (SELECT o.id FROM mail_outbox o
                         WHERE (o.status = 'pending' AND o.next_attempt_at <= now())
                            OR (o.status = 'sending' AND o.locked_until < now())
                         ORDER BY o.next_attempt_at
                         LIMIT p_batch
                         FOR UPDATE SKIP LOCKED)
        RETURNING m.id, m.to_address, m.subject, m.text_body, m.attempts $$;
    CREATE FUNCTION mail_outbox_settle(p_id uuid, p_delivered boolean, p_transport text, p_error text, p_max_attempts integer)
      RETURNS void LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        UPDATE mail_outbox
           SET status = CASE WHEN p_delivered THEN 'sent' WHEN attempts >= p_max_attempts THEN 'failed' ELSE 'pending' END,
               sent_at = CASE WHEN p_delivered THEN now() END,
               transport = p_transport,
               last_error = CASE WHEN p_delivered THEN NULL ELSE left(p_error, 500) END,
               locked_until = NULL,
               next_attempt_at = now() + least(interval '30 seconds' * power(2, attempts), interval '6 hours'),
               text_body = CASE WHEN p_delivered AND sensitive THEN NULL ELSE text_body END
         WHERE id = p_id AND status = 'sending' AND app_actor_kind() = 'system' $$;

    REVOKE ALL ON FUNCTION auth_user_by_email(text), auth_live_token(bytea),
      mail_outbox_claim(integer, interval), mail_outbox_settle(uuid, boolean, text, text, integer) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION auth_user_by_email(text), auth_live_token(bytea),
      mail_outbox_claim(integer, interval), mail_outbox_settle(uuid, boolean, text, text, integer) TO ${roles.app};

    -- Least privilege: exactly the verbs each table needs; never TRUNCATE, never ownership.
    GRANT SELECT, UPDATE ON clients TO ${roles.app};
    GRANT SELECT, INSERT, UPDATE ON users TO ${roles.app};
    GRANT SELECT, INSERT, UPDATE ON password_reset_tokens TO ${roles.app};
    GRANT SELECT, INSERT ON mail_outbox TO ${roles.app};
    GRANT SELECT, INSERT ON audit_log TO ${roles.app};
    GRANT SELECT, INSERT, UPDATE, DELETE ON login_throttle TO ${roles.app};
    GRANT SELECT, INSERT, UPDATE, DELETE ON session TO ${roles.session};
  `);
}

export async function down({ sql }: MigrationContext): Promise<void> {
  await sql(`
    DROP FUNCTION mail_outbox_settle(uuid, boolean, text, text, integer);
    DROP FUNCTION mail_outbox_claim(integer, interval);
    DROP FUNCTION auth_live_token(bytea);
    DROP FUNCTION auth_user_by_email(text);
    DROP TABLE session;
    DROP TABLE login_throttle;
    DROP TABLE audit_log;
    DROP FUNCTION audit_log_is_append_only();
    DROP TABLE mail_outbox;
    DROP TABLE password_reset_tokens;
    DROP TABLE users;
    DROP TABLE clients;
    DROP FUNCTION app_actor_kind();
    DROP FUNCTION app_current_user();
    DROP FUNCTION app_current_client();
  `);
}
