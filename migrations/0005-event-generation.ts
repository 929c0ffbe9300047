// Event generation (issue 4, DESIGN.md §4, §9): the generator and the daily self-check run as
// the system actor across every client, one client per unit of work. The runtime role cannot list
// clients (RLS keys clients on the current client), so this narrow lookup returns their ids only,
// and only in a system context; everything else is read inside each client's own unit of work.
import type { MigrationContext } from '../services/database/migrator.ts';

export async function up({ sql, roles }: MigrationContext): Promise<void> {
  await sql(`
    CREATE FUNCTION system_client_ids() RETURNS SETOF uuid
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
      $$ SELECT id FROM clients WHERE app_actor_kind() = 'system' ORDER BY id $$;
    REVOKE ALL ON FUNCTION system_client_ids() FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION system_client_ids() TO ${roles.app};

    -- No occurrence before this date is generated: set when an item resumes after a pause, so
    -- the weeks it was switched off do not come back as overdue obligations. The rule itself
    -- keeps its start, so "every other Tuesday" keeps its rhythm.
    ALTER TABLE plan_items ADD COLUMN generate_from date;
  `);
}

export async function down({ sql }: MigrationContext): Promise<void> {
  await sql(`
    ALTER TABLE plan_items DROP COLUMN generate_from;
    DROP FUNCTION system_client_ids();
  `);
}
