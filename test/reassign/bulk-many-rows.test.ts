// Regression: bulk reassignment promises up to BULK_REASSIGN_MAX (500) selected events, and the table
// offers a checkbox per open event, but app.ts parses forms with parameterLimit: 200. Selecting
// ~200 or more rows answers 413 "The form was too large." instead of reassigning them (or the
// service's own "at most 500" message).
import { expect } from 'chai';
import { ownerQuery } from '../support/factories.ts';
import { csrfFrom } from '../support/http.ts';
import { BULK_REASSIGN_MAX } from '../../services/events/reassignment.ts';
import { planItem, world } from './world.ts';

describe('bulk reassignment of many selected events', () => {
  it(`reassigns 250 selected events (the documented limit is ${BULK_REASSIGN_MAX})`, async () => {
    const w = await world();
    const itemId = await planItem(w, w.plantOne, w.alice, 'Daily check');
    const ids = (await ownerQuery<{ id: string }>(
      `INSERT INTO events (client_id, plan_item_id, facility_id, activity, scheduled_date, due_date, assignee_id)
       SELECT $1, $2, $3, 'Daily check', d::date, d::date, $4 FROM generate_series(DATE '2033-01-01', DATE '2033-01-01' + 249, interval '1 day') AS d
       RETURNING id`,
      [w.client.id, itemId, w.plantOne.id, w.alice.id],
    )).map((r) => r.id);
    expect(ids).to.have.length(250);
    const director = await w.as(w.director);
    const token = csrfFrom((await director.get(`/units/${w.plantOne.id}/events`)).text);
    const res = await director.post(`/units/${w.plantOne.id}/events/reassign`).type('form').send({ _csrf: token, events: ids, assigneeId: w.bob.id, intent: 'apply' });
    expect(res.status, res.status === 413 ? 'refused by the body parser (parameterLimit 200)' : res.text.slice(0, 300)).to.equal(303);
    const [moved] = await ownerQuery<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE plan_item_id = $1 AND assignee_id = $2', [itemId, w.bob.id]);
    expect(moved!.n).to.equal(250);
  });
});
