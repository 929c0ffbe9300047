// What each person should hear about, and on which local day (DESIGN.md §6): computed from the
// events as they stand, in SQL, for one client at one instant (each facility's own today) or on
// one calendar date (the preview). The pass inserts these into the ledger, whose unique key makes
// planning twice, or on two servers, harmless; the preview only reads them.
//
// - reminder: the latest reminder offset whose day has come, while the event is not yet due;
// - due_today: on the due date;
// - overdue: the day after the due date, then every `overdueRepeatDays`;
// - escalation: at each ladder level's days overdue, to the active users of that level's ranks
//   whose scope covers the facility (never the assignee); a level with nobody goes up one level;
// - weekly_summary: each Monday (the recipient's zone), to active Directors and above.
// The optional kinds (weekly summary, escalations beyond the first level) are not planned for
// someone who turned them off.
// Events count only while open, on a plan item that schedules events and is not hidden, with an
// active assignee, in an active client. Assignment notices are written by the database when the
// assignee changes (migration 0011), not planned here.
import { createHash } from 'node:crypto';
import { todayIn } from '../../lib/calendar-dates.ts';
import { sql } from '../../lib/unit-of-work.ts';
import type { Client } from '../../models/index.ts';
import { notificationSettingsOf } from './settings.ts';

export const NOTIFICATION_KINDS = ['assignment', 'reminder', 'due_today', 'overdue', 'escalation', 'weekly_summary'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** Directors and above get the weekly summary. */
export const SUMMARY_RANKS = ['director', 'executive', 'administrator'];

export type PlanningMoment = { now: Date } | { date: string };

export interface PlannedNotice {
  eventId: string | null;
  planItemId: string | null;
  facilityId: string | null;
  recipientId: string;
  kind: NotificationKind;
  level: number | null;
  dueFor: string;
}

/** Which part of the client a planning statement covers: some facilities' events (all when
 *  absent), and whether the weekly summaries too. */
export interface PlanningPart {
  facilityIds?: string[];
  summaries: boolean;
  /** Leave out escalations the ledger already holds (what writing the ledger needs; the preview
   *  shows pending ones too). */
  newEscalationsOnly?: boolean;
}

/**
 * Who the ledger already holds an escalation of an event at a level for (its due-for date says
 * which level): the ledger's escalations of the escalating events, gathered once per event and
 * level and joined by hash, where a look per planned escalation made a repeat pass probe the
 * ledger once for each of a hundred thousand. Not a lookup per event: planned against an empty
 * ledger, that would scan the ledger this very statement is filling, once per event.
 */
const KNOWN_ESCALATIONS = `LEFT JOIN (
        SELECT n.event_id, n.due_for, array_agg(n.recipient_id) AS ids FROM notifications n
         WHERE n.client_id = $1 AND n.plan_item_id IS NULL AND n.kind = 'escalation' AND n.event_id IN (SELECT id FROM escalating)
         GROUP BY n.event_id, n.due_for) k ON k.event_id = t.id AND k.due_for = t.due_for`;

/** The SELECT of planned notices for one client, and its parameters ($1 the client). */
export function plannedNoticesQuery(client: Client, moment: PlanningMoment, part: PlanningPart = { summaries: true }): { text: string; params: unknown[] } {
  const settings = notificationSettingsOf(client);
  const params: unknown[] = [
    client.id,
    'date' in moment ? moment.date : null,
    'now' in moment ? moment.now.toISOString() : null,
    settings.reminderOffsets,
    settings.overdueRepeatDays,
    settings.ladder.map((l) => l.days),
    settings.ladder.map((l) => l.ranks.join(',')),
    SUMMARY_RANKS,
    part.facilityIds ?? null,
    part.summaries,
  ];
  const localDate = (zone: string) => `coalesce($2::date, ($3::timestamptz AT TIME ZONE ${zone})::date)`;
  const text = `
    -- Each facility's today and each item's reminder offsets, once per facility and item rather
    -- than once per event (materialized so); and of the open events only those something can be
    -- due for: due by today, or within the item's farthest reminder of it.
    WITH RECURSIVE fac AS MATERIALIZED (
      SELECT f.id, ${localDate('coalesce(f.time_zone, c.time_zone)')} AS today
        FROM org_units f JOIN clients c ON c.id = f.client_id AND c.status = 'active'
       WHERE f.client_id = $1 AND ($9::uuid[] IS NULL OR f.id = ANY ($9::uuid[]))
    ),
    items AS MATERIALIZED (
      SELECT p.id, o.offsets, greatest((SELECT max(x) FROM unnest(o.offsets) x), 0) AS horizon
        FROM plan_items p CROSS JOIN LATERAL (SELECT coalesce(p.reminder_offsets, $4::int[]) AS offsets) o
       WHERE p.client_id = $1 AND p.schedules_events AND NOT p.hidden
    ),
    ev AS (
      SELECT e.id, e.facility_id, e.assignee_id, e.due_date, i.offsets, f.today
        FROM events e
        JOIN items i ON i.id = e.plan_item_id
        JOIN fac f ON f.id = e.facility_id
        JOIN users a ON a.client_id = e.client_id AND a.id = e.assignee_id AND a.status = 'active'
       WHERE e.client_id = $1 AND e.status = 'open' AND ($9::uuid[] IS NULL OR e.facility_id = ANY ($9::uuid[]))
         AND e.due_date <= f.today + coalesce(i.horizon, 0)
    ),
    ladder AS (
      SELECT l.level::int AS level, l.days, string_to_array(l.ranks, ',') AS ranks
        FROM unnest($6::int[], $7::text[]) WITH ORDINALITY AS l(days, ranks, level)
    ),
    escalating AS (
      SELECT ev.id, ev.facility_id, ev.assignee_id, l.level, ev.due_date + l.days AS due_for
        FROM ev JOIN ladder l ON ev.today - ev.due_date >= l.days
    ),
    -- Each facility with an escalation, and every unit above it (a scope node covers all below).
    above AS (
      SELECT f.id AS facility_id, f.id AS unit_id, f.parent_id
        FROM org_units f WHERE f.client_id = $1 AND f.id IN (SELECT facility_id FROM escalating)
      UNION ALL
      SELECT a.facility_id, o.id, o.parent_id FROM above a JOIN org_units o ON o.client_id = $1 AND o.id = a.parent_id
    ),
    -- Who each level reaches at each such facility: a scope on the facility or a unit above it,
    -- or the whole organisation (as every Administrator has). Two joins on equality, not one
    -- per (user, unit) pair.
    scoped AS (
      SELECT s.user_id, s.org_unit_id FROM user_scopes s WHERE s.client_id = $1
      UNION ALL
      SELECT u.id, NULL FROM users u WHERE u.client_id = $1 AND u.rank = 'administrator'
    ),
    covering AS (
      SELECT a.facility_id, u.id AS user_id, l.level
        FROM users u JOIN ladder l ON u.rank = ANY (l.ranks) JOIN scoped s ON s.user_id = u.id JOIN above a ON a.unit_id = s.org_unit_id
       WHERE u.client_id = $1 AND u.status = 'active'
      UNION
      SELECT a.facility_id, u.id, l.level
        FROM users u JOIN ladder l ON u.rank = ANY (l.ranks) JOIN scoped s ON s.user_id = u.id AND s.org_unit_id IS NULL
       CROSS JOIN (SELECT DISTINCT facility_id FROM above) a
       WHERE u.client_id = $1 AND u.status = 'active'
    ),
    -- Per facility and level: how many it reaches and one of them, so "someone other than the
    -- assignee" is (n > 1 OR that one is not the assignee), without scanning covering per row.
    reach AS (
      SELECT facility_id, level, count(*) AS n, min(user_id::text) AS one FROM covering GROUP BY facility_id, level
    ),
    targeted AS (
      SELECT x.id, x.facility_id, x.assignee_id, x.level, x.due_for, min(r.level) AS target
        FROM escalating x
        LEFT JOIN reach r ON r.facility_id = x.facility_id AND r.level >= x.level AND (r.n > 1 OR r.one <> x.assignee_id::text)
       GROUP BY x.id, x.facility_id, x.assignee_id, x.level, x.due_for
    )
    SELECT ev.id AS "eventId", NULL::uuid AS "planItemId", ev.facility_id AS "facilityId", ev.assignee_id AS "recipientId",
           'reminder' AS kind, NULL::int AS level, r.due_for AS "dueFor"
      FROM ev CROSS JOIN LATERAL (SELECT max(ev.due_date - o) AS due_for FROM unnest(ev.offsets) o WHERE o > 0 AND ev.due_date - o <= ev.today) r
     WHERE ev.today < ev.due_date AND r.due_for IS NOT NULL
    UNION ALL
    SELECT ev.id, NULL, ev.facility_id, ev.assignee_id, 'due_today', NULL, ev.due_date FROM ev WHERE ev.today = ev.due_date
    UNION ALL
    SELECT ev.id, NULL, ev.facility_id, ev.assignee_id, 'overdue', NULL, ev.due_date + 1 + $5::int * ((ev.today - ev.due_date - 1) / $5::int)
      FROM ev WHERE ev.today > ev.due_date
    UNION ALL
    SELECT t.id, NULL, t.facility_id, cv.user_id, 'escalation', t.level, t.due_for
      FROM targeted t ${part.newEscalationsOnly ? KNOWN_ESCALATIONS : ''}
      JOIN covering cv ON cv.facility_id = t.facility_id AND cv.level = t.target AND cv.user_id <> t.assignee_id
      JOIN users u ON u.client_id = $1 AND u.id = cv.user_id
     WHERE (t.level = 1 OR NOT ('escalation' = ANY (u.notification_opt_outs)))${part.newEscalationsOnly ? ' AND (k.ids IS NULL OR cv.user_id <> ALL (k.ids))' : ''}
    UNION ALL
    SELECT NULL, NULL, NULL, u.id, 'weekly_summary', NULL, d.today - (extract(isodow FROM d.today)::int - 1)
      FROM users u JOIN clients c ON c.id = u.client_id AND c.status = 'active'
      CROSS JOIN LATERAL (SELECT ${localDate('coalesce(u.time_zone, c.time_zone)')} AS today) d
     WHERE $10::boolean AND u.client_id = $1 AND u.status = 'active' AND u.rank = ANY ($8::text[]) AND NOT ('weekly_summary' = ANY (u.notification_opt_outs))`;
  return { text, params };
}

/**
 * A planned notice `p` already in the ledger, but for the event (equal, or both null): planning
 * leaves the ledger's notices out before inserting, as one anti-join rather than a conflict
 * check per row on every pass (the unique key still decides). Planned notices carry no plan item.
 */
const KNOWN = `SELECT 1 FROM notifications n WHERE n.client_id = $1 AND n.plan_item_id IS NULL
                  AND n.recipient_id = p."recipientId" AND n.kind = p.kind AND n.due_for = p."dueFor"`;

/**
 * Planning statements are sized by the notices they may write, never by the client: an event
 * weighs 1, one overdue past the ladder's first step 10 (it escalates to everyone above), and a
 * statement takes whole facilities up to PLANNING_WEIGHT. A client's first pass over 50,000 open
 * events writes some 120,000 notices; as one statement that neared the runtime role's
 * statement_timeout on a busy machine, and a client twice that size would never be notified.
 */
export const PLANNING_WEIGHT = 50_000;

/** The client's facilities with open events, cut into planning parts; the first plans the
 *  weekly summaries as well. */
export async function planningParts(client: Client, moment: PlanningMoment, maxWeight = PLANNING_WEIGHT): Promise<PlanningPart[]> {
  const firstStep = notificationSettingsOf(client).ladder[0]?.days ?? 7;
  const today = 'date' in moment ? moment.date : todayIn(client.timeZone, moment.now);
  const weights = await sql<{ facilityId: string; weight: number }>(
    `SELECT e.facility_id AS "facilityId", sum(CASE WHEN e.due_date < $2::date - $3::int THEN 10 ELSE 1 END)::int AS weight
       FROM events e WHERE e.client_id = $1 AND e.status = 'open' GROUP BY e.facility_id ORDER BY e.facility_id`,
    [client.id, today, firstStep],
  );
  const parts: PlanningPart[] = [];
  let current: string[] = [];
  let weight = 0;
  for (const f of weights) {
    if (current.length && weight + f.weight > maxWeight) {
      parts.push({ facilityIds: current, summaries: parts.length === 0 });
      current = [];
      weight = 0;
    }
    current.push(f.facilityId);
    weight += f.weight;
  }
  parts.push({ facilityIds: current, summaries: parts.length === 0 });
  return parts;
}

/**
 * Recipients whose digest goes out in the pass that plans: their new notices are written already
 * queued, each with the id of the message that will carry it (messageId below), so a notice planned
 * and sent in one pass is written once and never passes through the queue. The pass writes those
 * messages in the same transaction, and checks that each carries exactly the notices naming it.
 */
export interface PlannedDelivery {
  recipientIds: string[];
  /** Makes the message ids of one pass its own. */
  passKey: string;
}

/** Which message of a recipient's digest slot carries a notice: the digest, the escalation
 *  message (the optional escalations), or each weekly summary its own. */
export function messageClass(kind: string, level: number | null, dueFor: string): string {
  if (kind === 'weekly_summary') return `weekly_summary:${dueFor}`;
  if (kind === 'escalation' && (level ?? 1) > 1) return 'escalation';
  return 'digest';
}

/** The id of a recipient's message of a class in a pass (what the database derives the same way). */
export function messageId(passKey: string, recipientId: string, cls: string): string {
  const h = createHash('md5').update(`${passKey}:${recipientId}:${cls}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** messageClass and messageId in SQL, over the planned row p ($12 the pass key). */
const MESSAGE_ID = `md5($12::text || ':' || p."recipientId"::text || ':' || CASE
    WHEN p.kind = 'weekly_summary' THEN 'weekly_summary:' || p."dueFor"::text
    WHEN p.kind = 'escalation' AND coalesce(p.level, 1) > 1 THEN 'escalation'
    ELSE 'digest' END)::uuid`;

export interface PlanningResult {
  /** New notices written. */
  created: number;
  /** Of those, how many each recipient of the delivery got already queued. */
  queuedFor: Map<string, number>;
}

/** Writes the planned notices into the ledger (nothing twice), part by part; returns how many were new. */
export async function recordPlannedNotices(client: Client, moment: PlanningMoment, maxWeight = PLANNING_WEIGHT): Promise<number> {
  return (await planNotices(client, moment, maxWeight)).created;
}

/** recordPlannedNotices, with the notices of `delivery`'s recipients written already queued. */
export async function planNotices(client: Client, moment: PlanningMoment, maxWeight = PLANNING_WEIGHT, delivery?: PlannedDelivery): Promise<PlanningResult> {
  const result: PlanningResult = { created: 0, queuedFor: new Map() };
  for (const part of await planningParts(client, moment, maxWeight)) {
    for (const row of await recordPlannedPart(client, moment, part, delivery)) {
      result.created += row.created;
      if (row.queued) result.queuedFor.set(row.recipientId, (result.queuedFor.get(row.recipientId) ?? 0) + row.queued);
    }
  }
  return result;
}

async function recordPlannedPart(client: Client, moment: PlanningMoment, part: PlanningPart, delivery?: PlannedDelivery) {
  const { text, params } = plannedNoticesQuery(client, moment, { ...part, newEscalationsOnly: true });
  // The delivery's recipients joined by hash (an = ANY over thousands, per row, is not).
  return sql<{ recipientId: string; created: number; queued: number }>(
    `WITH inserted AS (
       INSERT INTO notifications (client_id, event_id, plan_item_id, facility_id, recipient_id, kind, level, due_for, status, mail_id, settled_at)
       SELECT $1, p."eventId", p."planItemId", p."facilityId", p."recipientId", p.kind, p.level, p."dueFor",
              CASE WHEN o.id IS NULL THEN 'pending' ELSE 'queued' END,
              CASE WHEN o.id IS NOT NULL THEN ${MESSAGE_ID} END,
              CASE WHEN o.id IS NOT NULL THEN now() END
         FROM (${text}) p LEFT JOIN (SELECT DISTINCT id FROM unnest($11::uuid[]) AS o(id)) o ON o.id = p."recipientId"
        WHERE NOT EXISTS (${KNOWN} AND n.event_id = p."eventId") AND NOT (p."eventId" IS NULL AND EXISTS (${KNOWN} AND n.event_id IS NULL))
       ON CONFLICT ON CONSTRAINT notifications_once DO NOTHING
       RETURNING recipient_id, status)
     SELECT recipient_id AS "recipientId", count(*)::int AS created, count(*) FILTER (WHERE status = 'queued')::int AS queued
       FROM inserted GROUP BY recipient_id`,
    [...params, delivery?.recipientIds ?? [], delivery?.passKey ?? ''],
  );
}

export interface PreviewRow {
  recipient: string;
  email: string;
  kind: NotificationKind;
  level: number | null;
  activity: string | null;
  facility: string | null;
  dueDate: string | null;
  dueFor: string;
}

/**
 * What each recipient would get on `date` (every facility's and recipient's today), reading
 * only: the planned notices and the assignment notices waiting, less what the ledger has
 * already sent or skipped.
 */
export async function previewNotices(client: Client, date: string): Promise<PreviewRow[]> {
  const { text, params } = plannedNoticesQuery(client, { date });
  return sql<PreviewRow>(
    `WITH planned AS (${text}),
     assignments AS (
       SELECT n.event_id AS "eventId", n.plan_item_id AS "planItemId", n.facility_id AS "facilityId", n.recipient_id AS "recipientId",
              n.kind, n.level::int AS level, n.due_for AS "dueFor"
         FROM notification_queue q
         JOIN notifications n ON n.id = q.notification_id AND n.client_id = q.client_id
         LEFT JOIN events e ON e.client_id = n.client_id AND e.id = n.event_id
         LEFT JOIN plan_items p ON p.client_id = n.client_id AND p.id = n.plan_item_id
        WHERE q.client_id = $1 AND n.kind = 'assignment' AND n.due_for <= $2::date
          AND (n.event_id IS NULL OR (e.status = 'open' AND e.assignee_id = n.recipient_id))
          AND (n.plan_item_id IS NULL OR p.assignee_id = n.recipient_id)),
     wanted AS (SELECT * FROM planned UNION SELECT * FROM assignments)
     SELECT u.name AS recipient, u.email, w.kind, w.level, coalesce(e.activity, p.activity) AS activity, f.name AS facility,
            coalesce(e.due_date, p.next_due_date)::text AS "dueDate", w."dueFor"::text AS "dueFor"
       FROM wanted w
       JOIN users u ON u.client_id = $1 AND u.id = w."recipientId"
       LEFT JOIN events e ON e.client_id = $1 AND e.id = w."eventId"
       LEFT JOIN plan_items p ON p.client_id = $1 AND p.id = w."planItemId"
       LEFT JOIN org_units f ON f.client_id = $1 AND f.id = w."facilityId"
      WHERE NOT EXISTS (SELECT 1 FROM notifications n
                         WHERE n.client_id = $1 AND n.status <> 'pending' AND n.recipient_id = w."recipientId" AND n.kind = w.kind
                           AND n.due_for = w."dueFor" AND n.event_id IS NOT DISTINCT FROM w."eventId" AND n.plan_item_id IS NOT DISTINCT FROM w."planItemId")
      ORDER BY u.name, u.email, w.kind, e.due_date, activity`,
    params,
  );
}
