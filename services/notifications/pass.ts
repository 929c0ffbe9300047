// The notification pass (DESIGN.md §6), for each client, in one system unit of work that holds
// the client's advisory lock (a second server finds it held and moves on, unless it has just
// generated events for the client: then it waits its turn):
// 1. settle what went stale: a pending notice whose event closed, was cancelled or reassigned,
//    whose due date moved, whose item stopped scheduling, whose recipient left or turned it off,
//    or whose client is suspended, is skipped with the reason;
// 2. plan: what should be known by now goes into the ledger (unique: nothing twice). A notice
//    for someone whose digest goes out in this very pass is written queued, naming the message
//    that carries it; any other waits in the queue of pending notices;
// 3. deliver: an assignment falling due within days goes out at once; otherwise each recipient
//    gets one digest a day once their local digest hour has come (an hour lost to a DST change
//    means the first instant after it), with the optional kinds as their own messages carrying
//    one-click unsubscribe. The outbox rows and the ledger's "queued" are written in the
//    transaction that planned, so a crash loses or doubles nothing, and an SMTP outage only
//    delays delivery.
import { randomUUID } from 'node:crypto';
import type { Sequelize } from 'sequelize';
import { chunks } from '../../lib/chunks.ts';
import { inUnitOfWork, sql, withLongStatement } from '../../lib/unit-of-work.ts';
import { Client } from '../../models/index.ts';
import { onTimeCountsSql } from '../events/definitions.ts';
import { allClientIds } from '../events/generation.ts';
import { type NewMail, queueMails } from '../mail/outbox.ts';
import { frozenAmong } from '../operations/freeze.ts';
import { assignmentMail, digestMail, escalationMail, type NoticeRow, type Recipient, type RenderedMail, type ScopeSummary, summaryMail } from './messages.ts';
import { messageClass, messageId, planNotices, PLANNING_WEIGHT } from './planner.ts';
import { notificationSettingsOf } from './settings.ts';
import { unsubscribeToken } from './unsubscribe.ts';

export interface PassOptions {
  /** The instant of the pass (tests fix it); default: now. */
  now?: Date;
  clientIds?: string[];
  /** Links in messages start here. */
  baseUrl: string;
  /** Signs the unsubscribe links (the session secret). */
  secret: string;
  /** Only send assignments falling due within days (the frequent tick between full passes). */
  urgentOnly?: boolean;
  /**
   * Clients this server has just generated events for: a pass another server is running on one of
   * them may have read before those events were committed, so this pass waits for it to end
   * instead of moving on, and then plans what that pass could not see.
   */
  waitForClients?: readonly string[];
}

export interface PassResult {
  clients: number;
  planned: number;
  skipped: number;
  messages: number;
  /** Clients another server was notifying at the same moment. */
  busyClients: string[];
  /** Clients whose data is frozen: nothing planned or settled; the first pass after the thaw catches up. */
  frozenClients: string[];
}

/** So many new notices at once that the planner's statistics of the ledger are refreshed. */
const BURST = 5_000;

/** First key of the two-key advisory lock; the second is the client. */
export const NOTIFICATION_LOCK_KEY = 727_001;

