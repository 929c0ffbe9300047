// The closed events' monthly counts (DESIGN.md §7, §12): the dashboard and the on-time report count
// a year of closed events per facility; read from the events themselves that is every row of a
// large client. closed_event_months holds, per facility and month, how many closed events were
// due that month and how many of those were on time, and how many were completed that month;
// closed_event_assignee_months the first two per assignee as well (the on-time report by
// assignee). Statement triggers on events keep both equal to counting them
// (services/database/kept-counts.ts); readers add the partial months at a period's ends from the
// events, through the partial index below, and count open events live.
//
// "On time" is services/events/definitions.ts's closedOnTimeSql, spliced in here: a change to
// that definition needs a migration that replaces these functions and refills the tables.
import { addCountsSql, countingBlock, facilityCountsSecurity, type KeptCounts, refillSql } from '../services/database/kept-counts.ts';
import type { MigrationContext } from '../services/database/migrator.ts';
import { closedOnTimeSql } from '../services/events/definitions.ts';

const MONTHS: KeptCounts = {
  table: 'closed_event_months',
  keys: ['client_id', 'facility_id', 'month'],
  counts: ['due_closed', 'due_on_time', 'completed'],
  consistent: 'due_on_time BETWEEN 0 AND due_closed AND completed >= 0',
};

const ASSIGNEE_MONTHS: KeptCounts = {
  table: 'closed_event_assignee_months',
  keys: ['client_id', 'facility_id', 'month', 'assignee_id'],
  counts: ['due_closed', 'due_on_time'],
  consistent: 'due_on_time BETWEEN 0 AND due_closed',
};

const monthOf = (date: string) => `date_trunc('month', ${date}::timestamp)::date`;
const closedOf = (changed: string) => `(SELECT * FROM (${changed}) x WHERE x.status = 'closed')`;

/** Each closed event of `changed` (events rows with a `sign`) in its due month and its completion month. */
const monthsSql = (changed: string) =>
  `SELECT c.client_id, c.facility_id, ${monthOf('c.due_date')}, c.sign, CASE WHEN ${closedOnTimeSql('c')} THEN c.sign ELSE 0 END, 0
     FROM ${closedOf(changed)} c
   UNION ALL
   SELECT c.client_id, c.facility_id, ${monthOf('c.completed_on')}, 0, 0, c.sign FROM ${closedOf(changed)} c`;

/** Each closed event of `changed` in its due month, for its assignee. */
const assigneeMonthsSql = (changed: string) =>
  `SELECT c.client_id, c.facility_id, ${monthOf('c.due_date')}, c.assignee_id, c.sign, CASE WHEN ${closedOnTimeSql('c')} THEN c.sign ELSE 0 END
     FROM ${closedOf(changed)} c`;

/** Both tables' counts of `changed`. */
const countSql = (changed: string) => `${addCountsSql(MONTHS, monthsSql(changed))}\n${addCountsSql(ASSIGNEE_MONTHS, assigneeMonthsSql(changed))}`;

const ALL_EVENTS = 'SELECT 1 AS sign, e.* FROM events e';
const REFILL = `${refillSql(MONTHS, monthsSql(ALL_EVENTS))} ${refillSql(ASSIGNEE_MONTHS, assigneeMonthsSql(ALL_EVENTS))}`;

