// The rest of an event's life: relative timing's next event exactly once, reopen and
// cancel with reasons, the append-only comment thread, My events, and isolation of every route.
import { expect } from 'chai';
import { addDays, addMonths, todayIn } from '../../lib/calendar-dates.ts';
import { expectPgError, withConnection } from '../support/db-roles.ts';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { type Agent, csrfFrom, signedInAgent, testApp } from '../support/http.ts';
import { auditActions, createEvent, createEventSite, type EventSite, eventRow } from './event-factories.ts';

const today = () => todayIn('America/Chicago');

async function post(agent: Agent, eventId: string, action: string, fields: Record<string, string>) {
  const token = csrfFrom((await agent.get('/account/password')).text);
  return agent.post(`/events/${eventId}/${action}`).type('form').send({ _csrf: token, ...fields });
}

async function itemEvents(site: EventSite) {
  return ownerQuery<{ id: string; status: string; due_date: string }>(
    'SELECT id, status, due_date::text FROM events WHERE plan_item_id = $1 ORDER BY scheduled_date',
    [site.itemId],
  );
}

describe('events: life cycle', () => {
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  it('creates exactly one next event of a relative item when two people close it at the same moment', async () => {
    const site = await createEventSite({ relative: { every: 3, unit: 'month' }, dueDate: addDays(today(), -10) });
    const [assignee, manager] = await Promise.all([
      signedInAgent(app, site.associate.email, site.associate.password),
      signedInAgent(app, site.manager.email, site.manager.password),
    ]);
    const completedOn = addDays(today(), -2);
    const results = await Promise.all([
      post(assignee, site.eventId, 'close', { completedOn }),
      post(manager, site.eventId, 'close', { completedOn }),
    ]);
    expect(results.map((r) => r.status).sort()).to.deep.equal([303, 409]);
    const events = await itemEvents(site);
    expect(events.map((e) => [e.status, e.due_date])).to.deep.equal([['closed', addDays(today(), -10)], ['open', addMonths(completedOn, 3)]]);
    expect(await ownerQuery('SELECT 1 FROM event_closures WHERE event_id = $1', [site.eventId])).to.have.length(1);
    const [item] = await ownerQuery<{ next_due_date: string }>('SELECT next_due_date::text FROM plan_items WHERE id = $1', [site.itemId]);
    expect(item!.next_due_date).to.equal(addMonths(completedOn, 3));
  });

  it('does not give a reopened and re-closed relative event a second successor', async () => {
    const site = await createEventSite({ relative: { every: 30, unit: 'day' }, dueDate: addDays(today(), -5) });
    const manager = await signedInAgent(app, site.manager.email, site.manager.password);
    expect((await post(manager, site.eventId, 'close', { completedOn: today() })).status).to.equal(303);
    expect((await post(manager, site.eventId, 'reopen', { reason: 'Wrong outfall checked' })).status).to.equal(303);
    expect((await post(manager, site.eventId, 'close', { completedOn: today() })).status).to.equal(303);
    expect((await itemEvents(site)).map((e) => e.status)).to.deep.equal(['closed', 'open']);
    expect(await ownerQuery('SELECT 1 FROM event_closures WHERE event_id = $1', [site.eventId])).to.have.length(2);
  });

  it('refuses reopening to an Associate, needs a reason, and lets a Manager reopen (audited, history kept)', async () => {
    const site = await createEventSite();
    const associate = await signedInAgent(app, site.associate.email, site.associate.password);
    expect((await post(associate, site.eventId, 'close', { completedOn: today() })).status).to.equal(303);
    expect((await post(associate, site.eventId, 'reopen', { reason: 'I made a mistake' })).status).to.equal(403);
    expect((await eventRow(site.eventId)).status).to.equal('closed');

    const manager = await signedInAgent(app, site.manager.email, site.manager.password);
    const noReason = await post(manager, site.eventId, 'reopen', { reason: '   ' });
    expect(noReason.status).to.equal(422);
    expect(noReason.text).to.include('Give a reason for reopening');
    expect((await eventRow(site.eventId)).status).to.equal('closed');

    expect((await post(manager, site.eventId, 'reopen', { reason: 'Photos missing' })).status).to.equal(303);
    expect(await eventRow(site.eventId)).to.include({ status: 'open', completed_on: null, late: false, closed_by: null });
    expect(await auditActions(site.eventId)).to.deep.equal(['event.closed', 'event.reopened']);
    const [entry] = await ownerQuery<{ actor_user_id: string; changes: { reason: string; from: string } }>(
      `SELECT actor_user_id, changes FROM audit_log WHERE entity_id = $1 AND action = 'event.reopened'`,
      [site.eventId],
    );
    expect(entry).to.deep.include({ actor_user_id: site.manager.id, changes: { from: 'closed', reason: 'Photos missing' } });
    const page = await manager.get(`/events/${site.eventId}`);
    expect(page.text).to.include('Reopened: Photos missing').and.include('Close record');
  });

  it('cancels with a reason (Manager and above), and a cancelled relative item carries on', async () => {
    const site = await createEventSite({ relative: { every: 1, unit: 'year' }, dueDate: '2026-06-30' });
    const associate = await signedInAgent(app, site.associate.email, site.associate.password);
    expect((await post(associate, site.eventId, 'cancel', { reason: 'Not needed' })).status).to.equal(403);
    const manager = await signedInAgent(app, site.manager.email, site.manager.password);
    expect((await post(manager, site.eventId, 'cancel', { reason: '' })).status).to.equal(422);
    expect((await post(manager, site.eventId, 'cancel', { reason: 'Tank removed for repair' })).status).to.equal(303);
    expect(await eventRow(site.eventId)).to.include({ status: 'cancelled', cancel_reason: 'Tank removed for repair' });
    expect((await itemEvents(site)).map((e) => [e.status, e.due_date])).to.deep.equal([['cancelled', '2026-06-30'], ['open', '2027-06-30']]);
    expect(await auditActions(site.eventId)).to.include('event.cancelled');
    expect((await post(manager, site.eventId, 'close', { completedOn: today() })).status).to.equal(409);
  });

  it('keeps an append-only comment thread', async () => {
    const site = await createEventSite();
    const colleague = await signedInAgent(app, site.colleague.email, site.colleague.password);
    expect((await post(colleague, site.eventId, 'comments', { body: 'Gate code changed, ask the front desk.' })).status).to.equal(303);
    expect((await post(colleague, site.eventId, 'comments', { body: '  ' })).status).to.equal(422);
    const warned = await post(colleague, site.eventId, 'comments', { body: 'He was diagnosed with asthma' });
    expect(warned.status).to.equal(422);
    expect(warned.text).to.include('diagnosis wording');
    const comments = await ownerQuery<{ id: string; body: string; author_id: string }>('SELECT id, body, author_id FROM event_comments WHERE event_id = $1', [site.eventId]);
    expect(comments.map((c) => [c.body, c.author_id])).to.deep.equal([['Gate code changed, ask the front desk.', site.colleague.id]]);
    expect((await colleague.get(`/events/${site.eventId}`)).text).to.include('Gate code changed, ask the front desk.');
    // Neither the app role nor the owner may change or remove a comment.
    await withConnection('app', async (db) => {
      await db.query('BEGIN');
      await db.query(`SELECT set_config('app.client_id', $1, true), set_config('app.actor_kind', 'system', true), set_config('app.scope_all', 'on', true)`, [site.client.id]);
      await expectPgError(db.query(`UPDATE event_comments SET body = 'edited' WHERE id = $1`, [comments[0]!.id]), '42501');
      await db.query('ROLLBACK');
    });
    await expectPgError(ownerQuery('DELETE FROM event_comments WHERE id = $1', [comments[0]!.id]), '42501', /append-only/);
  });

  it('lists My events: only mine and open, overdue first, due soon unless all are asked for', async () => {
    const site = await createEventSite({ dueDate: addDays(today(), -3) });
    const soon = await createEvent({ ...site, assignee: site.associate }, addDays(today(), 5));
    const later = await createEvent({ ...site, assignee: site.associate }, addDays(today(), 90));
    await createEvent({ ...site, assignee: site.colleague }, addDays(today(), 1));
    const agent = await signedInAgent(app, site.associate.email, site.associate.password);
    const page = await agent.get('/events');
    expect(page.status).to.equal(200);
    const ids = [...page.text.matchAll(/href="\/events\/([0-9a-f-]{36})"/g)].map((m) => m[1]);
    expect(ids).to.deep.equal([site.eventId, soon]);
    expect(page.text).to.include('Show all 3 open events');
    const all = await agent.get('/events?show=all');
    expect([...all.text.matchAll(/href="\/events\/([0-9a-f-]{36})"/g)].map((m) => m[1])).to.deep.equal([site.eventId, soon, later]);
    expect((await agent.get('/')).text).to.include('<strong>1</strong> overdue');
  });

  it('lists My events with nothing due soon: none shown, and how many are due later', async () => {
    const site = await createEventSite({ dueDate: addDays(today(), 120) });
    await createEvent({ ...site, assignee: site.associate }, addDays(today(), 90));
    const agent = await signedInAgent(app, site.associate.email, site.associate.password);
    const page = await agent.get('/events');
    expect(page.status).to.equal(200);
    expect([...page.text.matchAll(/href="\/events\/([0-9a-f-]{36})"/g)]).to.have.length(0);
    expect(page.text).to.include('Show all 2 open events').and.include('(2 due later)');
  });

  it('answers 404 on every event route to another client\'s user and to a user outside the facility\'s scope', async () => {
    const site = await createEventSite();
    const other = await createClient();
    const foreign = await createUser(other, { rank: 'administrator' });
    for (const user of [foreign, site.outsider]) {
      const agent = await signedInAgent(app, user.email, user.password);
      expect((await agent.get(`/events/${site.eventId}`)).status).to.equal(404);
      for (const action of ['checklist', 'close', 'reopen', 'cancel', 'comments']) {
        const res = await post(agent, site.eventId, action, action === 'comments' ? { body: 'x' } : action === 'close' ? { completedOn: today() } : { reason: 'x' });
        expect(res.status, `${user.name} POST ${action}`).to.equal(404);
      }
    }
    expect(await eventRow(site.eventId)).to.include({ status: 'open' });
    expect(await ownerQuery('SELECT 1 FROM event_comments WHERE event_id = $1', [site.eventId])).to.have.length(0);
    const agent = await signedInAgent(app, site.associate.email, site.associate.password);
    expect((await agent.get('/events/not-a-uuid')).status).to.equal(404);
  });
});
