// queueMail writes in the caller's unit of work: it commits or rolls back with the change, and
// announces new mail only after the commit.
import { expect } from 'chai';
import { inUnitOfWork } from '../../lib/unit-of-work.ts';
import { outboxEvents, queueMail } from '../../services/mail/outbox.ts';
import { testEnv } from '../support/env.ts';
import { createClient } from '../support/factories.ts';
import { outboxRows } from '../support/mail-helpers.ts';

describe('queueMail', () => {
  let announced: number;
  const onQueued = () => void announced++;
  beforeEach(() => {
    announced = 0;
    outboxEvents.on('queued', onQueued);
  });
  afterEach(() => {
    outboxEvents.off('queued', onQueued);
  });

  it('stores the message with the unit of work and announces it after commit', async () => {
    const client = await createClient();
    await inUnitOfWork(testEnv().db.sequelize, { actorKind: 'user', clientId: client.id }, async () => {
      await queueMail({ to: 'ann@acme.example', subject: 'Assigned: stack test', text: 'You have a new event.', kind: 'event.assigned' });
      expect(announced, 'announced before commit').to.equal(0);
    });
    expect(announced).to.equal(1);
    const rows = await outboxRows();
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({
      client_id: client.id,
      to_address: 'ann@acme.example',
      subject: 'Assigned: stack test',
      text_body: 'You have a new event.',
      kind: 'event.assigned',
      sensitive: false,
      status: 'pending',
      attempts: 0,
    });
    expect(rows[0].due_in).to.be.at.most(0);
  });

  it('leaves nothing behind and announces nothing when the unit of work rolls back', async () => {
    const client = await createClient();
    let failure: unknown;
    try {
      await inUnitOfWork(testEnv().db.sequelize, { actorKind: 'user', clientId: client.id }, async () => {
        await queueMail({ to: 'ann@acme.example', subject: 'Never sent', text: '…', kind: 'event.assigned' });
        throw new Error('the change failed');
      });
    } catch (error) {
      failure = error;
    }
    expect((failure as Error).message).to.equal('the change failed');
    expect(announced).to.equal(0);
    expect(await outboxRows()).to.deep.equal([]);
  });

  it('queues client-less mail from a system unit of work', async () => {
    await inUnitOfWork(testEnv().db.sequelize, { actorKind: 'system' }, () =>
      queueMail({ to: 'ops@plantrak.example', subject: 'Nightly backup verified', text: 'All good.', kind: 'ops.backup' }),
    );
    expect(announced).to.equal(1);
    const rows = await outboxRows();
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ client_id: null, to_address: 'ops@plantrak.example', kind: 'ops.backup', status: 'pending' });
  });

  it('refuses to queue outside a unit of work', async () => {
    let failure: unknown;
    try {
      await queueMail({ to: 'ann@acme.example', subject: 'Nope', text: '…', kind: 'event.assigned' });
    } catch (error) {
      failure = error;
    }
    expect((failure as Error).message).to.equal('no unit of work');
    expect(await outboxRows()).to.deep.equal([]);
  });
});