export async function runNotificationPass(sequelize: Sequelize, options: PassOptions): Promise<PassResult> {
  const now = options.now ?? new Date();
  const clientIds = options.clientIds ?? (await allClientIds(sequelize));
  const frozen = await inUnitOfWork(sequelize, { actorKind: 'system' }, () => frozenAmong(clientIds));
  const result: PassResult = { clients: 0, planned: 0, skipped: 0, messages: 0, busyClients: [], frozenClients: [...frozen] };
  const waitFor = new Set(options.waitForClients);
  for (const clientId of clientIds) {
    if (frozen.has(clientId)) continue;
    // One unit of work: settling, planning and delivery. Delivery updates only notices earlier
    // transactions wrote (those planned now for a digest going out now are written queued), so
    // PostgreSQL has no foreign key of a row of this transaction to re-check on update.
    const done = await underClientLock(sequelize, clientId, waitFor.has(clientId), async (client) => {
      // Settling first: what planning adds holds by construction, so only older notices are read.
      const skipped = await settleStale(client);
      if (client.status !== 'active') return { planned: 0, skipped, messages: 0 };
      const settings = notificationSettingsOf(client);
      const planning = !options.urgentOnly;
      const due = await dueRecipients(client, now, settings.assignmentUrgentDays, options.urgentOnly ?? false, planning);
      const passKey = randomUUID();
      let planned = 0;
      let queued = 0;
      if (planning) {
        const open = due.filter((u) => u.slotOpen).map((u) => u.id);
        const result = await planNotices(client, { now }, PLANNING_WEIGHT, { recipientIds: open, passKey });
        planned = result.created;
        for (const n of result.queuedFor.values()) queued += n;
        for (const user of due) user.pendingCount += result.queuedFor.get(user.id) ?? 0;
        if (planned >= BURST) await sql('SELECT notification_statistics_refresh()');
      }
      const waiting = due.filter((u) => u.pendingCount > 0 && ((u.slotOpen && !options.urgentOnly) || u.urgent));
      const messages = await deliver(client, now, options, waiting, passKey, queued);
      return { planned, skipped, messages };
    });
    if (!done) {
      result.busyClients.push(clientId);
      continue;
    }
    result.planned += done.planned;
    result.skipped += done.skipped;
    result.clients += 1;
    result.messages += done.messages;
  }
  return result;
}

/** Another server's pass on a client takes seconds; waiting longer means something is stuck
 *  (and the wait must stay well within a service manager's stop time-out). */
const LOCK_WAIT_MINUTES = 1;
const QUERY_CANCELED = '57014';

/**
 * `work` in a system unit of work for the client, holding its advisory lock; null when another
 * server holds it (when told to wait: still holds it after LOCK_WAIT_MINUTES), or the client is gone.
 */
async function underClientLock<T>(sequelize: Sequelize, clientId: string, wait: boolean, work: (client: Client) => Promise<T>): Promise<T | null> {
  let waiting = false;
  try {
    return await inUnitOfWork(sequelize, { actorKind: 'system', clientId }, async () => {
      if (wait) {
        waiting = true;
        await withLongStatement(LOCK_WAIT_MINUTES, () => sql('SELECT pg_advisory_xact_lock($1, hashtext($2::text))', [NOTIFICATION_LOCK_KEY, clientId]));
        waiting = false;
      } else {
        const [lock] = await sql<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1, hashtext($2::text)) AS ok', [NOTIFICATION_LOCK_KEY, clientId]);
        if (!lock!.ok) return null;
      }
      const client = await Client.findByPk(clientId);
      return client ? work(client) : null;
    });
  } catch (error) {
    if (waiting && (error as { parent?: { code?: string } }).parent?.code === QUERY_CANCELED) return null;
    throw error;
  }
}

