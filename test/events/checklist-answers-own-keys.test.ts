// Regression: a yes/no/n.a. checklist answer is checked with `value in YES_NO_NA`, which is true for
// inherited Object.prototype names ("constructor", "toString", "__proto__"...). Such an answer is
// a wrong-type answer and must be refused (422, nothing stored), and must never satisfy a required
// item at close.
import { expect } from 'chai';
import { todayIn } from '../../lib/calendar-dates.ts';
import { ownerQuery } from '../support/factories.ts';
import { type Agent, csrfFrom, signedInAgent, testApp } from '../support/http.ts';
import { createEventSite, type EventSite, eventRow } from './event-factories.ts';

async function post(agent: Agent, site: EventSite, action: string, fields: Record<string, string>) {
  const page = await agent.get(`/events/${site.eventId}`);
  expect(page.status).to.equal(200);
  return agent.post(`/events/${site.eventId}/${action}`).type('form').send({ _csrf: csrfFrom(page.text), ...fields });
}

describe('yes/no/n.a. answers are checked against own keys only', () => {
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  for (const forged of ['constructor', 'toString', 'hasOwnProperty']) {
    it(`refuses "${forged}" as a Yes/No/N.A. answer when saving the checklist`, async () => {
      const site = await createEventSite({ requirement: 'checklist' });
      const agent = await signedInAgent(app, site.associate.email, site.associate.password);
      const res = await post(agent, site, 'checklist', { answer_sheen: forged });
      expect(res.status, 'a wrong-type answer must be a 422').to.equal(422);
      expect(await ownerQuery('SELECT item_key, value FROM checklist_responses WHERE event_id = $1', [site.eventId])).to.have.length(0);
    });
  }

  it('does not let a forged "constructor" answer satisfy a required item at close', async () => {
    const site = await createEventSite({ requirement: 'checklist' });
    const agent = await signedInAgent(app, site.associate.email, site.associate.password);
    const res = await post(agent, site, 'close', { completedOn: todayIn('America/Chicago'), answer_outfalls: '1', answer_sheen: 'constructor' });
    expect(res.status).to.equal(422);
    expect((await eventRow(site.eventId)).status).to.equal('open');
  });
});
