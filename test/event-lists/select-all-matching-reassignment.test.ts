// "Select all N matching" on a unit's events page: every open event matching the list's filters,
// on every page, goes to one new assignee after the count is shown and confirmed. Exactly the
// rows matching at apply time move, each audited; a count that changed since it was confirmed,
// more than BULK_REASSIGN_MAX, a closed view, no confirmation or an assignee who does not cover
// every facility is refused (422) with nothing changed.
import { expect } from 'chai';
import { BULK_REASSIGN_MAX } from '../../services/events/reassignment.ts';
import { auditRows } from '../support/auth-helpers.ts';
import { createUser, ownerQuery } from '../support/factories.ts';
import { grantScope } from '../support/hierarchy-factories.ts';
import { csrfFrom } from '../support/http.ts';
import { assigneeOf, day, event, item, listWorld, type ListWorld } from './list-world.ts';

const assignments = async () => JSON.stringify(await ownerQuery('SELECT id, assignee_id FROM events ORDER BY id'));
const allForm = (html: string) => /<form[^>]*id="reassign-all-form"[\s\S]*?<\/form>/.exec(html)?.[0] ?? '';

describe('events lists: reassign every event matching the filters', () => {
  let w: ListWorld;
  let safetyOne: string;
  let matching: string[];
  let others: string[];
  beforeEach(async () => {
    w = await listWorld();
    safetyOne = await item(w, w.plantOne, w.alice, { activity: 'Boiler test', category: 'Safety' });
    const safetyTwo = await item(w, w.plantTwo, w.alice, { activity: 'Alarm test', category: 'Safety' });
    const storm = await item(w, w.plantOne, w.alice, { activity: 'Outfall inspection', category: 'Stormwater' });
    const south = await item(w, w.plantThree, w.sue, { activity: 'South alarm test', category: 'Safety' });
    matching = [await event(w, safetyOne, { due: day(-3) }), await event(w, safetyOne, { due: day(20) }), await event(w, safetyTwo, { due: day(4) })];
    others = [
      await event(w, storm, { due: day(-3) }),
      await event(w, safetyOne, { due: day(-30), status: 'closed' }),
      await event(w, safetyTwo, { due: day(-31), status: 'cancelled' }),
      await event(w, south, { due: day(-3) }),
    ];
  });

  it('shows the count, asks to confirm it, then moves exactly the events matching at that moment, each audited', async () => {
    const director = await w.as(w.director);
    const list = `/units/${w.north.id}/events?category=Safety`;
    const action = `/units/${w.north.id}/events/reassign?category=Safety`;
    const page = await director.get(list).expect(200);
    const token = csrfFrom(page.text);
    expect(allForm(page.text)).to.include(`action="${action}"`).and.include('Select all 3 matching');

    const choose = await director.post(action).type('form').send({ _csrf: token, intent: 'choose-all' }).expect(200);
    const form = allForm(choose.text);
    expect(form).to.include('name="expected" value="3"').and.include('Yes, reassign all <strong>3</strong> events matching these filters');
    // Who may take them all covers both plants: the Director and Alice, not Bob (Plant One only).
    expect(form).to.include(`value="${w.director.id}"`).and.include(`value="${w.alice.id}"`).and.not.include(`value="${w.bob.id}"`);

    const before = await assignments();
    const unconfirmed = await director.post(action).type('form').send({ _csrf: token, intent: 'apply-all', expected: '3', assigneeId: w.director.id });
    expect(unconfirmed.status).to.equal(422);
    expect(unconfirmed.text).to.include('Tick the box to confirm reassigning all 3 events');

    // Another matching event arrives between confirming and applying: refused, nothing changed.
    const arrived = await event(w, safetyOne, { due: day(9) });
    const changed = await director.post(action).type('form').send({ _csrf: token, intent: 'apply-all', expected: '3', confirm: '1', assigneeId: w.director.id });
    expect(changed.status).to.equal(422);
    expect(changed.text).to.include('4 events match these filters now, not the 3 you confirmed').and.include('Nothing was changed.');
    // The page offers the new count to confirm.
    expect(allForm(changed.text)).to.include('name="expected" value="4"');
    const wrongUser = await director.post(action).type('form').send({ _csrf: token, intent: 'apply-all', expected: '4', confirm: '1', assigneeId: w.bob.id });
    expect(wrongUser.status).to.equal(422);
    expect(wrongUser.text).to.include('outside the facility&#39;s scope');
    const before2 = JSON.parse(await assignments()) as unknown[];
    expect(before2).to.have.length((JSON.parse(before) as unknown[]).length + 1);
    expect(await auditRows('event.reassigned')).to.have.length(0);

    const res = await director.post(action).type('form').send({ _csrf: token, intent: 'apply-all', expected: '4', confirm: '1', assigneeId: w.director.id });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal(list);
    for (const id of [...matching, arrived]) expect(await assigneeOf(id), id).to.equal(w.director.id);
    expect(await assigneeOf(others[0]!)).to.equal(w.alice.id);
    expect(await assigneeOf(others[1]!)).to.equal(w.alice.id);
    expect(await assigneeOf(others[2]!)).to.equal(w.alice.id);
    expect(await assigneeOf(others[3]!)).to.equal(w.sue.id);
    const entries = await auditRows('event.reassigned');
    expect(entries.map((e) => e.entity_id).sort()).to.deep.equal([...matching, arrived].sort());
    for (const e of entries) expect(e.changes).to.deep.equal({ from: w.alice.id, to: w.director.id });
    expect((await director.get(list)).text).to.include('4 events are now assigned to Dana Director');
  });

  it('moves only what every filter matches: search, due range, assignee and place together', async () => {
    const director = await w.as(w.director);
    const query = `?q=boiler&to=${day(10)}&assignee=${w.alice.id}&unit=${w.plantOne.id}`;
    const page = await director.get(`/units/${w.north.id}/events${query}`).expect(200);
    const token = csrfFrom(page.text);
    const action = `/units/${w.north.id}/events/reassign${query}`;
    const res = await director.post(action).type('form').send({ _csrf: token, intent: 'apply-all', expected: '1', confirm: '1', assigneeId: w.bob.id });
    expect(res.status, res.text.slice(0, 200)).to.equal(303);
    expect(await assigneeOf(matching[0]!)).to.equal(w.bob.id);
    expect(await assigneeOf(matching[1]!)).to.equal(w.alice.id);
    expect(await assigneeOf(matching[2]!)).to.equal(w.alice.id);
    expect(await auditRows('event.reassigned')).to.have.length(1);
  });

  it(`refuses more than ${BULK_REASSIGN_MAX} matching events, a closed view and a Manager, changing nothing`, async () => {
    await ownerQuery(
      `INSERT INTO events (client_id, plan_item_id, facility_id, activity, scheduled_date, due_date, assignee_id)
       SELECT $1, $2, $3, 'Boiler test', d::date, d::date, $4 FROM generate_series(DATE '2040-01-01', DATE '2040-01-01' + $5::int, interval '1 day') AS d`,
      [w.client.id, safetyOne, w.plantOne.id, w.alice.id, BULK_REASSIGN_MAX - 2],
    );
    const director = await w.as(w.director);
    const total = BULK_REASSIGN_MAX + 2;
    const page = await director.get(`/units/${w.north.id}/events?category=Safety`).expect(200);
    const token = csrfFrom(page.text);
    expect(allForm(page.text)).to.include(`${total} events match; at most ${BULK_REASSIGN_MAX} can be reassigned at once`).and.not.include('choose-all');
    const before = await assignments();
    const over = await director.post(`/units/${w.north.id}/events/reassign?category=Safety`).type('form').send({ _csrf: token, intent: 'apply-all', expected: String(total), confirm: '1', assigneeId: w.director.id });
    expect(over.status).to.equal(422);
    expect(over.text).to.include(`More than ${BULK_REASSIGN_MAX} events match these filters`);
    const closed = await director.post(`/units/${w.north.id}/events/reassign?status=closed`).type('form').send({ _csrf: token, intent: 'apply-all', expected: '1', confirm: '1', assigneeId: w.director.id });
    expect(closed.status).to.equal(422);
    expect(closed.text).to.include('Only open events can be reassigned');
    const manager = await createUser(w.client, { name: 'Mona Manager', rank: 'manager' });
    await grantScope(manager, w.north);
    const managerAgent = await w.as(manager);
    const managerToken = csrfFrom((await managerAgent.get(`/units/${w.north.id}/events`)).text);
    const refused = await managerAgent.post(`/units/${w.north.id}/events/reassign?category=Storm`).type('form').send({ _csrf: managerToken, intent: 'apply-all', expected: '1', confirm: '1', assigneeId: w.bob.id });
    expect(refused.status).to.equal(403);
    expect(await assignments()).to.equal(before);
    expect(await auditRows('event.reassigned')).to.have.length(0);
  });
});
