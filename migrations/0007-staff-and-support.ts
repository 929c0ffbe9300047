// Vendor staff, support sessions and the admin area (issue 6, DESIGN.md §2, §8.2, §8.4, §8.5).
//
// The rule the database enforces: a staff context sees a client's rows only while one of its own
// support sessions for that client is open and unexpired, and writes them only if that session is
// not read-only. app_current_client(), which every tenant guard reads, resolves a staff context
// through support_sessions; every tenant guard's WITH CHECK (and a DELETE guard) reads
// app_write_client(), which also refuses read-only sessions. Staff never get plain RLS access to
// `clients`: the admin area reads and changes the client directory through narrow functions.
import type { MigrationContext } from '../services/database/migrator.ts';

/** Tenant tables whose write check stays app_current_client(): the audit log must record even a
 *  read-only visit, and support_sessions has its own rules. */
const WRITE_GUARD_EXEMPT = ['audit_log', 'support_sessions'];

const STAFF_ONLY = `(SELECT app_actor_kind()) = 'staff' AND (SELECT app_current_staff()) IS NOT NULL`;

export async function up({ sql, roles }: MigrationContext): Promise<void> {
  await sql(`
    CREATE FUNCTION app_current_staff() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
      $$ SELECT nullif(current_setting('app.staff_id', true), '')::uuid $$;
    CREATE FUNCTION app_support_session() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
      $$ SELECT nullif(current_setting('app.support_session_id', true), '')::uuid $$;

    CREATE TABLE staff_users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      email text NOT NULL UNIQUE CHECK (email = lower(email) AND length(email) <= 254 AND email LIKE '_%@_%'),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      role text NOT NULL CHECK (role IN ('technical_director', 'application_developer', 'client_representative')),
      status text NOT NULL DEFAULT 'invited' CHECK (status IN ('invited', 'active', 'locked', 'deactivated')),
      password_hash text,
      totp_secret text,
      totp_enabled_at timestamptz,
      totp_last_step bigint,
      failed_login_count integer NOT NULL DEFAULT 0,
      locked_at timestamptz,
      last_login_at timestamptz,
      password_changed_at timestamptz,
      session_epoch integer NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT staff_users_totp_enabled_has_secret CHECK (totp_enabled_at IS NULL OR totp_secret IS NOT NULL)
    );
    -- Staff rows are the vendor's, read by staff (and system scripts); sign-in finds the row
    -- through auth_staff_by_email first.
    ALTER TABLE staff_users ENABLE ROW LEVEL SECURITY;
    ALTER TABLE staff_users FORCE ROW LEVEL SECURITY;
    CREATE POLICY staff_only ON staff_users
      USING ((SELECT app_actor_kind()) IN ('staff', 'system'))
      WITH CHECK ((SELECT app_actor_kind()) IN ('staff', 'system'));

    -- Set-up links (a new account, or a reset of password and authenticator): hashed, single-use.
    CREATE TABLE staff_tokens (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      staff_id uuid NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
      token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
      expires_at timestamptz NOT NULL,
      used_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    ALTER TABLE staff_tokens ENABLE ROW LEVEL SECURITY;
    ALTER TABLE staff_tokens FORCE ROW LEVEL SECURITY;
    CREATE POLICY staff_only ON staff_tokens
      USING ((SELECT app_actor_kind()) IN ('staff', 'system'))
      WITH CHECK ((SELECT app_actor_kind()) IN ('staff', 'system'));

    CREATE FUNCTION auth_staff_by_email(p_email text) RETURNS uuid
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
      $$ SELECT id FROM staff_users WHERE email = lower(p_email) $$;
    CREATE FUNCTION auth_staff_token(p_hash bytea) RETURNS TABLE (token_id uuid, staff_id uuid)
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
      $$ SELECT id, staff_id FROM staff_tokens WHERE token_hash = p_hash AND used_at IS NULL AND expires_at > now() $$;

    -- Each client's assigned Client Representative, and the client's own choice to approve visits.
    ALTER TABLE clients
      ADD COLUMN representative_id uuid REFERENCES staff_users (id),
      ADD COLUMN support_approval_required boolean NOT NULL DEFAULT false;

    -- Name, time zone, status and representative change only through admin_save_client(); the
    -- approval requirement is the client's own decision, never a staff member's (not even in a visit).
    REVOKE UPDATE ON clients FROM ${roles.app};
    GRANT UPDATE (settings, support_approval_required, updated_at) ON clients TO ${roles.app};
    CREATE FUNCTION clients_keep_support_control() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF app_actor_kind() = 'staff' AND NEW.support_approval_required IS DISTINCT FROM OLD.support_approval_required THEN
          RAISE EXCEPTION 'only the client''s Administrators decide whether support sessions need approval'
            USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
      END $$;
    CREATE TRIGGER clients_keep_support_control BEFORE UPDATE ON clients
      FOR EACH ROW EXECUTE FUNCTION clients_keep_support_control();

    -- Who did it, when a support session did it (the *_by user columns stay NULL then).
    ALTER TABLE events ADD COLUMN closed_by_staff_id uuid REFERENCES staff_users (id);
    ALTER TABLE events DROP CONSTRAINT events_closed_complete;
    ALTER TABLE events ADD CONSTRAINT events_closed_complete CHECK (status <> 'closed'
      OR (completed_on IS NOT NULL AND (closed_by IS NOT NULL OR closed_by_staff_id IS NOT NULL) AND closed_at IS NOT NULL));
    ALTER TABLE event_closures ADD COLUMN closed_by_staff_id uuid DEFAULT app_current_staff() REFERENCES staff_users (id);
    ALTER TABLE event_comments ADD COLUMN author_staff_id uuid DEFAULT app_current_staff() REFERENCES staff_users (id);
    ALTER TABLE documents ADD COLUMN uploaded_by_staff_id uuid DEFAULT app_current_staff() REFERENCES staff_users (id);
    ALTER TABLE checklist_responses ADD COLUMN answered_by_staff_id uuid DEFAULT app_current_staff() REFERENCES staff_users (id);

    CREATE TABLE support_sessions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      client_id uuid NOT NULL REFERENCES clients (id),
      staff_id uuid NOT NULL REFERENCES staff_users (id),
      reason text NOT NULL CHECK (length(btrim(reason)) BETWEEN 3 AND 500),
      read_only boolean NOT NULL DEFAULT false,
      duration_minutes integer NOT NULL CHECK (duration_minutes BETWEEN 5 AND 720),
      status text NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'cancelled', 'active', 'ended')),
      requested_at timestamptz NOT NULL DEFAULT now(),
      decided_by uuid,
      decided_at timestamptz,
      started_at timestamptz,
      expires_at timestamptz,
      ended_at timestamptz,
      end_reason text CHECK (end_reason IN ('exit', 'expired', 'signed_out', 'revoked', 'timed_out')),
      UNIQUE (client_id, id),
      FOREIGN KEY (client_id, decided_by) REFERENCES users (client_id, id),
      -- The database sets the window (trigger below), so no request can lengthen a visit.
      CONSTRAINT support_sessions_window CHECK (expires_at IS NULL
        OR (started_at IS NOT NULL AND expires_at <= started_at + make_interval(mins => duration_minutes))),
      CONSTRAINT support_sessions_started CHECK (status NOT IN ('active', 'ended') OR expires_at IS NOT NULL),
      CONSTRAINT support_sessions_ended CHECK ((status = 'ended') = (ended_at IS NOT NULL))
    );
    CREATE INDEX support_sessions_client ON support_sessions (client_id, requested_at DESC);

    -- The session this context stands in, if it is open now; p_write also requires it to allow writes.
    CREATE FUNCTION app_support_client(p_write boolean) RETURNS uuid
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT s.client_id FROM support_sessions s
          JOIN staff_users f ON f.id = s.staff_id
          JOIN clients c ON c.id = s.client_id
         WHERE s.id = app_support_session() AND s.staff_id = app_current_staff()
           AND s.client_id = nullif(current_setting('app.client_id', true), '')::uuid
           AND s.status = 'active' AND s.expires_at > now() AND f.status = 'active'
           -- Still allowed in: the client active, a representative still assigned to it.
           AND c.status = 'active' AND (f.role <> 'client_representative' OR c.representative_id = f.id)
           AND NOT (p_write AND s.read_only) $$;

    -- The client of the context's own support session, open or not: a visit's audit entries
    -- (requested, refused, expired, ended) belong in that client's log.
    CREATE FUNCTION app_staff_session_client() RETURNS uuid
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT client_id FROM support_sessions WHERE id = app_support_session() AND staff_id = app_current_staff() $$;

    CREATE OR REPLACE FUNCTION app_current_client() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
      $$ SELECT CASE WHEN app_actor_kind() = 'staff' THEN app_support_client(false)
                     ELSE nullif(current_setting('app.client_id', true), '')::uuid END $$;
    CREATE FUNCTION app_write_client() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
      $$ SELECT CASE WHEN app_actor_kind() = 'staff' THEN app_support_client(true)
                     ELSE nullif(current_setting('app.client_id', true), '')::uuid END $$;

    -- Whether this staff member may open a session for the client: Client Representatives only
    -- for their assigned clients; Technical Director and Application Developers for any.
    CREATE FUNCTION app_staff_may_enter(p_client uuid) RETURNS boolean
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT EXISTS (SELECT 1 FROM staff_users f JOIN clients c ON c.id = p_client
                        WHERE f.id = app_current_staff() AND f.status = 'active' AND f.totp_enabled_at IS NOT NULL
                          AND c.status = 'active'
                          AND (f.role <> 'client_representative' OR c.representative_id = f.id)) $$;
    CREATE FUNCTION app_client_requires_approval(p_client uuid) RETURNS boolean
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
      $$ SELECT coalesce((SELECT support_approval_required FROM clients WHERE id = p_client), true) $$;

    ALTER TABLE support_sessions ENABLE ROW LEVEL SECURITY;
    ALTER TABLE support_sessions FORCE ROW LEVEL SECURITY;
    -- The client's users see their client's visits; staff see every visit (the admin area lists them).
    CREATE POLICY tenant_guard ON support_sessions AS RESTRICTIVE
      USING (client_id = (SELECT app_current_client()) OR (${STAFF_ONLY}))
      WITH CHECK (client_id = (SELECT app_current_client()) OR (${STAFF_ONLY}));
    CREATE POLICY visits_read ON support_sessions FOR SELECT USING (true);
    -- Only staff open visits, only as themselves, only where they may, and straight to 'active'
    -- only when the client does not require approval.
    CREATE POLICY visits_open ON support_sessions FOR INSERT WITH CHECK (
      (SELECT app_actor_kind()) = 'staff' AND staff_id = (SELECT app_current_staff()) AND app_staff_may_enter(client_id)
      AND (status = 'pending' OR (status = 'active' AND NOT app_client_requires_approval(client_id))));
    CREATE POLICY visits_change ON support_sessions FOR UPDATE USING (true) WITH CHECK (true);

    -- Which status changes are allowed, and by whom: a client user decides; the staff member
    -- starts, cancels or ends their own visit; a client user may also end it. The window starts
    -- when the visit does and is computed here. Without any context (the owner's maintenance)
    -- rows may be corrected directly.
    CREATE FUNCTION support_session_transition() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        kind text := app_actor_kind();
        own boolean := kind = 'staff' AND NEW.staff_id = app_current_staff();
        client_user boolean := kind = 'user' AND app_current_user() IS NOT NULL;
      BEGIN
        IF kind IS NULL THEN RETURN NEW; END IF;
        IF TG_OP = 'INSERT' THEN
          IF NEW.status NOT IN ('pending', 'active') THEN
            RAISE EXCEPTION 'a support session starts pending or active' USING ERRCODE = 'check_violation';
          END IF;
          NEW.decided_by := NULL; NEW.decided_at := NULL; NEW.ended_at := NULL; NEW.end_reason := NULL;
          NEW.started_at := CASE WHEN NEW.status = 'active' THEN now() END;
          NEW.expires_at := CASE WHEN NEW.status = 'active' THEN now() + make_interval(mins => NEW.duration_minutes) END;
          RETURN NEW;
        END IF;
        IF NEW.status = OLD.status THEN
          RAISE EXCEPTION 'support session % is already %', OLD.id, OLD.status USING ERRCODE = 'check_violation';
        END IF;
        IF (OLD.status = 'pending' AND NEW.status IN ('approved', 'denied') AND client_user AND NEW.decided_by = app_current_user())
           OR (OLD.status IN ('pending', 'approved') AND NEW.status = 'cancelled' AND own)
           -- An approval is used within 30 minutes, by someone who may still enter.
           OR (OLD.status = 'approved' AND NEW.status = 'active' AND own AND OLD.decided_at > now() - interval '30 minutes'
               AND app_staff_may_enter(NEW.client_id))
           OR (OLD.status = 'active' AND NEW.status = 'ended' AND (own OR client_user OR kind = 'system'))
        THEN
          NEW.decided_at := CASE WHEN NEW.status IN ('approved', 'denied') THEN now() ELSE OLD.decided_at END;
          NEW.started_at := CASE WHEN NEW.status = 'active' THEN now() ELSE OLD.started_at END;
          NEW.expires_at := CASE WHEN NEW.status = 'active' THEN now() + make_interval(mins => NEW.duration_minutes) ELSE OLD.expires_at END;
          -- An expired visit ends at its expiry; any other ends now.
          NEW.ended_at := CASE WHEN NEW.status = 'ended' THEN least(now(), OLD.expires_at) END;
          RETURN NEW;
        END IF;
        RAISE EXCEPTION 'support session % cannot go from % to % in this context', OLD.id, OLD.status, NEW.status
          USING ERRCODE = 'insufficient_privilege';
      END $$;
    CREATE TRIGGER support_sessions_transition BEFORE INSERT OR UPDATE ON support_sessions
      FOR EACH ROW EXECUTE FUNCTION support_session_transition();

    GRANT SELECT, INSERT ON support_sessions TO ${roles.app};
    GRANT UPDATE (status, decided_by, decided_at, started_at, expires_at, ended_at, end_reason) ON support_sessions TO ${roles.app};
    GRANT SELECT, INSERT, UPDATE ON staff_users, staff_tokens TO ${roles.app};

    -- Every tenant guard now checks writes against app_write_client(), and a DELETE guard does
    -- the same for deletes (a guard's WITH CHECK does not cover them).
    DO $do$
      DECLARE p record;
      BEGIN
        FOR p IN SELECT tablename, with_check, (regexp_match(qual, '^\\((\\w+) = '))[1] AS col
                   FROM pg_policies
                  WHERE schemaname = 'public' AND policyname = 'tenant_guard'
                    AND tablename <> ALL (ARRAY['${WRITE_GUARD_EXEMPT.join("', '")}'])
        LOOP
          EXECUTE format('ALTER POLICY tenant_guard ON %I WITH CHECK (%s)', p.tablename,
                         replace(p.with_check, 'app_current_client()', 'app_write_client()'));
          EXECUTE format('CREATE POLICY tenant_write_guard ON %I AS RESTRICTIVE FOR DELETE USING (%I = (SELECT app_write_client()))',
                         p.tablename, p.col);
        END LOOP;
      END
    $do$;

    -- Staff read the vendor-level entries (client_id NULL: staff sign-ins, onboarding); a visit's
    -- own entries go to its client's log even once it is no longer open.
    ALTER POLICY tenant_guard ON audit_log
      USING (client_id = (SELECT app_current_client()) OR (client_id IS NULL AND ${STAFF_ONLY}))
      WITH CHECK (client_id = (SELECT app_current_client())
                  OR (client_id IS NULL AND (SELECT app_actor_kind()) IN ('anonymous', 'staff', 'system'))
                  OR ((SELECT app_actor_kind()) = 'staff' AND support_session_id = (SELECT app_support_session())
                      AND client_id = (SELECT app_staff_session_client())));
    CREATE INDEX audit_log_client_seq ON audit_log (client_id, seq DESC);

    -- Names of staff for pages that credit their work (comments, close records, audit, visits).
    CREATE FUNCTION staff_directory(p_ids uuid[]) RETURNS TABLE (id uuid, name text, role text)
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT id, name, role FROM staff_users
         WHERE id = ANY (p_ids) AND (app_current_client() IS NOT NULL OR app_actor_kind() = 'staff') $$;

    -- Whom to tell that a visit waits for approval: the client's active Administrators, for the
    -- staff member who asked, while it is pending.
    CREATE FUNCTION support_request_recipients(p_visit uuid) RETURNS TABLE (email text, name text)
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT u.email, u.name FROM support_sessions s JOIN users u ON u.client_id = s.client_id
         WHERE s.id = p_visit AND s.staff_id = app_current_staff() AND app_actor_kind() = 'staff' AND s.status = 'pending'
           AND u.rank = 'administrator' AND u.status = 'active' $$;

    -- Who the context is, for the admin functions below (they run as the owner, so these read
    -- staff_users directly): an active staff member; one of those who run the service.
    CREATE FUNCTION app_staff_signed_in() RETURNS boolean LANGUAGE sql STABLE AS
      $$ SELECT app_actor_kind() = 'staff' AND EXISTS (SELECT 1 FROM staff_users WHERE id = app_current_staff() AND status = 'active') $$;
    CREATE FUNCTION app_staff_operator() RETURNS boolean LANGUAGE sql STABLE AS
      $$ SELECT app_actor_kind() = 'staff' AND EXISTS (SELECT 1 FROM staff_users WHERE id = app_current_staff() AND status = 'active'
                                                        AND role IN ('technical_director', 'application_developer')) $$;

    -- The admin area's view of clients: the directory only, never their data.
    CREATE FUNCTION admin_clients() RETURNS TABLE (id uuid, name text, time_zone text, status text,
        representative_id uuid, support_approval_required boolean, created_at timestamptz, user_count bigint)
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT c.id, c.name, c.time_zone, c.status, c.representative_id, c.support_approval_required, c.created_at,
               (SELECT count(*) FROM users u WHERE u.client_id = c.id AND u.status <> 'deactivated')
          FROM clients c
         WHERE app_staff_signed_in()
         ORDER BY lower(c.name), c.id $$;

    CREATE FUNCTION admin_save_client(p_id uuid, p_name text, p_time_zone text, p_status text, p_representative uuid)
      RETURNS uuid LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        DECLARE saved uuid;
        BEGIN
          IF NOT app_staff_operator() THEN
            RAISE EXCEPTION 'only the Technical Director and Application Developers manage clients' USING ERRCODE = 'insufficient_privilege';
          END IF;
          IF p_representative IS NOT NULL AND NOT EXISTS (
               SELECT 1 FROM staff_users WHERE id = p_representative AND role = 'client_representative' AND status <> 'deactivated') THEN
            RAISE EXCEPTION 'the representative must be a Client Representative' USING ERRCODE = 'check_violation';
          END IF;
          IF p_id IS NULL THEN
            INSERT INTO clients (name, time_zone, representative_id) VALUES (p_name, p_time_zone, p_representative) RETURNING id INTO saved;
          ELSE
            UPDATE clients SET name = p_name, time_zone = p_time_zone, status = p_status, representative_id = p_representative,
                               updated_at = now()
             WHERE id = p_id RETURNING id INTO saved;
          END IF;
          RETURN saved;
        END $$;

    -- A new client's first Administrator, invited by staff: only while the client has no other
    -- user, so this never adds anyone to a client already in use.
    CREATE FUNCTION admin_invite_first_administrator(p_client uuid, p_email text, p_name text, p_token_hash bytea, p_expires timestamptz)
      RETURNS uuid LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        DECLARE invited uuid;
        BEGIN
          IF NOT app_staff_operator() THEN
            RAISE EXCEPTION 'only the Technical Director and Application Developers onboard clients' USING ERRCODE = 'insufficient_privilege';
          END IF;
          IF EXISTS (SELECT 1 FROM users WHERE client_id = p_client) THEN
            RAISE EXCEPTION 'the client already has users' USING ERRCODE = 'unique_violation';
          END IF;
          INSERT INTO users (client_id, email, name, rank, status) VALUES (p_client, lower(p_email), p_name, 'administrator', 'invited')
            RETURNING id INTO invited;
          INSERT INTO password_reset_tokens (client_id, user_id, purpose, token_hash, expires_at)
            VALUES (p_client, invited, 'invite', p_token_hash, p_expires);
          RETURN invited;
        END $$;

    -- The outbox across clients, for delivery problems: addresses and status, never the bodies;
    -- for the Technical Director and Application Developers, who run the service.
    CREATE FUNCTION admin_mail_outbox(p_limit integer) RETURNS TABLE (id uuid, client_id uuid, to_address text, subject text,
        kind text, status text, attempts integer, last_error text, created_at timestamptz, sent_at timestamptz)
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT m.id, m.client_id, m.to_address, m.subject, m.kind, m.status, m.attempts, m.last_error, m.created_at, m.sent_at
          FROM mail_outbox m
         WHERE app_staff_operator()
         ORDER BY m.created_at DESC LIMIT least(p_limit, 1000) $$;

    -- Server errors for the admin page: what failed where, never request bodies or client data.
    CREATE TABLE app_errors (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      occurred_at timestamptz NOT NULL DEFAULT now(),
      request_id text,
      method text,
      path text CHECK (length(path) <= 500),
      status integer,
      error_name text CHECK (length(error_name) <= 200),
      message text CHECK (length(message) <= 1000)
    );
    CREATE INDEX app_errors_time ON app_errors (occurred_at DESC);
    ALTER TABLE app_errors ENABLE ROW LEVEL SECURITY;
    ALTER TABLE app_errors FORCE ROW LEVEL SECURITY;
    CREATE POLICY errors_recorded ON app_errors FOR INSERT WITH CHECK (true);
    CREATE POLICY errors_read ON app_errors FOR SELECT USING (${STAFF_ONLY});
    GRANT SELECT, INSERT ON app_errors TO ${roles.app};

    REVOKE ALL ON FUNCTION support_request_recipients(uuid) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION support_request_recipients(uuid) TO ${roles.app};
    REVOKE ALL ON FUNCTION auth_staff_by_email(text), auth_staff_token(bytea), app_support_client(boolean),
      app_staff_session_client(), app_staff_may_enter(uuid), app_client_requires_approval(uuid), staff_directory(uuid[]),
      admin_clients(), admin_save_client(uuid, text, text, text, uuid),
      admin_invite_first_administrator(uuid, text, text, bytea, timestamptz), admin_mail_outbox(integer) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION auth_staff_by_email(text), auth_staff_token(bytea), app_support_client(boolean),
      app_staff_session_client(), app_staff_may_enter(uuid), app_client_requires_approval(uuid), staff_directory(uuid[]),
      admin_clients(), admin_save_client(uuid, text, text, text, uuid),
      admin_invite_first_administrator(uuid, text, text, bytea, timestamptz), admin_mail_outbox(integer) TO ${roles.app};
  `);
}

