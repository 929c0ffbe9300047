// Working events (issue 5, DESIGN.md §3, §5): checklist answers, documents (metadata and bytes
// apart), the append-only comment thread and close records, and the sensitive-data warnings
// users confirmed. Every table is facility-scoped like events, through a facility_id kept equal
// to its event's by a composite foreign key, so a policy needs no join.
import type { MigrationContext } from '../services/database/migrator.ts';

/** Tenant guard (restrictive) and facility scope (permissive), as migration 0004 sets them. */
function facilityScopePolicies(table: string): string {
  return `
    ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;
    ALTER TABLE ${table} FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_guard ON ${table} AS RESTRICTIVE
      USING (client_id = (SELECT app_current_client()))
      WITH CHECK (client_id = (SELECT app_current_client()));
    CREATE POLICY facility_scope ON ${table}
      USING ((SELECT app_scope_all()) OR facility_id = ANY ((SELECT app_scope_units())::uuid[]))
      WITH CHECK ((SELECT app_scope_all()) OR facility_id = ANY ((SELECT app_scope_units())::uuid[]));`;
}

/** Rows that are records: inserted and read, never changed or removed (owner included). */
function appendOnly(table: string): string {
  return `CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table}
      FOR EACH ROW EXECUTE FUNCTION refuse_record_change();`;
}

