// The open events' facility index carries each event's Plan Item and assignee, so the reports that
// read a facility's open events by due date (who holds what is overdue, which overdue events are
// relative items') count them from the index alone, facility by facility, without a visit to
// the table's pages for every overdue event of a large client. And the relative Plan Items apart
// (a tenth of a client's items, each with at most one open event): the upcoming report counts
// their overdue events, which stay in its window, against them alone.
import type { MigrationContext } from '../services/database/migrator.ts';

export async function up({ sql }: MigrationContext): Promise<void> {
  await sql(`
    DROP INDEX events_open_by_facility;
    CREATE INDEX events_open_by_facility ON events (client_id, facility_id, due_date) INCLUDE (plan_item_id, assignee_id) WHERE status = 'open';
    CREATE INDEX plan_items_relative ON plan_items (client_id, id) WHERE schedule_kind = 'relative';
  `);
}

export async function down({ sql }: MigrationContext): Promise<void> {
  await sql(`
    DROP INDEX plan_items_relative;
    DROP INDEX events_open_by_facility;
    CREATE INDEX events_open_by_facility ON events (client_id, facility_id, due_date) WHERE status = 'open';
  `);
}