/** Skips pending notices that no longer hold, each with the reason a reader of the ledger needs. */
async function settleStale(client: Client): Promise<number> {
  const settings = notificationSettingsOf(client);
  // Read first, each queued notice looked up by its key (OFFSET 0 keeps the lateral a lookup:
  // the planner's statistics of the queue may describe the burst a first pass queued and sent,
  // and hash joins then read the whole ledger); written only when something went stale.
  const stale = await sql<{ id: string; reason: string }>(
    `WITH stale AS (
       SELECT s.id, s.reason FROM notification_queue q
        CROSS JOIN LATERAL (
          SELECT n.id, CASE
            WHEN c.status <> 'active' THEN 'The organisation is suspended.'
            WHEN r.status <> 'active' THEN 'The recipient is no longer active.'
            WHEN e.status = 'closed' THEN 'The event was closed.'
            WHEN e.status = 'cancelled' THEN 'The event was cancelled.'
            WHEN p.id IS NOT NULL AND NOT p.schedules_events THEN 'The plan item no longer schedules events.'
            WHEN p.hidden THEN 'The plan item is hidden.'
            WHEN n.kind IN ('assignment', 'reminder', 'due_today', 'overdue') AND n.recipient_id <> coalesce(e.assignee_id, p.assignee_id) THEN 'Reassigned to someone else.'
            WHEN n.kind = 'reminder' AND NOT ((e.due_date - n.due_for) = ANY (coalesce(p.reminder_offsets, $2::int[]))) THEN 'The due date changed.'
            WHEN n.kind = 'due_today' AND n.due_for <> e.due_date THEN 'The due date changed.'
            WHEN n.kind = 'overdue' AND n.due_for <= e.due_date THEN 'The due date changed.'
            WHEN n.kind = 'escalation' AND n.due_for <> e.due_date + ($3::int[])[n.level] THEN 'The due date changed.'
            WHEN n.kind = 'weekly_summary' AND 'weekly_summary' = ANY (r.notification_opt_outs) THEN 'Turned off by the recipient.'
            WHEN n.kind = 'escalation' AND n.level > 1 AND 'escalation' = ANY (r.notification_opt_outs) THEN 'Turned off by the recipient.'
          END AS reason
            FROM notifications n
            JOIN clients c ON c.id = n.client_id
            JOIN users r ON r.client_id = n.client_id AND r.id = n.recipient_id
            LEFT JOIN events e ON e.client_id = n.client_id AND e.id = n.event_id
            -- The event's item, or the item of an item's own notice (a notice has one or the other).
            -- Not coalesce(): under row-level security only leak-proof expressions become index
            -- conditions.
            LEFT JOIN plan_items p ON p.client_id = n.client_id AND p.id IN (e.plan_item_id, n.plan_item_id)
           WHERE n.client_id = q.client_id AND n.id = q.notification_id AND n.status = 'pending'
          OFFSET 0) s
        WHERE q.client_id = $1)
     SELECT id, reason FROM stale WHERE reason IS NOT NULL`,
    [client.id, settings.reminderOffsets, settings.ladder.map((l) => l.days)],
  );
  for (const batch of chunks(stale, NOTICES_PER_STATEMENT)) {
    await sql(
      `UPDATE notifications n SET status = 'skipped', skip_reason = s.reason, settled_at = now()
         FROM unnest($2::uuid[], $3::text[]) AS s(id, reason) WHERE n.client_id = $1 AND n.id = s.id AND n.status = 'pending'`,
      [client.id, batch.map((s) => s.id), batch.map((s) => s.reason)],
    );
  }
  return stale.length;
}

interface DueRecipient {
  id: string;
  email: string;
  name: string;
  timeZone: string;
  digestHour: number;
  localDate: string;
  /** Notices waiting for them. */
  pendingCount: number;
  /** The local hour has come and no digest went out on this local date yet. */
  slotOpen: boolean;
  /** An assignment falling due within days waits for them. */
  urgent: boolean;
}

interface PendingRow extends NoticeRow {
  recipientId: string;
  urgent: boolean;
  dueFor: string;
  /** The message planning wrote it queued for (this pass), or null for a pending notice. */
  queuedAs: string | null;
}

/** The recipient's messages of this pass, with the notices each one settles. */
interface Outgoing {
  mail: NewMail;
  notices: PendingRow[];
  /** The digest slot it fills (recipient and local date), for the day ledger. */
  digestOf?: { userId: string; date: string };
}

const isOptional = (row: { kind: string; level: number | null }) => row.kind === 'weekly_summary' || (row.kind === 'escalation' && (row.level ?? 1) > 1);

/**
 * Who may get mail now: each active user with notices waiting (every active user when the pass
 * plans, as planning may bring some), whether their digest slot is open (local hour reached, no
 * digest yet on that local date) and whether an urgent assignment waits for them.
 */
