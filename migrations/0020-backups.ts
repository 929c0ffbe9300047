// Backups and their proof (DESIGN.md §9): every pgBackRest run, every restore check, and the
// markers a restore check compares against. Operations tables, not tenant tables: they hold no
// client data, only what the Technical Director and Application Developers need to see that
// backups work. The runtime role writes them as the system (the backup commands and the server's
// schedule) and staff operators may only read them and ask for a run ("queued").
import type { MigrationContext } from '../services/database/migrator.ts';

const OPERATOR = `(SELECT app_staff_operator())`;
const SYSTEM = `(SELECT app_actor_kind()) = 'system'`;

export async function up({ sql, roles }: MigrationContext): Promise<void> {
  await sql(`
    CREATE TABLE backup_runs (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      tier text NOT NULL CHECK (tier IN ('daily', 'monthly')),
      trigger text NOT NULL CHECK (trigger IN ('command', 'schedule', 'staff')),
      requested_by uuid REFERENCES staff_users (id),
      status text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
      requested_at timestamptz NOT NULL DEFAULT now(),
      started_at timestamptz,
      finished_at timestamptz,
      backup_type text CHECK (backup_type IN ('full', 'diff', 'incr')),
      label text CHECK (length(label) <= 100),
      size_bytes bigint,
      repo_size_bytes bigint,
      wal_start text CHECK (length(wal_start) <= 40),
      wal_stop text CHECK (length(wal_stop) <= 40),
      error text CHECK (length(error) <= 4000)
    );
    CREATE INDEX backup_runs_recent ON backup_runs (tier, requested_at DESC);

    CREATE TABLE restore_checks (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      trigger text NOT NULL CHECK (trigger IN ('command', 'schedule', 'staff')),
      requested_by uuid REFERENCES staff_users (id),
      status text NOT NULL CHECK (status IN ('queued', 'running', 'passed', 'failed')),
      requested_at timestamptz NOT NULL DEFAULT now(),
      started_at timestamptz,
      finished_at timestamptz,
      tier text CHECK (tier IN ('daily', 'monthly')),
      backup_label text CHECK (length(backup_label) <= 100),
      target_time timestamptz,
      marker_id bigint,
      tables_checked integer,
      error text CHECK (length(error) <= 4000),
      details jsonb
    );
    CREATE INDEX restore_checks_recent ON restore_checks (requested_at DESC);

    -- What the database held at a moment: written with every table locked against writes, so a
    -- restore to the marker's commit time must hold exactly these counts and checksums.
    CREATE TABLE restore_markers (
      id bigserial PRIMARY KEY,
      taken_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      -- Where its commit is in the WAL (near enough: its segment, or the next), so a restore
      -- check targets only markers already archived.
      lsn pg_lsn NOT NULL DEFAULT pg_current_wal_insert_lsn(),
      tables jsonb NOT NULL
    );

    ALTER TABLE backup_runs ENABLE ROW LEVEL SECURITY;
    ALTER TABLE backup_runs FORCE ROW LEVEL SECURITY;
    CREATE POLICY backup_runs_read ON backup_runs FOR SELECT USING (${OPERATOR} OR ${SYSTEM});
    CREATE POLICY backup_runs_request ON backup_runs FOR INSERT
      WITH CHECK (${SYSTEM} OR (${OPERATOR} AND status = 'queued' AND trigger = 'staff' AND requested_by = (SELECT app_current_staff())));
    CREATE POLICY backup_runs_work ON backup_runs FOR UPDATE USING (${SYSTEM}) WITH CHECK (${SYSTEM});
    GRANT SELECT, INSERT, UPDATE ON backup_runs TO ${roles.app};

    ALTER TABLE restore_checks ENABLE ROW LEVEL SECURITY;
    ALTER TABLE restore_checks FORCE ROW LEVEL SECURITY;
    CREATE POLICY restore_checks_read ON restore_checks FOR SELECT USING (${OPERATOR} OR ${SYSTEM});
    CREATE POLICY restore_checks_request ON restore_checks FOR INSERT
      WITH CHECK (${SYSTEM} OR (${OPERATOR} AND status = 'queued' AND trigger = 'staff' AND requested_by = (SELECT app_current_staff())));
    CREATE POLICY restore_checks_work ON restore_checks FOR UPDATE USING (${SYSTEM}) WITH CHECK (${SYSTEM});
    GRANT SELECT, INSERT, UPDATE ON restore_checks TO ${roles.app};

    ALTER TABLE restore_markers ENABLE ROW LEVEL SECURITY;
    ALTER TABLE restore_markers FORCE ROW LEVEL SECURITY;
    CREATE POLICY restore_markers_read ON restore_markers FOR SELECT USING (${SYSTEM});
    GRANT SELECT ON restore_markers TO ${roles.app};

    -- Row count and an order-independent checksum of every table but the backup machinery's own
    -- (which the backup commands write while they run). Invoker's rights: the marker function runs
    -- it as the owner, a restore check as the restored server's superuser.
    CREATE FUNCTION backup_table_checksums() RETURNS TABLE (table_name text, row_count bigint, checksum text)
      LANGUAGE plpgsql STABLE SET search_path = public, pg_temp AS $$
        DECLARE t text;
        BEGIN
          FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public'
                      AND tablename NOT IN ('backup_runs', 'restore_checks', 'restore_markers') ORDER BY tablename LOOP
            table_name := t;
            EXECUTE format('SELECT count(*), coalesce(sum(hashtextextended(r::text, 0)), 0)::text FROM %I r', t) INTO row_count, checksum;
            RETURN NEXT;
          END LOOP;
        END $$;
    REVOKE ALL ON FUNCTION backup_table_checksums() FROM PUBLIC;

    -- Writers wait (at most lock_timeout) while the marker is taken, so nothing commits between
    -- the checksums and the marker's own commit.
    CREATE FUNCTION backup_record_marker() RETURNS bigint
      LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp SET lock_timeout = '5s' AS $$
        DECLARE tables text; recorded bigint;
        BEGIN
          IF app_actor_kind() IS DISTINCT FROM 'system' THEN
            RAISE EXCEPTION 'only the backup commands record restore markers' USING ERRCODE = 'insufficient_privilege';
          END IF;
          SELECT string_agg(format('%I', tablename), ', ' ORDER BY tablename) INTO tables
            FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('backup_runs', 'restore_checks', 'restore_markers');
          EXECUTE format('LOCK TABLE %s IN SHARE MODE', tables);
          INSERT INTO restore_markers (tables)
            SELECT jsonb_object_agg(table_name, jsonb_build_object('rows', row_count, 'checksum', checksum)) FROM backup_table_checksums()
            RETURNING id INTO recorded;
          RETURN recorded;
        END $$;

    -- A marker's commit time (track_commit_timestamp): the point in time a restore check targets.
    CREATE FUNCTION backup_markers() RETURNS TABLE (id bigint, taken_at timestamptz, committed_at timestamptz, lsn text, tables jsonb)
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT m.id, m.taken_at,
               CASE WHEN current_setting('track_commit_timestamp') = 'on' THEN pg_xact_commit_timestamp(m.xmin) END, m.lsn::text, m.tables
          FROM restore_markers m
         WHERE app_actor_kind() = 'system' ORDER BY m.id $$;
    REVOKE ALL ON FUNCTION backup_record_marker(), backup_markers() FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION backup_record_marker(), backup_markers() TO ${roles.app};
  `);
}

export async function down({ sql }: MigrationContext): Promise<void> {
  await sql(`
    DROP FUNCTION backup_markers();
    DROP FUNCTION backup_record_marker();
    DROP FUNCTION backup_table_checksums();
    DROP TABLE restore_markers;
    DROP TABLE restore_checks;
    DROP TABLE backup_runs;
  `);
}
