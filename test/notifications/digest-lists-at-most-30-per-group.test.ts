// A digest lists at most 30 notices a group and counts the rest with a link to all of them: a
// mail of thousands of lines is one nobody reads. Every notice still settles in the ledger.
import { expect } from 'chai';
import { digestMail, type NoticeRow, SECTION_MAX } from '../../services/notifications/messages.ts';

const row = (i: number, kind: NoticeRow['kind']): NoticeRow => ({
  id: `n${i}`, kind, level: kind === 'escalation' ? 1 : null, eventId: `e${i}`, planItemId: null, activity: `Obligation ${i}`,
  facilityName: 'Plant', dueDate: '2026-03-01', today: '2026-03-10', additionalInformation: null, assigneeName: 'Lee',
});

describe('notifications: a digest stays readable', () => {
  it('shows 30 overdue notices and counts the other 15 with a link to the list, and lists short groups whole', () => {
    const rows = [...Array.from({ length: 45 }, (_, i) => row(i, 'overdue')), ...Array.from({ length: 3 }, (_, i) => row(100 + i, 'escalation'))];
    const mail = digestMail({ name: 'Lee', timeZone: 'UTC', digestHour: 7 }, rows, '2026-03-10', 'http://plantrak.test');
    expect(SECTION_MAX).to.equal(30);
    expect(mail.text).to.include('Obligation 29').and.not.include('Obligation 30\n');
    expect(mail.text).to.include('…and 15 more').and.include('45 in all').and.include('http://plantrak.test/events?status=overdue');
    expect(mail.text).to.include('Obligation 100').and.include('Obligation 102');
    expect(mail.html).to.include('…and 15 more');
    expect(mail.subject).to.equal('PlanTRAK: 45 overdue obligations and 3 other notices');
  });
});
