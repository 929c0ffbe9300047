// A notice names a recipient of its own client and, when it is about an event, that event with
// its own facility (the facility decides who may read the notice). The database refuses any
// other, whoever writes: checked once per statement, so a pass writing many notices pays for one
// check rather than one lookup per row.
import { expect } from 'chai';
import { inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { expectPgError } from '../support/db-roles.ts';
import { testEnv } from '../support/env.ts';
import { createClient, createUser } from '../support/factories.ts';
import { eventDue, ledger, noticeWorld } from './world.ts';

const FOREIGN_KEY_VIOLATION = '23503';

describe('notifications: the ledger’s references', () => {
  it('refuses a recipient of another client, an unknown event and an event under another facility; takes a right one', async () => {
    const w = await noticeWorld();
    const event = await eventDue(w, 'losAngeles', '2026-03-12');
    const outsider = await createUser(await createClient({ name: 'Elsewhere Inc' }), { name: 'Outside Olga' });
    const insert = (eventId: string, facilityId: string, recipientId: string) =>
      inUnitOfWork(testEnv().db.sequelize, { actorKind: 'system', clientId: w.client.id }, () =>
        sql(`INSERT INTO notifications (client_id, event_id, facility_id, recipient_id, kind, due_for)
             VALUES ($1, $2, $3, $4, 'reminder', DATE '2026-03-09')`, [w.client.id, eventId, facilityId, recipientId]));
    const refusal = /names a recipient, or an event with its facility, that is not its client's/;
    await expectPgError(insert(event, w.losAngeles.id, outsider.id), FOREIGN_KEY_VIOLATION, refusal);
    await expectPgError(insert(event, w.auckland.id, w.lee.id), FOREIGN_KEY_VIOLATION, refusal);
    await expectPgError(insert('00000000-0000-4000-8000-000000000000', w.losAngeles.id, w.lee.id), FOREIGN_KEY_VIOLATION, refusal);
    expect(await ledger(w.client.id)).to.deep.equal([]);
    await insert(event, w.losAngeles.id, w.lee.id);
    expect((await ledger(w.client.id)).map((r) => [r.event_id, r.recipient_id])).to.deep.equal([[event, w.lee.id]]);
  });
});
