// Background jobs record a failure for the admin errors page once a day, whichever app server
// meets it first: the app cannot read app_errors (staff only), so one function decides and writes.
// Each server remembering what it had recorded wrote the same failure once per server.
import type { MigrationContext } from '../services/database/migrator.ts';

export async function up({ sql, roles }: MigrationContext): Promise<void> {
  await sql(`
    -- The failures (where, error name, message) not recorded since p_again ago; returns how many it wrote.
    CREATE FUNCTION app_record_job_errors(p_where text[], p_names text[], p_messages text[], p_again interval) RETURNS integer
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      DECLARE
        written integer;
      BEGIN
        -- Two servers recording at once take turns, so the second sees the first's rows.
        PERFORM pg_advisory_xact_lock(hashtext('plantrak:job-errors'));
        INSERT INTO app_errors (method, path, error_name, message)
        SELECT DISTINCT 'JOB', e.w, e.n, e.m
          FROM unnest(p_where, p_names, p_messages) AS e(w, n, m)
         WHERE NOT EXISTS (SELECT 1 FROM app_errors a
                            WHERE a.method = 'JOB' AND a.path = e.w AND a.message IS NOT DISTINCT FROM e.m
                              AND a.occurred_at > now() - greatest(p_again, interval '0'));
        GET DIAGNOSTICS written = ROW_COUNT;
        RETURN written;
      END $$;
    REVOKE ALL ON FUNCTION app_record_job_errors(text[], text[], text[], interval) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION app_record_job_errors(text[], text[], text[], interval) TO ${roles.app};
  `);
}

export async function down({ sql }: MigrationContext): Promise<void> {
  await sql(`DROP FUNCTION app_record_job_errors(text[], text[], text[], interval)`);
}
