// Regression: "Closing freezes the evidence (document hashes listed in the close record)". A close
// record is append-only, but the documents it lists are not: once a Manager reopens the event,
// the assignee can delete a document that an earlier close record cites, and its bytes are gone
// for good. The earlier compliance record then points at a hash nobody can check any more.
import { expect } from 'chai';
import { todayIn } from '../../lib/calendar-dates.ts';
import { ownerQuery } from '../support/factories.ts';
import { type Agent, csrfFrom, signedInAgent, testApp } from '../support/http.ts';
import { attachDocument, createEventSite, type EventSite, eventRow } from '../events/event-factories.ts';

async function post(agent: Agent, site: EventSite, path: string, fields: Record<string, string>) {
  const page = await agent.get(`/events/${site.eventId}`);
  expect(page.status).to.equal(200);
  return agent.post(path).type('form').send({ _csrf: csrfFrom(page.text), ...fields });
}

describe('evidence cited by a close record stays', () => {
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  it('refuses to delete a document listed in an earlier close record, even after a reopen', async () => {
    const site = await createEventSite({ requirement: 'document' });
    const doc = await attachDocument(site);
    const associate = await signedInAgent(app, site.associate.email, site.associate.password);
    const manager = await signedInAgent(app, site.manager.email, site.manager.password);

    expect((await post(associate, site, `/events/${site.eventId}/close`, { completedOn: todayIn('America/Chicago') })).status).to.equal(303);
    const [closure] = await ownerQuery<{ documents: Array<{ id: string; sha256: string }> }>('SELECT documents FROM event_closures WHERE event_id = $1', [site.eventId]);
    expect(closure!.documents.map((d) => d.sha256)).to.deep.equal([doc.sha256]);

    expect((await post(manager, site, `/events/${site.eventId}/reopen`, { reason: 'Add the lab sheet' })).status).to.equal(303);
    expect((await eventRow(site.eventId)).status).to.equal('open');

    await post(associate, site, `/documents/${doc.id}/delete`, {});
    const left = await ownerQuery('SELECT 1 FROM document_blobs WHERE document_id = $1', [doc.id]);
    expect(left, 'the bytes behind a close record\'s hash must survive').to.have.length(1);
  });
});