export async function down({ sql, roles }: MigrationContext): Promise<void> {
  await sql(`
    DROP TABLE app_errors;
    DROP FUNCTION admin_mail_outbox(integer);
    DROP FUNCTION admin_invite_first_administrator(uuid, text, text, bytea, timestamptz);
    DROP FUNCTION admin_save_client(uuid, text, text, text, uuid);
    DROP FUNCTION admin_clients();
    DROP FUNCTION app_staff_operator();
    DROP FUNCTION app_staff_signed_in();
    DROP FUNCTION staff_directory(uuid[]);
    DROP FUNCTION support_request_recipients(uuid);
    DROP INDEX audit_log_client_seq;
    ALTER POLICY tenant_guard ON audit_log
      USING (client_id = (SELECT app_current_client()))
      WITH CHECK (client_id = (SELECT app_current_client())
                  OR (client_id IS NULL AND (SELECT app_actor_kind()) IN ('anonymous', 'staff', 'system')));
    DO $do$
      DECLARE p record;
      BEGIN
        FOR p IN SELECT tablename, with_check FROM pg_policies
                  WHERE schemaname = 'public' AND policyname = 'tenant_guard' AND tablename <> 'support_sessions'
        LOOP
          EXECUTE format('ALTER POLICY tenant_guard ON %I WITH CHECK (%s)', p.tablename,
                         replace(p.with_check, 'app_write_client()', 'app_current_client()'));
          EXECUTE format('DROP POLICY IF EXISTS tenant_write_guard ON %I', p.tablename);
        END LOOP;
      END
    $do$;
    DROP TABLE support_sessions;
    DROP FUNCTION support_session_transition();
    CREATE OR REPLACE FUNCTION app_current_client() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
      $$ SELECT nullif(current_setting('app.client_id', true), '')::uuid $$;
    DROP FUNCTION app_write_client();
    DROP FUNCTION app_client_requires_approval(uuid);
    DROP FUNCTION app_staff_may_enter(uuid);
    DROP FUNCTION app_staff_session_client();
    DROP FUNCTION app_support_client(boolean);
    ALTER TABLE checklist_responses DROP COLUMN answered_by_staff_id;
    ALTER TABLE documents DROP COLUMN uploaded_by_staff_id;
    ALTER TABLE event_comments DROP COLUMN author_staff_id;
    ALTER TABLE event_closures DROP COLUMN closed_by_staff_id;
    ALTER TABLE events DROP CONSTRAINT events_closed_complete;
    ALTER TABLE events ADD CONSTRAINT events_closed_complete CHECK (status <> 'closed'
      OR (completed_on IS NOT NULL AND closed_by IS NOT NULL AND closed_at IS NOT NULL));
    ALTER TABLE events DROP COLUMN closed_by_staff_id;
    DROP TRIGGER clients_keep_support_control ON clients;
    DROP FUNCTION clients_keep_support_control();
    REVOKE UPDATE ON clients FROM ${roles.app};
    GRANT UPDATE ON clients TO ${roles.app};
    ALTER TABLE clients DROP COLUMN support_approval_required, DROP COLUMN representative_id;
    DROP FUNCTION auth_staff_token(bytea);
    DROP FUNCTION auth_staff_by_email(text);
    DROP TABLE staff_tokens;
    DROP TABLE staff_users;
    DROP FUNCTION app_support_session();
    DROP FUNCTION app_current_staff();
  `);
}