function dueRecipients(client: Client, now: Date, urgentDays: number, urgentOnly: boolean, everyone: boolean): Promise<DueRecipient[]> {
  return sql<DueRecipient>(
    `SELECT * FROM (
       SELECT u.id, u.email, u.name, z.zone AS "timeZone", u.digest_hour AS "digestHour", l.local::date::text AS "localDate",
              (SELECT count(*) FROM notification_queue q WHERE q.client_id = $1 AND q.recipient_id = u.id)::int AS "pendingCount",
              (extract(hour FROM l.local) >= u.digest_hour
               AND NOT EXISTS (SELECT 1 FROM notification_digests d WHERE d.client_id = $1 AND d.user_id = u.id AND d.digest_date = l.local::date)) AS "slotOpen",
              EXISTS (SELECT 1 FROM notification_queue q
                         JOIN notifications n ON n.id = q.notification_id AND n.client_id = q.client_id
                         JOIN events e ON e.client_id = n.client_id AND e.id = n.event_id
                         WHERE q.client_id = $1 AND q.recipient_id = u.id AND n.kind = 'assignment'
                           AND e.due_date <= n.due_for + $3::int) AS urgent
         FROM users u JOIN clients c ON c.id = u.client_id
         CROSS JOIN LATERAL (SELECT coalesce(u.time_zone, c.time_zone) AS zone) z
         CROSS JOIN LATERAL (SELECT ($2::timestamptz AT TIME ZONE z.zone) AS local) l
        WHERE u.client_id = $1 AND u.status = 'active'
          AND ($5::boolean OR EXISTS (SELECT 1 FROM notification_queue q WHERE q.client_id = $1 AND q.recipient_id = u.id))) r
      WHERE (r."slotOpen" AND NOT $4::boolean) OR r.urgent`,
    [client.id, now.toISOString(), urgentDays, urgentOnly, everyone],
  );
}

