// Closing an event (DESIGN.md §5): the server enforces the evidence whatever the form
// sends, records who and when, marks late closings and freezes the evidence in a close record.
import { expect } from 'chai';
import { addDays, todayIn } from '../../lib/calendar-dates.ts';
import { ownerQuery } from '../support/factories.ts';
import { type Agent, csrfFrom, signedInAgent, testApp } from '../support/http.ts';
import { attachDocument, auditActions, createEventSite, type EventSite, eventRow } from './event-factories.ts';

const today = () => todayIn('America/Chicago');

async function post(agent: Agent, site: EventSite, action: string, fields: Record<string, string>) {
  const page = await agent.get(`/events/${site.eventId}`);
  expect(page.status).to.equal(200);
  return agent.post(`/events/${site.eventId}/${action}`).type('form').send({ _csrf: csrfFrom(page.text), ...fields });
}

const ANSWERS = { answer_outfalls: '1', answer_sheen: 'no', answer_ph: '7.2', answer_remarks: 'All clear' };

describe('events: closing with enforced evidence', () => {
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  it('refuses a forged close without the required checklist answers, and names each one', async () => {
    const site = await createEventSite({ requirement: 'checklist' });
    const agent = await signedInAgent(app, site.associate.email, site.associate.password);
    const res = await post(agent, site, 'close', { completedOn: today(), answer_ph: '7' });
    expect(res.status).to.equal(422);
    expect(res.text).to.include('“All outfalls inspected” must be answered').and.include('“Oil sheen observed” must be answered');
    expect((await eventRow(site.eventId)).status).to.equal('open');
    expect(await ownerQuery('SELECT 1 FROM checklist_responses WHERE event_id = $1', [site.eventId])).to.have.length(0);
    expect(await ownerQuery('SELECT 1 FROM event_closures WHERE event_id = $1', [site.eventId])).to.have.length(0);
  });

  it('refuses answers of the wrong type, and fields the form does not have', async () => {
    const site = await createEventSite({ requirement: 'checklist' });
    const agent = await signedInAgent(app, site.associate.email, site.associate.password);
    const wrong = await post(agent, site, 'close', { ...ANSWERS, answer_sheen: 'maybe', answer_ph: 'seven' });
    expect(wrong.status).to.equal(422);
    expect(wrong.text).to.include('with Yes, No or N/A').and.include('with a number');
    const forged = await post(agent, site, 'close', { ...ANSWERS, completedOn: today(), status: 'closed', closedBy: site.manager.id });
    expect(forged.status).to.equal(422);
    expect(forged.text).to.include('does not accept the fields status, closedBy');
    expect((await eventRow(site.eventId)).status).to.equal('open');
  });

  it('refuses to close without the required document, then closes with it and lists its hash in the close record', async () => {
    const site = await createEventSite({ requirement: 'both', dueDate: '2026-03-31' });
    const agent = await signedInAgent(app, site.associate.email, site.associate.password);
    const missing = await post(agent, site, 'close', { ...ANSWERS, completedOn: today() });
    expect(missing.status).to.equal(422);
    expect(missing.text).to.include('needs at least one document');
    expect((await eventRow(site.eventId)).status).to.equal('open');

    const doc = await attachDocument(site);
    const done = await post(agent, site, 'close', { ...ANSWERS, completedOn: today(), closingNotes: 'Outfall 3 had debris; cleared.' });
    expect(done.status).to.equal(303);
    const event = await eventRow(site.eventId);
    expect(event).to.include({ status: 'closed', completed_on: today(), late: true, closed_by: site.associate.id, closing_notes: 'Outfall 3 had debris; cleared.' });
    const [record] = await ownerQuery<{ documents: Array<{ id: string; sha256: string }>; checklist: Array<{ key: string; value: string | null }>; late: boolean; closed_by: string }>(
      'SELECT documents, checklist, late, closed_by FROM event_closures WHERE event_id = $1',
      [site.eventId],
    );
    expect(record!.documents.map((d) => [d.id, d.sha256])).to.deep.equal([[doc.id, doc.sha256]]);
    expect(record!.checklist.map((c) => [c.key, c.value])).to.deep.equal([['outfalls', 'checked'], ['sheen', 'no'], ['ph', '7.2'], ['remarks', 'All clear']]);
    expect(record).to.include({ late: true, closed_by: site.associate.id });
    expect(await auditActions(site.eventId)).to.include('event.closed');

    const page = await agent.get(`/events/${site.eventId}`);
    expect(page.text).to.include('Closed late').and.include(doc.sha256);
  });

  it('closes on the due date on time, refuses a future completion date, and accepts an earlier one', async () => {
    const site = await createEventSite({ dueDate: today() });
    const agent = await signedInAgent(app, site.associate.email, site.associate.password);
    const future = await post(agent, site, 'close', { completedOn: addDays(today(), 1) });
    expect(future.status).to.equal(422);
    expect(future.text).to.include('cannot be in the future');
    const nonsense = await post(agent, site, 'close', { completedOn: '2026-02-30' });
    expect(nonsense.status).to.equal(422);
    expect((await eventRow(site.eventId)).status).to.equal('open');
    expect((await post(agent, site, 'close', { completedOn: addDays(today(), -3) })).status).to.equal(303);
    expect(await eventRow(site.eventId)).to.include({ status: 'closed', completed_on: addDays(today(), -3), late: false });
  });

  it('lets the assignee and Managers close, not another Associate, and answers 409 to a second close', async () => {
    const site = await createEventSite();
    const colleague = await signedInAgent(app, site.colleague.email, site.colleague.password);
    expect((await post(colleague, site, 'close', { completedOn: today() })).status).to.equal(403);
    const manager = await signedInAgent(app, site.manager.email, site.manager.password);
    expect((await post(manager, site, 'close', { completedOn: today() })).status).to.equal(303);
    expect((await eventRow(site.eventId)).closed_by).to.equal(site.manager.id);
    const again = await post(manager, site, 'close', { completedOn: today() });
    expect(again.status).to.equal(409);
    expect(await ownerQuery('SELECT 1 FROM event_closures WHERE event_id = $1', [site.eventId])).to.have.length(1);
  });

  it('saves checklist answers without closing, and keeps them for the close', async () => {
    const site = await createEventSite({ requirement: 'checklist' });
    const agent = await signedInAgent(app, site.associate.email, site.associate.password);
    expect((await post(agent, site, 'checklist', { answer_outfalls: '1', answer_sheen: 'yes' })).status).to.equal(303);
    expect((await eventRow(site.eventId)).status).to.equal('open');
    const rows = await ownerQuery<{ item_key: string; value: string }>('SELECT item_key, value FROM checklist_responses WHERE event_id = $1 ORDER BY item_key', [site.eventId]);
    expect(rows.map((r) => [r.item_key, r.value])).to.deep.equal([['outfalls', 'checked'], ['sheen', 'yes']]);
    // The page shows them, so the close form sends them again (an unticked box is a cleared answer).
    const page = await agent.get(`/events/${site.eventId}`);
    expect(page.text).to.match(/name="answer_outfalls" value="1" checked/).and.match(/name="answer_sheen" value="yes" checked/);
    expect((await post(agent, site, 'close', { completedOn: today(), answer_outfalls: '1', answer_sheen: 'yes' })).status).to.equal(303);
    expect(await ownerQuery('SELECT 1 FROM checklist_responses WHERE event_id = $1', [site.eventId])).to.have.length(2);
  });

  it('asks for confirmation before saving closing notes that look like health data, and counts it', async () => {
    const site = await createEventSite();
    const agent = await signedInAgent(app, site.associate.email, site.associate.password);
    const warned = await post(agent, site, 'close', { completedOn: today(), closingNotes: 'Worker SSN 123-45-6789 on file' });
    expect(warned.status).to.equal(422);
    expect(warned.text).to.include('not for health (HIPAA) data').and.include('name="confirmSensitive"');
    expect((await eventRow(site.eventId)).status).to.equal('open');
    const confirmed = await post(agent, site, 'close', { completedOn: today(), closingNotes: 'Worker SSN 123-45-6789 on file', confirmSensitive: '1' });
    expect(confirmed.status).to.equal(303);
    const [warning] = await ownerQuery<{ form: string; kinds: string[]; user_id: string }>('SELECT form, kinds, user_id FROM sensitive_data_warnings WHERE client_id = $1', [site.client.id]);
    expect(warning).to.deep.include({ form: 'event.close', kinds: ['ssn'], user_id: site.associate.id });
  });
});
