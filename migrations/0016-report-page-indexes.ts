// The reports' first pages on a large client (DESIGN.md §12): the newest close records and
// documents come first, and open events by due date, activity and id, so an index in that order
// lets a page stop at its 50 rows instead of sorting every row; per facility as well, for a narrow
// scope. Cancelled events by facility and due date, for the on-time report's rows (a cancelled
// event makes a row that counts nothing). And an item's last scheduled event (the upcoming
// report's start, the generator's high-water mark) read from the occurrence key's index alone:
// the facility, which the scope policy reads, is carried in it.
import type { MigrationContext } from '../services/database/migrator.ts';

export async function up({ sql }: MigrationContext): Promise<void> {
  await sql(`
    CREATE INDEX event_closures_newest ON event_closures (client_id, closed_at DESC, id);
    CREATE INDEX event_closures_facility_newest ON event_closures (client_id, facility_id, closed_at DESC, id);
    CREATE INDEX documents_newest ON documents (client_id, uploaded_at DESC, id);
    CREATE INDEX documents_facility_newest ON documents (client_id, facility_id, uploaded_at DESC, id);
    CREATE INDEX events_open_by_due ON events (client_id, due_date, activity, id) WHERE status = 'open';
    CREATE INDEX events_cancelled_by_facility ON events (client_id, facility_id, due_date) INCLUDE (assignee_id) WHERE status = 'cancelled';
    ALTER TABLE events DROP CONSTRAINT events_occurrence_key,
      ADD CONSTRAINT events_occurrence_key UNIQUE (client_id, plan_item_id, scheduled_date) INCLUDE (facility_id);
  `);
}

export async function down({ sql }: MigrationContext): Promise<void> {
  await sql(`
    ALTER TABLE events DROP CONSTRAINT events_occurrence_key,
      ADD CONSTRAINT events_occurrence_key UNIQUE (client_id, plan_item_id, scheduled_date);
    DROP INDEX events_cancelled_by_facility;
    DROP INDEX events_open_by_due;
    DROP INDEX documents_facility_newest;
    DROP INDEX documents_newest;
    DROP INDEX event_closures_facility_newest;
    DROP INDEX event_closures_newest;
  `);
}
