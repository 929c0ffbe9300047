// The work form's Upload button carries the whole form: the checklist answers are saved with the
// document, the completion date and notes come back on the page, a refused file loses nothing
// typed, and a file chosen but not uploaded is never dropped without a word.
import { expect } from 'chai';
import { addDays, todayIn } from '../../lib/calendar-dates.ts';
import { ownerQuery } from '../support/factories.ts';
import { type Agent, csrfFrom, signedInAgent, testApp } from '../support/http.ts';
import { createEventSite, type EventSite, eventRow } from '../events/event-factories.ts';

const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
const EXE = (() => { const b = Buffer.alloc(512); b.write('MZ', 0, 'latin1'); b.writeUInt32LE(128, 0x3c); b.write('PE\0\0', 128, 'latin1'); return b; })();
const ANSWERS = { answer_outfalls: '1', answer_sheen: 'no', answer_ph: '7.2', answer_remarks: 'North outfall silted' };
const today = () => todayIn('America/Chicago');

async function uploadWithForm(agent: Agent, site: EventSite, file: { content: Buffer; name: string } | null, fields: Record<string, string>) {
  const page = await agent.get(`/events/${site.eventId}`);
  let req = agent.post(`/events/${site.eventId}/documents`).field('_csrf', csrfFrom(page.text)).field('checklistShown', '1');
  for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
  return file ? req.attach('file', file.content, { filename: file.name, contentType: 'application/octet-stream' }) : req;
}

const stored = async (eventId: string) =>
  Object.fromEntries((await ownerQuery<{ item_key: string; value: string }>('SELECT item_key, value FROM checklist_responses WHERE event_id = $1', [eventId])).map((r) => [r.item_key, r.value]));

describe('events: uploading from the work form keeps what was typed', () => {
  let app: ReturnType<typeof testApp>;
  let site: EventSite;
  let agent: Agent;
  before(() => {
    app = testApp();
  });
  beforeEach(async () => {
    site = await createEventSite({ requirement: 'both', dueDate: addDays(today(), 3) });
    agent = await signedInAgent(app, site.associate.email, site.associate.password);
  });

  it('saves the answers with the upload, shows them again with the date and notes, and then closes', async () => {
    const completedOn = addDays(today(), -1);
    const res = await uploadWithForm(agent, site, { content: PDF, name: 'inspection.pdf' }, { ...ANSWERS, completedOn, closingNotes: 'Silt removed' });
    expect(res.status).to.equal(303);
    expect(await stored(site.eventId)).to.deep.equal({ outfalls: 'checked', sheen: 'no', ph: '7.2', remarks: 'North outfall silted' });
    const page = await agent.get(`/events/${site.eventId}`);
    expect(page.text).to.include('Uploaded “inspection.pdf”. Checklist answers saved.');
    expect(page.text).to.match(/name="answer_outfalls" value="1"\s+checked/);
    expect(page.text).to.match(/name="answer_sheen" value="no"\s+checked/);
    expect(page.text).to.include('value="7.2"').and.include('North outfall silted</textarea>');
    expect(page.text).to.include(`value="${completedOn}"`).and.include('Silt removed</textarea>');
    // Shown once: a later visit shows the stored answers and today's date again.
    expect((await agent.get(`/events/${site.eventId}`)).text).not.to.include('Silt removed');

    const close = await agent.post(`/events/${site.eventId}/close`).type('form').send({ _csrf: csrfFrom(page.text), checklistShown: '1', ...ANSWERS, completedOn });
    expect(close.status).to.equal(303);
    expect((await eventRow(site.eventId)).status).to.equal('closed');
  });

  it('keeps every answer as typed when the file is refused, saying so once', async () => {
    const res = await uploadWithForm(agent, site, { content: EXE, name: 'setup.exe' }, { ...ANSWERS, closingNotes: 'Draft notes' });
    expect(res.status).to.equal(415);
    expect(res.text).to.match(/name="answer_outfalls" value="1"\s+checked/);
    expect(res.text).to.include('value="7.2"').and.include('North outfall silted</textarea>').and.include('Draft notes</textarea>');
    const message = res.text.match(/id="document-file-error"[^>]*>([^<]+)</)![1]!;
    expect(res.text.split(message).length - 1, 'the refusal appears once').to.equal(1);
    expect(await ownerQuery('SELECT 1 FROM documents WHERE event_id = $1', [site.eventId])).to.have.length(0);
  });

  it('refuses answers of the wrong type without uploading, keeping them on the page', async () => {
    const res = await uploadWithForm(agent, site, { content: PDF, name: 'inspection.pdf' }, { ...ANSWERS, answer_ph: 'seven' });
    expect(res.status).to.equal(422);
    expect(res.text).to.include('with a number').and.include('value="seven"');
    expect(await ownerQuery('SELECT 1 FROM documents WHERE event_id = $1', [site.eventId])).to.have.length(0);
    expect(await stored(site.eventId)).to.deep.equal({});
  });

  it('refuses to close or save while a chosen file was not uploaded, keeping the form', async () => {
    const page = await agent.get(`/events/${site.eventId}`);
    for (const action of ['close', 'checklist']) {
      const res = await agent.post(`/events/${site.eventId}/${action}`).type('form').send({ _csrf: csrfFrom(page.text), checklistShown: '1', ...ANSWERS, completedOn: today(), file: 'inspection.pdf' });
      expect(res.status, action).to.equal(422);
      expect(res.text).to.include('“inspection.pdf” was chosen but not uploaded').and.include('North outfall silted</textarea>');
    }
    expect((await eventRow(site.eventId)).status).to.equal('open');
    expect(await stored(site.eventId)).to.deep.equal({});
  });
});
