// Event generation (DESIGN.md §4): materialises the dated Events of every active Plan
// Item ahead of time, idempotently, in each facility's time zone.
//
// - "Today" is the calendar date in the facility's zone (else the client's), at the run's instant.
// - Calendar items: every occurrence of the rule (computed from the rule's start, by
//   services/plans/recurrence.ts) due on or before today + lead time, and always at least the next one on
//   or after today, even beyond the lead time.
// - Only occurrences after the item's newest existing event (its "high-water mark", whatever that
//   event's status) are ever considered. So existing events keep their dates whatever the rule says
//   now, and a rule edit never back-fills past dates the old rule did not have: editing changes only
//   future, not-yet-generated occurrences. A new item whose (confirmed) start is in the past is
//   materialised from its start: the overdue occurrences are real obligations.
// - Relative items: only the first event, at the schedule start, when the item has no event at all;
//   each later one is created when the previous is closed.
// - An item whose stored rule the engine refuses (services/plans/recurrence.ts ScheduleError) gets no
//   events and is logged; it never stops the run for other items, and the self-check reports it.
// - Inserts are INSERT … ON CONFLICT ON CONSTRAINT events_occurrence_key DO NOTHING, so two runs
//   (or two servers) never create an occurrence twice. Nothing is deleted or moved.
// - Each client runs in short system units of work (batches of items, two inserting at once),
//   while one more holds pg_try_advisory_xact_lock on the client: if another server holds it, that
//   server is doing this same client right now, so this run skips the client (reported in
//   `skippedClients`) rather than queueing behind it. The lock only saves duplicate work;
//   correctness is the unique key.
import type { Sequelize } from 'sequelize';
import { addDays, todayIn } from '../../lib/calendar-dates.ts';
import { logger } from '../../lib/logger.ts';
import { inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { type CalendarSchedule, type MonthEndPolicy, calendarDates, nextCalendarDates, ScheduleError } from '../plans/recurrence.ts';

export interface GenerationOptions {
  /** The instant of the run (tests fix it); default: now. */
  now?: Date;
  /** Only these clients; default: every client. */
  clientIds?: string[];
  /** Items per unit of work. */
  batchSize?: number;
  /** Units of work inserting at once per client (besides the one holding its lock). */
  concurrency?: number;
}

export interface GenerationResult {
  /** Clients processed (not counting skipped ones). */
  clients: number;
  /** Active items examined. */
  items: number;
  /** Events inserted by this run. */
  created: number;
  /** Clients another process was generating at the same moment (its advisory lock was held). */
  skippedClients: string[];
}

// Up to ~60,000 events per unit of work for year-long horizons (a couple of seconds). Measured ~5%
// faster than 1,000 on the benchmark. The foreign keys' key-share locks it holds meanwhile only hold
// back deleting or re-keying those items and users, which their new events forbid anyway.
const DEFAULT_BATCH = 2500;
/** Two inserting backends: ~25% faster than one on 2 cores (bench/generation.ts); more only queue. */
const DEFAULT_CONCURRENCY = 2;
/** Below the app role's idle_in_transaction_session_timeout (60 s). */
const HOLDER_HEARTBEAT_MS = 20_000;
/** First key of the two-key advisory lock; the second is the client. Arbitrary, fixed, unique in the app. */
export const GENERATION_LOCK_KEY = 0x504c4e01;

const SYSTEM = 'system' as const;

interface ItemRow {
  id: string;
  schedule_kind: 'calendar' | 'relative';
  rrule: string | null;
  schedule_start: string;
  month_end_policy: MonthEndPolicy;
  lead_time_days: number;
  /** No occurrence before this date (an item resumed after a pause), or null. */
  generate_from: string | null;
  time_zone: string;
  /** Newest scheduled date among the item's events (any status), or null. */
  last_scheduled: string | null;
}

/** The ids of every client (a system-context lookup; ids only). */
export async function allClientIds(sequelize: Sequelize): Promise<string[]> {
  const rows = await inUnitOfWork(sequelize, { actorKind: SYSTEM }, () => sql<{ id: string }>('SELECT id FROM system_client_ids() AS id'));
  return rows.map((r) => r.id);
}

/**
 * Expansions memoised for one run: many items share a rule, a start and a horizon (presets,
 * copied items, one zone per client), and expanding from the start is the expensive part.
 */
class ExpansionCache {
  private readonly windows = new Map<string, string[]>();
  private readonly nexts = new Map<string, string | null>();

  /** Occurrences from the schedule's start through `through`. */
  upTo(schedule: CalendarSchedule, through: string): string[] {
    const key = `${schedule.rrule}|${schedule.start}|${schedule.monthEnd}|${through}`;
    let dates = this.windows.get(key);
    if (!dates) {
      dates = calendarDates(schedule, { from: schedule.start, through });
      this.windows.set(key, dates);
    }
    return dates;
  }

  /** The first occurrence on or after `onOrAfter`, or null when the series has ended. */
  next(schedule: CalendarSchedule, onOrAfter: string): string | null {
    const key = `${schedule.rrule}|${schedule.start}|${schedule.monthEnd}|${onOrAfter}`;
    let date = this.nexts.get(key);
    if (date === undefined) {
      date = nextCalendarDates(schedule, 1, onOrAfter)[0] ?? null;
      this.nexts.set(key, date);
    }
    return date;
  }
}

/** The dates to insert for one item (before ON CONFLICT), ascending. Pure. */
export function datesToGenerate(item: Omit<ItemRow, 'id' | 'time_zone'>, today: string, cache = new ExpansionCache()): string[] {
  if (item.schedule_kind === 'relative') return item.last_scheduled === null ? [item.schedule_start] : [];
  const schedule: CalendarSchedule = { kind: 'calendar', rrule: item.rrule!, start: item.schedule_start, monthEnd: item.month_end_policy };
  const horizon = addDays(today, item.lead_time_days);
  const after = item.last_scheduled;
  const floor = item.generate_from;
  // Nothing new can be due: everything through the horizon, and something on or after today, exists.
  if (after !== null && after >= horizon && after >= today) return [];
  const dates = cache.upTo(schedule, horizon).filter((d) => (after === null || d > after) && (floor === null || d >= floor));
  const hasUpcoming = (after !== null && after >= today) || (dates.length > 0 && dates[dates.length - 1]! >= today);
  if (!hasUpcoming) {
    // Always at least the next one, even beyond the lead time (here nothing exists on or after today).
    const next = cache.next(schedule, floor !== null && floor > today ? floor : today);
    if (next !== null && (after === null || next > after)) dates.push(next);
  }
  return dates;
}

/** The given (active) items of one client, inside the caller's unit of work: reads them, computes their dates, inserts. */
async function generateBatch(
  clientId: string,
  now: Date,
  cache: ExpansionCache,
  opts: { planItemIds: string[]; lastScheduled?: Map<string, string> },
): Promise<{ items: number; created: number; dues: DueInputs }> {
  const items = await sql<Omit<ItemRow, 'last_scheduled'>>(
    `SELECT p.id, p.schedule_kind, p.rrule, p.schedule_start::text AS schedule_start, p.month_end_policy, p.lead_time_days,
            p.generate_from::text AS generate_from, coalesce(f.time_zone, c.time_zone) AS time_zone
       FROM plan_items p
       JOIN org_units f ON f.client_id = p.client_id AND f.id = p.facility_id
       JOIN clients c ON c.id = p.client_id
      WHERE p.client_id = $1 AND p.schedules_events AND NOT p.hidden
        AND p.id = ANY ($2::uuid[])
      ORDER BY p.id`,
    [clientId, opts.planItemIds],
  );
  if (items.length === 0) return { items: 0, created: 0, dues: { ids: [], todays: [], relative: [] } };
  const ids = items.map((i) => i.id);
  // Set-based rather than a subquery per item: events may have grown a lot within this very run,
  // before any ANALYZE, and a per-item scan planned on stale statistics would be quadratic.
  const lastScheduled = opts.lastScheduled ?? (await highWaterMarks(clientId, ids));

  const insertIds: string[] = [];
  const insertDates: string[] = [];
  const todays: string[] = [];
  for (const item of items) {
    const today = todayIn(item.time_zone, now);
    todays.push(today);
    let dates: string[];
    try {
      dates = datesToGenerate({ ...item, last_scheduled: lastScheduled.get(item.id) ?? null }, today, cache);
    } catch (error) {
      // A stored rule the engine now refuses (e.g. too costly to expand) stops only this item; the
      // daily self-check lists it as an active item without a future occurrence.
      if (!(error instanceof ScheduleError)) throw error;
      logger.warn({ clientId, planItemId: item.id, reason: error.message }, 'plan item schedule cannot be expanded; no events generated');
      continue;
    }
    for (const date of dates) {
      insertIds.push(item.id);
      insertDates.push(date);
    }
  }

  let created = 0;
  if (insertIds.length) {
    // Snapshot of the item as it is now; sorted so concurrent inserters lock keys in one order.
    const [row] = await sql<{ created: number }>(
      `WITH inserted AS (
         INSERT INTO events (client_id, plan_item_id, facility_id, activity, description, additional_information,
                             scheduled_date, due_date, assignee_id, status)
         SELECT p.client_id, p.id, p.facility_id, p.activity, p.description, p.additional_information, v.d, v.d, p.assignee_id, 'open'
           FROM unnest($2::uuid[], $3::date[]) AS v(item_id, d)
           JOIN plan_items p ON p.client_id = $1 AND p.id = v.item_id
          ORDER BY v.item_id, v.d
         ON CONFLICT ON CONSTRAINT events_occurrence_key DO NOTHING
         RETURNING 1)
       SELECT count(*)::int AS created FROM inserted`,
      [clientId, insertIds, insertDates],
    );
    created = row!.created;
  }

  return { items: items.length, created, dues: { ids, todays, relative: items.map((i) => i.schedule_kind === 'relative') } };
}

/** The newest scheduled date per item (all the client's items when `ids` is omitted). */
async function highWaterMarks(clientId: string, ids?: string[]): Promise<Map<string, string>> {
  const marks = await sql<{ plan_item_id: string; last_scheduled: string }>(
    `SELECT plan_item_id, max(scheduled_date)::text AS last_scheduled FROM events
      WHERE client_id = $1 AND ($2::uuid[] IS NULL OR plan_item_id = ANY ($2::uuid[])) GROUP BY plan_item_id`,
    [clientId, ids ?? null],
  );
  return new Map(marks.map((m) => [m.plan_item_id, m.last_scheduled]));
}

interface DueInputs {
  ids: string[];
  todays: string[];
  relative: boolean[];
}

/**
 * next_due_date: the earliest open event due on or after the facility's today (relative items:
 * their one open event, even when overdue). Written only when it changes. One statement for many
 * items: a single pass over the client's events beats one index probe per item planned blind.
 */
async function updateNextDueDates(clientId: string, dues: DueInputs): Promise<void> {
  if (dues.ids.length === 0) return;
  await sql(
    `WITH v AS (SELECT * FROM unnest($2::uuid[], $3::date[], $4::boolean[]) AS v(item_id, today, relative)),
          n AS (SELECT v.item_id, min(e.due_date) AS next_due
                  FROM v LEFT JOIN events e
                    ON e.client_id = $1 AND e.plan_item_id = v.item_id AND e.status = 'open' AND (v.relative OR e.due_date >= v.today)
                 GROUP BY v.item_id)
     UPDATE plan_items p SET next_due_date = n.next_due
       FROM n
      WHERE p.client_id = $1 AND p.id = n.item_id AND p.next_due_date IS DISTINCT FROM n.next_due`,
    [clientId, dues.ids, dues.todays, dues.relative],
  );
}

/**
 * Generates for the given items of the client inside the caller's unit of work (e.g. right after
 * a Plan Item is saved). No advisory lock: the unique key already makes it safe to overlap a job.
 */
export async function generateForItems(clientId: string, planItemIds: string[], now: Date = new Date()): Promise<{ items: number; created: number }> {
  if (planItemIds.length === 0) return { items: 0, created: 0 };
  const { items, created, dues } = await generateBatch(clientId, now, new ExpansionCache(), { planItemIds });
  await updateNextDueDates(clientId, dues);
  return { items, created };
}

/** Runs generation for every client (or the given ones), each in its own short units of work. */
export async function generateEvents(sequelize: Sequelize, options: GenerationOptions = {}): Promise<GenerationResult> {
  const now = options.now ?? new Date();
  const run = { now, limit: options.batchSize ?? DEFAULT_BATCH, concurrency: Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY), cache: new ExpansionCache() };
  const clientIds = options.clientIds ?? (await allClientIds(sequelize));
  const result: GenerationResult = { clients: 0, items: 0, created: 0, skippedClients: [] };
  for (const clientId of clientIds) {
    const done = await generateClient(sequelize, clientId, run);
    if (!done) {
      result.skippedClients.push(clientId);
      continue;
    }
    result.clients += 1;
    result.items += done.items;
    result.created += done.created;
  }
  return result;
}

