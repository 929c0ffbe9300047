// DESIGN.md §8.2: plan_items and events are facility-scoped under row-level security.
// Rows of facilities outside the actor's scope are invisible and cannot be written, and another
// client's rows are invisible whatever the rank. Exercised as the runtime role, in units of work.
import { expect } from 'chai';
import { inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { INSUFFICIENT_PRIVILEGE, expectPgError, guardViolation } from '../support/db-roles.ts';
import { testEnv } from '../support/env.ts';
import { type UserRow, createUser, ownerQuery } from '../support/factories.ts';
import { type ScopeWorld, buildScopeWorld } from '../scope/fixture.ts';
import { type EventRow, type PlanItemRow, createEvent, createPlanItem } from './plan-factories.ts';

const A_FACILITIES = ['Alder', 'Aspen', 'Beech', 'Cedar', 'Cypress', 'Dogwood'];

function as<T>(user: { id: string; client_id: string }, work: () => Promise<T>): Promise<T> {
  return inUnitOfWork(testEnv().db.sequelize, { actorKind: 'user', clientId: user.client_id, userId: user.id }, work);
}

async function ownerCount(table: string): Promise<number> {
  const [row] = await ownerQuery<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return row.n;
}

describe('plan items and events under facility-scope RLS', () => {
  let w: ScopeWorld;
  /** One item, with one event, per facility (by facility name); Birch-B is client B's. */
  let items: Record<string, PlanItemRow>;
  let events: Record<string, EventRow>;
  const facilityName = (id: string) => Object.values(w.units).find((u) => u.id === id)?.name ?? `<unknown ${id}>`;

  /** The facility names of the plan items and of the events `user` sees (sorted). */
  async function seen(user: UserRow): Promise<{ items: string[]; events: string[] }> {
    return as(user, async () => ({
      items: (await sql<{ facility_id: string }>('SELECT facility_id FROM plan_items')).map((r) => facilityName(r.facility_id)).sort(),
      events: (await sql<{ facility_id: string }>('SELECT facility_id FROM events')).map((r) => facilityName(r.facility_id)).sort(),
    }));
  }

  beforeEach(async () => {
    w = await buildScopeWorld();
    items = {};
    events = {};
    for (const name of [...A_FACILITIES, 'Birch-B']) {
      const assignee = name === 'Birch-B' ? w.outsider : w.admin;
      items[name] = await createPlanItem(w.units[name], assignee, { activity: `Inspection at ${name}` });
      events[name] = await createEvent(items[name]);
    }
  });

  it('shows a Manager of facility F only F\'s plan items and events', async () => {
    expect(await seen(w.manager)).to.deep.equal({ items: ['Alder'], events: ['Alder'] });
  });

  it('shows a Director of a division exactly its facilities\' rows', async () => {
    expect(await seen(w.director)).to.deep.equal({ items: ['Alder', 'Aspen'], events: ['Alder', 'Aspen'] });
  });

  it('shows a region-scoped Executive the region\'s facilities, across its divisions', async () => {
    expect(await seen(w.executive)).to.deep.equal({ items: ['Alder', 'Aspen', 'Beech'], events: ['Alder', 'Aspen', 'Beech'] });
  });

  it('shows Administrators and whole-client scopes every facility of their client, and nothing of another', async () => {
    expect(await seen(w.admin)).to.deep.equal({ items: A_FACILITIES, events: A_FACILITIES });
    expect(await seen(w.wholeClient)).to.deep.equal({ items: A_FACILITIES, events: A_FACILITIES });
  });

  it('shows another client\'s users nothing of this client, even asked by id', async () => {
    expect(await seen(w.outsider)).to.deep.equal({ items: ['Birch-B'], events: ['Birch-B'] });
    const aItemIds = A_FACILITIES.map((n) => items[n].id);
    const aEventIds = A_FACILITIES.map((n) => events[n].id);
    const found = await as(w.outsider, async () => [
      ...(await sql('SELECT id FROM plan_items WHERE id = ANY ($1::uuid[])', [aItemIds])),
      ...(await sql('SELECT id FROM events WHERE id = ANY ($1::uuid[])', [aEventIds])),
    ]);
    expect(found).to.deep.equal([]);
    // And client A's Administrator sees nothing of B.
    const ofB = await as(w.admin, () => sql('SELECT id FROM plan_items WHERE id = $1 UNION ALL SELECT id FROM events WHERE id = $2', [items['Birch-B'].id, events['Birch-B'].id]));
    expect(ofB).to.deep.equal([]);
  });

  it('shows a user without any scope row nothing', async () => {
    const unscoped = await createUser(w.a, { rank: 'manager', name: 'No Scope' });
    expect(await seen(unscoped)).to.deep.equal({ items: [], events: [] });
  });

  describe('writes by a Manager of Alder', () => {
    it('cannot insert a plan item or an event on a facility outside the scope (RLS refuses the row)', async () => {
      const before = [await ownerCount('plan_items'), await ownerCount('events')];
      await expectPgError(
        as(w.manager, () => sql(
          `INSERT INTO plan_items (client_id, facility_id, activity, assignee_id, schedule_kind, rrule, schedule_start)
           VALUES ($1, $2, 'Sneaky item', $3, 'calendar', 'FREQ=DAILY', DATE '2026-03-01') RETURNING id`,
          [w.a.id, w.units.Beech.id, w.manager.id],
        )),
        INSUFFICIENT_PRIVILEGE,
        guardViolation('plan_items'),
      );
      await expectPgError(
        as(w.manager, () => sql(
          `INSERT INTO events (client_id, plan_item_id, facility_id, activity, scheduled_date, due_date, assignee_id)
           VALUES ($1, $2, $3, 'Sneaky event', DATE '2026-03-31', DATE '2026-03-31', $4) RETURNING id`,
          [w.a.id, items.Beech.id, w.units.Beech.id, w.manager.id],
        )),
        INSUFFICIENT_PRIVILEGE,
        guardViolation('events'),
      );
      // Even without RETURNING (no read-back), the write check alone refuses it.
      await expectPgError(
        as(w.manager, () => sql(
          `INSERT INTO events (client_id, plan_item_id, facility_id, activity, scheduled_date, due_date, assignee_id)
           VALUES ($1, $2, $3, 'Sneaky event', DATE '2026-03-31', DATE '2026-03-31', $4)`,
          [w.a.id, items.Beech.id, w.units.Beech.id, w.manager.id],
        )),
        INSUFFICIENT_PRIVILEGE,
        guardViolation('events'),
      );
      expect([await ownerCount('plan_items'), await ownerCount('events')]).to.deep.equal(before);
    });

    it('inserts on its own facility (so the refusals above are about scope)', async () => {
      const inserted = await as(w.manager, async () => {
        const [item] = await sql<{ id: string }>(
          `INSERT INTO plan_items (client_id, facility_id, activity, assignee_id, schedule_kind, relative_every, relative_unit, schedule_start)
           VALUES ($1, $2, 'Own item', $3, 'relative', 1, 'year', DATE '2026-03-01') RETURNING id`,
          [w.a.id, w.units.Alder.id, w.manager.id],
        );
        const [event] = await sql<{ id: string }>(
          `INSERT INTO events (client_id, plan_item_id, facility_id, activity, scheduled_date, due_date, assignee_id)
           VALUES ($1, $2, $3, 'Own item', DATE '2027-03-01', DATE '2027-03-01', $4) RETURNING id`,
          [w.a.id, item.id, w.units.Alder.id, w.manager.id],
        );
        return { item, event };
      });
      expect(await ownerQuery('SELECT facility_id FROM events WHERE id = $1', [inserted.event.id])).to.deep.equal([{ facility_id: w.units.Alder.id }]);
    });

    it('updates and deletes nothing of another facility, and cannot move its own rows there', async () => {
      const spare = await createPlanItem(w.units.Beech, w.admin, { activity: 'Never generated' });
      const touched = await as(w.manager, async () => [
        ...(await sql(`UPDATE plan_items SET activity = 'Hijacked', hidden = true WHERE facility_id = $1 RETURNING id`, [w.units.Beech.id])),
        ...(await sql(`UPDATE events SET due_date = DATE '2030-01-01', assignee_id = $2 WHERE facility_id = $1 RETURNING id`, [w.units.Beech.id, w.manager.id])),
        ...(await sql('DELETE FROM plan_items WHERE id = $1 RETURNING id', [spare.id])),
      ]);
      expect(touched).to.deep.equal([]);
      expect(await ownerQuery('SELECT activity, hidden FROM plan_items WHERE facility_id = $1 ORDER BY activity', [w.units.Beech.id])).to.deep.equal([
        { activity: 'Inspection at Beech', hidden: false },
        { activity: 'Never generated', hidden: false },
      ]);
      expect(await ownerQuery(`SELECT due_date::text AS due FROM events WHERE id = $1`, [events.Beech.id])).to.deep.equal([{ due: '2026-01-31' }]);

      // Its own rows update, but moving one to a facility outside the scope is refused by RLS.
      const own = await createPlanItem(w.units.Alder, w.admin, { activity: 'Movable' });
      const renamed = await as(w.manager, () => sql(`UPDATE plan_items SET activity = 'Renamed' WHERE id = $1 RETURNING id`, [own.id]));
      expect(renamed).to.have.length(1);
      await expectPgError(
        as(w.manager, () => sql('UPDATE plan_items SET facility_id = $2 WHERE id = $1', [own.id, w.units.Beech.id])),
        INSUFFICIENT_PRIVILEGE,
        guardViolation('plan_items'),
      );
      await expectPgError(
        as(w.manager, () => sql('UPDATE events SET facility_id = $2 WHERE id = $1', [events.Alder.id, w.units.Beech.id])),
        INSUFFICIENT_PRIVILEGE,
        guardViolation('events'),
      );
      expect(await ownerQuery('SELECT facility_id FROM plan_items WHERE id = $1', [own.id])).to.deep.equal([{ facility_id: w.units.Alder.id }]);
    });
  });

  it('lets another client write nothing of this client\'s facilities', async () => {
    await expectPgError(
      as(w.outsider, () => sql(
        `INSERT INTO plan_items (client_id, facility_id, activity, assignee_id, schedule_kind, rrule, schedule_start)
         VALUES ($1, $2, 'Foreign item', $3, 'calendar', 'FREQ=DAILY', DATE '2026-03-01')`,
        [w.a.id, w.units.Alder.id, w.admin.id],
      )),
      INSUFFICIENT_PRIVILEGE,
      guardViolation('plan_items'),
    );
    const touched = await as(w.outsider, () => sql(`UPDATE events SET due_date = DATE '2030-01-01' WHERE client_id = $1 RETURNING id`, [w.a.id]));
    expect(touched).to.deep.equal([]);
  });
});
