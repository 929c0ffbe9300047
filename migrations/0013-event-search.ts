// Text search over events lists (DESIGN.md §5, §7): a search finds an event by words or fragments
// of its activity, its description or its Plan Item's regulatory reference ("122.26(b)", "CFR").
// Substring matching (ILIKE '%…%') keeps references with dots and brackets findable, which
// full-text parsing would split or drop; pg_trgm's GIN indexes serve those ILIKE searches. Like
// every index on a tenant table they lead with client_id (btree_gin puts the uuid in a GIN index).
// The category filter gets a plain index beside them.
import type { MigrationContext } from '../services/database/migrator.ts';

export async function up({ sql }: MigrationContext): Promise<void> {
  await sql(`
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE EXTENSION IF NOT EXISTS btree_gin;
    CREATE INDEX events_activity_trgm ON events USING gin (client_id, activity gin_trgm_ops);
    CREATE INDEX events_description_trgm ON events USING gin (client_id, description gin_trgm_ops);
    CREATE INDEX plan_items_regulatory_reference_trgm ON plan_items USING gin (client_id, regulatory_reference gin_trgm_ops);
    CREATE INDEX plan_items_category ON plan_items (client_id, category) WHERE category IS NOT NULL;
  `);
}

export async function down({ sql }: MigrationContext): Promise<void> {
  await sql(`
    DROP INDEX plan_items_category;
    DROP INDEX plan_items_regulatory_reference_trgm;
    DROP INDEX events_description_trgm;
    DROP INDEX events_activity_trgm;
    DROP EXTENSION IF EXISTS btree_gin;
    DROP EXTENSION IF EXISTS pg_trgm;
  `);
}
