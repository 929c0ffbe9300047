// Each kind fires on exactly the right local day: at one instant, a facility in Pacific/Auckland
// is a day ahead of one in America/Los_Angeles, and a digest goes out once the recipient's own
// local hour has come (an hour lost to DST: the first instant after it). One message per user
// per day, nothing twice on a re-run or with two passes at once.
import { expect } from 'chai';
import { eventDue, ledger, noticeWorld, outbox, pass, setZone } from './world.ts';

// 09:00 on 11 March in Auckland (NZDT), 13:00 on 10 March in Los Angeles (PDT).
const INSTANT = '2026-03-10T20:00:00Z';

describe('notifications: the right local day, one digest a day', () => {
  it('plans each kind by the facility’s own today, at the same instant', async () => {
    const w = await noticeWorld();
    const e = {
      aucklandDueToday: await eventDue(w, 'auckland', '2026-03-11'),
      laReminder3: await eventDue(w, 'losAngeles', '2026-03-11'),
      aucklandReminder14: await eventDue(w, 'auckland', '2026-03-25'),
      laReminder14: await eventDue(w, 'losAngeles', '2026-03-24'),
      laNotYet: await eventDue(w, 'losAngeles', '2026-03-25'),
      laOverdue: await eventDue(w, 'losAngeles', '2026-03-09'),
      aucklandOverdue: await eventDue(w, 'auckland', '2026-03-10'),
      laOverdueWeekly: await eventDue(w, 'losAngeles', '2026-02-20'),
    };
    await pass(w, INSTANT);
    const rows = (await ledger(w.client.id)).filter((r) => r.event_id);
    const of = (id: string) => rows.filter((r) => r.event_id === id).map((r) => [r.kind, r.due_for]);
    expect(of(e.aucklandDueToday)).to.deep.equal([['due_today', '2026-03-11']]);
    expect(of(e.laReminder3)).to.deep.equal([['reminder', '2026-03-08']]);
    expect(of(e.aucklandReminder14)).to.deep.equal([['reminder', '2026-03-11']]);
    expect(of(e.laReminder14)).to.deep.equal([['reminder', '2026-03-10']]);
    expect(of(e.laNotYet)).to.deep.equal([]);
    expect(of(e.laOverdue)).to.deep.equal([['overdue', '2026-03-10']]);
    expect(of(e.aucklandOverdue)).to.deep.equal([['overdue', '2026-03-11']]);
    // 18 days overdue: the day after, then weekly: 21 Feb, 28 Feb, 7 Mar; and the first escalation (7 days).
    expect(of(e.laOverdueWeekly)).to.deep.include.members([['overdue', '2026-03-07'], ['escalation', '2026-02-27']]);
  });

  it('bundles every notice of a person into one digest, and a re-run or a second pass at once sends nothing more', async () => {
    const w = await noticeWorld();
    await eventDue(w, 'auckland', '2026-03-11');
    await eventDue(w, 'auckland', '2026-03-10');
    await eventDue(w, 'losAngeles', '2026-03-11');
    await eventDue(w, 'losAngeles', '2026-03-09');
    await Promise.all([pass(w, INSTANT), pass(w, INSTANT)]);
    const sent = (await outbox(w.client.id)).length;
    expect(await pass(w, INSTANT)).to.include({ planned: 0, messages: 0 });
    expect(await outbox(w.client.id)).to.have.length(sent);
    const mails = await outbox(w.client.id, 'notification.digest');
    expect(mails.map((m) => [m.to_address, m.kind]).sort()).to.deep.equal([[w.kiri.email, 'notification.digest'], [w.lee.email, 'notification.digest']].sort());
    const kiri = mails.find((m) => m.to_address === w.kiri.email)!;
    // Overdue first, then due today; each with the Additional Information and a link.
    expect(kiri.text_body.indexOf('OVERDUE')).to.be.lessThan(kiri.text_body.indexOf('DUE TODAY'));
    expect(kiri.text_body).to.include('Tank check at Auckland Works').and.include('Additional information: Use the north gate.').and.include('http://plantrak.test/events/');
    expect(kiri.html_body).to.include('style="').and.include('href="http://plantrak.test/events/');
    expect(kiri.text_body).not.to.match(/password|token=/i);
    const rows = await ledger(w.client.id);
    expect(rows.filter((r) => r.recipient_id === w.kiri.id).every((r) => r.status === 'queued' && r.mail_id === kiri.id)).to.equal(true);
  });

  it('waits for the recipient’s digest hour in their own zone, and then sends once that day', async () => {
    const w = await noticeWorld();
    await eventDue(w, 'losAngeles', '2026-03-11');
    await setZone(w.lee, 'America/Los_Angeles', 14);
    await pass(w, INSTANT); // 13:00 in Los Angeles
    expect(await outbox(w.client.id, 'notification.digest')).to.have.length(0);
    expect((await ledger(w.client.id)).find((r) => r.recipient_id === w.lee.id)).to.include({ status: 'pending' });
    await pass(w, '2026-03-10T21:00:00Z'); // 14:00
    await pass(w, '2026-03-10T23:00:00Z'); // 16:00: nothing new, no second digest
    expect((await outbox(w.client.id, 'notification.digest')).map((m) => m.to_address)).to.deep.equal([w.lee.email]);
  });

  it('on the day clocks spring forward, a digest hour lost to the change goes at the first instant after it', async () => {
    const w = await noticeWorld();
    await eventDue(w, 'losAngeles', '2026-03-09'); // reminder due on 6 March, still pending on the 8th
    await setZone(w.lee, 'America/Los_Angeles', 2);
    await pass(w, '2026-03-08T09:59:00Z'); // 01:59 PST; 02:00 never comes
    expect(await outbox(w.client.id, 'notification.digest')).to.have.length(0);
    await pass(w, '2026-03-08T10:00:00Z'); // 03:00 PDT
    expect((await outbox(w.client.id, 'notification.digest')).map((m) => m.to_address)).to.deep.equal([w.lee.email]);
  });

  it('when Auckland’s clocks fall back, its facility’s day still turns at local midnight', async () => {
    const w = await noticeWorld();
    const due = await eventDue(w, 'auckland', '2026-04-05');
    await pass(w, '2026-04-04T10:30:00Z'); // 23:30 NZDT on 4 April
    expect((await ledger(w.client.id)).filter((r) => r.event_id === due).map((r) => r.kind)).to.deep.equal(['reminder']);
    await pass(w, '2026-04-04T11:30:00Z'); // 00:30 NZDT on 5 April (clocks go back at 03:00)
    expect((await ledger(w.client.id)).filter((r) => r.event_id === due).map((r) => [r.kind, r.due_for])).to.deep.include.members([['due_today', '2026-04-05']]);
  });
});
