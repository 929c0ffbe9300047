// When a close was entered, against when the work was done (DESIGN.md §5): a close entered more
// than 7 days after its completion date is "recorded late", on the event and in its close record,
// so reports can count backdated records apart from late work.
import type { MigrationContext } from '../services/database/migrator.ts';

export async function up({ sql }: MigrationContext): Promise<void> {
  await sql(`
    ALTER TABLE events ADD COLUMN recorded_late boolean NOT NULL DEFAULT false;
    ALTER TABLE events DROP CONSTRAINT events_open_uncompleted;
    ALTER TABLE events ADD CONSTRAINT events_open_uncompleted
      CHECK (status = 'closed' OR (completed_on IS NULL AND NOT late AND NOT recorded_late));
    -- Close records are append-only; the flag is set once, as the record is written.
    ALTER TABLE event_closures ADD COLUMN recorded_late boolean NOT NULL DEFAULT false;
  `);
}

export async function down({ sql }: MigrationContext): Promise<void> {
  await sql(`
    ALTER TABLE event_closures DROP COLUMN recorded_late;
    ALTER TABLE events DROP CONSTRAINT events_open_uncompleted;
    ALTER TABLE events ADD CONSTRAINT events_open_uncompleted CHECK (status = 'closed' OR (completed_on IS NULL AND NOT late));
    ALTER TABLE events DROP COLUMN recorded_late;
  `);
}
