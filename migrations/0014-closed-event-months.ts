// The closed events' monthly counts (DESIGN.md §7, §12): the dashboard and the reports count a
// year or more of closed events per facility; read from the events themselves that is every row of
// a large client. closed_event_months holds, per facility, assignee and month, how many closed
// events were due that month and how many of those were on time, how many were completed that
// month, and the close records of closed events due that month (late, recorded late, documents).
// Triggers on events and event_closures keep it equal to counting the rows, in the statement that
// changes them; readers add the partial months at the ends of a period from the events (through
// the partial indexes below) and count open events live.
//
// "On time" is services/events/definitions.ts's closedOnTimeSql, spliced in here: a change to
// that definition needs a migration that replaces these functions and refills the table.
// One statement must not both change an event's status and add its close record (a writable CTE
// doing both would count the record twice); the app closes, then records.
import type { MigrationContext } from '../services/database/migrator.ts';
import { closedOnTimeSql } from '../services/events/definitions.ts';

const COUNTS = ['due_closed', 'due_on_time', 'completed', 'records', 'records_late', 'records_recorded_late', 'records_documents'] as const;

/**
 * The INSERT that adds each event's counts to its rows, times its `sign`, from `changed`: a
 * SELECT of events rows with a `sign` column (+1 added, −1 taken away). Only closed events count.
 */
function addEventsSql(changed: string): string {
  return `
    WITH changed AS (SELECT * FROM (${changed}) c WHERE c.status = 'closed'),
    contributions (client_id, facility_id, assignee_id, month, ${COUNTS.join(', ')}) AS (
      SELECT c.client_id, c.facility_id, c.assignee_id, date_trunc('month', c.due_date)::date,
             c.sign, CASE WHEN ${closedOnTimeSql('c')} THEN c.sign ELSE 0 END, 0, 0, 0, 0, 0
        FROM changed c
      UNION ALL
      SELECT c.client_id, c.facility_id, c.assignee_id, date_trunc('month', c.completed_on)::date, 0, 0, c.sign, 0, 0, 0, 0
        FROM changed c
      UNION ALL
      SELECT c.client_id, c.facility_id, c.assignee_id, date_trunc('month', k.due_date)::date, 0, 0, 0,
             c.sign, CASE WHEN k.late THEN c.sign ELSE 0 END, CASE WHEN k.recorded_late THEN c.sign ELSE 0 END, c.sign * jsonb_array_length(k.documents)
        FROM changed c JOIN event_closures k ON k.client_id = c.client_id AND k.event_id = c.id)${upsertSql('contributions')}`;
}

/** The INSERT that adds new close records of closed events (`added`, event_closures rows). */
function addRecordsSql(added: string): string {
  return `
    WITH contributions (client_id, facility_id, assignee_id, month, ${COUNTS.join(', ')}) AS (
      SELECT e.client_id, e.facility_id, e.assignee_id, date_trunc('month', k.due_date)::date, 0, 0, 0,
             1, CASE WHEN k.late THEN 1 ELSE 0 END, CASE WHEN k.recorded_late THEN 1 ELSE 0 END, jsonb_array_length(k.documents)
        FROM ${added} k JOIN events e ON e.client_id = k.client_id AND e.id = k.event_id
       WHERE e.status = 'closed')${upsertSql('contributions')}`;
}

/** Rows whose counts cannot be the events' own (a count below zero, more on time than closed). */
const INCONSISTENT = `NOT (due_on_time BETWEEN 0 AND due_closed AND completed >= 0
  AND records_late BETWEEN 0 AND records AND records_recorded_late BETWEEN 0 AND records AND records_documents >= 0)`;

/**
 * Sums contributions per row and adds them, in key order (so concurrent writers lock rows in the
 * same order); rows whose counts do not change are not touched at all. Selects into `broken`
 * how many rows it left inconsistent. (A CHECK constraint cannot say it: INSERT … ON CONFLICT
 * checks the proposed row, the change itself, before it becomes an update.)
 */
function upsertSql(contributions: string): string {
  const sums = COUNTS.map((c) => `sum(${c})::int`).join(', ');
  return `,
    added AS (
      INSERT INTO closed_event_months AS m (client_id, facility_id, assignee_id, month, ${COUNTS.join(', ')})
      SELECT client_id, facility_id, assignee_id, month, ${sums}
        FROM ${contributions}
       GROUP BY client_id, facility_id, month, assignee_id
      HAVING ${COUNTS.map((c) => `sum(${c}) <> 0`).join(' OR ')}
       ORDER BY client_id, facility_id, month, assignee_id
      ON CONFLICT (client_id, facility_id, month, assignee_id) DO UPDATE
         SET ${COUNTS.map((c) => `${c} = m.${c} + excluded.${c}`).join(', ')}
      RETURNING ${COUNTS.join(', ')})
    SELECT count(*) INTO broken FROM added WHERE ${INCONSISTENT}`;
}

/** After a count: refuses the statement when the counts no longer equal the events. */
const REFUSE_BROKEN = `IF broken > 0 THEN
        RAISE EXCEPTION 'closed_event_months: % row(s) would not equal the events', broken USING ERRCODE = 'check_violation';
      END IF;`;

const REFILL = `DELETE FROM closed_event_months; ${addEventsSql('SELECT 1 AS sign, e.* FROM events e')}; ${REFUSE_BROKEN}`;

