// DESIGN.md §3–§5: what the plan_items and events schema itself guarantees, whoever
// writes: idempotent generation, immutable scheduled dates, no cross-client or non-facility
// references, consistent states, no deleting an item with history, and the runtime role's grants.
import { expect } from 'chai';
import { inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { Event, PlanItem } from '../../models/index.ts';
import { INSUFFICIENT_PRIVILEGE, expectPgError } from '../support/db-roles.ts';
import { testEnv } from '../support/env.ts';
import { type ClientRow, type UserRow, createClient, createUser, ownerQuery } from '../support/factories.ts';
import { type UnitRow, createUnit } from '../support/hierarchy-factories.ts';
import { type PlanItemRow, createEvent, createPlanItem } from './plan-factories.ts';

const CHECK = '23514';
const FOREIGN_KEY = '23503';
const UNIQUE = '23505';
const NOT_NULL = '23502';

describe('plan items and events: schema guarantees', () => {
  let a: ClientRow;
  let b: ClientRow;
  let admin: UserRow;
  let adminB: UserRow;
  let region: UnitRow;
  let division: UnitRow;
  let facility: UnitRow;
  let other: UnitRow;
  let facilityB: UnitRow;
  let item: PlanItemRow;
  let itemB: PlanItemRow;

  const asAdmin = <T>(work: () => Promise<T>) =>
    inUnitOfWork(testEnv().db.sequelize, { actorKind: 'user', clientId: a.id, userId: admin.id }, work);
  const asSystem = <T>(work: () => Promise<T>) => inUnitOfWork(testEnv().db.sequelize, { actorKind: 'system', clientId: a.id }, work);

  /** Inserts a plan item as the owner (outside RLS) with `columns` over valid calendar defaults. */
  function insertItem(columns: Record<string, unknown>) {
    const row: Record<string, unknown> = {
      client_id: a.id, facility_id: facility.id, activity: 'Item', assignee_id: admin.id,
      schedule_kind: 'calendar', rrule: 'FREQ=MONTHLY;BYMONTHDAY=-1', schedule_start: '2026-01-01', ...columns,
    };
    const names = Object.keys(row);
    return ownerQuery(
      `INSERT INTO plan_items (${names.join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING *`,
      names.map((n) => row[n]),
    );
  }

  /** Inserts an event as the owner with `columns` over a valid open event of `item`. */
  function insertEvent(columns: Record<string, unknown>) {
    const row: Record<string, unknown> = {
      client_id: a.id, plan_item_id: item.id, facility_id: facility.id, activity: 'Item', scheduled_date: '2026-02-28',
      due_date: '2026-02-28', assignee_id: admin.id, ...columns,
    };
    const names = Object.keys(row);
    return ownerQuery(
      `INSERT INTO events (${names.join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id`,
      names.map((n) => row[n]),
    );
  }

  beforeEach(async () => {
    a = await createClient({ name: 'Schema A' });
    b = await createClient({ name: 'Schema B' });
    admin = await createUser(a, { rank: 'administrator' });
    adminB = await createUser(b, { rank: 'administrator' });
    region = await createUnit(a, { kind: 'region', name: 'Region' });
    division = await createUnit(a, { kind: 'division', name: 'Division', parent: region });
    facility = await createUnit(a, { name: 'Facility', parent: division });
    other = await createUnit(a, { name: 'Other facility' });
    facilityB = await createUnit(b, { name: 'B facility' });
    item = await createPlanItem(facility, admin);
    itemB = await createPlanItem(facilityB, adminB);
  });

  describe('generation is idempotent', () => {
    const generate = (scheduledDate: string) =>
      sql<{ id: string }>(
        `INSERT INTO events (client_id, plan_item_id, facility_id, activity, description, additional_information, scheduled_date, due_date, assignee_id)
         SELECT client_id, id, facility_id, activity, description, additional_information, $2::date, $2::date, assignee_id
           FROM plan_items WHERE id = $1
         ON CONFLICT (client_id, plan_item_id, scheduled_date) DO NOTHING
         RETURNING id`,
        [item.id, scheduledDate],
      );

    it('creates nothing when the same occurrence is inserted again with ON CONFLICT DO NOTHING', async () => {
      expect(await asSystem(() => generate('2026-01-31'))).to.have.length(1);
      expect(await asSystem(() => generate('2026-01-31'))).to.deep.equal([]);
      expect(await asSystem(async () => [...(await generate('2026-01-31')), ...(await generate('2026-02-28'))])).to.have.length(1);
      const rows = await ownerQuery<{ d: string }>('SELECT scheduled_date::text AS d FROM events WHERE plan_item_id = $1 ORDER BY 1', [item.id]);
      expect(rows.map((r) => r.d)).to.deep.equal(['2026-01-31', '2026-02-28']);
      // Without ON CONFLICT the key refuses the duplicate outright.
      await expectPgError(createEvent(item, '2026-01-31'), UNIQUE, /events_occurrence_key/);
    });

    it('creates an occurrence once when two transactions insert it at the same time', async () => {
      const results = await Promise.all([asSystem(() => generate('2026-03-31')), asSystem(() => generate('2026-03-31'))]);
      expect(results.map((r) => r.length).sort()).to.deep.equal([0, 1]);
      expect(await ownerQuery('SELECT id FROM events WHERE plan_item_id = $1', [item.id])).to.have.length(1);
    });
  });

  it('keeps scheduled_date (and the item) of an event immutable, while due_date may move', async () => {
    const event = await createEvent(item, '2026-01-31');
    const moved = await asAdmin(() => sql<{ due: string }>(`UPDATE events SET due_date = DATE '2026-02-06' WHERE id = $1 RETURNING due_date::text AS due`, [event.id]));
    expect(moved).to.deep.equal([{ due: '2026-02-06' }]);
    await expectPgError(asAdmin(() => sql(`UPDATE events SET scheduled_date = DATE '2026-02-06' WHERE id = $1`, [event.id])), CHECK, /scheduled_date cannot be changed/);
    // The owner role too: the trigger binds everyone, not only the runtime role.
    await expectPgError(ownerQuery(`UPDATE events SET scheduled_date = scheduled_date + 1 WHERE id = $1`, [event.id]), CHECK, /scheduled_date cannot be changed/);
    const sibling = await createPlanItem(facility, admin, { activity: 'Sibling' });
    await expectPgError(ownerQuery(`UPDATE events SET plan_item_id = $2 WHERE id = $1`, [event.id, sibling.id]), CHECK, /plan_item_id cannot be changed/);
    // Setting it to the same value is no change.
    expect(await asAdmin(() => sql('UPDATE events SET scheduled_date = scheduled_date WHERE id = $1 RETURNING id', [event.id]))).to.have.length(1);
    expect(await ownerQuery('SELECT scheduled_date::text AS s, due_date::text AS d FROM events WHERE id = $1', [event.id])).to.deep.equal([{ s: '2026-01-31', d: '2026-02-06' }]);
  });

  describe('references stay within the client and on facilities', () => {
    it('refuses an event pointing to another client\'s item, facility or user (even as the owner)', async () => {
      // The item, the client and the facility are all held by the one foreign key to plan_items
      // (client_id and facility_id have no foreign keys of their own: that one implies them).
      const viaItem = /events_client_id_plan_item_id_facility_id_fkey/;
      await expectPgError(insertEvent({ plan_item_id: itemB.id }), FOREIGN_KEY, viaItem);
      await expectPgError(insertEvent({ plan_item_id: itemB.id, facility_id: facilityB.id }), FOREIGN_KEY, viaItem);
      await expectPgError(insertEvent({ facility_id: facilityB.id }), FOREIGN_KEY, viaItem);
      await expectPgError(insertEvent({ assignee_id: adminB.id }), FOREIGN_KEY, /events_client_id_assignee_id_fkey/);
      await expectPgError(insertEvent({ client_id: b.id }), FOREIGN_KEY);
      // Another client (with that client's own user as assignee, so only the item's key can object).
      await expectPgError(insertEvent({ client_id: b.id, assignee_id: adminB.id }), FOREIGN_KEY, viaItem);
      // A client that does not exist at all, and a facility that does not exist at all.
      await expectPgError(insertEvent({ client_id: '00000000-0000-4000-8000-000000000000', assignee_id: adminB.id }), FOREIGN_KEY, /events_client_id_/);
      await expectPgError(insertEvent({ facility_id: '00000000-0000-4000-8000-000000000000' }), FOREIGN_KEY, viaItem);
      // The copied facility must be the item's own, not merely one of the client's.
      await expectPgError(insertEvent({ facility_id: other.id }), FOREIGN_KEY, viaItem);
      expect(await insertEvent({})).to.have.length(1);
    });

    it('refuses a plan item on a region or a division, or on another client\'s facility or assignee', async () => {
      await expectPgError(insertItem({ facility_id: region.id }), FOREIGN_KEY, /plan_items_client_id_facility_id_facility_kind_fkey/);
      await expectPgError(insertItem({ facility_id: division.id }), FOREIGN_KEY, /plan_items_client_id_facility_id_facility_kind_fkey/);
      await expectPgError(insertItem({ facility_kind: 'region', facility_id: region.id }), CHECK);
      await expectPgError(insertItem({ facility_id: facilityB.id }), FOREIGN_KEY);
      await expectPgError(insertItem({ assignee_id: adminB.id }), FOREIGN_KEY);
      await expectPgError(insertItem({ created_by: adminB.id }), FOREIGN_KEY);
      // Nor can a plan item be moved onto one, nor its facility become a region.
      await expectPgError(ownerQuery('UPDATE plan_items SET facility_id = $2 WHERE id = $1', [item.id, division.id]), FOREIGN_KEY);
      await createPlanItem(other, admin);
      await expectPgError(ownerQuery(`UPDATE org_units SET kind = 'region' WHERE id = $1`, [other.id]), FOREIGN_KEY);
      expect(await insertItem({ facility_id: other.id })).to.have.length(1);
    });

    it('keeps an item with events on its facility (events copy it)', async () => {
      await createEvent(item);
      await expectPgError(ownerQuery('UPDATE plan_items SET facility_id = $2 WHERE id = $1', [item.id, other.id]), FOREIGN_KEY);
    });
  });

  describe('states', () => {
    it('requires completion, closer and time of a closed event', async () => {
      const closed = { status: 'closed', completed_on: '2026-02-27', closed_by: admin.id, closed_at: new Date() };
      for (const missing of ['completed_on', 'closed_by', 'closed_at']) {
        await expectPgError(insertEvent({ ...closed, [missing]: null, scheduled_date: '2026-03-31' }), CHECK, /events_closed_complete/);
      }
      expect(await insertEvent(closed)).to.have.length(1);
      expect(await insertEvent({ ...closed, late: true, scheduled_date: '2026-03-31' })).to.have.length(1);
    });

    it('requires a reason of a cancelled event', async () => {
      await expectPgError(insertEvent({ status: 'cancelled' }), CHECK, /events_cancelled_reason/);
      await expectPgError(insertEvent({ status: 'cancelled', cancel_reason: '   ' }), CHECK, /events_cancelled_reason/);
      expect(await insertEvent({ status: 'cancelled', cancel_reason: 'Facility closed for renovation' })).to.have.length(1);
    });

    it('keeps completion and lateness off open and cancelled events, and knows no other status', async () => {
      await expectPgError(insertEvent({ completed_on: '2026-02-01' }), CHECK, /events_open_uncompleted/);
      await expectPgError(insertEvent({ late: true }), CHECK, /events_open_uncompleted/);
      await expectPgError(insertEvent({ status: 'cancelled', cancel_reason: 'x', completed_on: '2026-02-01' }), CHECK, /events_open_uncompleted/);
      await expectPgError(insertEvent({ status: 'done' }), CHECK, /events_status_check/);
      // Closing an open event in place needs the same fields as inserting a closed one.
      const [open] = await insertEvent({}) as Array<{ id: string }>;
      await expectPgError(asAdmin(() => sql(`UPDATE events SET status = 'closed' WHERE id = $1`, [open.id])), CHECK, /events_closed_complete/);
      const closed = await asAdmin(() => sql(
        `UPDATE events SET status = 'closed', completed_on = DATE '2026-02-27', closed_by = $2, closed_at = now() WHERE id = $1 RETURNING id`,
        [open.id, admin.id],
      ));
      expect(closed).to.have.length(1);
    });

    it('holds a calendar item to an RRULE and a relative item to an interval, never both', async () => {
      await expectPgError(insertItem({ rrule: null }), CHECK, /plan_items_calendar_schedule/);
      await expectPgError(insertItem({ relative_every: 3, relative_unit: 'month' }), CHECK, /plan_items_calendar_schedule/);
      await expectPgError(insertItem({ schedule_kind: 'relative', rrule: null, relative_every: 3 }), CHECK, /plan_items_relative_schedule/);
      await expectPgError(insertItem({ schedule_kind: 'relative', rrule: null, relative_unit: 'month' }), CHECK, /plan_items_relative_schedule/);
      await expectPgError(insertItem({ schedule_kind: 'relative', relative_every: 3, relative_unit: 'month' }), CHECK, /plan_items_relative_schedule/);
      await expectPgError(insertItem({ schedule_kind: 'relative', rrule: null, relative_every: 0, relative_unit: 'month' }), CHECK, /relative_every/);
      await expectPgError(insertItem({ schedule_kind: 'relative', rrule: null, relative_every: 1, relative_unit: 'fortnight' }), CHECK, /relative_unit/);
      await expectPgError(insertItem({ schedule_kind: 'sometimes' }), CHECK, /schedule_kind/);
      await expectPgError(insertItem({ schedule_start: null }), NOT_NULL);
      expect(await insertItem({ schedule_kind: 'relative', rrule: null, relative_every: 365, relative_unit: 'day' })).to.have.length(1);
    });

    it('checks the checklist, lead time, reminder offsets, requirement and month-end policy, with defaults', async () => {
      await expectPgError(insertItem({ checklist: JSON.stringify({ key: 'a' }) }), CHECK, /plan_items_checklist_check/);
      await expectPgError(insertItem({ checklist: '"a"' }), CHECK, /plan_items_checklist_check/);
      await expectPgError(insertItem({ requirement: 'checklist' }), CHECK, /plan_items_checklist_required/);
      await expectPgError(insertItem({ requirement: 'both', checklist: '[]' }), CHECK, /plan_items_checklist_required/);
      await expectPgError(insertItem({ requirement: 'photo' }), CHECK, /plan_items_requirement_check/);
      await expectPgError(insertItem({ lead_time_days: 367 }), CHECK, /lead_time_days/);
      await expectPgError(insertItem({ lead_time_days: -1 }), CHECK, /lead_time_days/);
      await expectPgError(insertItem({ reminder_offsets: [14, -3] }), CHECK, /reminder_offsets/);
      await expectPgError(insertItem({ reminder_offsets: [14, null] }), CHECK, /reminder_offsets/);
      await expectPgError(insertItem({ month_end_policy: 'first-day' }), CHECK, /month_end_policy/);
      await expectPgError(insertItem({ activity: '  ' }), CHECK, /activity/);

      const checklist = [
        { key: 'valve', label: 'Valve closed', type: 'check', required: true },
        { key: 'ph', label: 'pH', type: 'number', required: false },
      ];
      const [withChecklist] = await insertItem({ requirement: 'both', checklist: JSON.stringify(checklist), reminder_offsets: [14, 3, 0], lead_time_days: 0 });
      expect(withChecklist).to.include({ requirement: 'both', lead_time_days: 0 });
      expect(withChecklist.checklist).to.deep.equal(checklist);
      expect(withChecklist.reminder_offsets).to.deep.equal([14, 3, 0]);
      const [plain] = await insertItem({});
      expect(plain).to.include({ requirement: 'none', lead_time_days: 30, month_end_policy: 'last-day', schedules_events: true, hidden: false, reminder_offsets: null, next_due_date: null });
      expect(plain.checklist).to.deep.equal([]);
    });
  });

  describe('deleting', () => {
    it('refuses to delete an item that generated an event, and deletes one that never did', async () => {
      const event = await createEvent(item);
      const spare = await createPlanItem(facility, admin, { activity: 'Spare' });
      await expectPgError(asAdmin(() => sql('DELETE FROM plan_items WHERE id = $1', [item.id])), FOREIGN_KEY, /events/);
      // Cancelling the event does not make the item deletable: history stays.
      await ownerQuery(`UPDATE events SET status = 'cancelled', cancel_reason = 'No longer required' WHERE id = $1`, [event.id]);
      await expectPgError(asAdmin(() => sql('DELETE FROM plan_items WHERE id = $1', [item.id])), FOREIGN_KEY, /events/);
      await expectPgError(ownerQuery('DELETE FROM plan_items WHERE id = $1', [item.id]), FOREIGN_KEY);
      expect(await asAdmin(() => sql('DELETE FROM plan_items WHERE id = $1 RETURNING id', [spare.id]))).to.deep.equal([{ id: spare.id }]);
      expect(await ownerQuery('SELECT id FROM plan_items WHERE id IN ($1, $2)', [item.id, spare.id])).to.deep.equal([{ id: item.id }]);
    });

    it('never lets the runtime role delete an event; it may select, insert and update both tables', async () => {
      const event = await createEvent(item);
      await expectPgError(asAdmin(() => sql('DELETE FROM events WHERE id = $1', [event.id])), INSUFFICIENT_PRIVILEGE, /permission denied/);
      const grants = await ownerQuery<{ table: string; privilege: string }>(
        `SELECT t AS table, p AS privilege
           FROM unnest(ARRAY['plan_items', 'events']) t
          CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p
          WHERE has_table_privilege($1, 'public.' || t, p)
          ORDER BY 1, 2`,
        [testEnv().roles.app],
      );
      expect(grants).to.deep.equal([
        { table: 'events', privilege: 'INSERT' },
        { table: 'events', privilege: 'SELECT' },
        { table: 'events', privilege: 'UPDATE' },
        { table: 'plan_items', privilege: 'DELETE' },
        { table: 'plan_items', privilege: 'INSERT' },
        { table: 'plan_items', privilege: 'SELECT' },
        { table: 'plan_items', privilege: 'UPDATE' },
      ]);
    });
  });

  it('maps both tables through the Sequelize models, dates as calendar-day strings', async () => {
    const created = await asAdmin(async () => {
      const planItem = await PlanItem.create({
        clientId: a.id, facilityId: facility.id, activity: 'Monthly stormwater inspection — last day of month', assigneeId: admin.id,
        requirement: 'checklist', checklist: [{ key: 'outfall', label: 'Outfall clear', type: 'yes_no_na', required: true }],
        scheduleKind: 'calendar', rrule: 'FREQ=MONTHLY;BYMONTHDAY=-1', scheduleStart: '2026-01-31', nextDueDate: '2026-01-31',
        reminderOffsets: [7, 1], createdBy: admin.id, updatedBy: admin.id,
      });
      const event = await Event.create({
        clientId: a.id, planItemId: planItem.id, facilityId: facility.id, activity: planItem.activity,
        scheduledDate: '2026-01-31', dueDate: '2026-01-31', assigneeId: admin.id,
      });
      return { planItem: await PlanItem.findByPk(planItem.id), event: await Event.findByPk(event.id) };
    });
    expect(created.planItem).to.include({ scheduleStart: '2026-01-31', nextDueDate: '2026-01-31', monthEndPolicy: 'last-day', leadTimeDays: 30, schedulesEvents: true, hidden: false });
    expect(created.planItem?.reminderOffsets).to.deep.equal([7, 1]);
    expect(created.planItem?.checklist).to.deep.equal([{ key: 'outfall', label: 'Outfall clear', type: 'yes_no_na', required: true }]);
    expect(created.event).to.include({ scheduledDate: '2026-01-31', dueDate: '2026-01-31', status: 'open', late: false, completedOn: null });
  });
});
