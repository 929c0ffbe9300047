// /settings/notifications: Administrators see the client's settings (defaults at first), save
// them through saveNotificationSettings (audited), and bad input answers 422 with a message per
// field, the input echoed back and nothing saved. Other ranks are refused.
import { expect } from 'chai';
import type { Express } from 'express';
import { auditRows } from '../support/auth-helpers.ts';
import { type ClientRow, createClient, createUser, type UserRow } from '../support/factories.ts';
import { type Agent, signedInAgent, submitForm, testApp } from '../support/http.ts';
import { clientSettings } from './helpers.ts';

const GOOD = { reminderOffsets: '30, 7,1', overdueRepeatDays: '5', assignmentUrgentDays: '2', ladder1: '3', ladder2: '10', ladder3: '21' };

const post = (agent: Agent, fields: Record<string, string>) => submitForm(agent, '/settings/notifications', '/settings/notifications', fields);

/** The message shown under a field. */
const fieldError = (html: string, field: string) => new RegExp(`<small id="${field}-error" class="field-error">([^<]*)</small>`).exec(html)?.[1];
const inputValue = (html: string, field: string) => new RegExp(`<input id="${field}" name="${field}"[^>]*value="([^"]*)"`).exec(html)?.[1];

describe('notification settings page', () => {
  let app: Express;
  let client: ClientRow;
  let admin: UserRow;
  let agent: Agent;
  before(() => {
    app = testApp();
  });
  beforeEach(async () => {
    client = await createClient({ name: 'Settings Co' });
    admin = await createUser(client, { rank: 'administrator' });
    agent = await signedInAgent(app, admin.email, admin.password);
  });

  it('shows the defaults, in the settings navigation', async () => {
    const page = await agent.get('/settings/notifications').expect(200);
    expect(page.text).to.match(/<a href="\/settings\/notifications" aria-current="page">Notifications<\/a>/);
    expect(inputValue(page.text, 'reminderOffsets')).to.equal('14, 3');
    expect(inputValue(page.text, 'overdueRepeatDays')).to.equal('7');
    expect(inputValue(page.text, 'assignmentUrgentDays')).to.equal('3');
    expect([1, 2, 3].map((i) => inputValue(page.text, `ladder${i}`))).to.deep.equal(['7', '14', '30']);
    expect(page.text).to.include('Managers: days overdue').and.include('Directors: days overdue').and.include('Executives and Administrators: days overdue');
    // The other settings pages link to it too.
    expect((await agent.get('/settings/security').expect(200)).text).to.include('href="/settings/notifications"');
  });

  it('saves good input (offsets furthest first, each once) and audits before and after', async () => {
    const res = await post(agent, { ...GOOD, reminderOffsets: '1, 30 7, 7' });
    expect(res.status, res.text).to.equal(303);
    expect(res.headers.location).to.equal('/settings/notifications');
    expect((await clientSettings(client.id)).notifications).to.deep.equal({ reminderOffsets: [30, 7, 1], overdueRepeatDays: 5, assignmentUrgentDays: 2, ladder: [3, 10, 21] });
    const [entry] = await auditRows('notifications.settings_changed');
    expect(entry).to.include({ client_id: client.id, actor_kind: 'user', actor_user_id: admin.id, entity_id: client.id });
    expect(entry!.changes).to.deep.equal({
      before: { reminderOffsets: [14, 3], overdueRepeatDays: 7, assignmentUrgentDays: 3, ladder: [7, 14, 30] },
      after: { reminderOffsets: [30, 7, 1], overdueRepeatDays: 5, assignmentUrgentDays: 2, ladder: [3, 10, 21] },
    });
    const page = await agent.get('/settings/notifications').expect(200);
    expect(page.text).to.include('The notification settings were saved.');
    expect(inputValue(page.text, 'reminderOffsets')).to.equal('30, 7, 1');

    // Saving the same again changes nothing and writes no second entry.
    expect((await post(agent, { ...GOOD })).status).to.equal(303);
    expect(await auditRows('notifications.settings_changed')).to.have.length(1);
  });

  const BAD: [string, Record<string, string>, string, RegExp][] = [
    ['an offset above 366', { reminderOffsets: '14, 367' }, 'reminderOffsets', /“367” is not/],
    ['a negative offset', { reminderOffsets: '-1' }, 'reminderOffsets', /whole number of days from 0 to 366/],
    ['a fractional offset', { reminderOffsets: '2.5' }, 'reminderOffsets', /“2.5” is not/],
    ['words as offsets', { reminderOffsets: 'soon' }, 'reminderOffsets', /“soon” is not/],
    ['more than 20 offsets', { reminderOffsets: Array.from({ length: 21 }, (_, i) => String(i + 1)).join(',') }, 'reminderOffsets', /at most 20 reminders/],
    ['repeat days of 0', { overdueRepeatDays: '0' }, 'overdueRepeatDays', /from 1 to 90/],
    ['repeat days of 91', { overdueRepeatDays: '91' }, 'overdueRepeatDays', /from 1 to 90/],
    ['urgent days of 31', { assignmentUrgentDays: '31' }, 'assignmentUrgentDays', /from 0 to 30/],
    ['a ladder level of 0', { ladder1: '0' }, 'ladder1', /Managers as a whole number from 1 to 366/],
    ['a ladder level above 366', { ladder3: '400' }, 'ladder3', /Executives and Administrators as a whole number from 1 to 366/],
    ['a level no later than the one before', { ladder2: '3' }, 'ladder2', /Directors must hear later than Managers \(more than 3 days overdue\)/],
    ['a top level equal to the one before', { ladder3: '10' }, 'ladder3', /must hear later than Directors/],
  ];
  for (const [what, change, field, message] of BAD) {
    it(`refuses ${what} with 422, a message on the field, the input echoed and nothing saved`, async () => {
      const fields = { ...GOOD, ...change };
      const res = await post(agent, fields);
      expect(res.status).to.equal(422);
      expect(fieldError(res.text, field), res.text).to.match(message);
      expect(res.text).to.include('Nothing was saved.');
      for (const [name, value] of Object.entries(fields)) expect(inputValue(res.text, name), name).to.equal(value);
      expect((await clientSettings(client.id)).notifications).to.equal(undefined);
      expect(await auditRows('notifications.settings_changed')).to.deep.equal([]);
    });
  }

  it('reports every bad field at once', async () => {
    const res = await post(agent, { ...GOOD, reminderOffsets: '999', overdueRepeatDays: 'x', ladder1: '' });
    expect(res.status).to.equal(422);
    for (const field of ['reminderOffsets', 'overdueRepeatDays', 'ladder1']) expect(fieldError(res.text, field), field).to.be.a('string');
    expect(fieldError(res.text, 'ladder2')).to.equal(undefined);
  });

  it('refuses fields the form does not have', async () => {
    const res = await post(agent, { ...GOOD, settings: '{}' });
    expect(res.status).to.equal(422);
    expect(res.text).to.include('This form does not accept the field settings.');
    expect((await clientSettings(client.id)).notifications).to.equal(undefined);
  });

  it('refuses ranks below Administrator, reading and saving', async () => {
    const executive = await createUser(client, { rank: 'executive' });
    const other = await signedInAgent(app, executive.email, executive.password);
    await other.get('/settings/notifications').expect(403);
    const token = await (async () => /name="_csrf" value="([^"]+)"/.exec((await other.get('/account').expect(200)).text)![1]!)();
    await other.post('/settings/notifications').type('form').send({ _csrf: token, ...GOOD }).expect(403);
    expect((await clientSettings(client.id)).notifications).to.equal(undefined);
  });
});
