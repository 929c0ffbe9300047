// Plan Item imports (DESIGN.md §7): the uploaded spreadsheet is kept between its dry run and its
// apply, because the app is stateless (any server may take the apply request) and the apply must
// validate the very file the user saw. Only the file and who uploaded it are kept, for 24 hours;
// each row is readable by its uploader only, within their client.
import type { MigrationContext } from '../services/database/migrator.ts';

export async function up({ sql, roles }: MigrationContext): Promise<void> {
  await sql(`
    CREATE TABLE plan_item_imports (
      client_id uuid NOT NULL REFERENCES clients (id),
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      uploaded_by uuid NOT NULL,
      file_name text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
      format text NOT NULL CHECK (format IN ('xlsx', 'csv')),
      content bytea NOT NULL,
      sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL DEFAULT now() + interval '24 hours',
      applied_at timestamptz,
      UNIQUE (client_id, id),
      FOREIGN KEY (client_id, uploaded_by) REFERENCES users (client_id, id)
    );
    CREATE INDEX plan_item_imports_expiry ON plan_item_imports (client_id, expires_at);
    ALTER TABLE plan_item_imports ENABLE ROW LEVEL SECURITY;
    ALTER TABLE plan_item_imports FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_guard ON plan_item_imports AS RESTRICTIVE
      USING (client_id = (SELECT app_current_client()))
      WITH CHECK (client_id = (SELECT app_write_client()));
    CREATE POLICY tenant_write_guard ON plan_item_imports AS RESTRICTIVE FOR DELETE USING (client_id = (SELECT app_write_client()));
    CREATE POLICY tenant_update_guard ON plan_item_imports AS RESTRICTIVE FOR UPDATE USING (client_id = (SELECT app_write_client()));
    -- A kept file is its uploader's (jobs, acting for the whole client, may clear expired ones).
    CREATE POLICY own_upload ON plan_item_imports
      USING (uploaded_by = (SELECT app_current_user()) OR (SELECT app_scope_all()) AND (SELECT app_current_user()) IS NULL)
      WITH CHECK (uploaded_by = (SELECT app_current_user()));
    GRANT SELECT, INSERT, DELETE ON plan_item_imports TO ${roles.app};
    GRANT UPDATE (applied_at) ON plan_item_imports TO ${roles.app};

    -- Expired files of the whole client go whenever anyone of it uploads one: row-level security
    -- shows a user only their own files, so this reads as the owner, for the current client only.
    CREATE FUNCTION plan_item_imports_purge() RETURNS integer
      LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        WITH gone AS (DELETE FROM plan_item_imports WHERE client_id = app_current_client() AND expires_at <= now() RETURNING 1)
        SELECT count(*)::int FROM gone
      $$;
    REVOKE ALL ON FUNCTION plan_item_imports_purge() FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION plan_item_imports_purge() TO ${roles.app};
  `);
}

export async function down({ sql }: MigrationContext): Promise<void> {
  await sql('DROP FUNCTION plan_item_imports_purge(); DROP TABLE plan_item_imports;');
}