/** `queued`: how many notices planning wrote queued for this pass's messages. */
async function deliver(client: Client, now: Date, options: PassOptions, due: DueRecipient[], passKey: string, queued: number): Promise<number> {
  if (due.length === 0 && queued === 0) return 0;
  const settings = notificationSettingsOf(client);
  // A client's first pass sorts every pending notice: in memory, not in files (this transaction only).
  await sql(`SELECT set_config('work_mem', '64MB', true)`);
  const byRecipient = new Map<string, PendingRow[]>();
  for (const batch of recipientBatches(due)) {
    for (const row of await pendingNotices(client, now, batch, settings.assignmentUrgentDays)) {
      const list = byRecipient.get(row.recipientId);
      if (list) list.push(row);
      else byRecipient.set(row.recipientId, [row]);
    }
  }

  const summaryUsers = due.filter((u) => u.slotOpen && !options.urgentOnly && (byRecipient.get(u.id) ?? []).some((r) => r.kind === 'weekly_summary'));
  const summaries = summaryUsers.length ? await scopeSummaries(client, summaryUsers.map((u) => u.id), now) : new Map<string, ScopeSummary>();
  const outgoing: Outgoing[] = [];
  for (const user of due) {
    const pending = byRecipient.get(user.id) ?? [];
    const recipient: Recipient = { name: user.name, timeZone: user.timeZone, digestHour: user.digestHour };
    // A digest slot's messages have the ids planning gave the notices it wrote queued for them.
    const send = (rendered: RenderedMail, kind: string, notices: PendingRow[], cls: string | null, headers?: Record<string, string>) =>
      outgoing.push({
        mail: { id: cls === null ? undefined : messageId(passKey, user.id, cls), to: user.email, subject: rendered.subject, text: rendered.text, html: rendered.html, kind: `notification.${kind}`, headers },
        notices,
      });
    if (!user.slotOpen || options.urgentOnly) {
      const urgent = pending.filter((r) => r.urgent);
      if (urgent.length) send(assignmentMail(recipient, urgent, options.baseUrl), 'assignment', urgent, null);
      continue;
    }
    const digestRows = pending.filter((r) => !isOptional(r));
    const before = outgoing.length;
    if (digestRows.length) send(digestMail(recipient, digestRows, user.localDate, options.baseUrl), 'digest', digestRows, 'digest');
    const escalations = pending.filter((r) => r.kind === 'escalation' && isOptional(r));
    if (escalations.length) {
      const link = unsubscribeLink(options, user.id, 'escalation', now);
      send(escalationMail(recipient, escalations, options.baseUrl, link), 'escalation', escalations, 'escalation', unsubscribeHeaders(link));
    }
    for (const summary of pending.filter((r) => r.kind === 'weekly_summary')) {
      const link = unsubscribeLink(options, user.id, 'weekly_summary', now);
      send(summaryMail(recipient, summaries.get(user.id)!, summary.today ?? user.localDate, options.baseUrl, link), 'weekly_summary', [summary], messageClass(summary.kind, summary.level, summary.dueFor), unsubscribeHeaders(link));
    }
    if (outgoing.length > before) outgoing[before]!.digestOf = { userId: user.id, date: user.localDate };
  }
  if (outgoing.length === 0 && queued === 0) return 0;
  const mailIds = await queueMails(outgoing.map((o) => o.mail));
  const settled: Array<readonly [string, string]> = [];
  // Each notice planning wrote queued must go out in the message it names, or nothing is committed.
  let carried = 0;
  for (const [i, o] of outgoing.entries()) {
    for (const notice of o.notices) {
      if (notice.queuedAs === null) settled.push([notice.id, mailIds[i]!]);
      else if (notice.queuedAs !== mailIds[i]) throw new Error(`notice ${notice.id} names message ${notice.queuedAs}, but goes out in ${mailIds[i]}`);
      else carried += 1;
    }
  }
  if (carried !== queued) throw new Error(`${queued} notices were planned queued, but the messages carry ${carried}`);
  for (const batch of chunks(settled, NOTICES_PER_STATEMENT)) {
    // Only a pending notice is queued: one that is not any more fails the pass (rolled back).
    const [row] = await sql<{ n: number }>(
      `WITH queued AS (
         UPDATE notifications n SET status = 'queued', mail_id = m.mail_id, settled_at = now()
           FROM unnest($2::uuid[], $3::uuid[]) AS m(id, mail_id) WHERE n.client_id = $1 AND n.id = m.id AND n.status = 'pending'
         RETURNING 1)
       SELECT count(*)::int AS n FROM queued`,
      [client.id, batch.map(([id]) => id), batch.map(([, mail]) => mail)],
    );
    if (row!.n !== batch.length) throw new Error(`${batch.length - row!.n} of the notices to queue were no longer pending`);
  }
  const slots = outgoing.map((o, i) => ({ slot: o.digestOf, mailId: mailIds[i]! })).filter((s) => s.slot);
  if (slots.length) {
    await sql(
      `INSERT INTO notification_digests (client_id, user_id, digest_date, mail_id)
       SELECT $1, s.user_id, s.digest_date, s.mail_id FROM unnest($2::uuid[], $3::date[], $4::uuid[]) AS s(user_id, digest_date, mail_id)`,
      [client.id, slots.map((s) => s.slot!.userId), slots.map((s) => s.slot!.date), slots.map((s) => s.mailId)],
    );
  }
  return outgoing.length;
}

/** Statements read or settle at most this many notices (whole recipients when reading). */
const NOTICES_PER_STATEMENT = 20_000;

/** The due recipients in groups whose pending notices fit one statement (a recipient with more
 *  goes alone). */
export function recipientBatches(due: Array<{ id: string; pendingCount: number }>, size = NOTICES_PER_STATEMENT): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let count = 0;
  for (const user of due) {
    if (current.length && count + user.pendingCount > size) {
      batches.push(current);
      current = [];
      count = 0;
    }
    current.push(user.id);
    count += user.pendingCount;
  }
  if (current.length) batches.push(current);
  return batches;
}

