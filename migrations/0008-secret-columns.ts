// Secret columns out of the runtime role's reach (DESIGN.md §8.1, §8.3).
//
// users and staff_users hold two secrets each: password_hash (bcrypt) and totp_secret (the sealed
// TOTP secret). The runtime role loses SELECT, INSERT and UPDATE on them: its table privileges
// become column privileges on every other column, so no query it runs (a `SELECT *`, a RETURNING,
// a WHERE that probes a hash) can read them, in any context. Each use goes through a narrow
// SECURITY DEFINER function below that reads or writes only the context's own row, and only in
// the context the flow runs in: the sign-in lookup (anonymous, by e-mail), the signed-in user's
// own hash and secret, a password set with a live link or by the user, an enrolment that never
// replaces an enrolled authenticator. Generated has_password and has_totp_secret columns tell
// the application whether a secret is set without revealing it.
//
// Staff rows: a staff context sees its own row (and set-up links), and the others' only while it
// stands for an active staff member, so a made-up staff id sees nothing.
//
// support_session_transition() no longer lets a context-less change through unchecked: only a
// role that bypasses row-level security (the owner's maintenance) may correct rows without one.
import type { MigrationContext } from '../services/database/migrator.ts';

const SECRET_COLUMNS = ['password_hash', 'totp_secret'];
const TABLES = ['users', 'staff_users'];

/** bcrypt's modular-crypt form, so nothing else (a plain password, an empty string) is stored. */
const BCRYPT_HASH = `'^\\$2[aby]\\$[0-9]{2}\\$[./A-Za-z0-9]{53}$'`;
/** lib/secret-box.ts's sealed form. */
const SEALED = `'^v1:'`;

/** The transition rule of 0007; `nullContext` is what happens without app.actor_kind. */
function transitionFunction(nullContext: string): string {
  return `
    CREATE OR REPLACE FUNCTION support_session_transition() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        kind text := app_actor_kind();
        own boolean := kind = 'staff' AND NEW.staff_id = app_current_staff();
        client_user boolean := kind = 'user' AND app_current_user() IS NOT NULL;
      BEGIN
        ${nullContext}
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
      END $$;`;
}

const FUNCTIONS = [
  'auth_sign_in_lookup(text)',
  'auth_own_password_hash()',
  'auth_set_password(uuid, text, uuid)',
  'auth_own_totp_secret()',
  'auth_set_own_totp_secret(text)',
  'auth_staff_sign_in_lookup(text)',
  'auth_own_staff_totp_secret()',
  'auth_staff_begin_enrolment(text)',
  'auth_staff_set_password(uuid, text)',
  'auth_staff_set_initial_password(uuid, text)',
  'auth_staff_clear_credentials(uuid)',
  'app_staff_active()',
];

