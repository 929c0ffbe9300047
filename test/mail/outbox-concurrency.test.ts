// Several app servers deliver the same outbox: SKIP LOCKED claims mean each message goes out once.
import { expect } from 'chai';
import { openDatabase } from '../../models/index.ts';
import { MailDelivery } from '../../services/mail/delivery.ts';
import { createMailTransport } from '../../services/mail/transport.ts';
import { testEnv } from '../support/env.ts';
import { ownerQuery } from '../support/factories.ts';
import { insertOutbox, messageId, scratchPath, smtpDelivery, TEST_FROM } from '../support/mail-helpers.ts';
import { smtpForSuite } from '../support/smtp.ts';

describe('mail outbox with two servers', () => {
  const smtp = smtpForSuite();

  for (const count of [10, 45]) {
    it(`delivers each of ${count} messages exactly once when two servers drain at the same time`, async () => {
      const ids = await insertOutbox(count);
      // The second "server" has its own connection pool and its own SMTP transport.
      const serverA = smtpDelivery(smtp);
      const otherDb = openDatabase(testEnv().urls, 4);
      const transportB = createMailTransport({ smtpUrl: smtp.url, mailDir: scratchPath('unused-mail'), from: TEST_FROM });
      try {
        const serverB = new MailDelivery(otherDb.sequelize, transportB);
        const [sentA, sentB] = await Promise.all([serverA.delivery.deliverDue(), serverB.deliverDue()]);
        expect(sentA + sentB).to.equal(count);
      } finally {
        serverA.transport.close();
        transportB.close();
        await otherDb.close();
      }

      expect(smtp.received).to.have.length(count);
      const received = smtp.received.map((m) => messageId(m.raw));
      expect(new Set(received).size).to.equal(count);
      expect(received).to.have.members(ids.map((id) => `<${id}@plantrak>`));
      const rows = await ownerQuery<{ status: string; attempts: number; n: number }>(
        'SELECT status, attempts, count(*)::int AS n FROM mail_outbox GROUP BY status, attempts',
      );
      expect(rows).to.deep.equal([{ status: 'sent', attempts: 1, n: count }]);
    });
  }

  it('coalesces overlapping passes of one server into one', async () => {
    await insertOutbox(3);
    const { delivery, transport } = smtpDelivery(smtp);
    try {
      const first = delivery.deliverDue();
      const second = delivery.deliverDue();
      expect(second).to.equal(first);
      expect(await first).to.equal(3);
    } finally {
      transport.close();
    }
    expect(smtp.received).to.have.length(3);
  });
});
