// The yearly compliance report (DESIGN.md §9): the Technical Director reads the audit log's
// summary across every client (counts only, never the entries), the backups' history (read
// defensively: their tables come with the backups work), and the dependency audits imported from
// `npm audit --json`.
import type { MigrationContext } from '../services/database/migrator.ts';

const DIRECTOR = `app_actor_kind() = 'staff' AND EXISTS (SELECT 1 FROM staff_users WHERE id = app_current_staff() AND status = 'active' AND role = 'technical_director')`;

export async function up({ sql, roles }: MigrationContext): Promise<void> {
  await sql(`
    -- Audit entries per month and action in [p_from, p_to), every client and the vendor's own.
    CREATE FUNCTION ops_audit_summary(p_from timestamptz, p_to timestamptz) RETURNS TABLE (month text, action text, entries bigint)
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM'), action, count(*)
          FROM audit_log
         WHERE occurred_at >= p_from AND occurred_at < p_to AND (${DIRECTOR})
         GROUP BY 1, 2 ORDER BY 1, 2 $$;

    -- Support sessions of the period, every client (staff read support_sessions, not clients).
    CREATE FUNCTION ops_support_sessions(p_from timestamptz, p_to timestamptz) RETURNS TABLE (
        client_name text, staff_name text, reason text, read_only boolean, status text,
        requested_at timestamptz, started_at timestamptz, ended_at timestamptz)
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT c.name, f.name, s.reason, s.read_only, s.status, s.requested_at, s.started_at, s.ended_at
          FROM support_sessions s JOIN clients c ON c.id = s.client_id JOIN staff_users f ON f.id = s.staff_id
         WHERE s.requested_at >= p_from AND s.requested_at < p_to AND (${DIRECTOR})
         ORDER BY c.name, s.requested_at $$;

    -- The backups' rows as JSON, whatever their columns (none while the tables do not exist).
    -- The year's backup runs and restore checks (migration 0020's tables), by when they happened.
    CREATE FUNCTION ops_backup_history(p_from timestamptz, p_to timestamptz) RETURNS TABLE (kind text, at timestamptz, status text, detail text)
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT * FROM (
          SELECT 'backup'::text, coalesce(b.finished_at, b.started_at, b.requested_at) AS at, b.status, left(to_jsonb(b)::text, 500) FROM backup_runs b
          UNION ALL
          SELECT 'restore_check', coalesce(r.finished_at, r.started_at, r.requested_at), r.status, left(to_jsonb(r)::text, 500) FROM restore_checks r) h
         WHERE h.at >= p_from AND h.at < p_to AND (${DIRECTOR})
         ORDER BY h.at $$;

    -- \`npm audit --json\` reports, as taken (npm run deps:audit).
    CREATE TABLE dependency_audits (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      taken_at timestamptz NOT NULL DEFAULT now(),
      lockfile_sha256 text NOT NULL,
      report jsonb NOT NULL
    );
    ALTER TABLE dependency_audits ENABLE ROW LEVEL SECURITY;
    ALTER TABLE dependency_audits FORCE ROW LEVEL SECURITY;
    CREATE POLICY dependency_audits_recorded ON dependency_audits FOR INSERT WITH CHECK ((SELECT app_actor_kind()) = 'system');
    CREATE POLICY dependency_audits_read ON dependency_audits FOR SELECT USING ((SELECT app_actor_kind()) = 'system' OR (SELECT app_staff_operator()));
    GRANT SELECT, INSERT ON dependency_audits TO ${roles.app};

    REVOKE ALL ON FUNCTION ops_audit_summary(timestamptz, timestamptz), ops_support_sessions(timestamptz, timestamptz), ops_backup_history(timestamptz, timestamptz) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION ops_audit_summary(timestamptz, timestamptz), ops_support_sessions(timestamptz, timestamptz), ops_backup_history(timestamptz, timestamptz) TO ${roles.app};
  `);
}

export async function down({ sql }: MigrationContext): Promise<void> {
  await sql(`
    DROP TABLE dependency_audits;
    DROP FUNCTION ops_backup_history(timestamptz, timestamptz);
    DROP FUNCTION ops_support_sessions(timestamptz, timestamptz);
    DROP FUNCTION ops_audit_summary(timestamptz, timestamptz);
  `);
}