export async function up({ sql, roles }: MigrationContext): Promise<void> {
  await sql(`
    ALTER TABLE users
      ADD COLUMN has_password boolean GENERATED ALWAYS AS (password_hash IS NOT NULL) STORED,
      ADD COLUMN has_totp_secret boolean GENERATED ALWAYS AS (totp_secret IS NOT NULL) STORED;
    ALTER TABLE staff_users
      ADD COLUMN has_password boolean GENERATED ALWAYS AS (password_hash IS NOT NULL) STORED,
      ADD COLUMN has_totp_secret boolean GENERATED ALWAYS AS (totp_secret IS NOT NULL) STORED;

    -- Table privileges become column privileges on everything but the secrets (generated
    -- columns are read, never written).
    REVOKE SELECT, INSERT, UPDATE ON ${TABLES.join(', ')} FROM ${roles.app};
    DO $do$
      DECLARE t text; readable text; writable text;
      BEGIN
        FOREACH t IN ARRAY ARRAY['${TABLES.join("', '")}'] LOOP
          SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum),
                 string_agg(quote_ident(attname), ', ' ORDER BY attnum) FILTER (WHERE attgenerated = '')
            INTO readable, writable
            FROM pg_attribute
           WHERE attrelid = t::regclass AND attnum > 0 AND NOT attisdropped
             AND attname <> ALL (ARRAY['${SECRET_COLUMNS.join("', '")}']);
          EXECUTE format('GRANT SELECT (%s) ON %I TO ${roles.app}', readable, t);
          EXECUTE format('GRANT INSERT (%s), UPDATE (%s) ON %I TO ${roles.app}', writable, writable, t);
        END LOOP;
      END
    $do$;

    -- Client users ---------------------------------------------------------------------------

    -- Sign-in, before the client is known: the account and its hash, for an anonymous context
    -- only (bcrypt compares outside the database, outside any transaction).
    CREATE FUNCTION auth_sign_in_lookup(p_email text) RETURNS TABLE (user_id uuid, client_id uuid, password_hash text)
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT id, client_id, password_hash FROM users
         WHERE email = lower(p_email) AND app_actor_kind() = 'anonymous' $$;

    -- The signed-in user's own hash (changing the password, turning two-factor sign-in off).
    CREATE FUNCTION auth_own_password_hash() RETURNS text
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT password_hash FROM users
         WHERE id = app_current_user() AND client_id = app_current_client() AND app_actor_kind() = 'user' $$;

    -- A new password: by the signed-in user for themselves, or with a live reset or invitation
    -- link of that user (p_token, anonymous context). Refused otherwise.
    CREATE FUNCTION auth_set_password(p_user uuid, p_hash text, p_token uuid) RETURNS void
      LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
          IF p_hash IS NULL OR p_hash !~ ${BCRYPT_HASH} THEN
            RAISE EXCEPTION 'not a bcrypt hash' USING ERRCODE = 'check_violation';
          END IF;
          UPDATE users u SET password_hash = p_hash
           WHERE u.id = p_user AND u.client_id = app_current_client()
             AND ((app_actor_kind() = 'user' AND p_token IS NULL AND p_user = app_current_user())
                  OR (app_actor_kind() = 'anonymous' AND EXISTS (
                        SELECT 1 FROM password_reset_tokens t
                         WHERE t.id = p_token AND t.client_id = u.client_id AND t.user_id = u.id
                           AND t.used_at IS NULL AND t.expires_at > now())));
          IF NOT FOUND THEN
            RAISE EXCEPTION 'this context may not set that password' USING ERRCODE = 'insufficient_privilege';
          END IF;
        END $$;

    -- The signed-in (or, with a proven password, signing-in) user's own sealed TOTP secret.
    CREATE FUNCTION auth_own_totp_secret() RETURNS text
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT totp_secret FROM users
         WHERE id = app_current_user() AND client_id = app_current_client() AND app_actor_kind() = 'user' $$;

    -- Stores (enrolment) or clears (turning it off) the user's own secret, never while
    -- two-factor sign-in is on: an enrolled authenticator is not replaced behind its back.
    CREATE FUNCTION auth_set_own_totp_secret(p_sealed text) RETURNS void
      LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
          IF p_sealed IS NOT NULL AND p_sealed !~ ${SEALED} THEN
            RAISE EXCEPTION 'not a sealed secret' USING ERRCODE = 'check_violation';
          END IF;
          UPDATE users SET totp_secret = p_sealed
           WHERE id = app_current_user() AND client_id = app_current_client() AND app_actor_kind() = 'user'
             AND totp_enabled_at IS NULL;
          IF NOT FOUND THEN
            RAISE EXCEPTION 'this context may not change that authenticator' USING ERRCODE = 'insufficient_privilege';
          END IF;
        END $$;

    -- Staff ------------------------------------------------------------------------------------

    -- Whether the context stands for an active staff member (for the staff tables' policies,
    -- which cannot read staff_users themselves without recursing).
    CREATE FUNCTION app_staff_active() RETURNS boolean
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
      $$ SELECT app_staff_signed_in() $$;

    ALTER POLICY staff_only ON staff_users
      USING ((SELECT app_actor_kind()) = 'system'
             OR ((SELECT app_actor_kind()) = 'staff' AND (id = (SELECT app_current_staff()) OR (SELECT app_staff_active()))))
      WITH CHECK ((SELECT app_actor_kind()) = 'system'
             OR ((SELECT app_actor_kind()) = 'staff' AND (id = (SELECT app_current_staff()) OR (SELECT app_staff_active()))));
    ALTER POLICY staff_only ON staff_tokens
      USING ((SELECT app_actor_kind()) = 'system'
             OR ((SELECT app_actor_kind()) = 'staff' AND (staff_id = (SELECT app_current_staff()) OR (SELECT app_staff_active()))))
      WITH CHECK ((SELECT app_actor_kind()) = 'system'
             OR ((SELECT app_actor_kind()) = 'staff' AND (staff_id = (SELECT app_current_staff()) OR (SELECT app_staff_active()))));

    CREATE FUNCTION auth_staff_sign_in_lookup(p_email text) RETURNS TABLE (staff_id uuid, password_hash text)
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT id, password_hash FROM staff_users WHERE email = lower(p_email) AND app_actor_kind() = 'anonymous' $$;

    CREATE FUNCTION auth_own_staff_totp_secret() RETURNS text
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT totp_secret FROM staff_users WHERE id = app_current_staff() AND app_actor_kind() = 'staff' $$;

    -- The secret to enrol, made once the password was accepted: only for an active account
    -- without one, so an enrolled (or half-enrolled) authenticator is never replaced.
    CREATE FUNCTION auth_staff_begin_enrolment(p_sealed text) RETURNS void
      LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
          IF p_sealed IS NULL OR p_sealed !~ ${SEALED} THEN
            RAISE EXCEPTION 'not a sealed secret' USING ERRCODE = 'check_violation';
          END IF;
          UPDATE staff_users SET totp_secret = p_sealed, totp_last_step = NULL
           WHERE id = app_current_staff() AND app_actor_kind() = 'staff' AND status = 'active'
             AND totp_enabled_at IS NULL AND totp_secret IS NULL;
          IF NOT FOUND THEN
            RAISE EXCEPTION 'this context may not enrol an authenticator' USING ERRCODE = 'insufficient_privilege';
          END IF;
        END $$;

    -- A password from a live set-up link of the context's own account; the authenticator starts afresh.
    CREATE FUNCTION auth_staff_set_password(p_token uuid, p_hash text) RETURNS void
      LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
          IF p_hash IS NULL OR p_hash !~ ${BCRYPT_HASH} THEN
            RAISE EXCEPTION 'not a bcrypt hash' USING ERRCODE = 'check_violation';
          END IF;
          UPDATE staff_users f SET password_hash = p_hash, totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL
           WHERE f.id = app_current_staff() AND app_actor_kind() = 'staff' AND f.status <> 'deactivated'
             AND EXISTS (SELECT 1 FROM staff_tokens t WHERE t.id = p_token AND t.staff_id = f.id
                                                     AND t.used_at IS NULL AND t.expires_at > now());
          IF NOT FOUND THEN
            RAISE EXCEPTION 'this context may not set that password' USING ERRCODE = 'insufficient_privilege';
          END IF;
        END $$;

    -- npm run staff:create: the first password of an account that has none, in a system context.
    CREATE FUNCTION auth_staff_set_initial_password(p_staff uuid, p_hash text) RETURNS void
      LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
          IF p_hash IS NULL OR p_hash !~ ${BCRYPT_HASH} THEN
            RAISE EXCEPTION 'not a bcrypt hash' USING ERRCODE = 'check_violation';
          END IF;
          UPDATE staff_users SET password_hash = p_hash
           WHERE id = p_staff AND app_actor_kind() = 'system' AND password_hash IS NULL;
          IF NOT FOUND THEN
            RAISE EXCEPTION 'this context may not set that password' USING ERRCODE = 'insufficient_privilege';
          END IF;
        END $$;

    -- The Technical Director's reset of someone else: password and authenticator cleared.
    CREATE FUNCTION auth_staff_clear_credentials(p_staff uuid) RETURNS void
      LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
          UPDATE staff_users SET password_hash = NULL, totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL
           WHERE id = p_staff AND p_staff <> app_current_staff() AND app_staff_signed_in()
             AND EXISTS (SELECT 1 FROM staff_users me WHERE me.id = app_current_staff() AND me.role = 'technical_director');
          IF NOT FOUND THEN
            RAISE EXCEPTION 'only another Technical Director resets a staff account' USING ERRCODE = 'insufficient_privilege';
          END IF;
        END $$;

    REVOKE ALL ON FUNCTION ${FUNCTIONS.join(', ')} FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION ${FUNCTIONS.join(', ')} TO ${roles.app};

    ${transitionFunction(`IF kind IS NULL THEN
          -- The owner's maintenance bypasses row-level security and may correct rows directly;
          -- any other role without a context is refused, never waved through.
          IF (SELECT rolbypassrls OR rolsuper FROM pg_roles WHERE rolname = current_user) THEN RETURN NEW; END IF;
          RAISE EXCEPTION 'support sessions change only in a context (app.actor_kind is not set)'
            USING ERRCODE = 'insufficient_privilege';
        END IF;`)}
  `);
}