export async function up({ sql, roles }: MigrationContext): Promise<void> {
  await sql(`
    CREATE TABLE closed_event_months (
      client_id uuid NOT NULL,
      facility_id uuid NOT NULL,
      assignee_id uuid NOT NULL,
      -- The first day of the month.
      month date NOT NULL CHECK (month = date_trunc('month', month)::date),
      due_closed integer NOT NULL DEFAULT 0,
      due_on_time integer NOT NULL DEFAULT 0,
      completed integer NOT NULL DEFAULT 0,
      records integer NOT NULL DEFAULT 0,
      records_late integer NOT NULL DEFAULT 0,
      records_recorded_late integer NOT NULL DEFAULT 0,
      records_documents integer NOT NULL DEFAULT 0,
      PRIMARY KEY (client_id, facility_id, month, assignee_id),
      -- Derived rows go with their facility; the one to org_units implies the client.
      FOREIGN KEY (client_id, facility_id) REFERENCES org_units (client_id, id) ON DELETE CASCADE,
      FOREIGN KEY (client_id, assignee_id) REFERENCES users (client_id, id)
    );
    ALTER TABLE closed_event_months ENABLE ROW LEVEL SECURITY;
    ALTER TABLE closed_event_months FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_guard ON closed_event_months AS RESTRICTIVE
      USING (client_id = (SELECT app_current_client()))
      WITH CHECK (client_id = (SELECT app_write_client()));
    CREATE POLICY tenant_write_guard ON closed_event_months AS RESTRICTIVE FOR DELETE USING (client_id = (SELECT app_write_client()));
    CREATE POLICY facility_scope ON closed_event_months
      USING ((SELECT app_scope_all()) OR facility_id = ANY ((SELECT app_scope_units())::uuid[]))
      WITH CHECK ((SELECT app_scope_all()) OR facility_id = ANY ((SELECT app_scope_units())::uuid[]));
    -- Written by the triggers below in the writer's own rights, so row-level security checks the
    -- counts' rows as it checked the events'; only the counts ever change.
    GRANT SELECT, INSERT ON closed_event_months TO ${roles.app};
    GRANT UPDATE (${COUNTS.join(', ')}) ON closed_event_months TO ${roles.app};

    -- A count that would go wrong (below zero, more on time than closed) fails the statement
    -- instead of drifting.
    CREATE FUNCTION closed_event_months_count_events() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE broken integer;
    BEGIN
      IF TG_OP = 'INSERT' THEN
        ${addEventsSql('SELECT 1 AS sign, n.* FROM new_rows n')};
      ELSIF TG_OP = 'UPDATE' THEN
        ${addEventsSql('SELECT 1 AS sign, n.* FROM new_rows n UNION ALL SELECT -1, o.* FROM old_rows o')};
      ELSE
        ${addEventsSql('SELECT -1 AS sign, o.* FROM old_rows o')};
      END IF;
      ${REFUSE_BROKEN}
      RETURN NULL;
    END $$;
    CREATE FUNCTION closed_event_months_count_records() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE broken integer;
    BEGIN
      ${addRecordsSql('new_rows')};
      ${REFUSE_BROKEN}
      RETURN NULL;
    END $$;
    -- After a TRUNCATE (the owner's; the runtime role has none) the counts start again from the rows.
    CREATE FUNCTION closed_event_months_refill() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE broken integer;
    BEGIN
      ${REFILL}
      RETURN NULL;
    END $$;
    -- Firing a trigger needs no EXECUTE.
    REVOKE ALL ON FUNCTION closed_event_months_count_events() FROM PUBLIC;
    REVOKE ALL ON FUNCTION closed_event_months_count_records() FROM PUBLIC;
    REVOKE ALL ON FUNCTION closed_event_months_refill() FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION closed_event_months_count_events() TO ${roles.app};
    GRANT EXECUTE ON FUNCTION closed_event_months_count_records() TO ${roles.app};

    -- The counts as of now, with writes to events and close records held off until the triggers exist.
    LOCK TABLE events, event_closures IN SHARE MODE;
    DO $$ DECLARE broken integer; BEGIN ${REFILL} END $$;
    CREATE TRIGGER closed_event_months_insert AFTER INSERT ON events REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION closed_event_months_count_events();
    CREATE TRIGGER closed_event_months_update AFTER UPDATE ON events REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION closed_event_months_count_events();
    CREATE TRIGGER closed_event_months_delete AFTER DELETE ON events REFERENCING OLD TABLE AS old_rows
      FOR EACH STATEMENT EXECUTE FUNCTION closed_event_months_count_events();
    CREATE TRIGGER closed_event_months_insert AFTER INSERT ON event_closures REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION closed_event_months_count_records();
    CREATE TRIGGER closed_event_months_truncate AFTER TRUNCATE ON events FOR EACH STATEMENT EXECUTE FUNCTION closed_event_months_refill();
    CREATE TRIGGER closed_event_months_truncate AFTER TRUNCATE ON event_closures FOR EACH STATEMENT EXECUTE FUNCTION closed_event_months_refill();

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
    DROP TRIGGER closed_event_months_truncate ON event_closures;
    DROP TRIGGER closed_event_months_truncate ON events;
    DROP TRIGGER closed_event_months_insert ON event_closures;
    DROP TRIGGER closed_event_months_delete ON events;
    DROP TRIGGER closed_event_months_update ON events;
    DROP TRIGGER closed_event_months_insert ON events;
    DROP FUNCTION closed_event_months_refill();
    DROP FUNCTION closed_event_months_count_records();
    DROP FUNCTION closed_event_months_count_events();
    DROP TABLE closed_event_months;
  `);
}
