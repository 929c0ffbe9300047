// Management Plans (issue 4): Plan Items, the recurring obligations of a facility, and the dated
// Events they generate (DESIGN.md §3, §4, §5). Both are facility-scoped under row-level security
// (§8.2): the tenant guard plus a permissive policy admitting only facilities in the actor's scope.
import type { MigrationContext } from '../services/database/migrator.ts';

/** Tenant guard (restrictive) and facility scope (permissive, reads and writes alike). */
function facilityScopePolicies(table: string): string {
  return `
    ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;
    ALTER TABLE ${table} FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_guard ON ${table} AS RESTRICTIVE
      USING (client_id = (SELECT app_current_client()))
      WITH CHECK (client_id = (SELECT app_current_client()));
    -- The ::uuid[] cast matters: ANY ((SELECT f())) without it is the subquery form of ANY.
    CREATE POLICY facility_scope ON ${table}
      USING ((SELECT app_scope_all()) OR facility_id = ANY ((SELECT app_scope_units())::uuid[]))
      WITH CHECK ((SELECT app_scope_all()) OR facility_id = ANY ((SELECT app_scope_units())::uuid[]));`;
}

export async function up({ sql, roles }: MigrationContext): Promise<void> {
  await sql(`
    -- Lets a foreign key require that the referenced unit is a facility (plan_items.facility_kind).
    -- Being a foreign key, it also keeps a facility that holds plan items from changing its kind.
    ALTER TABLE org_units ADD CONSTRAINT org_units_client_id_id_kind_key UNIQUE (client_id, id, kind);

    CREATE TABLE plan_items (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      client_id uuid NOT NULL REFERENCES clients (id),
      facility_id uuid NOT NULL,
      -- Always 'facility': the foreign key below on (client_id, facility_id, facility_kind)
      -- refuses a region or a division, without a trigger that RLS could blind.
      facility_kind text NOT NULL DEFAULT 'facility' CHECK (facility_kind = 'facility'),
      activity text NOT NULL CHECK (length(btrim(activity)) BETWEEN 1 AND 200),
      description text CHECK (length(description) <= 10000),
      additional_information text CHECK (length(additional_information) <= 10000),
      regulatory_reference text CHECK (length(regulatory_reference) <= 500),
      category text CHECK (length(category) <= 100),
      assignee_id uuid NOT NULL,
      requirement text NOT NULL DEFAULT 'none' CHECK (requirement IN ('none', 'checklist', 'document', 'both')),
      -- Ordered items: [{ key, label, type: check | yes_no_na | text | number, required }].
      checklist jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(checklist) = 'array'),
      schedule_kind text NOT NULL CHECK (schedule_kind IN ('calendar', 'relative')),
      rrule text CHECK (length(rrule) BETWEEN 1 AND 1000),
      relative_every integer CHECK (relative_every BETWEEN 1 AND 1000),
      relative_unit text CHECK (relative_unit IN ('day', 'week', 'month', 'year')),
      schedule_start date NOT NULL,
      month_end_policy text NOT NULL DEFAULT 'last-day' CHECK (month_end_policy IN ('last-day', 'skip')),
      next_due_date date,
      lead_time_days integer NOT NULL DEFAULT 30 CHECK (lead_time_days BETWEEN 0 AND 366),
      -- NULL: the client's reminder defaults apply.
      reminder_offsets integer[] CHECK (reminder_offsets IS NULL OR (
        array_position(reminder_offsets, NULL) IS NULL AND cardinality(reminder_offsets) <= 20
        AND 0 <= ALL (reminder_offsets) AND 366 >= ALL (reminder_offsets))),
      schedules_events boolean NOT NULL DEFAULT true,
      hidden boolean NOT NULL DEFAULT false,
      -- NULL when no client user acted (support staff, system jobs); the audit log says who.
      created_by uuid,
      updated_by uuid,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (client_id, id),
      -- The target of events' foreign key, which so keeps events.facility_id equal to the item's.
      UNIQUE (client_id, id, facility_id),
      CONSTRAINT plan_items_calendar_schedule CHECK (schedule_kind <> 'calendar'
        OR (rrule IS NOT NULL AND relative_every IS NULL AND relative_unit IS NULL)),
      CONSTRAINT plan_items_relative_schedule CHECK (schedule_kind <> 'relative'
        OR (rrule IS NULL AND relative_every IS NOT NULL AND relative_unit IS NOT NULL)),
      CONSTRAINT plan_items_checklist_required CHECK (requirement NOT IN ('checklist', 'both') OR jsonb_array_length(checklist) > 0),
      FOREIGN KEY (client_id, facility_id, facility_kind) REFERENCES org_units (client_id, id, kind),
      FOREIGN KEY (client_id, facility_id) REFERENCES org_units (client_id, id),
      FOREIGN KEY (client_id, assignee_id) REFERENCES users (client_id, id),
      FOREIGN KEY (client_id, created_by) REFERENCES users (client_id, id),
      FOREIGN KEY (client_id, updated_by) REFERENCES users (client_id, id)
    );
    -- The facility's plan table (with or without hidden items).
    CREATE INDEX plan_items_facility ON plan_items (client_id, facility_id, hidden);
    -- Everything a user holds (reassignment, the transition tool).
    CREATE INDEX plan_items_assignee ON plan_items (client_id, assignee_id);
    -- The generator's and the self-check's scan of active items.
    CREATE INDEX plan_items_next_due ON plan_items (client_id, next_due_date) WHERE schedules_events;
    ${facilityScopePolicies('plan_items')}

    CREATE TABLE events (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      -- No foreign key of its own: the one to plan_items below implies it (see there).
      client_id uuid NOT NULL,
      plan_item_id uuid NOT NULL,
      -- Copied from the item (and kept equal by the foreign key), so scope needs no join.
      facility_id uuid NOT NULL,
      -- Snapshot of the item when the event was generated.
      activity text NOT NULL CHECK (length(activity) BETWEEN 1 AND 200),
      description text CHECK (length(description) <= 10000),
      additional_information text CHECK (length(additional_information) <= 10000),
      -- From the rule, never changed; the due date may be moved (audited).
      scheduled_date date NOT NULL,
      due_date date NOT NULL,
      assignee_id uuid NOT NULL,
      status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'cancelled')),
      completed_on date,
      closed_by uuid,
      closed_at timestamptz,
      closing_notes text CHECK (length(closing_notes) <= 10000),
      cancel_reason text CHECK (length(cancel_reason) <= 2000),
      late boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (client_id, id),
      -- Idempotent generation (INSERT … ON CONFLICT DO NOTHING); also the events-per-item index.
      CONSTRAINT events_occurrence_key UNIQUE (client_id, plan_item_id, scheduled_date),
      CONSTRAINT events_closed_complete CHECK (status <> 'closed'
        OR (completed_on IS NOT NULL AND closed_by IS NOT NULL AND closed_at IS NOT NULL)),
      CONSTRAINT events_cancelled_reason CHECK (status <> 'cancelled'
        OR (cancel_reason IS NOT NULL AND length(btrim(cancel_reason)) > 0)),
      -- Completion and lateness belong to closed events; reopening clears them.
      CONSTRAINT events_open_uncompleted CHECK (status = 'closed' OR (completed_on IS NULL AND NOT late)),
      -- An item with events cannot be deleted, nor moved to another facility.
      -- It also carries client_id → clients and (client_id, facility_id) → org_units: every
      -- (client_id, facility_id) pair of plan_items is one of org_units (its own foreign keys, on
      -- a facility even), whose client_id is a client. Separate foreign keys for those two would
      -- add nothing but a per-row check on every insert (most of the generator's insert time).
      FOREIGN KEY (client_id, plan_item_id, facility_id) REFERENCES plan_items (client_id, id, facility_id) ON DELETE RESTRICT,
      FOREIGN KEY (client_id, assignee_id) REFERENCES users (client_id, id),
      FOREIGN KEY (client_id, closed_by) REFERENCES users (client_id, id)
    );
    -- A facility's open events by due date (its events table, dashboard tiles, overdue).
    CREATE INDEX events_open_by_facility ON events (client_id, facility_id, due_date) WHERE status = 'open';
    -- My open events.
    CREATE INDEX events_open_by_assignee ON events (client_id, assignee_id, due_date) WHERE status = 'open';

    -- An event keeps the date its rule gave it and the item it belongs to.
    CREATE FUNCTION events_keep_occurrence() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.scheduled_date IS DISTINCT FROM OLD.scheduled_date THEN
        RAISE EXCEPTION 'events.scheduled_date cannot be changed' USING ERRCODE = 'check_violation';
      END IF;
      IF NEW.plan_item_id IS DISTINCT FROM OLD.plan_item_id THEN
        RAISE EXCEPTION 'events.plan_item_id cannot be changed' USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER events_keep_occurrence BEFORE UPDATE OF scheduled_date, plan_item_id ON events
      FOR EACH ROW EXECUTE FUNCTION events_keep_occurrence();
    ${facilityScopePolicies('events')}

    -- Items that never generated an event may be deleted; events never are (cancel instead).
    GRANT SELECT, INSERT, UPDATE, DELETE ON plan_items TO ${roles.app};
    GRANT SELECT, INSERT, UPDATE ON events TO ${roles.app};
  `);
}

export async function down({ sql }: MigrationContext): Promise<void> {
  await sql(`
    DROP TABLE events;
    DROP FUNCTION events_keep_occurrence();
    DROP TABLE plan_items;
    ALTER TABLE org_units DROP CONSTRAINT org_units_client_id_id_kind_key;
  `);
}
