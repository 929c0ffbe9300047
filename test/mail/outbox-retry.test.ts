// Outbox durability: an SMTP outage loses nothing and a recovery sends each message exactly once;
// retries back off, give up after MAX_ATTEMPTS, and a crashed sender's lease is taken over.
import { expect } from 'chai';
import { MAX_ATTEMPTS } from '../../services/mail/delivery.ts';
import type { MailTransport } from '../../services/mail/transport.ts';
import type { MailDelivery } from '../../services/mail/delivery.ts';
import { ownerQuery } from '../support/factories.ts';
import { insertOutbox, messageId, outboxRows, smtpDelivery } from '../support/mail-helpers.ts';
import { startSmtp, type TestSmtp } from '../support/smtp.ts';

describe('mail outbox retries', () => {
  let smtp: TestSmtp;
  let delivery: MailDelivery;
  let transport: MailTransport;
  before(async () => {
    smtp = await startSmtp();
    ({ delivery, transport } = smtpDelivery(smtp));
  });
  after(async () => {
    transport.close();
    await smtp.close();
  });
  beforeEach(() => {
    smtp.received.length = 0;
    smtp.refuse = false;
  });

  it('keeps a message through an outage and sends it exactly once afterwards', async () => {
    const [id] = await insertOutbox(1, { to: () => 'ops@acme.example', subject: () => 'Quarterly inspection due' });

    smtp.refuse = true;
    expect(await delivery.deliverDue()).to.equal(0);
    expect(smtp.received).to.have.length(0);
    let [row] = await outboxRows();
    expect(row).to.include({ id, status: 'pending', attempts: 1, transport: 'smtp', sent_at: null, text_body: 'Body of message 0' });
    expect(row.last_error).to.match(/451/);
    expect(row.last_error).to.include('mailbox unavailable');
    // Backoff after the first failure: 30 s × 2¹.
    expect(row.due_in).to.be.within(55, 61);

    // Not due yet: another pass leaves it alone, even with the server back.
    smtp.refuse = false;
    expect(await delivery.deliverDue()).to.equal(0);
    expect(smtp.received).to.have.length(0);
    expect((await outboxRows())[0]).to.include({ status: 'pending', attempts: 1 });

    await ownerQuery('UPDATE mail_outbox SET next_attempt_at = now()');
    expect(await delivery.deliverDue()).to.equal(1);
    expect(smtp.received).to.have.length(1);
    expect(smtp.received[0].to).to.deep.equal(['ops@acme.example']);
    expect(messageId(smtp.received[0].raw)).to.equal(`<${id}@plantrak>`);
    [row] = await outboxRows();
    expect(row).to.include({ status: 'sent', attempts: 2, last_error: null, transport: 'smtp' });
    expect(row.sent_at).to.be.instanceOf(Date);
    // Not sensitive: the body is kept.
    expect(row.text_body).to.equal('Body of message 0');

    expect(await delivery.deliverDue()).to.equal(0);
    expect(smtp.received).to.have.length(1);
  });

  it('doubles the wait after each failure', async () => {
    await insertOutbox(1);
    smtp.refuse = true;
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      await ownerQuery('UPDATE mail_outbox SET next_attempt_at = now()');
      await delivery.deliverDue();
      const [row] = await outboxRows();
      expect(row).to.include({ status: 'pending', attempts: attempt });
      waits.push(Math.round(row.due_in / 10) * 10);
    }
    expect(waits).to.deep.equal([60, 120, 240]);
  });

  it(`gives up after ${MAX_ATTEMPTS} attempts and never tries again`, async () => {
    await insertOutbox(1);
    await ownerQuery('UPDATE mail_outbox SET attempts = $1', [MAX_ATTEMPTS - 1]);
    smtp.refuse = true;
    expect(await delivery.deliverDue()).to.equal(0);
    let [row] = await outboxRows();
    expect(row).to.include({ status: 'failed', attempts: MAX_ATTEMPTS });
    expect(row.last_error).to.include('mailbox unavailable');

    smtp.refuse = false;
    await ownerQuery('UPDATE mail_outbox SET next_attempt_at = now()');
    expect(await delivery.deliverDue()).to.equal(0);
    expect(smtp.received).to.have.length(0);
    [row] = await outboxRows();
    expect(row).to.include({ status: 'failed', attempts: MAX_ATTEMPTS });
  });

  it('takes over a message whose sender crashed mid-send once its lease has run out', async () => {
    const [stale, leased] = await insertOutbox(2);
    // Both were claimed by a sender that then died; one lease has run out, one has not.
    await ownerQuery(`UPDATE mail_outbox SET status = 'sending', attempts = 1, locked_until = now() - interval '1 second' WHERE id = $1`, [stale]);
    await ownerQuery(`UPDATE mail_outbox SET status = 'sending', attempts = 1, locked_until = now() + interval '1 minute' WHERE id = $1`, [leased]);

    expect(await delivery.deliverDue()).to.equal(1);
    expect(smtp.received.map((m) => messageId(m.raw))).to.deep.equal([`<${stale}@plantrak>`]);
    const rows = await ownerQuery<{ id: string; status: string; attempts: number }>('SELECT id, status, attempts FROM mail_outbox');
    expect(rows).to.have.deep.members([
      { id: stale, status: 'sent', attempts: 2 },
      { id: leased, status: 'sending', attempts: 1 },
    ]);
  });

  it('does not send mail queued for later', async () => {
    await insertOutbox(1);
    await ownerQuery(`UPDATE mail_outbox SET next_attempt_at = now() + interval '5 minutes'`);
    expect(await delivery.deliverDue()).to.equal(0);
    expect(smtp.received).to.have.length(0);
    expect((await outboxRows())[0]).to.include({ status: 'pending', attempts: 0 });
  });
});
