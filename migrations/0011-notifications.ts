// Notifications (DESIGN.md §6): the ledger of every notice, one row per (event or plan item,
// recipient, kind, due-for date) so nothing is sent twice; the day ledger of digests (one mail a
// day per user); users' notification preferences; multipart mail with headers in the outbox; and
// the assignment notice written by the database in the same transaction as any change of
// assignee, whichever tool made it.
import type { MigrationContext } from '../services/database/migrator.ts';

const KINDS = ['assignment', 'reminder', 'due_today', 'overdue', 'escalation', 'weekly_summary'];

export async function up({ sql, roles }: MigrationContext): Promise<void> {
  await sql(`
    -- Preferences: the zone and hour of the daily digest, and the optional kinds turned off.
    ALTER TABLE users
      ADD COLUMN time_zone text CHECK (time_zone IS NULL OR length(time_zone) BETWEEN 1 AND 64),
      ADD COLUMN digest_hour smallint NOT NULL DEFAULT 7 CHECK (digest_hour BETWEEN 0 AND 23),
      ADD COLUMN notification_opt_outs text[] NOT NULL DEFAULT '{}'
        CHECK (notification_opt_outs <@ ARRAY['weekly_summary', 'escalation']::text[]);
    GRANT SELECT (time_zone, digest_hour, notification_opt_outs),
          INSERT (time_zone, digest_hour, notification_opt_outs),
          UPDATE (time_zone, digest_hour, notification_opt_outs) ON users TO ${roles.app};

    -- Multipart mail: an HTML part beside the text, and extra headers (List-Unsubscribe).
    ALTER TABLE mail_outbox ADD COLUMN html_body text, ADD COLUMN headers jsonb CHECK (headers IS NULL OR jsonb_typeof(headers) = 'object');
    DROP FUNCTION mail_outbox_claim(integer, interval);
    CREATE FUNCTION mail_outbox_claim(p_batch integer, p_lease interval)
      RETURNS TABLE (id uuid, to_address text, subject text, text_body text, html_body text, headers jsonb, attempts integer)
      LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        UPDATE mail_outbox m
           SET status = 'sending', attempts = m.attempts + 1, locked_until = now() + p_lease
         WHERE app_actor_kind() = 'system'
           AND m.id IN (SELECT o.id FROM mail_outbox o
                         WHERE (o.status = 'pending' AND o.next_attempt_at <= now())
                            OR (o.status = 'sending' AND o.locked_until < now())
                         ORDER BY o.next_attempt_at
                         LIMIT p_batch
                         FOR UPDATE SKIP LOCKED)
        RETURNING m.id, m.to_address, m.subject, m.text_body, m.html_body, m.headers, m.attempts $$;
    CREATE OR REPLACE FUNCTION mail_outbox_settle(p_id uuid, p_delivered boolean, p_transport text, p_error text, p_max_attempts integer)
      RETURNS void LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        UPDATE mail_outbox
           SET status = CASE WHEN p_delivered THEN 'sent' WHEN attempts >= p_max_attempts THEN 'failed' ELSE 'pending' END,
               sent_at = CASE WHEN p_delivered THEN now() END,
               transport = p_transport,
               last_error = CASE WHEN p_delivered THEN NULL ELSE left(p_error, 500) END,
               locked_until = NULL,
               next_attempt_at = now() + least(interval '30 seconds' * power(2, attempts), interval '6 hours'),
               text_body = CASE WHEN p_delivered AND sensitive THEN NULL ELSE text_body END,
               html_body = CASE WHEN p_delivered AND sensitive THEN NULL ELSE html_body END
         WHERE id = p_id AND status = 'sending' AND app_actor_kind() = 'system' $$;
    REVOKE ALL ON FUNCTION mail_outbox_claim(integer, interval) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION mail_outbox_claim(integer, interval) TO ${roles.app};

    -- The ledger. A notice is about an event (reminders, due, overdue, escalations, an event's
    -- assignment) or a plan item (its assignment), or neither (the weekly summary).
    CREATE TABLE notifications (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      client_id uuid NOT NULL REFERENCES clients (id),
      event_id uuid,
      plan_item_id uuid,
      facility_id uuid,
      recipient_id uuid NOT NULL,
      kind text NOT NULL CHECK (kind IN ('${KINDS.join("', '")}')),
      -- Escalations: the ladder's level (1 = nearest).
      level smallint CHECK (level BETWEEN 1 AND 10),
      -- The local date (the facility's; the recipient's for the weekly summary) it is due to go out.
      due_for date NOT NULL,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'queued', 'skipped')),
      skip_reason text CHECK (length(skip_reason) <= 200),
      mail_id uuid,
      created_at timestamptz NOT NULL DEFAULT now(),
      settled_at timestamptz,
      CONSTRAINT notifications_once UNIQUE NULLS NOT DISTINCT (client_id, event_id, plan_item_id, recipient_id, kind, due_for),
      CONSTRAINT notifications_settled CHECK ((status = 'pending') = (settled_at IS NULL)),
      CONSTRAINT notifications_queued_mail CHECK ((status = 'queued') = (mail_id IS NOT NULL)),
      CONSTRAINT notifications_skipped_reason CHECK ((status = 'skipped') = (skip_reason IS NOT NULL)),
      FOREIGN KEY (client_id, recipient_id) REFERENCES users (client_id, id),
      FOREIGN KEY (client_id, event_id, facility_id) REFERENCES events (client_id, id, facility_id),
      FOREIGN KEY (client_id, plan_item_id) REFERENCES plan_items (client_id, id)
    );
    CREATE INDEX notifications_pending ON notifications (client_id, recipient_id) WHERE status = 'pending';
    CREATE INDEX notifications_recipient ON notifications (client_id, recipient_id, created_at DESC);
    CREATE INDEX notifications_client_time ON notifications (client_id, created_at DESC);
    CREATE INDEX notifications_event ON notifications (client_id, event_id) WHERE event_id IS NOT NULL;
    ALTER TABLE notifications ENABLE ROW LEVEL SECURITY;
    ALTER TABLE notifications FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_guard ON notifications AS RESTRICTIVE
      USING (client_id = (SELECT app_current_client()))
      WITH CHECK (client_id = (SELECT app_write_client()));
    CREATE POLICY tenant_write_guard ON notifications AS RESTRICTIVE FOR DELETE USING (client_id = (SELECT app_write_client()));
    -- A user reads their own notices, and those about facilities in their scope (Administrators
    -- and the system read all). Writes come from the job and from changes of assignee.
    CREATE POLICY recipient_or_scope ON notifications
      USING (recipient_id = (SELECT app_current_user()) OR (SELECT app_scope_all())
             OR facility_id = ANY ((SELECT app_scope_units())::uuid[]))
      WITH CHECK (true);
    GRANT SELECT, INSERT ON notifications TO ${roles.app};
    GRANT UPDATE (status, skip_reason, mail_id, settled_at) ON notifications TO ${roles.app};

    -- One digest a day per user: the day (in the user's zone) and the message it went out in.
    CREATE TABLE notification_digests (
      client_id uuid NOT NULL REFERENCES clients (id),
      user_id uuid NOT NULL,
      digest_date date NOT NULL,
      mail_id uuid NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (client_id, user_id, digest_date),
      FOREIGN KEY (client_id, user_id) REFERENCES users (client_id, id)
    );
    ALTER TABLE notification_digests ENABLE ROW LEVEL SECURITY;
    ALTER TABLE notification_digests FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_guard ON notification_digests AS RESTRICTIVE
      USING (client_id = (SELECT app_current_client()))
      WITH CHECK (client_id = (SELECT app_write_client()));
    CREATE POLICY tenant_write_guard ON notification_digests AS RESTRICTIVE FOR DELETE USING (client_id = (SELECT app_write_client()));
    CREATE POLICY own_or_all ON notification_digests
      USING (user_id = (SELECT app_current_user()) OR (SELECT app_scope_all()))
      WITH CHECK (true);
    GRANT SELECT, INSERT ON notification_digests TO ${roles.app};

    -- The assignment notice, in the transaction of the change itself, whatever made it (the event
    -- page, bulk reassignment, the transition tool, a plan item's form). Not for assigning
    -- oneself, nor for events made by generation (their assignee hears through reminders).
    CREATE FUNCTION notify_assignment() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE zone text;
      BEGIN
        IF NEW.assignee_id IS NOT DISTINCT FROM app_current_user() THEN RETURN NEW; END IF;
        IF TG_OP = 'UPDATE' AND NEW.assignee_id IS NOT DISTINCT FROM OLD.assignee_id THEN RETURN NEW; END IF;
        SELECT coalesce(f.time_zone, c.time_zone) INTO zone
          FROM org_units f JOIN clients c ON c.id = f.client_id
         WHERE f.client_id = NEW.client_id AND f.id = NEW.facility_id;
        IF TG_TABLE_NAME = 'events' THEN
          IF NEW.status <> 'open' THEN RETURN NEW; END IF;
          INSERT INTO notifications (client_id, event_id, facility_id, recipient_id, kind, due_for)
          VALUES (NEW.client_id, NEW.id, NEW.facility_id, NEW.assignee_id, 'assignment', (now() AT TIME ZONE zone)::date)
          ON CONFLICT ON CONSTRAINT notifications_once DO NOTHING;
        ELSE
          INSERT INTO notifications (client_id, plan_item_id, facility_id, recipient_id, kind, due_for)
          VALUES (NEW.client_id, NEW.id, NEW.facility_id, NEW.assignee_id, 'assignment', (now() AT TIME ZONE zone)::date)
          ON CONFLICT ON CONSTRAINT notifications_once DO NOTHING;
        END IF;
        RETURN NEW;
      END $$;
    CREATE TRIGGER events_notify_assignment AFTER UPDATE OF assignee_id ON events
      FOR EACH ROW WHEN (app_actor_kind() = 'user' OR app_actor_kind() = 'staff') EXECUTE FUNCTION notify_assignment();
    CREATE TRIGGER plan_items_notify_assignment AFTER INSERT OR UPDATE OF assignee_id ON plan_items
      FOR EACH ROW WHEN (app_actor_kind() = 'user' OR app_actor_kind() = 'staff') EXECUTE FUNCTION notify_assignment();
    REVOKE ALL ON FUNCTION notify_assignment() FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION notify_assignment() TO ${roles.app};

    -- An unsubscribe link names its user only: the system actor may learn which client the user
    -- belongs to, and nothing else about them, to open that client's unit of work.
    CREATE FUNCTION notification_recipient_client(p_user uuid) RETURNS uuid
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT client_id FROM users WHERE id = p_user AND app_actor_kind() = 'system' $$;
    REVOKE ALL ON FUNCTION notification_recipient_client(uuid) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION notification_recipient_client(uuid) TO ${roles.app};
  `);
}