export async function up({ sql, roles }: MigrationContext): Promise<void> {
  await sql(`
    CREATE TABLE closed_event_months (
      client_id uuid NOT NULL,
      facility_id uuid NOT NULL,
      -- The first day of the month.
      month date NOT NULL CHECK (month = date_trunc('month', month::timestamp)::date),
      due_closed integer NOT NULL DEFAULT 0,
      due_on_time integer NOT NULL DEFAULT 0,
      completed integer NOT NULL DEFAULT 0,
      -- The counts in the key's index too: readers sum them without visiting the table.
      PRIMARY KEY (client_id, facility_id, month) INCLUDE (due_closed, due_on_time, completed),
      -- Derived rows go with their facility; the key to org_units implies the client.
      FOREIGN KEY (client_id, facility_id) REFERENCES org_units (client_id, id) ON DELETE CASCADE
    );
    ${facilityCountsSecurity(MONTHS, roles.app)}
    CREATE TABLE closed_event_assignee_months (
      client_id uuid NOT NULL,
      facility_id uuid NOT NULL,
      month date NOT NULL CHECK (month = date_trunc('month', month::timestamp)::date),
      assignee_id uuid NOT NULL,
      due_closed integer NOT NULL DEFAULT 0,
      due_on_time integer NOT NULL DEFAULT 0,
      PRIMARY KEY (client_id, facility_id, month, assignee_id) INCLUDE (due_closed, due_on_time),
      FOREIGN KEY (client_id, facility_id) REFERENCES org_units (client_id, id) ON DELETE CASCADE,
      FOREIGN KEY (client_id, assignee_id) REFERENCES users (client_id, id)
    );
    ${facilityCountsSecurity(ASSIGNEE_MONTHS, roles.app)}

    -- Most statements (generation, reassignment) change no closed event: one look, then nothing.
    CREATE FUNCTION closed_event_months_count() RETURNS trigger LANGUAGE plpgsql AS $$ ${countingBlock(`
      IF TG_OP = 'INSERT' THEN
        IF NOT EXISTS (SELECT 1 FROM new_rows WHERE status = 'closed') THEN RETURN NULL; END IF;
        ${countSql('SELECT 1 AS sign, n.* FROM new_rows n')}
      ELSIF TG_OP = 'UPDATE' THEN
        IF NOT EXISTS (SELECT 1 FROM new_rows WHERE status = 'closed') AND NOT EXISTS (SELECT 1 FROM old_rows WHERE status = 'closed') THEN RETURN NULL; END IF;
        ${countSql('SELECT 1 AS sign, n.* FROM new_rows n UNION ALL SELECT -1, o.* FROM old_rows o')}
      ELSE
        ${countSql('SELECT -1 AS sign, o.* FROM old_rows o')}
      END IF;
      RETURN NULL;`)} $$;
    -- After a TRUNCATE (the owner's; the runtime role has none) the counts start again from the rows.
    CREATE FUNCTION closed_event_months_refill() RETURNS trigger LANGUAGE plpgsql AS $$ ${countingBlock(`${REFILL} RETURN NULL;`)} $$;
    -- Firing a trigger needs no EXECUTE.
    REVOKE ALL ON FUNCTION closed_event_months_count() FROM PUBLIC;
    REVOKE ALL ON FUNCTION closed_event_months_refill() FROM PUBLIC;

    -- The counts as of now, with writes to events held off until the triggers exist.
    LOCK TABLE events IN SHARE MODE;
    DO $$ ${countingBlock(REFILL)} $$;
    CREATE TRIGGER closed_event_months_insert AFTER INSERT ON events REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION closed_event_months_count();
    CREATE TRIGGER closed_event_months_update AFTER UPDATE ON events REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION closed_event_months_count();
    CREATE TRIGGER closed_event_months_delete AFTER DELETE ON events REFERENCING OLD TABLE AS old_rows
      FOR EACH STATEMENT EXECUTE FUNCTION closed_event_months_count();
    CREATE TRIGGER closed_event_months_truncate AFTER TRUNCATE ON events FOR EACH STATEMENT EXECUTE FUNCTION closed_event_months_refill();

    -- The partial months at a period's ends, counted from the closed events themselves.
    CREATE INDEX events_closed_by_facility ON events (client_id, facility_id, due_date) INCLUDE (completed_on, assignee_id) WHERE status = 'closed';
    -- Recorded-late closes (the exception) by completion date.
    CREATE INDEX events_recorded_late ON events (client_id, facility_id, completed_on) WHERE status = 'closed' AND recorded_late;
  `);
}

export async function down({ sql }: MigrationContext): Promise<void> {
  await sql(`
    DROP INDEX events_recorded_late;
    DROP INDEX events_closed_by_facility;
    DROP TRIGGER closed_event_months_truncate ON events;
    DROP TRIGGER closed_event_months_delete ON events;
    DROP TRIGGER closed_event_months_update ON events;
    DROP TRIGGER closed_event_months_insert ON events;
    DROP FUNCTION closed_event_months_refill();
    DROP FUNCTION closed_event_months_count();
    DROP TABLE closed_event_assignee_months, closed_event_months;
  `);
}
