// Calendar feeds (DESIGN.md §7): a secret URL per user and kind (their own events, or everyone's
// in their scope) that a calendar application fetches without a session. Only the token's SHA-256
// is stored; the URL's lookup is one narrow function that names the feed's user and client, and
// the feed is then read as that user, under row-level security.
// Each event carries a calendar sequence, raised by the database whenever its due date or assignee
// changes, so that a subscribed calendar replaces its copy (RFC 5545 SEQUENCE and LAST-MODIFIED).
import type { MigrationContext } from '../services/database/migrator.ts';

export async function up({ sql, roles }: MigrationContext): Promise<void> {
  await sql(`
    CREATE TABLE calendar_feeds (
      client_id uuid NOT NULL,
      id uuid NOT NULL DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL,
      kind text NOT NULL CHECK (kind IN ('mine', 'scope')),
      token_sha256 text NOT NULL UNIQUE CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
      created_at timestamptz NOT NULL DEFAULT now(),
      reset_at timestamptz,
      PRIMARY KEY (client_id, id),
      UNIQUE (client_id, user_id, kind),
      FOREIGN KEY (client_id, user_id) REFERENCES users (client_id, id)
    );
    ALTER TABLE calendar_feeds ENABLE ROW LEVEL SECURITY;
    ALTER TABLE calendar_feeds FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_guard ON calendar_feeds AS RESTRICTIVE
      USING (client_id = (SELECT app_current_client()))
      WITH CHECK (client_id = (SELECT app_write_client()));
    CREATE POLICY tenant_write_guard ON calendar_feeds AS RESTRICTIVE FOR DELETE USING (client_id = (SELECT app_write_client()));
    -- A feed is its user's own: no other user, not even an Administrator, sees or changes its
    -- row; support staff in a visit and the system may read it (it holds no token). A new URL
    -- is a new row (no UPDATE at all).
    CREATE POLICY own_feed ON calendar_feeds
      USING (user_id = (SELECT app_current_user()))
      WITH CHECK (user_id = (SELECT app_current_user()));
    CREATE POLICY staff_and_system_read ON calendar_feeds FOR SELECT
      USING ((SELECT app_actor_kind()) IN ('staff', 'system'));
    GRANT SELECT, INSERT, DELETE ON calendar_feeds TO ${roles.app};

    -- The one way in from a feed URL: the feed of this token hash, if its user is active. Anyone
    -- may call it (the URL is the authority), and it tells nothing but whose feed it is.
    CREATE FUNCTION calendar_feed_of(p_token_sha256 text)
      RETURNS TABLE (client_id uuid, feed_id uuid, user_id uuid, kind text)
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT f.client_id, f.id, f.user_id, f.kind
          FROM calendar_feeds f
          JOIN users u ON u.client_id = f.client_id AND u.id = f.user_id AND u.status = 'active'
          JOIN clients c ON c.id = f.client_id AND c.status = 'active'
         WHERE f.token_sha256 = p_token_sha256 $$;
    REVOKE ALL ON FUNCTION calendar_feed_of(text) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION calendar_feed_of(text) TO ${roles.app};

    ALTER TABLE events ADD COLUMN calendar_sequence integer NOT NULL DEFAULT 0,
      ADD COLUMN calendar_changed_at timestamptz;
    CREATE FUNCTION events_calendar_sequence() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.calendar_sequence := OLD.calendar_sequence + 1;
        NEW.calendar_changed_at := now();
        RETURN NEW;
      END $$;
    CREATE TRIGGER events_calendar_sequence BEFORE UPDATE OF due_date, assignee_id ON events
      FOR EACH ROW WHEN (OLD.due_date IS DISTINCT FROM NEW.due_date OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id)
      EXECUTE FUNCTION events_calendar_sequence();
  `);
}

export async function down({ sql }: MigrationContext): Promise<void> {
  await sql(`
    DROP TRIGGER events_calendar_sequence ON events;
    DROP FUNCTION events_calendar_sequence();
    ALTER TABLE events DROP COLUMN calendar_changed_at, DROP COLUMN calendar_sequence;
    DROP FUNCTION calendar_feed_of(text);
    DROP TABLE calendar_feeds;
  `);
}