/**
 * The recipients' notices waiting for this pass, in message order, with what their messages say:
 * the pending ones (the queue) and those planning wrote queued for their digest in this pass
 * (written in this transaction; the pass checks each names the message it goes out in). No row locks: the client's advisory lock
 * keeps other passes out, and queuing checks that each notice is still pending.
 */
function pendingNotices(client: Client, now: Date, recipientIds: string[], urgentDays: number): Promise<PendingRow[]> {
  return sql<PendingRow>(
    `WITH waiting AS (
       SELECT n.id, n.client_id, n.recipient_id, n.kind, n.level, n.event_id, n.plan_item_id, n.facility_id, n.due_for, NULL::uuid AS queued_as
         FROM notification_queue q JOIN notifications n ON n.id = q.notification_id AND n.client_id = q.client_id
        WHERE q.client_id = $1 AND q.recipient_id = ANY ($3::uuid[]) AND n.status = 'pending'
       UNION ALL
       SELECT n.id, n.client_id, n.recipient_id, n.kind, n.level, n.event_id, n.plan_item_id, n.facility_id, n.due_for, n.mail_id
         FROM notifications n
        WHERE n.client_id = $1 AND n.recipient_id = ANY ($3::uuid[]) AND n.created_at = now() AND n.status = 'queued')
     SELECT n.id, n.recipient_id AS "recipientId", n.kind, n.level, n.event_id AS "eventId", n.plan_item_id AS "planItemId",
            coalesce(e.activity, p.activity) AS activity, f.name AS "facilityName",
            coalesce(e.due_date, p.next_due_date)::text AS "dueDate", n.due_for::text AS "dueFor", n.queued_as AS "queuedAs",
            ($2::timestamptz AT TIME ZONE coalesce(f.time_zone, c.time_zone))::date::text AS today,
            coalesce(e.additional_information, p.additional_information) AS "additionalInformation",
            a.name AS "assigneeName",
            (n.kind = 'assignment' AND e.due_date <= n.due_for + $4::int) AS urgent
       FROM waiting n
       JOIN clients c ON c.id = n.client_id
       -- Each notice's event by its key (OFFSET 0 keeps it a lookup): hashing the client's events
       -- would read every closed one too.
       LEFT JOIN LATERAL (SELECT e.* FROM events e WHERE e.client_id = n.client_id AND e.id = n.event_id OFFSET 0) e ON true
       LEFT JOIN plan_items p ON p.client_id = n.client_id AND p.id = n.plan_item_id
       LEFT JOIN org_units f ON f.client_id = n.client_id AND f.id = n.facility_id
       LEFT JOIN users a ON a.client_id = n.client_id AND a.id = e.assignee_id
      ORDER BY coalesce(e.due_date, p.next_due_date), activity, n.id`,
    [client.id, now.toISOString(), recipientIds, urgentDays],
  );
}

function unsubscribeLink(options: PassOptions, userId: string, kind: 'escalation' | 'weekly_summary', now: Date): string {
  return `${options.baseUrl}/notifications/unsubscribe?token=${encodeURIComponent(unsubscribeToken(options.secret, userId, kind, now))}`;
}

