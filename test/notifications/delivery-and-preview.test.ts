// Real e-mail: a digest goes out through SMTP as multipart text and HTML, an SMTP outage only
// delays it and it then arrives once; and the preview command prints, without recording
// anything, exactly the set a pass on that date then sends.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { testEnv } from '../support/env.ts';
import { ownerQuery } from '../support/factories.ts';
import { smtpDelivery } from '../support/mail-helpers.ts';
import { smtpForSuite } from '../support/smtp.ts';
import { eventDue, ledger, noticeWorld, outbox, pass } from './world.ts';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

describe('notifications: real mail', function () {
  const smtp = smtpForSuite();

  it('delivers one multipart digest after an SMTP outage, once', async () => {
    const w = await noticeWorld();
    await eventDue(w, 'losAngeles', '2026-03-11');
    await ownerQuery(`UPDATE users SET notification_opt_outs = '{weekly_summary}'`);
    await pass(w, '2026-03-10T20:00:00Z');
    const { delivery, transport } = smtpDelivery(smtp);
    try {
      smtp.refuse = true;
      expect(await delivery.deliverDue()).to.equal(0);
      expect(smtp.received).to.have.length(0);
      smtp.refuse = false;
      await ownerQuery(`UPDATE mail_outbox SET next_attempt_at = now()`); // the backoff has passed
      expect(await delivery.deliverDue()).to.equal(1);
      expect(await delivery.deliverDue()).to.equal(0);
      expect(await pass(w, '2026-03-10T20:30:00Z')).to.include({ messages: 0 });
    } finally {
      transport.close();
    }
    expect(smtp.received).to.have.length(1);
    const raw = smtp.received[0]!.raw;
    expect(smtp.received[0]!.to).to.deep.equal([w.lee.email]);
    expect(raw).to.match(/Content-Type: multipart\/alternative/i).and.match(/Content-Type: text\/html/i).and.match(/Content-Type: text\/plain/i);
    const [row] = await outbox(w.client.id);
    expect(row).to.include({ kind: 'notification.digest' });
  });
});

describe('notifications: the preview command', function () {
  this.timeout(60_000);

  it('prints what the pass on that date then sends, and records nothing', async () => {
    const w = await noticeWorld();
    await eventDue(w, 'losAngeles', '2026-03-11');
    await eventDue(w, 'losAngeles', '2026-03-03');
    await eventDue(w, 'auckland', '2026-03-10');
    const env = testEnv();
    const { stdout } = await run('npx', ['tsx', 'scripts/notifications-preview.ts', '--date', '2026-03-10'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: env.urls.owner, DATABASE_APP_URL: env.urls.app, DATABASE_SESSION_URL: env.urls.session, ...(env.urls.backup ? { DATABASE_BACKUP_URL: env.urls.backup } : {}), SESSION_SECRET: 'x'.repeat(40), LOG_LEVEL: 'silent' },
    });
    expect(await ledger(w.client.id)).to.deep.equal([]);
    expect(await outbox(w.client.id)).to.deep.equal([]);
    const previewed = stdout.split('\n').filter((l) => l.startsWith('  ')).map((l) => l.trim()).sort();
    expect(previewed.length).to.be.greaterThan(3);
    expect(stdout).to.include(`${w.lee.name} <${w.lee.email}> · reminder · Tank check at LA Depot · LA Depot · due 2026-03-11`);
    expect(stdout).to.include(`${w.manager.name} <${w.manager.email}> · escalation (level 1) · Tank check at LA Depot`);

    // The pass on that date: every facility and person on 10 March (one zone), after the digest hour.
    await ownerQuery(`UPDATE org_units SET time_zone = NULL WHERE client_id = $1`, [w.client.id]);
    await ownerQuery(`UPDATE users SET time_zone = NULL WHERE client_id = $1`, [w.client.id]);
    await pass(w, '2026-03-10T23:30:00Z'); // 16:30 in Los Angeles
    const emails = new Map((await ownerQuery<{ id: string; email: string }>('SELECT id, email FROM users WHERE client_id = $1', [w.client.id])).map((u) => [u.id, u.email]));
    const sent = (await ledger(w.client.id)).filter((r) => r.status === 'queued').map((r) => `${emails.get(r.recipient_id)}|${r.kind}|${r.level ?? ''}|${r.due_for}`);
    expect(sent.sort()).to.deep.equal(previewLines(stdout).sort());
  });
});

const KINDS: Record<string, string> = { 'due today': 'due_today', 'weekly summary': 'weekly_summary' };

/** The preview's lines as e-mail|kind|level|notice date, as the ledger has them. */
function previewLines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l.startsWith('  ')).map((l) => {
    const [who, kindText] = l.trim().split(' · ');
    const level = /\(level (\d+)\)/.exec(kindText!)?.[1] ?? '';
    const kind = kindText!.replace(/ \(level \d+\)$/, '');
    return `${/<([^>]+)>/.exec(who!)![1]}|${KINDS[kind] ?? kind}|${level}|${/notice of (\d{4}-\d\d-\d\d)$/.exec(l)![1]}`;
  });
}
