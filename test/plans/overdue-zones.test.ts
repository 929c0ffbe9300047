// "Overdue" is decided in the facility's time zone (DESIGN.md §4): at one instant a facility in
// Pacific/Auckland is already past a due date that a facility in America/Los_Angeles is still on.
import { expect } from 'chai';
import { inUnitOfWork } from '../../lib/unit-of-work.ts';
import { Client, OrgUnit } from '../../models/index.ts';
import { eventList } from '../../services/events/lists.ts';
import { testEnv } from '../support/env.ts';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { createUnit } from '../support/hierarchy-factories.ts';

describe('Management plans: overdue in the facility\'s zone', () => {
  it('marks the same due date overdue in Auckland and not yet in Los Angeles (client default zone applies when unset)', async () => {
    const client = await createClient({ timeZone: 'America/Los_Angeles' });
    const admin = await createUser(client, { rank: 'administrator' });
    const auckland = await createUnit(client, { name: 'Auckland Works', timeZone: 'Pacific/Auckland' });
    const losAngeles = await createUnit(client, { name: 'LA Depot', timeZone: null });
    for (const facility of [auckland, losAngeles]) {
      const [item] = await ownerQuery<{ id: string }>(
        `INSERT INTO plan_items (client_id, facility_id, activity, assignee_id, schedule_kind, rrule, schedule_start)
         VALUES ($1, $2, 'Tank check', $3, 'calendar', 'FREQ=DAILY', DATE '2026-03-10') RETURNING id`,
        [client.id, facility.id, admin.id],
      );
      await ownerQuery(
        `INSERT INTO events (client_id, plan_item_id, facility_id, activity, scheduled_date, due_date, assignee_id)
         VALUES ($1, $2, $3, 'Tank check', DATE '2026-03-10', DATE '2026-03-10', $4)`,
        [client.id, item.id, facility.id, admin.id],
      );
    }
    // 12:00 UTC: 01:00 on 11 March in Auckland (NZDT), 05:00 on 10 March in Los Angeles (PDT).
    const now = new Date('2026-03-10T12:00:00Z');
    const rows = await inUnitOfWork(testEnv().db.sequelize, { actorKind: 'user', clientId: client.id, userId: admin.id }, async () => {
      const facilities = await OrgUnit.findAll({ order: [['name', 'ASC']] });
      return (await eventList((await Client.findByPk(client.id))!, { status: 'open', facilityIds: facilities.map((f) => f.id), now })).rows;
    });
    expect(rows.map((r) => [r.facilityName, r.dueDate, r.overdue]).sort()).to.deep.equal([
      ['Auckland Works', '2026-03-10', true],
      ['LA Depot', '2026-03-10', false],
    ]);
  });
});
