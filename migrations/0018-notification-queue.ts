// The notices waiting to go out move from a partial index of the ledger into a queue of their
// own. With "pending" in an index, settling a notice (queued or skipped) rewrote every index entry
// of its row; now no index of the ledger names a column that settling changes, so with room left
// on each page (fillfactor) the update is a heap-only one. The queue holds exactly the ledger's
// pending notices: statement triggers on the ledger add and remove its rows, whoever writes (the
// pass, or the assignment trigger in a user's transaction), and its rows come from checked ledger
// rows, so it carries no keys of its own.
// The ledger's foreign keys to users and events become one check per statement (below). Also
// dropped: an index the ledger's unique key already serves (it leads with client and event), and
// the foreign key to clients that the recipient check implies.
import type { MigrationContext } from '../services/database/migrator.ts';

export async function up({ sql, roles }: MigrationContext): Promise<void> {
  await sql(`
    CREATE TABLE notification_queue (
      client_id uuid NOT NULL,
      notification_id uuid NOT NULL,
      recipient_id uuid NOT NULL,
      PRIMARY KEY (client_id, notification_id)
    );
    CREATE INDEX notification_queue_recipient ON notification_queue (client_id, recipient_id);
    ALTER TABLE notification_queue ENABLE ROW LEVEL SECURITY;
    ALTER TABLE notification_queue FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_guard ON notification_queue AS RESTRICTIVE
      USING (client_id = (SELECT app_current_client()))
      WITH CHECK (client_id = (SELECT app_write_client()));
    CREATE POLICY tenant_write_guard ON notification_queue AS RESTRICTIVE FOR DELETE USING (client_id = (SELECT app_write_client()));
    CREATE POLICY own_or_all ON notification_queue
      USING (recipient_id = (SELECT app_current_user()) OR (SELECT app_scope_all()))
      WITH CHECK (true);
    GRANT SELECT, INSERT, DELETE ON notification_queue TO ${roles.app};

    INSERT INTO notification_queue (client_id, notification_id, recipient_id)
    SELECT client_id, id, recipient_id FROM notifications WHERE status = 'pending';

    -- A new notice names a recipient of its client and, when about an event, that event with its
    -- facility (which decides who may read the notice): checked once per statement, as one
    -- anti-join, where the foreign keys this replaces looked each row up one by one (a client's
    -- first pass writes a hundred thousand notices). Users and events are never deleted and an
    -- event never changes facility, so the check at insert is all those keys did. It reads as
    -- the owner, so that a user's change of assignee is checked against every user and event.
    CREATE FUNCTION notification_queue_added() RETURNS trigger
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM added a
                    WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.client_id = a.client_id AND u.id = a.recipient_id)
                       OR (a.event_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM events e WHERE e.client_id = a.client_id AND e.id = a.event_id AND e.facility_id = a.facility_id))) THEN
          RAISE EXCEPTION 'a notice names a recipient, or an event with its facility, that is not its client''s' USING ERRCODE = 'foreign_key_violation';
        END IF;
        INSERT INTO notification_queue (client_id, notification_id, recipient_id)
        SELECT client_id, id, recipient_id FROM added WHERE status = 'pending';
        RETURN NULL;
      END $$;
    CREATE FUNCTION notification_queue_settled() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM notification_queue q USING settled s
         WHERE q.client_id = s.client_id AND q.notification_id = s.id AND s.status <> 'pending';
        RETURN NULL;
      END $$;
    CREATE FUNCTION notification_queue_removed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM notification_queue q USING removed r WHERE q.client_id = r.client_id AND q.notification_id = r.id;
        RETURN NULL;
      END $$;
    REVOKE ALL ON FUNCTION notification_queue_added(), notification_queue_settled(), notification_queue_removed() FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION notification_queue_added(), notification_queue_settled(), notification_queue_removed() TO ${roles.app};
    CREATE TRIGGER notifications_queue_added AFTER INSERT ON notifications
      REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION notification_queue_added();
    -- Only settling moves a notice: a settled one never returns to pending (notifications_settled).
    CREATE TRIGGER notifications_queue_settled AFTER UPDATE ON notifications
      REFERENCING NEW TABLE AS settled FOR EACH STATEMENT EXECUTE FUNCTION notification_queue_settled();
    CREATE TRIGGER notifications_queue_removed AFTER DELETE ON notifications
      REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION notification_queue_removed();

    -- After planning a burst of notices (a client's first pass, a long outage), the planner's
    -- statistics still describe the ledger and queue as they were; delivery reads them next, and
    -- with estimates of a handful of rows picks nested loops over every notice. The pass may
    -- refresh them (ANALYZE needs the owner; it reads a sample, so it is quick).
    CREATE FUNCTION notification_statistics_refresh() RETURNS void
      LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
          IF app_actor_kind() = 'system' THEN ANALYZE notifications, notification_queue; END IF;
        END $$;
    REVOKE ALL ON FUNCTION notification_statistics_refresh() FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION notification_statistics_refresh() TO ${roles.app};

    DROP INDEX notifications_pending;
    DROP INDEX notifications_event;
    ALTER TABLE notifications DROP CONSTRAINT notifications_client_id_fkey,
      DROP CONSTRAINT notifications_client_id_recipient_id_fkey,
      DROP CONSTRAINT notifications_client_id_event_id_facility_id_fkey;
    ALTER TABLE notifications SET (fillfactor = 50);
  `);
}

export async function down({ sql }: MigrationContext): Promise<void> {
  await sql(`
    ALTER TABLE notifications RESET (fillfactor);
    ALTER TABLE notifications ADD FOREIGN KEY (client_id) REFERENCES clients (id),
      ADD FOREIGN KEY (client_id, recipient_id) REFERENCES users (client_id, id),
      ADD FOREIGN KEY (client_id, event_id, facility_id) REFERENCES events (client_id, id, facility_id);
    CREATE INDEX notifications_event ON notifications (client_id, event_id) WHERE event_id IS NOT NULL;
    CREATE INDEX notifications_pending ON notifications (client_id, recipient_id) WHERE status = 'pending';
    DROP FUNCTION notification_statistics_refresh();
    DROP TRIGGER notifications_queue_removed ON notifications;
    DROP TRIGGER notifications_queue_settled ON notifications;
    DROP TRIGGER notifications_queue_added ON notifications;
    DROP FUNCTION notification_queue_removed(), notification_queue_settled(), notification_queue_added();
    DROP TABLE notification_queue;
  `);
}
