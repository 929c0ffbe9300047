// What the server's backup job does each tick, under the backup lock (so of several servers
// sharing the database one does it): the runs staff asked for, then what is due: the daily
// tier every day, the monthly archival tier every 30 days, a restore check every week, and a
// restore marker every BACKUP_MARKER_MINUTES.
import { sql } from '../../lib/unit-of-work.ts';
import { withBackupLock } from './lock.ts';
import type { Tier } from './pgbackrest.ts';
import { type BackupContext, asSystem, recordMarker, runBackup } from './runs.ts';
import { type VerifyOptions, verifyRandomRestore } from './verify.ts';

const HOUR = 3_600_000;
export const EVERY: Record<Tier | 'check', number> = { daily: 24 * HOUR, monthly: 30 * 24 * HOUR, check: 7 * 24 * HOUR };
/** After a failure, the schedule tries again an hour later, not at every tick. */
const RETRY_MS = HOUR;
/** A restore check needs a marker archived after a backup: a few archive_timeouts after it. */
const CHECK_AFTER_BACKUP_MS = 10 * 60_000;

export interface ScheduleOptions extends Omit<VerifyOptions, 'trigger' | 'checkId'> {
  /** The runtime role's URL, for the lock's own connection. */
  lockUrl: string;
  markerMinutes: number;
  now?: () => Date;
}

/** One tick; 'busy' when another process holds the backup lock, else what was done. */
export async function runDueBackupWork(ctx: BackupContext, options: ScheduleOptions): Promise<'busy' | string[]> {
  const now = options.now ?? (() => new Date());
  const done = await withBackupLock(options.lockUrl, { wait: false }, async () => {
    const did: string[] = [];
    const verifyOptions = { superuserPassword: options.superuserPassword, database: options.database, alert: options.alert, random: options.random };
    const queued = await asSystem(ctx.sequelize, () => sql<{ id: string; tier: Tier }>(`SELECT id, tier FROM backup_runs WHERE status = 'queued' ORDER BY requested_at`));
    for (const run of queued) {
      await runBackup(ctx, run.tier, { trigger: 'staff', runId: run.id }).then(() => did.push(`${run.tier} (requested)`), () => did.push(`${run.tier} (requested, failed)`));
    }
    const queuedChecks = await asSystem(ctx.sequelize, () => sql<{ id: string }>(`SELECT id FROM restore_checks WHERE status = 'queued' ORDER BY requested_at`));
    for (const check of queuedChecks) {
      const result = await verifyRandomRestore(ctx, { ...verifyOptions, trigger: 'staff', checkId: check.id });
      did.push(`restore check (requested, ${result.passed ? 'passed' : 'failed'})`);
    }

    const state = await asSystem(ctx.sequelize, async () => ({
      runs: await sql<{ tier: Tier; ok: Date | null; tried: Date | null; finished: Date | null }>(
        `SELECT tier, max(requested_at) FILTER (WHERE status = 'succeeded') AS ok, max(requested_at) AS tried,
                max(finished_at) FILTER (WHERE status = 'succeeded') AS finished
           FROM backup_runs GROUP BY tier`,
      ),
      checks: (await sql<{ ok: Date | null; tried: Date | null }>(`SELECT max(requested_at) FILTER (WHERE status = 'passed') AS ok, max(requested_at) AS tried FROM restore_checks`))[0]!,
      lastMarker: (await sql<{ at: Date | null }>(`SELECT max(taken_at) AS at FROM restore_markers`))[0]!.at,
    }));
    const age = (d: Date) => now().getTime() - d.getTime();
    // Due when the last success is old enough, unless the last attempt failed less than an hour ago.
    const due = (every: number, ok: Date | null | undefined, tried: Date | null | undefined) =>
      (!ok || age(ok) >= every) && (!tried || tried.getTime() === ok?.getTime() || age(tried) >= RETRY_MS);
    for (const tier of ['daily', 'monthly'] as const) {
      const row = state.runs.find((r) => r.tier === tier);
      if (!due(EVERY[tier], row?.ok, row?.tried)) continue;
      await runBackup(ctx, tier, { trigger: 'schedule' }).then(() => did.push(tier), () => did.push(`${tier} (failed)`));
    }
    const oldEnough = state.runs.some((r) => r.finished && age(r.finished) >= CHECK_AFTER_BACKUP_MS);
    if (oldEnough && due(EVERY.check, state.checks.ok, state.checks.tried)) {
      const result = await verifyRandomRestore(ctx, { ...verifyOptions, trigger: 'schedule' });
      did.push(`restore check (${result.passed ? 'passed' : 'failed'})`);
    }
    if (!state.lastMarker || now().getTime() - state.lastMarker.getTime() >= options.markerMinutes * 60_000) {
      await recordMarker(ctx.sequelize).then(() => did.push('marker'), () => did.push('marker (failed)'));
    }
    return did;
  });
  return done ?? 'busy';
}
