// The organisation hierarchy (regions → divisions → facilities), user scopes, and the
// facility-scope row-level security that rides on them (DESIGN.md §2, §3, §8.2).
import type { MigrationContext } from '../services/database/migrator.ts';

export async function up({ sql, roles }: MigrationContext): Promise<void> {
  await sql(`
    CREATE TABLE org_units (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      client_id uuid NOT NULL REFERENCES clients (id),
      kind text NOT NULL CHECK (kind IN ('region', 'division', 'facility')),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      code text CHECK (length(code) BETWEEN 1 AND 40),
      parent_id uuid,
      address text CHECK (length(address) <= 500),
      time_zone text CHECK (kind = 'facility' OR time_zone IS NULL),
      active boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (client_id, id),
      FOREIGN KEY (client_id, parent_id) REFERENCES org_units (client_id, id)
    );
    CREATE INDEX org_units_children ON org_units (client_id, parent_id);
    CREATE INDEX org_units_kind_name ON org_units (client_id, kind, name);
    CREATE UNIQUE INDEX org_units_code ON org_units (client_id, lower(code)) WHERE code IS NOT NULL;

    -- Regions hang under the client; divisions under the client or a region; facilities under
    -- the client, a region or a division. Kinds only descend, so no move can make a cycle.
    CREATE FUNCTION org_units_check_parent() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE parent_kind text;
    BEGIN
      IF NEW.parent_id IS NULL THEN RETURN NEW; END IF;
      SELECT kind INTO parent_kind FROM org_units WHERE id = NEW.parent_id AND client_id = NEW.client_id;
      IF NEW.kind = 'region' OR parent_kind = 'facility' OR (NEW.kind = 'division' AND parent_kind <> 'region') THEN
        RAISE EXCEPTION 'a % cannot be placed under a %', NEW.kind, parent_kind USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER org_units_parent BEFORE INSERT OR UPDATE OF parent_id, kind ON org_units
      FOR EACH ROW EXECUTE FUNCTION org_units_check_parent();

    -- A user's scope: hierarchy nodes, or the whole client (org_unit_id NULL).
    CREATE TABLE user_scopes (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      client_id uuid NOT NULL REFERENCES clients (id),
      user_id uuid NOT NULL,
      org_unit_id uuid,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (client_id, id),
      FOREIGN KEY (client_id, user_id) REFERENCES users (client_id, id) ON DELETE CASCADE,
      FOREIGN KEY (client_id, org_unit_id) REFERENCES org_units (client_id, id)
    );
    CREATE UNIQUE INDEX user_scopes_unique ON user_scopes (client_id, user_id, coalesce(org_unit_id, '00000000-0000-0000-0000-000000000000'));
    CREATE INDEX user_scopes_unit ON user_scopes (client_id, org_unit_id);

    -- Scope readers: computed once per unit of work (lib/unit-of-work.ts), read by policies.
    CREATE FUNCTION app_scope_all() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS
      $$ SELECT coalesce(current_setting('app.scope_all', true), '') = 'on' $$;
    CREATE FUNCTION app_scope_units() RETURNS uuid[] LANGUAGE sql STABLE PARALLEL SAFE AS
      $$ SELECT coalesce(nullif(current_setting('app.scope_units', true), ''), '{}')::uuid[] $$;
    CREATE FUNCTION app_scope_ancestors() RETURNS uuid[] LANGUAGE sql STABLE PARALLEL SAFE AS
      $$ SELECT coalesce(nullif(current_setting('app.scope_ancestors', true), ''), '{}')::uuid[] $$;

    -- The units a user's scope covers (its nodes and everything below) and the ancestors of its
    -- nodes (visible for navigation only). Administrators and whole-client scopes cover all.
    -- SECURITY DEFINER because it must read the tree before the scope it computes exists;
    -- PL/pgSQL so its plan is cached across calls (it runs at the start of every request).
    CREATE FUNCTION app_scope_for(p_client uuid, p_user uuid)
      RETURNS TABLE (whole boolean, units text, ancestors text)
      LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    BEGIN
      RETURN QUERY
      WITH RECURSIVE
        roots AS (SELECT s.org_unit_id FROM user_scopes s WHERE s.client_id = p_client AND s.user_id = p_user),
        below AS (
          SELECT u.id FROM org_units u JOIN roots r ON u.id = r.org_unit_id WHERE u.client_id = p_client
          UNION
          SELECT c.id FROM org_units c JOIN below b ON c.parent_id = b.id WHERE c.client_id = p_client
        ),
        above AS (
          SELECT p.id, p.parent_id FROM org_units p
           WHERE p.client_id = p_client AND p.id IN (SELECT u.parent_id FROM org_units u JOIN roots r ON u.id = r.org_unit_id WHERE u.client_id = p_client)
          UNION
          SELECT g.id, g.parent_id FROM org_units g JOIN above a ON g.id = a.parent_id WHERE g.client_id = p_client
        )
      SELECT coalesce((SELECT x.rank = 'administrator' FROM users x WHERE x.id = p_user AND x.client_id = p_client), false)
               OR EXISTS (SELECT 1 FROM roots WHERE roots.org_unit_id IS NULL),
             coalesce((SELECT array_agg(below.id)::text FROM below), '{}'),
             coalesce((SELECT array_agg(above.id)::text FROM above), '{}');
    END $$;
    REVOKE ALL ON FUNCTION app_scope_for(uuid, uuid) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION app_scope_for(uuid, uuid) TO ${roles.app};

    ALTER TABLE org_units ENABLE ROW LEVEL SECURITY;
    ALTER TABLE org_units FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_guard ON org_units AS RESTRICTIVE
      USING (client_id = (SELECT app_current_client()))
      WITH CHECK (client_id = (SELECT app_current_client()));
    -- Units in scope, and their ancestors for breadcrumbs; only whole-client actors write.
    CREATE POLICY scope_read ON org_units FOR SELECT
      USING ((SELECT app_scope_all()) OR id = ANY ((SELECT app_scope_units())::uuid[]) OR id = ANY ((SELECT app_scope_ancestors())::uuid[]));
    CREATE POLICY scope_write ON org_units FOR ALL USING ((SELECT app_scope_all())) WITH CHECK ((SELECT app_scope_all()));

    ALTER TABLE user_scopes ENABLE ROW LEVEL SECURITY;
    ALTER TABLE user_scopes FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_guard ON user_scopes AS RESTRICTIVE
      USING (client_id = (SELECT app_current_client()))
      WITH CHECK (client_id = (SELECT app_current_client()));
    -- Scope rows are readable within the client (user lists show everyone's scope); they can be
    -- granted or removed only inside the writer's own scope, so even a bug in code cannot let a
    -- user widen a scope beyond theirs. Rank rules live in policies/.
    CREATE POLICY scope_read ON user_scopes FOR SELECT USING (true);
    CREATE POLICY scope_grant ON user_scopes FOR INSERT
      WITH CHECK ((SELECT app_scope_all()) OR org_unit_id = ANY ((SELECT app_scope_units())::uuid[]));
    CREATE POLICY scope_revoke ON user_scopes FOR DELETE
      USING ((SELECT app_scope_all()) OR org_unit_id = ANY ((SELECT app_scope_units())::uuid[]));

    GRANT SELECT, INSERT, UPDATE, DELETE ON org_units TO ${roles.app};
    GRANT SELECT, INSERT, DELETE ON user_scopes TO ${roles.app};
  `);
}

export async function down({ sql }: MigrationContext): Promise<void> {
  await sql(`
    DROP TABLE user_scopes;
    DROP TABLE org_units;
    DROP FUNCTION org_units_check_parent();
    DROP FUNCTION app_scope_for(uuid, uuid);
    DROP FUNCTION app_scope_ancestors();
    DROP FUNCTION app_scope_units();
    DROP FUNCTION app_scope_all();
  `);
}
