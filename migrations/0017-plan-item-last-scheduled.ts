// Each Plan Item's newest event, kept on the item (DESIGN.md §7, §12): the upcoming report projects
// an item's dates after its last generated event, and reading that event per item is a probe of
// the events for every active item of a large client. A statement trigger on events keeps
// plan_items.last_scheduled_date equal to the newest scheduled date among the item's events (an
// event's item and scheduled date never change, so inserts move it forward and deletes look again).
import type { MigrationContext } from '../services/database/migrator.ts';

export async function up({ sql }: MigrationContext): Promise<void> {
  await sql(`
    -- The scheduled date of the item's newest event; NULL while it has none.
    ALTER TABLE plan_items ADD COLUMN last_scheduled_date date;

    -- In the writer's own rights: row-level security lets whoever adds an event update its item.
    CREATE FUNCTION plan_items_last_scheduled() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        UPDATE plan_items p SET last_scheduled_date = n.last
          FROM (SELECT client_id, plan_item_id, max(scheduled_date) AS last FROM new_rows GROUP BY client_id, plan_item_id) n
         WHERE p.client_id = n.client_id AND p.id = n.plan_item_id AND (p.last_scheduled_date IS NULL OR p.last_scheduled_date < n.last);
      ELSIF TG_OP = 'DELETE' THEN
        UPDATE plan_items p SET last_scheduled_date = (SELECT max(e.scheduled_date) FROM events e WHERE e.client_id = p.client_id AND e.plan_item_id = p.id)
         WHERE (p.client_id, p.id) IN (SELECT DISTINCT client_id, plan_item_id FROM old_rows);
      ELSE
        UPDATE plan_items SET last_scheduled_date = NULL WHERE last_scheduled_date IS NOT NULL;
      END IF;
      RETURN NULL;
    END $$;
    REVOKE ALL ON FUNCTION plan_items_last_scheduled() FROM PUBLIC;

    LOCK TABLE events IN SHARE MODE;
    UPDATE plan_items p SET last_scheduled_date = m.last
      FROM (SELECT client_id, plan_item_id, max(scheduled_date) AS last FROM events GROUP BY client_id, plan_item_id) m
     WHERE p.client_id = m.client_id AND p.id = m.plan_item_id;
    CREATE TRIGGER plan_items_last_scheduled_insert AFTER INSERT ON events REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION plan_items_last_scheduled();
    CREATE TRIGGER plan_items_last_scheduled_delete AFTER DELETE ON events REFERENCING OLD TABLE AS old_rows
      FOR EACH STATEMENT EXECUTE FUNCTION plan_items_last_scheduled();
    CREATE TRIGGER plan_items_last_scheduled_truncate AFTER TRUNCATE ON events
      FOR EACH STATEMENT EXECUTE FUNCTION plan_items_last_scheduled();
  `);
}

export async function down({ sql }: MigrationContext): Promise<void> {
  await sql(`
    DROP TRIGGER plan_items_last_scheduled_truncate ON events;
    DROP TRIGGER plan_items_last_scheduled_delete ON events;
    DROP TRIGGER plan_items_last_scheduled_insert ON events;
    DROP FUNCTION plan_items_last_scheduled();
    ALTER TABLE plan_items DROP COLUMN last_scheduled_date;
  `);
}
