// Operations the policy promises (DESIGN.md §9): the figures /metrics reports across clients, the
// update and patch log (the versions every start runs), the daily log review's "reviewed" marks,
// and the pruning of old errors and throttle rows. None of it is tenant data: the runtime role
// reaches the cross-client figures only through functions returning numbers, as the system actor.
import type { MigrationContext } from '../services/database/migrator.ts';

const SYSTEM_ONLY = `(SELECT app_actor_kind()) = 'system'`;
const STAFF_OPERATOR = `(SELECT app_staff_operator())`;

export async function up({ sql, roles }: MigrationContext): Promise<void> {
  await sql(`
    -- One row per change of what runs: written at start when anything differs from the last row.
    CREATE TABLE version_log (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      recorded_at timestamptz NOT NULL DEFAULT now(),
      app_version text NOT NULL CHECK (length(app_version) <= 100),
      node_version text NOT NULL CHECK (length(node_version) <= 100),
      postgres_version text NOT NULL CHECK (length(postgres_version) <= 300),
      lockfile_sha256 text NOT NULL CHECK (lockfile_sha256 ~ '^[0-9a-f]{64}$|^unknown$'),
      -- [{name, applied_at}] from schema_migrations, in order.
      migrations jsonb NOT NULL
    );
    CREATE INDEX version_log_time ON version_log (recorded_at DESC);
    ALTER TABLE version_log ENABLE ROW LEVEL SECURITY;
    ALTER TABLE version_log FORCE ROW LEVEL SECURITY;
    CREATE POLICY version_log_recorded ON version_log FOR INSERT WITH CHECK (${SYSTEM_ONLY});
    CREATE POLICY version_log_read ON version_log FOR SELECT USING (${SYSTEM_ONLY} OR ${STAFF_OPERATOR});
    GRANT SELECT, INSERT ON version_log TO ${roles.app};

    -- The migrations applied, with their times, for the log (schema_migrations is the owner's).
    CREATE FUNCTION ops_applied_migrations() RETURNS TABLE (name text, applied_at timestamptz)
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT name, applied_at FROM schema_migrations
         WHERE app_actor_kind() = 'system' OR app_staff_operator() ORDER BY name $$;

    -- The daily log review: a section of the System page marked reviewed for a day, by whom.
    CREATE TABLE log_reviews (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      review_day date NOT NULL,
      section text NOT NULL CHECK (section IN ('errors', 'mail', 'jobs', 'self_check', 'backups')),
      reviewed_by uuid NOT NULL REFERENCES staff_users (id),
      reviewed_at timestamptz NOT NULL DEFAULT now(),
      note text CHECK (length(note) <= 1000),
      UNIQUE (review_day, section)
    );
    ALTER TABLE log_reviews ENABLE ROW LEVEL SECURITY;
    ALTER TABLE log_reviews FORCE ROW LEVEL SECURITY;
    CREATE POLICY log_reviews_staff ON log_reviews
      USING (${STAFF_OPERATOR})
      WITH CHECK (${STAFF_OPERATOR} AND reviewed_by = (SELECT app_current_staff()));
    GRANT SELECT, INSERT ON log_reviews TO ${roles.app};

    -- Cross-client figures for /metrics and the System page: numbers only.
    CREATE FUNCTION ops_snapshot() RETURNS TABLE (
        mail_pending bigint, mail_failed bigint, oldest_pending_mail_at timestamptz,
        notifications_queued bigint, oldest_queued_notification_at timestamptz, frozen_clients bigint)
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT (SELECT count(*) FROM mail_outbox WHERE status IN ('pending', 'sending')),
               (SELECT count(*) FROM mail_outbox WHERE status = 'failed'),
               (SELECT min(created_at) FROM mail_outbox WHERE status IN ('pending', 'sending')),
               (SELECT count(*) FROM notification_queue),
               (SELECT min(n.created_at) FROM notification_queue q JOIN notifications n ON n.client_id = q.client_id AND n.id = q.notification_id),
               (SELECT count(*) FROM clients WHERE frozen_at IS NOT NULL)
         WHERE app_actor_kind() = 'system' OR app_staff_operator() $$;

    -- The newest good backup and restore check. Their tables come with the backups (migration
    -- 0020 on that work); until then, or should their columns differ, the answer is unknown.
    -- The newest successful backup and the newest finished restore check (migration 0020's tables).
    CREATE FUNCTION ops_backup_facts() RETURNS TABLE (last_good_backup_at timestamptz, last_restore_check_at timestamptz, last_restore_check_ok boolean)
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT (SELECT max(b.finished_at) FROM backup_runs b WHERE b.status = 'succeeded'), c.finished_at, c.status = 'passed'
          FROM (SELECT 1) one
          LEFT JOIN LATERAL (SELECT r.finished_at, r.status FROM restore_checks r WHERE r.status IN ('passed', 'failed')
                              ORDER BY r.finished_at DESC LIMIT 1) c ON true
         WHERE app_actor_kind() = 'system' OR app_staff_operator() $$;

    -- Scheduled pruning (the system actor): server errors and throttle rows past their use.
    -- Expired sessions are the session store's own (connect-pg-simple prunes them).
    CREATE FUNCTION ops_prune(p_errors_days integer, p_throttle_days integer) RETURNS TABLE (errors bigint, throttle bigint)
      LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        DECLARE e bigint; t bigint;
        BEGIN
          IF app_actor_kind() IS DISTINCT FROM 'system' THEN
            RAISE EXCEPTION 'only the system prunes' USING ERRCODE = 'insufficient_privilege';
          END IF;
          DELETE FROM app_errors WHERE occurred_at < now() - make_interval(days => greatest(p_errors_days, 1));
          GET DIAGNOSTICS e = ROW_COUNT;
          DELETE FROM login_throttle WHERE window_started_at < now() - make_interval(days => greatest(p_throttle_days, 1));
          GET DIAGNOSTICS t = ROW_COUNT;
          RETURN QUERY SELECT e, t;
        END $$;

    REVOKE ALL ON FUNCTION ops_applied_migrations(), ops_snapshot(), ops_backup_facts(), ops_prune(integer, integer) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION ops_applied_migrations(), ops_snapshot(), ops_backup_facts(), ops_prune(integer, integer) TO ${roles.app};
  `);
}

export async function down({ sql }: MigrationContext): Promise<void> {
  await sql(`
    DROP FUNCTION ops_prune(integer, integer);
    DROP FUNCTION ops_backup_facts();
    DROP FUNCTION ops_snapshot();
    DROP TABLE log_reviews;
    DROP FUNCTION ops_applied_migrations();
    DROP TABLE version_log;
  `);
}