/** RFC 8058: a mail client may unsubscribe with one POST to the link, without opening it. */
const unsubscribeHeaders = (link: string) => ({ 'List-Unsubscribe': `<${link}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' });

/**
 * The weekly summary's figures for the facilities each user's scope covers. The events are read
 * once per pass, counted per facility, and each user's figures are the sums over their
 * facilities (the worst five grouped by name, as before): one scan for every recipient, not two
 * per recipient.
 */
async function scopeSummaries(client: Client, userIds: string[], now: Date): Promise<Map<string, ScopeSummary>> {
  const today = 't.today';
  const rate = onTimeCountsSql('e', today, `e.due_date > ${today} - interval '12 months' AND e.due_date <= ${today}`);
  const figures = await sql<Omit<ScopeSummary, 'facilities'> & { id: string; name: string }>(
    `WITH fac AS MATERIALIZED (SELECT f.id, f.name, coalesce(f.time_zone, c.time_zone) AS zone FROM org_units f JOIN clients c ON c.id = f.client_id
                                WHERE f.client_id = $1 AND f.kind = 'facility')
     SELECT fac.id, fac.name,
            count(*) FILTER (WHERE e.status = 'open')::int AS open,
            count(*) FILTER (WHERE e.status = 'open' AND e.due_date BETWEEN ${today} AND ${today} + 14)::int AS "dueNext14",
            count(*) FILTER (WHERE e.status = 'open' AND ${today} > e.due_date)::int AS overdue,
            count(*) FILTER (WHERE e.status = 'closed' AND e.closed_at >= $2::timestamptz - interval '7 days')::int AS "closedLastWeek",
            (${rate.onTime})::int AS "onTime",
            (${rate.counted})::int AS counted
       FROM events e JOIN fac ON fac.id = e.facility_id
       CROSS JOIN LATERAL (SELECT ($2::timestamptz AT TIME ZONE fac.zone)::date AS today) t
      WHERE e.client_id = $1 AND (e.status = 'open' OR e.due_date > ${today} - interval '12 months' OR e.closed_at >= $2::timestamptz - interval '7 days')
      GROUP BY fac.id, fac.name
      ORDER BY fac.name, fac.id`,
    [client.id, now.toISOString()],
  );
  const byFacility = new Map(figures.map((f, order) => [f.id, { ...f, order }]));
  const scopes = await sql<{ userId: string; facilityId: string }>(
    `SELECT DISTINCT u.id AS "userId", f.id AS "facilityId"
       FROM unnest($2::uuid[]) AS u(id)
       CROSS JOIN LATERAL (SELECT whole, units::uuid[] AS units FROM app_scope_for($1, u.id)) s
       JOIN LATERAL (SELECT x FROM unnest(CASE WHEN NOT s.whole THEN s.units END) x) x ON true
       JOIN org_units f ON f.client_id = $1 AND f.kind = 'facility' AND f.id = x.x
     UNION
     SELECT u.id, f.id
       FROM unnest($2::uuid[]) AS u(id)
       CROSS JOIN LATERAL app_scope_for($1, u.id) s
       JOIN org_units f ON f.client_id = $1 AND f.kind = 'facility' AND s.whole`,
    [client.id, userIds],
  );
  const summaries = new Map<string, ScopeSummary>();
  for (const id of userIds) summaries.set(id, { open: 0, dueNext14: 0, overdue: 0, closedLastWeek: 0, onTime: 0, counted: 0, facilities: [] });
  const named = new Map<string, Map<string, { name: string; overdue: number; open: number; order: number }>>();
  for (const { userId, facilityId } of scopes) {
    const f = byFacility.get(facilityId);
    const summary = summaries.get(userId);
    if (!f || !summary) continue;
    for (const key of ['open', 'dueNext14', 'overdue', 'closedLastWeek', 'onTime', 'counted'] as const) summary[key] += f[key];
    const names = named.get(userId) ?? new Map();
    named.set(userId, names);
    const n = names.get(f.name) ?? { name: f.name, overdue: 0, open: 0, order: f.order };
    names.set(f.name, n);
    n.overdue += f.overdue;
    n.open += f.open;
    n.order = Math.min(n.order, f.order);
  }
  for (const [userId, names] of named) {
    summaries.get(userId)!.facilities = [...names.values()]
      .filter((n) => n.overdue > 0)
      .sort((a, b) => b.overdue - a.overdue || a.order - b.order)
      .slice(0, 5)
      .map(({ name, overdue, open }) => ({ name, overdue, open }));
  }
  return summaries;
}
