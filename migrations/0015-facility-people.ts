// Who has worked at each facility, counted (DESIGN.md §7, §12): per facility and person, the events
// they hold (any status, and the open ones), the documents they uploaded, and the close records of
// their closed events (late, recorded late, the documents each lists). The report and list filters
// offer the people of a scope from it; the open events and the completed history's counts over a
// whole scope are its sums;
// read from the events, close records and documents themselves that is every row of a large client.
// Statement triggers keep it equal to counting those rows (services/database/kept-counts.ts).
// One statement must not both change an event's status and add its close record (a writable CTE
// doing both would count the record twice); the app closes an event, then records the close.
import { addCountsSql, countingBlock, facilityCountsSecurity, type KeptCounts, refillSql } from '../services/database/kept-counts.ts';
import type { MigrationContext } from '../services/database/migrator.ts';

const PEOPLE: KeptCounts = {
  table: 'facility_people',
  keys: ['client_id', 'facility_id', 'person_id'],
  counts: ['events', 'open_events', 'documents', 'records', 'records_late', 'records_recorded_late', 'records_documents'],
  consistent: `open_events BETWEEN 0 AND events AND documents >= 0 AND records >= 0 AND records_late BETWEEN 0 AND records
    AND records_recorded_late BETWEEN 0 AND records AND records_documents >= 0`,
};

/** Each event of `changed` (events rows with a `sign`) for its assignee, with the close records
 *  of the closed ones. */
function eventsSql(changed: string): string {
  return `SELECT c.client_id, c.facility_id, c.assignee_id, c.sign, CASE WHEN c.status = 'open' THEN c.sign ELSE 0 END, 0, 0, 0, 0, 0
            FROM (${changed}) c
          UNION ALL
          SELECT c.client_id, c.facility_id, c.assignee_id, 0, 0, 0, c.sign, CASE WHEN k.late THEN c.sign ELSE 0 END,
                 CASE WHEN k.recorded_late THEN c.sign ELSE 0 END, c.sign * jsonb_array_length(k.documents)
            FROM (${changed}) c
           CROSS JOIN LATERAL (${closuresOf('c')}) k
           WHERE c.status = 'closed'`;
}

/** An event's close records, looked up by its key (a lateral: the planner knows nothing of a
 *  transition table's size, and must not read every close record to join a few). */
const closuresOf = (c: string) => `SELECT k.* FROM event_closures k WHERE k.client_id = ${c}.client_id AND k.event_id = ${c}.id`;

/** New close records (`added`, event_closures rows) of closed events, for the event's assignee. */
const recordsSql = (added: string) =>
  `SELECT e.client_id, e.facility_id, e.assignee_id, 0, 0, 0, 1, CASE WHEN k.late THEN 1 ELSE 0 END,
          CASE WHEN k.recorded_late THEN 1 ELSE 0 END, jsonb_array_length(k.documents)
     FROM ${added} k
    CROSS JOIN LATERAL (SELECT e.* FROM events e WHERE e.client_id = k.client_id AND e.id = k.event_id) e
    WHERE e.status = 'closed'`;

/** Each document of `changed` (documents rows with a `sign`) for who uploaded it (staff uploads name no one). */
const documentsSql = (changed: string) =>
  `SELECT d.client_id, d.facility_id, d.uploaded_by, 0, 0, d.sign, 0, 0, 0, 0 FROM (${changed}) d WHERE d.uploaded_by IS NOT NULL`;

/** The trigger function's body for a table with rows of `rows` (a contributions builder). */
const changesBody = (rows: (changed: string) => string) => countingBlock(`
      IF TG_OP = 'INSERT' THEN
        ${addCountsSql(PEOPLE, rows('SELECT 1 AS sign, n.* FROM new_rows n'))}
      ELSIF TG_OP = 'UPDATE' THEN
        ${addCountsSql(PEOPLE, rows('SELECT 1 AS sign, n.* FROM new_rows n UNION ALL SELECT -1, o.* FROM old_rows o'))}
      ELSE
        ${addCountsSql(PEOPLE, rows('SELECT -1 AS sign, o.* FROM old_rows o'))}
      END IF;
      RETURN NULL;`);

const REFILL = refillSql(PEOPLE, eventsSql('SELECT 1 AS sign, e.* FROM events e'), documentsSql('SELECT 1 AS sign, d.* FROM documents d'));

