// The counts that triggers keep — closed events by facility and month (closed_event_months) and
// by assignee as well (closed_event_assignee_months), and each person's events, documents and close records by facility
// (facility_people) — are the rows' own: after every kind of change (a history inserted at once;
// closing, reopening and cancelling through the event pages; statements changing many events;
// due and completion dates moved; an assignee changed; an item moved to another facility with its
// events; documents added and removed; rows deleted; tables truncated) they equal counting the
// events, close records and documents directly; so does each Plan Item's last scheduled date.
import { expect } from 'chai';
import { addDays, todayIn } from '../../lib/calendar-dates.ts';
import { inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { testEnv } from '../support/env.ts';
import { type ClientRow, createClient, createUser, ownerQuery, type UserRow } from '../support/factories.ts';
import { type Agent, csrfFrom, signedInAgent, testApp } from '../support/http.ts';
import { createUnit, grantScope, type UnitRow } from '../support/hierarchy-factories.ts';

const MONTH_COUNTS = ['due_closed', 'due_on_time', 'completed'];
const ASSIGNEE_MONTH_COUNTS = ['due_closed', 'due_on_time'];
const PEOPLE_COUNTS = ['events', 'open_events', 'documents', 'records', 'records_late', 'records_recorded_late', 'records_documents'];

/** A table's rows that count anything, keys and counts, in key order. */
async function stored(table: string, keys: string, counts: string[]): Promise<Array<Record<string, unknown>>> {
  return ownerQuery(`SELECT ${keys}, ${counts.join(', ')} FROM ${table} WHERE ${counts.map((c) => `${c} <> 0`).join(' OR ')} ORDER BY ${keys}`);
}

/** The monthly counts straight from the events, written out by hand: a closed event counts in
 *  its due month (on time when completed on or before the due date) and its completion month. */
async function countedMonths(): Promise<Array<Record<string, unknown>>> {
  return ownerQuery(
    `WITH closed AS (SELECT * FROM events WHERE status = 'closed'),
          due AS (SELECT facility_id, date_trunc('month', due_date)::date AS month, count(*)::int AS due_closed,
                         count(*) FILTER (WHERE completed_on <= due_date)::int AS due_on_time FROM closed GROUP BY 1, 2),
          done AS (SELECT facility_id, date_trunc('month', completed_on)::date AS month, count(*)::int AS completed FROM closed GROUP BY 1, 2)
     SELECT facility_id, month, coalesce(d.due_closed, 0) AS due_closed, coalesce(d.due_on_time, 0) AS due_on_time, coalesce(c.completed, 0) AS completed
       FROM due d FULL JOIN done c USING (facility_id, month)
      ORDER BY facility_id, month`);
}

/** The same per assignee, by due month. */
async function countedAssigneeMonths(): Promise<Array<Record<string, unknown>>> {
  return ownerQuery(
    `SELECT facility_id, date_trunc('month', due_date)::date AS month, assignee_id, count(*)::int AS due_closed,
            count(*) FILTER (WHERE completed_on <= due_date)::int AS due_on_time
       FROM events WHERE status = 'closed' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`);
}

/** Each person's counts per facility straight from the rows: the events they hold (and the open ones), the documents
 *  they uploaded, the close records of their closed events. */
async function countedPeople(): Promise<Array<Record<string, unknown>>> {
  return ownerQuery(
    `WITH held AS (SELECT facility_id, assignee_id AS person_id, count(*)::int AS events, count(*) FILTER (WHERE status = 'open')::int AS open_events
                     FROM events GROUP BY 1, 2),
          uploaded AS (SELECT facility_id, uploaded_by AS person_id, count(*)::int AS documents FROM documents WHERE uploaded_by IS NOT NULL GROUP BY 1, 2),
          recorded AS (SELECT e.facility_id, e.assignee_id AS person_id, count(*)::int AS records, count(*) FILTER (WHERE k.late)::int AS records_late,
                              count(*) FILTER (WHERE k.recorded_late)::int AS records_recorded_late, sum(jsonb_array_length(k.documents))::int AS records_documents
                         FROM events e JOIN event_closures k ON k.event_id = e.id WHERE e.status = 'closed' GROUP BY 1, 2)
     SELECT facility_id, person_id, coalesce(h.events, 0) AS events, coalesce(h.open_events, 0) AS open_events, coalesce(u.documents, 0) AS documents, coalesce(r.records, 0) AS records,
            coalesce(r.records_late, 0) AS records_late, coalesce(r.records_recorded_late, 0) AS records_recorded_late, coalesce(r.records_documents, 0) AS records_documents
       FROM held h FULL JOIN uploaded u USING (facility_id, person_id) FULL JOIN recorded r USING (facility_id, person_id)
      ORDER BY facility_id, person_id`);
}

/** Each item's newest scheduled date as kept on it, and as its events have it. */
async function lastScheduled(): Promise<{ kept: unknown[]; counted: unknown[] }> {
  const kept = await ownerQuery(`SELECT id, last_scheduled_date::text AS last FROM plan_items ORDER BY id`);
  const counted = await ownerQuery(
    `SELECT p.id, max(e.scheduled_date)::text AS last FROM plan_items p LEFT JOIN events e ON e.plan_item_id = p.id GROUP BY p.id ORDER BY p.id`);
  return { kept, counted };
}

async function expectEqual(after: string): Promise<void> {
  const last = await lastScheduled();
  expect(last.kept, `items' last scheduled dates, ${after}`).to.deep.equal(last.counted);
  expect(await stored('closed_event_months', 'facility_id, month', MONTH_COUNTS), `months, ${after}`).to.deep.equal(await countedMonths());
  expect(await stored('closed_event_assignee_months', 'facility_id, month, assignee_id', ASSIGNEE_MONTH_COUNTS), `assignees' months, ${after}`)
    .to.deep.equal(await countedAssigneeMonths());
  expect(await stored('facility_people', 'facility_id, person_id', PEOPLE_COUNTS), `people, ${after}`).to.deep.equal(await countedPeople());
}

interface World {
  client: ClientRow;
  today: string;
  auckland: UnitRow;
  angeles: UnitRow;
  admin: UserRow;
  ann: UserRow;
  bob: UserRow;
  items: string[];
}

async function world(): Promise<World> {
  const client = await createClient({ timeZone: 'UTC' });
  const auckland = await createUnit(client, { name: 'Auckland Works', timeZone: 'Pacific/Auckland' });
  const angeles = await createUnit(client, { name: 'Angeles Yard', timeZone: 'America/Los_Angeles' });
  const admin = await createUser(client, { name: 'Ada Admin', rank: 'administrator' });
  await grantScope(admin, null);
  const ann = await createUser(client, { name: 'Ann Associate', rank: 'associate' });
  const bob = await createUser(client, { name: 'Bob Associate', rank: 'associate' });
  for (const u of [ann, bob]) {
    await grantScope(u, auckland);
    await grantScope(u, angeles);
  }
  const items: string[] = [];
  for (const [facility, assignee] of [[auckland, ann], [auckland, bob], [angeles, ann]] as const) {
    const [item] = await ownerQuery<{ id: string }>(
      `INSERT INTO plan_items (client_id, facility_id, activity, assignee_id, schedule_kind, rrule, schedule_start, schedules_events)
       VALUES ($1, $2, 'Weekly walk-down', $3, 'calendar', 'FREQ=WEEKLY;BYDAY=MO', DATE '2024-01-01', false) RETURNING id`,
      [client.id, facility.id, assignee.id],
    );
    items.push(item!.id);
  }
  return { client, today: todayIn('UTC'), auckland, angeles, admin, ann, bob, items };
}

/** Thirty months of events on each item, every fourth day (month edges included), in one
 *  statement: open, cancelled and closed ones (on time, late, recorded late), half of the closed
 *  ones with a close record carrying 0–2 documents. */
async function insertHistory(w: World): Promise<void> {
  await ownerQuery(
    `INSERT INTO events (client_id, plan_item_id, facility_id, activity, scheduled_date, due_date, assignee_id, status, completed_on, late,
                         recorded_late, closed_by, closed_at, cancel_reason)
     SELECT p.client_id, p.id, p.facility_id, 'Weekly walk-down', d, d, p.assignee_id, s.status,
            CASE WHEN s.status = 'closed' THEN least(d + (g % 5) - 2, $2::date) END,
            s.status = 'closed' AND least(d + (g % 5) - 2, $2::date) > d,
            s.status = 'closed' AND g % 13 = 0,
            CASE WHEN s.status = 'closed' THEN p.assignee_id END, CASE WHEN s.status = 'closed' THEN now() END,
            CASE WHEN s.status = 'cancelled' THEN 'Not needed' END
       FROM plan_items p
      CROSS JOIN generate_series(0, 230) g
      CROSS JOIN LATERAL (SELECT ($2::date - 900 + g * 4) AS d) day
      CROSS JOIN LATERAL (SELECT CASE WHEN g % 7 = 0 OR d > $2::date THEN 'open' WHEN g % 11 = 0 THEN 'cancelled' ELSE 'closed' END AS status) s
      WHERE p.id = ANY ($1::uuid[])`,
    [w.items, w.today],
  );
  await ownerQuery(
    `INSERT INTO event_closures (client_id, event_id, facility_id, closed_by, completed_on, due_date, late, recorded_late, documents)
     SELECT e.client_id, e.id, e.facility_id, e.closed_by, e.completed_on, e.due_date, e.late, e.recorded_late,
            (SELECT coalesce(jsonb_agg(jsonb_build_object('id', gen_random_uuid())), '[]') FROM generate_series(1, (extract(day FROM e.due_date)::int % 3)))
       FROM events e WHERE e.plan_item_id = ANY ($1::uuid[]) AND e.status = 'closed' AND extract(doy FROM e.due_date)::int % 2 = 0`,
    [w.items],
  );
  // Documents on a third of the closed events, some uploaded by support staff (no user).
  await ownerQuery(
    `INSERT INTO documents (client_id, event_id, facility_id, file_name, content_type, size_bytes, sha256, uploaded_by)
     SELECT e.client_id, e.id, e.facility_id, 'evidence.pdf', 'application/pdf', 4, repeat('e', 64),
            CASE WHEN extract(doy FROM e.due_date)::int % 9 = 0 THEN NULL ELSE e.assignee_id END
       FROM events e WHERE e.plan_item_id = ANY ($1::uuid[]) AND e.status = 'closed' AND extract(doy FROM e.due_date)::int % 3 = 0`,
    [w.items],
  );
}

async function post(agent: Agent, eventId: string, action: string, fields: Record<string, string>): Promise<number> {
  const token = csrfFrom((await agent.get('/account/password')).text);
  return (await agent.post(`/events/${eventId}/${action}`).type('form').send({ _csrf: token, ...fields })).status;
}

async function someEvent(w: World, where: string): Promise<string> {
  const [row] = await ownerQuery<{ id: string }>(`SELECT id FROM events WHERE plan_item_id = ANY ($1::uuid[]) AND ${where} ORDER BY due_date, id LIMIT 1`, [w.items]);
  if (!row) throw new Error(`no event where ${where}`);
  return row.id;
}

describe('counts kept by triggers: equal to counting the rows', function () {
  this.timeout(60_000);
  let w: World;
  beforeEach(async () => {
    w = await world();
    await insertHistory(w);
  });

  it('after a history is inserted at once, whatever its statuses, dates and close records', async () => {
    const [rows] = await ownerQuery<{ n: number; closed: number; records: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE status = 'closed')::int AS closed,
              (SELECT count(*)::int FROM event_closures) AS records FROM events`);
    expect(rows).to.deep.include({ n: 693 });
    expect(rows!.closed).to.be.greaterThan(400);
    expect(rows!.records).to.be.greaterThan(150);
    expect((await stored('closed_event_months', 'facility_id, month', MONTH_COUNTS)).length).to.be.greaterThan(40);
    expect((await stored('closed_event_assignee_months', 'facility_id, month, assignee_id', ASSIGNEE_MONTH_COUNTS)).length).to.be.greaterThan(60);
    expect((await stored('facility_people', 'facility_id, person_id', PEOPLE_COUNTS)).length).to.equal(3);
    await expectEqual('the inserted history');
  });

  it('after closing, reopening, closing again and cancelling through the event pages', async () => {
    const agent = await signedInAgent(testApp(), w.admin.email, w.admin.password);
    const open = await someEvent(w, `status = 'open' AND due_date < now()::date - 40`);
    expect(await post(agent, open, 'close', { completedOn: addDays(w.today, -1) })).to.equal(303);
    await expectEqual('a late close (a record added in this month)');
    const closedWithRecord = await someEvent(w, `status = 'closed' AND EXISTS (SELECT 1 FROM event_closures k WHERE k.event_id = events.id)`);
    expect(await post(agent, closedWithRecord, 'reopen', { reason: 'Wrong outfall' })).to.equal(303);
    await expectEqual('a reopen (its records leave the counts)');
    expect(await post(agent, closedWithRecord, 'close', { completedOn: addDays(w.today, -1) })).to.equal(303);
    await expectEqual('closed again (both records count)');
    const another = await someEvent(w, `status = 'open' AND due_date < now()::date`);
    expect(await post(agent, another, 'cancel', { reason: 'Plant shut' })).to.equal(303);
    const closedWithout = await someEvent(w, `status = 'closed' AND NOT EXISTS (SELECT 1 FROM event_closures k WHERE k.event_id = events.id)`);
    expect(await post(agent, closedWithout, 'reopen', { reason: 'Check again' })).to.equal(303);
    expect(await post(agent, closedWithout, 'cancel', { reason: 'Superseded' })).to.equal(303);
    await expectEqual('a cancel, and a reopen then cancel');
  });

  it('after statements that close, reopen and change many events at once', async () => {
    await ownerQuery(
      `UPDATE events SET status = 'closed', completed_on = due_date + 1, late = true, closed_by = assignee_id, closed_at = now()
        WHERE plan_item_id = ANY ($1::uuid[]) AND status = 'open' AND due_date < $2::date - 1`,
      [w.items, w.today],
    );
    await expectEqual('every past open event closed in one statement');
    await ownerQuery(
      `UPDATE events SET status = 'open', completed_on = NULL, late = false, recorded_late = false, closed_by = NULL, closed_at = NULL
        WHERE plan_item_id = ANY ($1::uuid[]) AND status = 'closed' AND extract(month FROM due_date) IN (1, 6, 12)`,
      [w.items],
    );
    await expectEqual('three months of closes reopened in one statement');
    await ownerQuery(`UPDATE events SET due_date = due_date + 20 WHERE plan_item_id = $1 AND status = 'closed' AND extract(day FROM due_date) > 25`, [w.items[0]]);
    await ownerQuery(`UPDATE events SET completed_on = completed_on - 3, late = completed_on - 3 > due_date WHERE plan_item_id = $1 AND status = 'closed'`, [w.items[2]]);
    await expectEqual('due and completion dates moved across month ends');
    await ownerQuery(`UPDATE events SET assignee_id = $2 WHERE plan_item_id = $1 AND status = 'closed' AND extract(day FROM due_date) < 10`, [w.items[0], w.bob.id]);
    await expectEqual('closed events given to another assignee');
    await ownerQuery(`UPDATE events SET updated_at = now() WHERE plan_item_id = ANY ($1::uuid[])`, [w.items]);
    await expectEqual('a change that counts nothing');
  });

  it('after an item moves to another facility with its events, and after events are deleted', async () => {
    // Events with close records cannot move (the append-only records keep their facility): a new
    // item's closed year can.
    const [item] = await ownerQuery<{ id: string }>(
      `INSERT INTO plan_items (client_id, facility_id, activity, assignee_id, schedule_kind, rrule, schedule_start, schedules_events)
       SELECT client_id, facility_id, 'Monthly sampling', assignee_id, 'calendar', 'FREQ=MONTHLY;BYMONTHDAY=1', DATE '2024-01-01', false FROM plan_items WHERE id = $1
       RETURNING id`,
      [w.items[0]],
    );
    await ownerQuery(
      `INSERT INTO events (client_id, plan_item_id, facility_id, activity, scheduled_date, due_date, assignee_id, status, completed_on, late, closed_by, closed_at)
       SELECT p.client_id, p.id, p.facility_id, p.activity, d, d, p.assignee_id, 'closed', d, false, p.assignee_id, now()
         FROM plan_items p CROSS JOIN generate_series(DATE '2025-01-01', DATE '2025-12-01', interval '1 month') AS s(d) WHERE p.id = $1`,
      [item!.id],
    );
    await expectEqual('a closed year added for a new item');
    await ownerQuery(
      `WITH moved AS (UPDATE plan_items SET facility_id = $2 WHERE id = $1 RETURNING id)
       UPDATE events SET facility_id = $2 WHERE plan_item_id = (SELECT id FROM moved)`,
      [item!.id, w.angeles.id],
    );
    const [moved] = await ownerQuery<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE plan_item_id = $1 AND facility_id = $2`, [item!.id, w.angeles.id]);
    expect(moved!.n).to.equal(12);
    await expectEqual('the item and its events moved to the other facility');
    await ownerQuery(`DELETE FROM events WHERE plan_item_id = $1 AND due_date < DATE '2025-07-01'`, [item!.id]);
    await expectEqual('half of them deleted');
  });

  it('after documents are added, given to someone else and removed', async () => {
    const open = await someEvent(w, `status = 'open'`);
    const added = await ownerQuery<{ id: string }>(
      `INSERT INTO documents (client_id, event_id, facility_id, file_name, content_type, size_bytes, sha256, uploaded_by)
       SELECT client_id, id, facility_id, 'photo-' || n || '.jpg', 'image/jpeg', 4, repeat('f', 64), $2 FROM events, generate_series(1, 5) n WHERE id = $1
       RETURNING id`,
      [open, w.bob.id],
    );
    await expectEqual('five documents added');
    await ownerQuery('UPDATE documents SET uploaded_by = $2 WHERE id = $1', [added[0]!.id, w.ann.id]);
    await ownerQuery('UPDATE documents SET uploaded_by = NULL WHERE id = $1', [added[1]!.id]);
    await expectEqual('two given to someone else or to no one');
    await ownerQuery('DELETE FROM documents WHERE id = ANY ($1::uuid[])', [added.slice(1, 4).map((d) => d.id)]);
    await expectEqual('three removed');
  });

  it('after the close records, the documents, then the events are truncated', async () => {
    await ownerQuery('TRUNCATE event_closures');
    await expectEqual('no close records left');
    expect((await stored('facility_people', 'facility_id, person_id', PEOPLE_COUNTS)).every((r) => r.records === 0)).to.equal(true);
    await ownerQuery('TRUNCATE documents CASCADE');
    await expectEqual('no documents left');
    await ownerQuery('TRUNCATE events CASCADE');
    expect(await stored('closed_event_months', 'facility_id, month', MONTH_COUNTS)).to.deep.equal([]);
    expect(await stored('closed_event_assignee_months', 'facility_id, month, assignee_id', ASSIGNEE_MONTH_COUNTS)).to.deep.equal([]);
    expect(await stored('facility_people', 'facility_id, person_id', PEOPLE_COUNTS)).to.deep.equal([]);
  });

  it('refuses inconsistent counts, and hides other facilities and clients as the events are hidden', async () => {
    // Counts tampered with (as the owner): reopening an event they no longer count is refused.
    const event = await someEvent(w, `status = 'closed' AND completed_on <= due_date AND NOT EXISTS (SELECT 1 FROM event_closures k WHERE k.event_id = events.id)`);
    await ownerQuery(
      `UPDATE closed_event_months m SET due_closed = 0, due_on_time = 0 FROM events e
        WHERE e.id = $1 AND m.facility_id = e.facility_id AND m.month = date_trunc('month', e.due_date)`,
      [event],
    );
    let refused: unknown;
    await ownerQuery(`UPDATE events SET status = 'open', completed_on = NULL, late = false, recorded_late = false, closed_by = NULL, closed_at = NULL WHERE id = $1`, [event])
      .catch((e: unknown) => (refused = e));
    expect(refused, 'the reopen was refused').to.have.property('code', '23514');
    expect((await ownerQuery<{ status: string }>('SELECT status FROM events WHERE id = $1', [event]))[0]!.status).to.equal('closed');
    const manager = await createUser(w.client, { rank: 'manager' });
    await grantScope(manager, w.auckland);
    const other = await createClient();
    const outsider = await createUser(other, { rank: 'administrator' });
    await grantScope(outsider, null);
    // As the runtime role, in each user's unit of work.
    const visible = async (user: UserRow) => {
      const rows = await inUnitOfWork(testEnv().db.sequelize, { actorKind: 'user', clientId: user.client_id, userId: user.id },
        () => sql<{ facility_id: string }>(`SELECT facility_id FROM closed_event_months UNION SELECT facility_id FROM closed_event_assignee_months
                                            UNION SELECT facility_id FROM facility_people ORDER BY 1`));
      return rows.map((r) => r.facility_id);
    };
    expect(await visible(manager)).to.deep.equal([w.auckland.id]);
    expect((await visible(w.admin)).sort()).to.deep.equal([w.auckland.id, w.angeles.id].sort());
    expect(await visible(outsider)).to.deep.equal([]);
  });
});
