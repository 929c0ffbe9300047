// Freeze mode (DESIGN.md §9): the policy's "freeze all client data" when the internet cannot be
// relied on. A client is frozen by its own flag (clients.frozen_at), by the Technical Director's
// service-wide switch (service_freeze), or by READ_ONLY=true in the configuration, which the app's
// connections carry as the setting app.read_only. app_write_client(), which every tenant guard's
// write check reads, then names no client, so the runtime role writes nothing there whatever the
// application does. What must keep working while frozen (sign-in and its counters, lockouts,
// reset links, mail delivery) checks app_account_write_client() instead: docs/FREEZE.md lists
// those tables and why. audit_log and support_sessions never read app_write_client().
import type { MigrationContext } from '../services/database/migrator.ts';

/** Tenant tables whose writes go on during a freeze (see docs/FREEZE.md). */
export const FREEZE_EXEMPT = ['users', 'password_reset_tokens', 'recovery_codes', 'mail_outbox'];

/** The user columns sign-in, lockout, password reset and invitation acceptance change: the only ones a freeze lets change
 *  (and the generated has_* columns, not yet computed when a BEFORE trigger sees the row). */
const SIGN_IN_COLUMNS = ['failed_login_count', 'locked_at', 'last_login_at', 'status', 'password_hash', 'password_changed_at',
  'session_epoch', 'totp_last_step', 'updated_at', 'has_password', 'has_totp_secret'];

/** Rewrites the exempt tables' write checks from one function to the other (its alias with it). */
function swapGuards(from: string, to: string): string {
  return `
    DO $do$
      DECLARE p record;
      BEGIN
        FOR p IN SELECT tablename, policyname, with_check, qual FROM pg_policies
                  WHERE schemaname = 'public' AND policyname IN ('tenant_guard', 'tenant_write_guard')
                    AND tablename = ANY (ARRAY['${FREEZE_EXEMPT.join("', '")}'])
        LOOP
          IF p.policyname = 'tenant_guard' THEN
            EXECUTE format('ALTER POLICY tenant_guard ON %I WITH CHECK (%s)', p.tablename, replace(p.with_check, '${from}', '${to}'));
          ELSE
            EXECUTE format('ALTER POLICY tenant_write_guard ON %I USING (%s)', p.tablename, replace(p.qual, '${from}', '${to}'));
          END IF;
        END LOOP;
      END
    $do$;`;
}

