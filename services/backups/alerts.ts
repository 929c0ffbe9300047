// A failed restore check is mailed to every active Technical Director (and BACKUP_ALERT_EMAIL):
// the backups may not restore, which the policy does not allow to go unnoticed.
import { sql } from '../../lib/unit-of-work.ts';
import { queueMails } from '../mail/outbox.ts';

export interface FailedCheck {
  checkId: string;
  backupLabel?: string;
  tier?: string;
  targetTime?: string;
  error: string;
}

/** Queues the alert in the current (system) unit of work; returns the addresses. */
export async function queueRestoreCheckAlert(check: FailedCheck, options: { baseUrl: string; alertEmail?: string }): Promise<string[]> {
  const directors = await sql<{ email: string }>(`SELECT email FROM staff_users WHERE role = 'technical_director' AND status = 'active' ORDER BY email`);
  const to = [...new Set([...directors.map((d) => d.email), ...(options.alertEmail ? [options.alertEmail] : [])])];
  const text = [
    'A restore check of the PlanTRAK backups FAILED.',
    '',
    `Backup: ${check.backupLabel ?? '(none chosen)'}${check.tier ? ` (${check.tier} repository)` : ''}`,
    `Restored to: ${check.targetTime ?? '—'}`,
    `Error: ${check.error}`,
    '',
    `Details: ${options.baseUrl}/admin/backups`,
    'Until a check passes again, treat the backups as unproven: see docs/DISASTER-RECOVERY.md.',
  ].join('\n');
  await queueMails(to.map((address) => ({ to: address, subject: 'PlanTRAK: a restore check of the backups failed', text, kind: 'backup_alert', clientId: null })));
  return to;
}
