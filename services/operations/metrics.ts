// Prometheus metrics (DESIGN.md §9), through prom-client (the only module importing it): requests
// by route pattern and status with their latency, 5xx responses, and at each scrape the figures
// read from the database: mail outbox backlog and the age of the oldest pending mail, the
// notification backlog, event-generation lag, and the age of the last good backup and restore check;
// and which server served the reads meant for the replica.
import client from 'prom-client';
import type { Sequelize } from 'sequelize';
import { inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { backupFacts } from './backup-facts.ts';

export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry, prefix: 'plantrak_process_' });

const requests = new client.Counter({
  name: 'plantrak_http_requests_total',
  help: 'HTTP requests by route pattern (never a raw path), method and status.',
  labelNames: ['route', 'method', 'status'] as const,
  registers: [registry],
});
const latency = new client.Histogram({
  name: 'plantrak_http_request_duration_seconds',
  help: 'HTTP request latency by route pattern and method.',
  labelNames: ['route', 'method'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});
const serverErrors = new client.Counter({
  name: 'plantrak_http_server_errors_total',
  help: 'HTTP responses with a 5xx status, by route pattern.',
  labelNames: ['route'] as const,
  registers: [registry],
});

const replicaReads = new client.Counter({
  name: 'plantrak_replica_reads_total',
  help: 'Units of work (reports, downloads) the read replica served.',
  registers: [registry],
});
const replicaFallbacks = new client.Counter({
  name: 'plantrak_replica_fallbacks_total',
  help: 'Replica reads the primary served instead, by reason (unreachable, lagging).',
  labelNames: ['reason'] as const,
  registers: [registry],
});

/** Which server a read meant for the replica ran on (the fallback's reason when the primary). */
export function observeReplicaRead(served: 'replica' | { fallback: 'unreachable' | 'lagging' }): void {
  if (served === 'replica') replicaReads.inc();
  else replicaFallbacks.inc({ reason: served.fallback });
}

/** Records one finished request; `route` is the matched pattern ('/events/:id') or a fixed word. */
export function observeRequest(route: string, method: string, status: number, seconds: number): void {
  requests.inc({ route, method, status: String(status) });
  latency.observe({ route, method }, seconds);
  if (status >= 500) serverErrors.inc({ route });
}

let lastGenerationPassAt: number | undefined;
/** The event-generation job reports each finished pass (its lag is the time since). */
export function generationPassFinished(at = Date.now()): void {
  lastGenerationPassAt = at;
}

const ageSeconds = (at: Date | null | undefined, now: number) => (at ? Math.max(0, (now - new Date(at).getTime()) / 1000) : NaN);

const gauges = {
  mailPending: new client.Gauge({ name: 'plantrak_mail_outbox_pending', help: 'Mail waiting in the outbox (pending or being sent).', registers: [registry] }),
  mailFailed: new client.Gauge({ name: 'plantrak_mail_outbox_failed', help: 'Mail that failed for good.', registers: [registry] }),
  mailAge: new client.Gauge({ name: 'plantrak_mail_oldest_pending_age_seconds', help: 'Age of the oldest pending mail (NaN when none).', registers: [registry] }),
  noticesQueued: new client.Gauge({ name: 'plantrak_notifications_queued', help: 'Notices planned and not yet sent or settled.', registers: [registry] }),
  noticeAge: new client.Gauge({ name: 'plantrak_notifications_oldest_queued_age_seconds', help: 'Age of the oldest queued notice (NaN when none).', registers: [registry] }),
  frozen: new client.Gauge({ name: 'plantrak_frozen_clients', help: 'Clients whose data is frozen on its own flag.', registers: [registry] }),
  generationLag: new client.Gauge({ name: 'plantrak_event_generation_lag_seconds', help: 'Time since this process finished an event-generation pass (NaN before the first).', registers: [registry] }),
  backupAge: new client.Gauge({ name: 'plantrak_backup_last_good_age_seconds', help: 'Age of the last good backup (NaN while unknown).', registers: [registry] }),
  restoreAge: new client.Gauge({ name: 'plantrak_restore_check_last_age_seconds', help: 'Age of the last restore check (NaN while unknown).', registers: [registry] }),
  restoreOk: new client.Gauge({ name: 'plantrak_restore_check_last_ok', help: '1 when the last restore check passed, 0 when it failed (NaN while unknown).', registers: [registry] }),
};

/** The whole exposition, the database figures read now as the system actor. */
export async function metricsText(sequelize: Sequelize): Promise<{ contentType: string; body: string }> {
  const now = Date.now();
  const { snapshot, backups } = await inUnitOfWork(sequelize, { actorKind: 'system', requestId: 'metrics' }, async () => {
    const [row] = await sql<{ mail_pending: string; mail_failed: string; oldest_pending_mail_at: Date | null; notifications_queued: string; oldest_queued_notification_at: Date | null; frozen_clients: string }>(
      'SELECT * FROM ops_snapshot()');
    return { snapshot: row!, backups: await backupFacts() };
  });
  gauges.mailPending.set(Number(snapshot.mail_pending));
  gauges.mailFailed.set(Number(snapshot.mail_failed));
  gauges.mailAge.set(ageSeconds(snapshot.oldest_pending_mail_at, now));
  gauges.noticesQueued.set(Number(snapshot.notifications_queued));
  gauges.noticeAge.set(ageSeconds(snapshot.oldest_queued_notification_at, now));
  gauges.frozen.set(Number(snapshot.frozen_clients));
  gauges.generationLag.set(lastGenerationPassAt === undefined ? NaN : (now - lastGenerationPassAt) / 1000);
  gauges.backupAge.set(ageSeconds(backups.lastGoodBackupAt, now));
  gauges.restoreAge.set(ageSeconds(backups.lastRestoreCheckAt, now));
  gauges.restoreOk.set(backups.lastRestoreCheckOk === null ? NaN : backups.lastRestoreCheckOk ? 1 : 0);
  return { contentType: registry.contentType, body: await registry.metrics() };
}
