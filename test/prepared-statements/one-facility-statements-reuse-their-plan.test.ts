// A facility's events page runs the same prepared statements request after request. PostgreSQL
// plans a prepared statement afresh (a custom plan) for its first five executions, then keeps its
// generic plan only when that plan looks no costlier; an array parameter is estimated at ten
// elements, so `facility_id = ANY ($1)` over one facility kept every execution custom-planned
// (planning cost more than running). These statements now compare one facility as one value: on
// one connection, the list, its filter choices (with who may take its events) and the choice of
// who may take one facility's events all settle on the plan PostgreSQL keeps
// (pg_prepared_statements counts each kind of plan per statement).
import { expect } from 'chai';
import { Sequelize } from 'sequelize';
import { guardQueries, inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { Client } from '../../models/index.ts';
import { eventPage, filterChoices } from '../../services/events/lists.ts';
import { usersCovering } from '../../services/events/reassignment.ts';
import { testEnv } from '../support/env.ts';
import { ownerQuery } from '../support/factories.ts';
import { createUnit } from '../support/hierarchy-factories.ts';
import { item, listWorld } from '../event-lists/list-world.ts';

interface PlanCounts {
  statement: string;
  generic_plans: number;
  custom_plans: number;
}

describe('prepared statements of a one-facility list', () => {
  let single: Sequelize;

  before(async () => {
    // One connection, so every unit of work below runs on the one that holds the statements.
    single = new Sequelize(testEnv().urls.app, { dialect: 'postgres', logging: false, pool: { max: 1, min: 1 } });
    guardQueries(single);
  });

  after(async () => single.close());

  it('settle on a kept plan instead of being planned at every request', async () => {
    const w = await listWorld();
    // Enough of a client for the planner's estimates to matter: 40 facilities of 200 open events
    // each, and the statistics taken; the list is one of them.
    const plants: string[] = [];
    for (let n = 0; n < 40; n++) {
      const plant = await createUnit(w.client, { kind: 'facility', name: `Plant ${n + 10}`, parent: w.lakes });
      plants.push(plant.id);
      const itemId = await item(w, plant, w.alice, { activity: `Check ${n}`, category: 'Safety' });
      await ownerQuery(
        `INSERT INTO events (client_id, plan_item_id, facility_id, activity, scheduled_date, due_date, assignee_id, status)
         SELECT client_id, id, facility_id, activity, DATE '2001-01-01' + g, CURRENT_DATE + g - 100, assignee_id, 'open'
           FROM plan_items, generate_series(1, 200) g WHERE id = $1`, [itemId]);
    }
    await ownerQuery('ANALYZE org_units, plan_items, events, users, user_scopes, facility_people');
    const context = { actorKind: 'user' as const, clientId: w.client.id, userId: w.director.id };
    const client = await inUnitOfWork(single, context, async () => (await Client.findByPk(w.client.id))!);

    const plant = plants[7]!;
    let shown = 0;
    for (let request = 0; request < 8; request++) {
      await inUnitOfWork(single, context, async () => {
        await filterChoices([plant], undefined, { takersOf: plant });
        await usersCovering([plant]);
        shown = (await eventPage(client, { status: 'open', facilityIds: [plant] }, 1)).rows.length;
      });
    }
    expect(shown).to.equal(50);

    const counts = await inUnitOfWork(single, context, () =>
      sql<PlanCounts>(`SELECT statement, generic_plans::int, custom_plans::int FROM pg_prepared_statements WHERE statement LIKE ANY ($1::text[])`, [
        ['%count(*) OVER ()%FROM events e%', '%AS assignees%AS takers%', 'WITH RECURSIVE up AS%covering AS%'],
      ]));
    expect(counts, 'the three statements').to.have.length(3);
    for (const c of counts) {
      // Five custom plans to learn the cost, then the kept generic plan for the rest.
      expect(c.generic_plans, c.statement.slice(0, 80)).to.be.at.least(3);
      expect(c.custom_plans, c.statement.slice(0, 80)).to.be.at.most(5);
    }
  });
});