export async function up({ sql, roles }: MigrationContext): Promise<void> {
  await sql(`
    -- Children reference (client_id, id, facility_id). The key on (client_id, id) becomes the
    -- primary key instead of a separate one on id: one index fewer on the generator's hot insert.
    ALTER TABLE events DROP CONSTRAINT events_pkey;
    ALTER TABLE events DROP CONSTRAINT events_client_id_id_key;
    ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (client_id, id);
    ALTER TABLE events ADD CONSTRAINT events_client_id_id_facility_id_key UNIQUE (client_id, id, facility_id);

    CREATE FUNCTION refuse_record_change() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; END $$;

    -- The current answer per checklist item (its key in plan_items.checklist); frozen at close.
    CREATE TABLE checklist_responses (
      client_id uuid NOT NULL,
      event_id uuid NOT NULL,
      facility_id uuid NOT NULL,
      item_key text NOT NULL CHECK (length(item_key) BETWEEN 1 AND 64),
      value text NOT NULL CHECK (length(value) <= 2000),
      answered_by uuid,
      answered_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (client_id, event_id, item_key),
      FOREIGN KEY (client_id, event_id, facility_id) REFERENCES events (client_id, id, facility_id),
      FOREIGN KEY (client_id, answered_by) REFERENCES users (client_id, id)
    );
    ${facilityScopePolicies('checklist_responses')}

    -- Evidence. The bytes live in document_blobs, so lists never read them.
    CREATE TABLE documents (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      client_id uuid NOT NULL,
      event_id uuid NOT NULL,
      facility_id uuid NOT NULL,
      file_name text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 200),
      content_type text NOT NULL CHECK (length(content_type) BETWEEN 1 AND 200),
      size_bytes integer NOT NULL CHECK (size_bytes > 0),
      sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      uploaded_by uuid,
      uploaded_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (client_id, id, facility_id),
      FOREIGN KEY (client_id, event_id, facility_id) REFERENCES events (client_id, id, facility_id),
      FOREIGN KEY (client_id, uploaded_by) REFERENCES users (client_id, id)
    );
    CREATE INDEX documents_event ON documents (client_id, event_id, uploaded_at);
    ${facilityScopePolicies('documents')}

    CREATE TABLE document_blobs (
      client_id uuid NOT NULL,
      document_id uuid NOT NULL,
      facility_id uuid NOT NULL,
      content bytea NOT NULL,
      PRIMARY KEY (client_id, document_id),
      FOREIGN KEY (client_id, document_id, facility_id) REFERENCES documents (client_id, id, facility_id) ON DELETE CASCADE
    );
    -- PDFs, images and Office files are compressed already: store them as they are.
    ALTER TABLE document_blobs ALTER COLUMN content SET STORAGE EXTERNAL;
    ${facilityScopePolicies('document_blobs')}

    CREATE TABLE event_comments (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      client_id uuid NOT NULL,
      event_id uuid NOT NULL,
      facility_id uuid NOT NULL,
      -- NULL when no client user wrote it (support staff); the audit log says who.
      author_id uuid,
      body text NOT NULL CHECK (length(btrim(body)) BETWEEN 1 AND 5000),
      created_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (client_id, event_id, facility_id) REFERENCES events (client_id, id, facility_id),
      FOREIGN KEY (client_id, author_id) REFERENCES users (client_id, id)
    );
    CREATE INDEX event_comments_event ON event_comments (client_id, event_id, created_at);
    ${facilityScopePolicies('event_comments')}
    ${appendOnly('event_comments')}

    -- One row per closing, never changed: who, when, how late, and the evidence as it was
    -- (checklist answers with their questions, each document's SHA-256). A reopened event keeps it.
    CREATE TABLE event_closures (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      client_id uuid NOT NULL,
      event_id uuid NOT NULL,
      facility_id uuid NOT NULL,
      closed_by uuid,
      closed_at timestamptz NOT NULL DEFAULT now(),
      completed_on date NOT NULL,
      due_date date NOT NULL,
      late boolean NOT NULL,
      notes text CHECK (length(notes) <= 10000),
      checklist jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(checklist) = 'array'),
      documents jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(documents) = 'array'),
      FOREIGN KEY (client_id, event_id, facility_id) REFERENCES events (client_id, id, facility_id),
      FOREIGN KEY (client_id, closed_by) REFERENCES users (client_id, id)
    );
    CREATE INDEX event_closures_event ON event_closures (client_id, event_id, closed_at);
    ${facilityScopePolicies('event_closures')}
    ${appendOnly('event_closures')}

    -- Free text that looked like health data and was saved anyway (DESIGN.md §8.6): what kind of
    -- pattern, in which form, by whom; never the text itself. Counted in an admin report.
    CREATE TABLE sensitive_data_warnings (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      client_id uuid NOT NULL REFERENCES clients (id),
      user_id uuid,
      form text NOT NULL CHECK (length(form) BETWEEN 1 AND 64),
      kinds text[] NOT NULL CHECK (cardinality(kinds) BETWEEN 1 AND 10),
      created_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (client_id, user_id) REFERENCES users (client_id, id)
    );
    CREATE INDEX sensitive_data_warnings_client ON sensitive_data_warnings (client_id, created_at);
    ALTER TABLE sensitive_data_warnings ENABLE ROW LEVEL SECURITY;
    ALTER TABLE sensitive_data_warnings FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_guard ON sensitive_data_warnings AS RESTRICTIVE
      USING (client_id = (SELECT app_current_client()))
      WITH CHECK (client_id = (SELECT app_current_client()));
    CREATE POLICY tenant_access ON sensitive_data_warnings USING (true) WITH CHECK (true);
    ${appendOnly('sensitive_data_warnings')}

    -- A document a close record lists stays: that record's hashes must remain checkable, even
    -- after the event is reopened. (Checked as the owner: the close records' RLS must not blind it.)
    CREATE FUNCTION documents_keep_cited() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM event_closures k WHERE k.client_id = OLD.client_id AND k.event_id = OLD.event_id
                   AND k.documents @> jsonb_build_array(jsonb_build_object('id', OLD.id::text))) THEN
        RAISE EXCEPTION 'document % is evidence in a close record', OLD.id USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN OLD;
    END $$;
    CREATE TRIGGER documents_keep_cited BEFORE DELETE ON documents FOR EACH ROW EXECUTE FUNCTION documents_keep_cited();
    -- Firing a trigger needs no EXECUTE; nobody else may call it directly.
    REVOKE ALL ON FUNCTION documents_keep_cited() FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION documents_keep_cited() TO ${roles.app};

    -- What a user still holds in the current client, whatever facilities the caller's scope
    -- covers (deactivation must know): two counts, nothing else.
    CREATE FUNCTION user_holdings(p_user uuid, OUT plan_items integer, OUT open_events integer)
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
      SELECT (SELECT count(*) FROM plan_items WHERE client_id = app_current_client() AND assignee_id = p_user AND NOT hidden)::int,
             (SELECT count(*) FROM events WHERE client_id = app_current_client() AND assignee_id = p_user AND status = 'open')::int
    $$;
    REVOKE ALL ON FUNCTION user_holdings(uuid) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION user_holdings(uuid) TO ${roles.app};

    -- An event's history is its audit entries.
    CREATE INDEX audit_log_entity ON audit_log (client_id, entity_id, occurred_at) WHERE entity_id IS NOT NULL;

    GRANT SELECT, INSERT, UPDATE, DELETE ON checklist_responses TO ${roles.app};
    -- Documents may be removed while their event is open (the service refuses it once closed);
    -- their bytes only with them, by the foreign key's cascade (which runs as the table owner).
    GRANT SELECT, INSERT, DELETE ON documents TO ${roles.app};
    GRANT SELECT, INSERT ON document_blobs TO ${roles.app};
    GRANT SELECT, INSERT ON event_comments, event_closures, sensitive_data_warnings TO ${roles.app};
  `);
}

export async function down({ sql }: MigrationContext): Promise<void> {
  await sql(`
    DROP INDEX audit_log_entity;
    DROP FUNCTION user_holdings(uuid);
    DROP TABLE sensitive_data_warnings, event_closures, event_comments, document_blobs, documents, checklist_responses;
    DROP FUNCTION documents_keep_cited();
    DROP FUNCTION refuse_record_change();
    ALTER TABLE events DROP CONSTRAINT events_client_id_id_facility_id_key;
    ALTER TABLE events DROP CONSTRAINT events_pkey;
    ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (id);
    ALTER TABLE events ADD CONSTRAINT events_client_id_id_key UNIQUE (client_id, id);
  `);
}