export async function down({ sql, roles }: MigrationContext): Promise<void> {
  await sql(`
    DROP FUNCTION notification_recipient_client(uuid);
    DROP TRIGGER plan_items_notify_assignment ON plan_items;
    DROP TRIGGER events_notify_assignment ON events;
    DROP FUNCTION notify_assignment();
    DROP TABLE notification_digests, notifications;
    DROP FUNCTION mail_outbox_claim(integer, interval);
    CREATE FUNCTION mail_outbox_claim(p_batch integer, p_lease interval)
      RETURNS TABLE (id uuid, to_address text, subject text, text_body text, attempts integer)
      LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        UPDATE mail_outbox m
           SET status = 'sending', attempts = m.attempts + 1, locked_until = now() + p_lease
         WHERE app_actor_kind() = 'system'
           AND m.id IN (SELECT o.id FROM mail_outbox o
                         WHERE (o.status = 'pending' AND o.next_attempt_at <= now())
                            OR (o.status = 'sending' AND o.locked_until < now())
                         ORDER BY o.next_attempt_at
                         LIMIT p_batch
                         FOR UPDATE SKIP LOCKED)
        RETURNING m.id, m.to_address, m.subject, m.text_body, m.attempts $$;
    REVOKE ALL ON FUNCTION mail_outbox_claim(integer, interval) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION mail_outbox_claim(integer, interval) TO ${roles.app};
    CREATE OR REPLACE FUNCTION mail_outbox_settle(p_id uuid, p_delivered boolean, p_transport text, p_error text, p_max_attempts integer)
      RETURNS void LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        UPDATE mail_outbox
           SET status = CASE WHEN p_delivered THEN 'sent' WHEN attempts >= p_max_attempts THEN 'failed' ELSE 'pending' END,
               sent_at = CASE WHEN p_delivered THEN now() END,
               transport = p_transport,
               last_error = CASE WHEN p_delivered THEN NULL ELSE left(p_error, 500) END,
               locked_until = NULL,
               next_attempt_at = now() + least(interval '30 seconds' * power(2, attempts), interval '6 hours'),
               text_body = CASE WHEN p_delivered AND sensitive THEN NULL ELSE text_body END
         WHERE id = p_id AND status = 'sending' AND app_actor_kind() = 'system' $$;
    ALTER TABLE mail_outbox DROP COLUMN headers, DROP COLUMN html_body;
    REVOKE SELECT (time_zone, digest_hour, notification_opt_outs), INSERT (time_zone, digest_hour, notification_opt_outs),
           UPDATE (time_zone, digest_hour, notification_opt_outs) ON users FROM ${roles.app};
    ALTER TABLE users DROP COLUMN notification_opt_outs, DROP COLUMN digest_hour, DROP COLUMN time_zone;
  `);
}
