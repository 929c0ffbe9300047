// Plan Items and Events for the schema tests, inserted as the owner role (outside RLS).
import { ownerQuery } from '../support/factories.ts';

export interface PlanItemRow {
  id: string;
  client_id: string;
  facility_id: string;
  activity: string;
  assignee_id: string;
}

export interface EventRow {
  id: string;
  client_id: string;
  plan_item_id: string;
  facility_id: string;
  scheduled_date: string;
  due_date: string;
  status: string;
}

/** A monthly (last day) calendar item on `facility`, assigned to `assignee`. */
export async function createPlanItem(
  facility: { id: string; client_id: string },
  assignee: { id: string },
  attrs: { activity?: string } = {},
): Promise<PlanItemRow> {
  const [row] = await ownerQuery<PlanItemRow>(
    `INSERT INTO plan_items (client_id, facility_id, activity, assignee_id, schedule_kind, rrule, schedule_start, created_by, updated_by)
     VALUES ($1, $2, $3, $4, 'calendar', 'FREQ=MONTHLY;BYMONTHDAY=-1', DATE '2026-01-01', $4, $4)
     RETURNING id, client_id, facility_id, activity, assignee_id`,
    [facility.client_id, facility.id, attrs.activity ?? 'Monthly stormwater inspection', assignee.id],
  );
  return row;
}

/** An open event of `item` on `scheduledDate` (also its due date), snapshotting the activity. */
export async function createEvent(item: PlanItemRow, scheduledDate = '2026-01-31'): Promise<EventRow> {
  const [row] = await ownerQuery<EventRow>(
    `INSERT INTO events (client_id, plan_item_id, facility_id, activity, scheduled_date, due_date, assignee_id)
     VALUES ($1, $2, $3, $4, $5, $5, $6)
     RETURNING id, client_id, plan_item_id, facility_id, scheduled_date::text, due_date::text, status`,
    [item.client_id, item.id, item.facility_id, item.activity, scheduledDate, item.assignee_id],
  );
  return row;
}