export async function up({ sql, roles }: MigrationContext): Promise<void> {
  await sql(`
    ALTER TABLE clients
      ADD COLUMN frozen_at timestamptz,
      ADD COLUMN frozen_reason text CHECK (length(frozen_reason) <= 500),
      ADD COLUMN frozen_by_staff_id uuid REFERENCES staff_users (id),
      ADD CONSTRAINT clients_frozen_has_reason CHECK ((frozen_at IS NULL) = (frozen_reason IS NULL));

    -- The service-wide switch: one row while everything is frozen, none otherwise.
    CREATE TABLE service_freeze (
      singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
      reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
      frozen_at timestamptz NOT NULL DEFAULT now(),
      frozen_by_staff_id uuid REFERENCES staff_users (id)
    );
    ALTER TABLE service_freeze ENABLE ROW LEVEL SECURITY;
    ALTER TABLE service_freeze FORCE ROW LEVEL SECURITY;
    -- Changed only through admin_set_freeze(); read through app_freeze_state().

    -- Why the client is frozen, if it is (the most general reason first); nothing otherwise. A
    -- client user learns only about their own client.
    CREATE FUNCTION app_freeze_state(p_client uuid) RETURNS TABLE (scope text, reason text, since timestamptz, by_staff uuid)
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT * FROM (
          SELECT 'configuration'::text, 'PlanTRAK is in read-only mode (READ_ONLY is set in its configuration).'::text, NULL::timestamptz, NULL::uuid
           WHERE current_setting('app.read_only', true) = 'on'
          UNION ALL
          SELECT 'service', reason, frozen_at, frozen_by_staff_id FROM service_freeze
          UNION ALL
          SELECT 'client', frozen_reason, frozen_at, frozen_by_staff_id FROM clients WHERE id = p_client AND frozen_at IS NOT NULL
        ) s
        WHERE p_client IS NULL OR p_client = app_current_client() OR app_actor_kind() IN ('staff', 'system')
        LIMIT 1 $$;
    CREATE FUNCTION app_client_frozen(p_client uuid) RETURNS boolean
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT coalesce(current_setting('app.read_only', true), '') = 'on'
            OR EXISTS (SELECT 1 FROM service_freeze)
            OR EXISTS (SELECT 1 FROM clients WHERE id = p_client AND frozen_at IS NOT NULL) $$;

    -- Who may write the context's client regardless of a freeze (the tables listed above).
    CREATE FUNCTION app_account_write_client() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
      $$ SELECT CASE WHEN app_actor_kind() = 'staff' THEN app_support_client(true)
                     ELSE nullif(current_setting('app.client_id', true), '')::uuid END $$;
    -- Everything else: the same, unless the client is frozen.
    CREATE OR REPLACE FUNCTION app_write_client() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
      $$ SELECT w.c FROM (SELECT app_account_write_client() AS c) w WHERE w.c IS NOT NULL AND NOT app_client_frozen(w.c) $$;
    ${swapGuards('app_write_client', 'app_account_write_client')}

    -- A frozen client's users keep signing in (counters, lockouts, resets); nothing else of theirs changes.
    CREATE FUNCTION users_frozen_changes() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF app_actor_kind() IS NULL OR NOT app_client_frozen(coalesce(NEW.client_id, OLD.client_id)) THEN
          RETURN coalesce(NEW, OLD);
        END IF;
        IF TG_OP = 'UPDATE'
           AND (to_jsonb(NEW) - ARRAY['${SIGN_IN_COLUMNS.join("', '")}']) = (to_jsonb(OLD) - ARRAY['${SIGN_IN_COLUMNS.join("', '")}'])
           -- Locking, unlocking, and accepting an invitation (setting one's password) are sign-in.
           AND (NEW.status = OLD.status OR (OLD.status IN ('invited', 'active', 'locked') AND NEW.status IN ('active', 'locked'))) THEN
          RETURN NEW;
        END IF;
        RAISE EXCEPTION 'the client''s data is frozen: only sign-in may change its users' USING ERRCODE = 'insufficient_privilege';
      END $$;
    CREATE TRIGGER users_frozen_changes BEFORE INSERT OR UPDATE OR DELETE ON users
      FOR EACH ROW EXECUTE FUNCTION users_frozen_changes();

    -- The Technical Director's switches: p_client NULL is the whole service; p_reason NULL thaws.
    -- Returns whether anything changed.
    CREATE FUNCTION admin_set_freeze(p_client uuid, p_reason text) RETURNS boolean
      LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        DECLARE changed integer;
        BEGIN
          IF NOT (app_actor_kind() = 'system' OR (app_actor_kind() = 'staff' AND EXISTS (
                    SELECT 1 FROM staff_users WHERE id = app_current_staff() AND status = 'active' AND role = 'technical_director'))) THEN
            RAISE EXCEPTION 'only the Technical Director freezes and thaws client data' USING ERRCODE = 'insufficient_privilege';
          END IF;
          IF p_client IS NULL AND p_reason IS NULL THEN
            DELETE FROM service_freeze;
          ELSIF p_client IS NULL THEN
            INSERT INTO service_freeze (reason, frozen_by_staff_id) VALUES (p_reason, app_current_staff()) ON CONFLICT DO NOTHING;
          ELSIF NOT EXISTS (SELECT 1 FROM clients WHERE id = p_client) THEN
            RAISE EXCEPTION 'no such client' USING ERRCODE = 'no_data_found';
          ELSIF p_reason IS NULL THEN
            UPDATE clients SET frozen_at = NULL, frozen_reason = NULL, frozen_by_staff_id = NULL WHERE id = p_client AND frozen_at IS NOT NULL;
          ELSE
            UPDATE clients SET frozen_at = now(), frozen_reason = p_reason, frozen_by_staff_id = app_current_staff()
             WHERE id = p_client AND frozen_at IS NULL;
          END IF;
          GET DIAGNOSTICS changed = ROW_COUNT;
          RETURN changed > 0;
        END $$;

    -- Frozen clients for the admin area's directory.
    CREATE FUNCTION admin_frozen_clients() RETURNS TABLE (id uuid, frozen_at timestamptz, frozen_reason text)
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT id, frozen_at, frozen_reason FROM clients WHERE frozen_at IS NOT NULL AND app_actor_kind() IN ('staff', 'system') $$;

    REVOKE ALL ON FUNCTION app_freeze_state(uuid), app_client_frozen(uuid), admin_set_freeze(uuid, text), admin_frozen_clients() FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION app_freeze_state(uuid), app_client_frozen(uuid), admin_set_freeze(uuid, text), admin_frozen_clients() TO ${roles.app};
  `);
}

export async function down({ sql }: MigrationContext): Promise<void> {
  await sql(`
    DROP FUNCTION admin_frozen_clients();
    DROP FUNCTION admin_set_freeze(uuid, text);
    DROP TRIGGER users_frozen_changes ON users;
    DROP FUNCTION users_frozen_changes();
    ${swapGuards('app_account_write_client', 'app_write_client')}
    CREATE OR REPLACE FUNCTION app_write_client() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
      $$ SELECT CASE WHEN app_actor_kind() = 'staff' THEN app_support_client(true)
                     ELSE nullif(current_setting('app.client_id', true), '')::uuid END $$;
    DROP FUNCTION app_account_write_client();
    DROP FUNCTION app_client_frozen(uuid);
    DROP FUNCTION app_freeze_state(uuid);
    DROP TABLE service_freeze;
    ALTER TABLE clients DROP CONSTRAINT clients_frozen_has_reason,
      DROP COLUMN frozen_by_staff_id, DROP COLUMN frozen_reason, DROP COLUMN frozen_at;
  `);
}