interface ClientPlan {
  lastScheduled: Map<string, string>;
  /** The client's active items, in batches. */
  batches: string[][];
}

/**
 * One client: a holder unit of work takes the client's advisory lock (or gives up: another
 * process is on it) and keeps it while `concurrency` workers insert batches in their own units of
 * work (PostgreSQL spends the time in per-row insert work, so two backends nearly halve it); then
 * the holder writes the items' next due dates. The lock only saves duplicate work; correctness is
 * the unique key. Resolves null when skipped.
 */
async function generateClient(
  sequelize: Sequelize,
  clientId: string,
  run: { now: Date; limit: number; concurrency: number; cache: ExpansionCache },
): Promise<{ items: number; created: number } | null> {
  const context = { actorKind: SYSTEM, clientId };
  const planned = deferred<ClientPlan | null>();
  const worked = deferred<DueInputs>();
  const holder = inUnitOfWork(sequelize, context, async () => {
    const [lock] = await sql<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1::int, hashtext($2::text)) AS ok', [GENERATION_LOCK_KEY, clientId]);
    if (!lock!.ok) return planned.resolve(null);
    // Every item's high-water mark in one pass, read before the batches: an event another
    // process adds meanwhile only meets ON CONFLICT.
    const lastScheduled = await highWaterMarks(clientId);
    const ids = (await sql<{ id: string }>('SELECT id FROM plan_items WHERE client_id = $1 AND schedules_events AND NOT hidden ORDER BY id', [clientId])).map((r) => r.id);
    const batches: string[][] = [];
    for (let i = 0; i < ids.length; i += run.limit) batches.push(ids.slice(i, i + run.limit));
    planned.resolve({ lastScheduled, batches });
    // The items' next due dates, once their events exist.
    await updateNextDueDates(clientId, await holdUntil(worked.promise));
  });
  holder.catch(planned.reject);
  const plan = await planned.promise;
  if (!plan) {
    await holder;
    return null;
  }

  const totals = { items: 0, created: 0 };
  const dues: DueInputs = { ids: [], todays: [], relative: [] };
  let next = 0;
  const worker = async () => {
    while (next < plan.batches.length) {
      const planItemIds = plan.batches[next++]!;
      const batch = await inUnitOfWork(sequelize, context, () =>
        generateBatch(clientId, run.now, run.cache, { planItemIds, lastScheduled: plan.lastScheduled }),
      );
      totals.items += batch.items;
      totals.created += batch.created;
      dues.ids.push(...batch.dues.ids);
      dues.todays.push(...batch.dues.todays);
      dues.relative.push(...batch.dues.relative);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(run.concurrency, plan.batches.length) }, worker));
  } catch (error) {
    worked.reject(error);
    await holder.catch(() => undefined);
    throw error;
  }
  worked.resolve(dues);
  await holder;
  return totals;
}

