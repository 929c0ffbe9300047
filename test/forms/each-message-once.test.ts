// Each error message appears once, next to what it is about: a form's summary never repeats a
// field's message (a refused upload, the health-data warning, a taken unit code), and the invite
// form asks for the invitee's e-mail address, not "your".
import { expect } from 'chai';
import type { Express } from 'express';
import { addDays, todayIn } from '../../lib/calendar-dates.ts';
import { generateEvents } from '../../services/events/generation.ts';
import { testEnv } from '../support/env.ts';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { createUnit, grantScope } from '../support/hierarchy-factories.ts';
import { type Agent, csrfFrom, signedInAgent, submitForm, testApp } from '../support/http.ts';

const ZONE = 'America/Chicago';

/** How often `text` occurs in the page's main content (the visible text, tags removed). */
function occurrences(html: string, text: string): number {
  const main = /<main[\s\S]*<\/main>/.exec(html)?.[0] ?? html;
  const visible = main.replace(/<[^>]+>/g, ' ').replace(/&#34;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&').replace(/\s+/g, ' ');
  return visible.split(text).length - 1;
}

/** A Windows program: MZ header pointing at a PE signature. */
function windowsProgram(): Buffer {
  const b = Buffer.alloc(512);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(128, 0x3c);
  b.write('PE\0\0', 128, 'latin1');
  return b;
}
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1');

describe('each error message appears once', () => {
  let app: Express;
  let agent: Agent;
  let eventId: string;

  beforeEach(async () => {
    const client = await createClient({ timeZone: ZONE });
    const facility = await createUnit(client, { name: 'Springfield Plant', code: 'SPR' });
    const admin = await createUser(client, { name: 'Ada Administrator', rank: 'administrator' });
    await grantScope(admin, facility);
    await ownerQuery(
      `INSERT INTO plan_items (client_id, facility_id, activity, assignee_id, requirement, schedule_kind, rrule, schedule_start)
       VALUES ($1, $2, 'Monthly stormwater inspection', $3, 'document', 'calendar', 'FREQ=MONTHLY;BYMONTHDAY=-1', $4)`,
      [client.id, facility.id, admin.id, addDays(todayIn(ZONE), -10)],
    );
    await generateEvents(testEnv().db.sequelize, { clientIds: [client.id] });
    const [event] = await ownerQuery<{ id: string }>('SELECT id FROM events WHERE facility_id = $1 ORDER BY due_date LIMIT 1', [facility.id]);
    eventId = event!.id;
    app = testApp();
    agent = await signedInAgent(app, admin.email, admin.password);
  });

  async function upload(content: Buffer, fileName: string) {
    const token = csrfFrom((await agent.get(`/events/${eventId}`)).text);
    return agent.post(`/events/${eventId}/documents`).field('_csrf', token).attach('file', content, { filename: fileName, contentType: 'application/octet-stream' });
  }

  it('a refused .exe upload says why once', async () => {
    const res = await upload(windowsProgram(), 'tool.exe');
    expect(res.status).to.equal(415);
    const message = /<p class="field-error" id="document-file-error"[^>]*>([^<]+)<\/p>/.exec(res.text)?.[1];
    expect(message, 'the upload field shows the reason').to.include('Windows program (EXE');
    expect(occurrences(res.text, message!)).to.equal(1);
  });

  it('the health-data warning on an upload appears once', async () => {
    const res = await upload(PDF, 'patient diagnosis report.pdf');
    expect(res.status).to.equal(422);
    expect(res.text).to.include('id="upload-sensitive-warning"');
    expect(occurrences(res.text, 'This looks like it may contain health information')).to.equal(1);
  });

  it('the health-data warning on a comment appears once', async () => {
    const res = await submitForm(agent, `/events/${eventId}`, `/events/${eventId}/comments`, { body: 'The operator was diagnosed with asthma' });
    expect(res.status).to.equal(422);
    expect(res.text).to.include('id="confirmSensitive-warning"');
    expect(occurrences(res.text, 'This looks like it may contain health information')).to.equal(1);
  });

  it('a missing required document is said once on the close form', async () => {
    const res = await submitForm(agent, `/events/${eventId}`, `/events/${eventId}/close`, { completedOn: todayIn(ZONE) });
    expect(res.status).to.equal(422);
    const message = /<p class="field-error" id="documents-requirement">([^<]+)<\/p>/.exec(res.text)?.[1];
    expect(message, 'the requirement line shows the reason').to.be.a('string');
    expect(occurrences(res.text, message!.trim())).to.equal(1);
  });

  it('a unit code already taken is said once', async () => {
    const res = await submitForm(agent, '/units/new?kind=facility', '/units', { kind: 'facility', parentId: '', name: 'North Plant', code: 'spr', address: '', timeZone: '' });
    expect(res.status).to.equal(422);
    const message = /<small id="code-error" class="field-error">([^<]+)<\/small>/.exec(res.text)?.[1];
    expect(message).to.include('already used');
    expect(occurrences(res.text, message!)).to.equal(1);
  });

  it('the invite form asks for the invitee’s e-mail address, not "your"', async () => {
    const res = await submitForm(agent, '/users/invite', '/users/invite', { name: 'Nia New', email: '', rank: 'associate' });
    expect(res.status).to.equal(422);
    expect(res.text).to.include('Enter the invitee’s e-mail address.').and.not.to.include('Enter your e-mail address.');
  });
});
