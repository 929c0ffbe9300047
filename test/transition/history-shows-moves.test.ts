// Every change of assignee shows in the event's History, whichever tool made it: the transition
// tool writes each moved event its own reassignment entry, as a single or bulk reassignment does.
import { expect } from 'chai';
import { ownerQuery } from '../support/factories.ts';
import { csrfToken } from '../support/http.ts';
import { event, planItem, world } from '../reassign/world.ts';

describe('staff-transition tool: moves in each event’s History', () => {
  it('shows the move from the departing user to the replacement on the event page, and only on moved events', async () => {
    const w = await world();
    const item = await planItem(w, w.plantOne, w.alice, 'Pump check');
    const open = await event(w, item, w.alice);
    const closed = await event(w, item, w.alice, 'closed');
    const director = await w.as(w.director);
    const token = await csrfToken(director, '/transition');
    const res = await director.post(`/transition/${w.alice.id}/apply`).type('form').send({ _csrf: token, mode: 'all', replacement: w.bob.id });
    expect(res.status).to.equal(303);

    const entries = await ownerQuery<{ entity_id: string; changes: { from: string; to: string; via: string } }>(
      "SELECT entity_id, changes FROM audit_log WHERE action = 'event.reassigned' ORDER BY seq",
    );
    expect(entries.map((e) => [e.entity_id, e.changes.from, e.changes.to, e.changes.via])).to.deep.equal([[open, w.alice.id, w.bob.id, 'transition']]);

    const page = await director.get(`/events/${open}`);
    expect(page.status).to.equal(200);
    const history = page.text.slice(page.text.indexOf('id="history-heading"'));
    expect(history).to.include(`Reassigned from ${w.alice.name} to ${w.bob.name} by the transition tool`);
    const closedPage = await director.get(`/events/${closed}`);
    expect(closedPage.text.slice(closedPage.text.indexOf('id="history-heading"'))).not.to.include('Reassigned');
  });
});