/** Waits for `done` inside the current unit of work, touching it now and then so an idle timeout never ends it (and its lock). */
async function holdUntil<T>(done: Promise<T>): Promise<T> {
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const tick = new Promise<'tick'>((resolve) => (timer = setTimeout(() => resolve('tick'), HOLDER_HEARTBEAT_MS)));
    const outcome = await Promise.race([done.then((value) => ({ value })), tick]).finally(() => clearTimeout(timer));
    if (outcome !== 'tick') return outcome.value;
    await sql('SELECT 1');
  }
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  promise.catch(() => undefined); // rejections are handled where the promise is awaited
  return { promise, resolve, reject };
}

// ---------------------------------------------------------------------------------------------
// Self-check

export interface ItemWithoutFutureOccurrence {
  clientId: string;
  planItemId: string;
  facilityId: string;
}

/**
 * Active items (scheduling events, not hidden) whose schedule yields no occurrence on or after
 * today in their facility's zone: a calendar rule ended by COUNT/UNTIL, or a relative item with no
 * open event. Such an item has silently stopped, which DESIGN.md §4 forbids, so it is reported.
 */
export async function findItemsWithoutFutureOccurrence(
  sequelize: Sequelize,
  now: Date = new Date(),
  options: { clientIds?: string[] } = {},
): Promise<ItemWithoutFutureOccurrence[]> {
  const clientIds = options.clientIds ?? (await allClientIds(sequelize));
  const cache = new ExpansionCache();
  const found: ItemWithoutFutureOccurrence[] = [];
  for (const clientId of clientIds) {
    const rows = await inUnitOfWork(sequelize, { actorKind: SYSTEM, clientId }, () =>
      sql<ItemRow & { facility_id: string; open_events: number }>(
        `WITH active AS (
           SELECT p.id, p.facility_id, p.schedule_kind, p.rrule, p.schedule_start::text AS schedule_start, p.month_end_policy, p.lead_time_days,
                  coalesce(f.time_zone, c.time_zone) AS time_zone
             FROM plan_items p
             JOIN org_units f ON f.client_id = p.client_id AND f.id = p.facility_id
             JOIN clients c ON c.id = p.client_id
            WHERE p.client_id = $1 AND p.schedules_events AND NOT p.hidden),
         relative_events AS (
           SELECT e.plan_item_id, max(e.scheduled_date)::text AS last_scheduled, (count(*) FILTER (WHERE e.status = 'open'))::int AS open_events
             FROM events e
            WHERE e.client_id = $1 AND e.plan_item_id IN (SELECT id FROM active WHERE schedule_kind = 'relative')
            GROUP BY e.plan_item_id)
         SELECT a.*, r.last_scheduled, coalesce(r.open_events, 0) AS open_events
           FROM active a LEFT JOIN relative_events r ON r.plan_item_id = a.id
          ORDER BY a.id`,
        [clientId],
      ),
    );
    for (const item of rows) {
      const today = todayIn(item.time_zone, now);
      let future: boolean;
      if (item.schedule_kind === 'relative') {
        // Its next date exists once an event is open; a brand-new item's first is generated next run.
        future = item.open_events > 0 || item.last_scheduled === null;
      } else {
        const schedule: CalendarSchedule = { kind: 'calendar', rrule: item.rrule!, start: item.schedule_start, monthEnd: item.month_end_policy };
        try {
          future = cache.next(schedule, today) !== null;
        } catch (error) {
          if (!(error instanceof ScheduleError)) throw error;
          future = false; // a rule that cannot be expanded schedules nothing: report it
        }
      }
      if (!future) found.push({ clientId, planItemId: item.id, facilityId: item.facility_id });
    }
  }
  return found;
}

/** The self-check as the daily job runs it: one warning per affected client, ids and counts only. */
export async function runSelfCheck(sequelize: Sequelize, now: Date = new Date()): Promise<ItemWithoutFutureOccurrence[]> {
  const found = await findItemsWithoutFutureOccurrence(sequelize, now);
  const byClient = new Map<string, string[]>();
  for (const f of found) byClient.set(f.clientId, [...(byClient.get(f.clientId) ?? []), f.planItemId]);
  for (const [clientId, planItemIds] of byClient) {
    logger.warn({ clientId, count: planItemIds.length, planItemIds: planItemIds.slice(0, 50) }, 'active plan items without a future occurrence');
  }
  return found;
}