export async function down({ sql, roles }: MigrationContext): Promise<void> {
  await sql(`
    ${transitionFunction('IF kind IS NULL THEN RETURN NEW; END IF;')}
    DROP FUNCTION ${FUNCTIONS.filter((f) => f !== 'app_staff_active()').join(', ')};
    ALTER POLICY staff_only ON staff_tokens
      USING ((SELECT app_actor_kind()) IN ('staff', 'system'))
      WITH CHECK ((SELECT app_actor_kind()) IN ('staff', 'system'));
    ALTER POLICY staff_only ON staff_users
      USING ((SELECT app_actor_kind()) IN ('staff', 'system'))
      WITH CHECK ((SELECT app_actor_kind()) IN ('staff', 'system'));
    DROP FUNCTION app_staff_active();
    -- Revoking a table privilege revokes the column privileges too.
    REVOKE SELECT, INSERT, UPDATE ON ${TABLES.join(', ')} FROM ${roles.app};
    GRANT SELECT, INSERT, UPDATE ON ${TABLES.join(', ')} TO ${roles.app};
    ALTER TABLE staff_users DROP COLUMN has_totp_secret, DROP COLUMN has_password;
    ALTER TABLE users DROP COLUMN has_totp_secret, DROP COLUMN has_password;
  `);
}