/** Statement triggers on `table` after inserts, updates and deletes, calling `fn`, and a refill after a truncate. */
const triggersOn = (table: string, fn: string) => `
    CREATE TRIGGER facility_people_insert AFTER INSERT ON ${table} REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}();
    CREATE TRIGGER facility_people_update AFTER UPDATE ON ${table} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}();
    CREATE TRIGGER facility_people_delete AFTER DELETE ON ${table} REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}();
    CREATE TRIGGER facility_people_truncate AFTER TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION facility_people_refill();`;

export async function up({ sql, roles }: MigrationContext): Promise<void> {
  await sql(`
    CREATE TABLE facility_people (
      client_id uuid NOT NULL,
      facility_id uuid NOT NULL,
      person_id uuid NOT NULL,
      events integer NOT NULL DEFAULT 0,
      open_events integer NOT NULL DEFAULT 0,
      documents integer NOT NULL DEFAULT 0,
      records integer NOT NULL DEFAULT 0,
      records_late integer NOT NULL DEFAULT 0,
      records_recorded_late integer NOT NULL DEFAULT 0,
      records_documents integer NOT NULL DEFAULT 0,
      PRIMARY KEY (client_id, facility_id, person_id),
      -- Derived rows go with their facility; the key to org_units implies the client.
      FOREIGN KEY (client_id, facility_id) REFERENCES org_units (client_id, id) ON DELETE CASCADE,
      FOREIGN KEY (client_id, person_id) REFERENCES users (client_id, id)
    );
    ${facilityCountsSecurity(PEOPLE, roles.app)}

    CREATE FUNCTION facility_people_count_events() RETURNS trigger LANGUAGE plpgsql AS $$ ${changesBody(eventsSql)} $$;
    CREATE FUNCTION facility_people_count_documents() RETURNS trigger LANGUAGE plpgsql AS $$ ${changesBody(documentsSql)} $$;
    -- Close records are append-only: only ever added.
    CREATE FUNCTION facility_people_count_records() RETURNS trigger LANGUAGE plpgsql AS $$ ${countingBlock(`${addCountsSql(PEOPLE, recordsSql('new_rows'))} RETURN NULL;`)} $$;
    -- After a TRUNCATE (the owner's; the runtime role has none) the counts start again from the rows.
    CREATE FUNCTION facility_people_refill() RETURNS trigger LANGUAGE plpgsql AS $$ ${countingBlock(`${REFILL} RETURN NULL;`)} $$;
    -- Firing a trigger needs no EXECUTE.
    REVOKE ALL ON FUNCTION facility_people_count_events() FROM PUBLIC;
    REVOKE ALL ON FUNCTION facility_people_count_documents() FROM PUBLIC;
    REVOKE ALL ON FUNCTION facility_people_count_records() FROM PUBLIC;
    REVOKE ALL ON FUNCTION facility_people_refill() FROM PUBLIC;

    -- The counts as of now, with writes held off until the triggers exist.
    LOCK TABLE events, event_closures, documents IN SHARE MODE;
    DO $$ ${countingBlock(REFILL)} $$;
    ${triggersOn('events', 'facility_people_count_events')}
    ${triggersOn('documents', 'facility_people_count_documents')}
    CREATE TRIGGER facility_people_insert AFTER INSERT ON event_closures REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION facility_people_count_records();
    CREATE TRIGGER facility_people_truncate AFTER TRUNCATE ON event_closures FOR EACH STATEMENT EXECUTE FUNCTION facility_people_refill();
  `);
}

export async function down({ sql }: MigrationContext): Promise<void> {
  await sql(`
    DROP TRIGGER facility_people_truncate ON event_closures;
    DROP TRIGGER facility_people_insert ON event_closures;
    ${['events', 'documents'].map((t) => ['insert', 'update', 'delete', 'truncate'].map((w) => `DROP TRIGGER facility_people_${w} ON ${t};`).join(' ')).join('\n    ')}
    DROP FUNCTION facility_people_refill();
    DROP FUNCTION facility_people_count_records();
    DROP FUNCTION facility_people_count_documents();
    DROP FUNCTION facility_people_count_events();
    DROP TABLE facility_people;
  `);
}
