// Who appears in a facility's events and documents (the report and list filters' choices of
// assignee and uploader), found by skipping through these indexes a value at a time
// (services/events/facility-values.ts) rather than by reading every event of a large client.
import type { MigrationContext } from '../services/database/migrator.ts';

export async function up({ sql }: MigrationContext): Promise<void> {
  await sql(`
    CREATE INDEX events_facility_assignee ON events (client_id, facility_id, assignee_id);
    CREATE INDEX documents_facility_uploader ON documents (client_id, facility_id, uploaded_by);
  `);
}

export async function down({ sql }: MigrationContext): Promise<void> {
  await sql(`
    DROP INDEX documents_facility_uploader;
    DROP INDEX events_facility_assignee;
  `);
}
