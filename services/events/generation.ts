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
// - Inserts are INSERT … ON CONFLICT ON CONSTRAINT events_occurrence_key DO NOTHING, so two runs
//   (or two servers) never create an occurrence twice. Nothing is deleted or moved.
// - Each client runs in short system units of work (whole items, cut by the rows they insert,
//   two inserting at once), while one more holds pg_try_advisory_xact_lock on the client: if
//   another server holds it, that server is doing this same client right now, so this run skips
//   the client (reported in `skippedClients`) rather than queueing behind it. The lock only saves
//   duplicate work; correctness is the unique key.
// - Statements are sized by rows (at most MAX_ROWS_PER_STATEMENT events per INSERT), so no client,
//   however many daily items and however long its lead time, makes a statement that outgrows the
//   runtime role's statement_timeout.
// - One bad item never stops the others: an item whose dates cannot be computed (a corrupt stored
//   rule), or whose rows the database refuses, is set aside (its rows roll back to a savepoint) and
//   reported in `failures`, on the admin errors page (app_errors) and by the self-check; a client
//   that fails as a whole is reported the same way and the run goes on with the next client.
import type { Sequelize } from 'sequelize';
import { addDays, todayIn } from '../../lib/calendar-dates.ts';
import { logger } from '../../lib/logger.ts';
import { inSavepoint, inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { type JobError, recordJobErrors } from '../admin/app-errors.ts';
import { frozenAmong } from '../operations/freeze.ts';
import { type CalendarSchedule, type MonthEndPolicy, calendarDates, nextCalendarDates } from '../plans/recurrence.ts';

export interface GenerationOptions {
  /** The instant of the run (tests fix it); default: now. */
  now?: Date;
  /** Only these clients; default: every client. */
  clientIds?: string[];
  /** At most this many items per unit of work (tests make it small so runs interleave); default: no limit. */
  batchSize?: number;
  /** About this many events per unit of work (whole items, so one may exceed it). */
  rowsPerUnit?: number;
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
  /** Clients this run inserted events for. */
  clientsWithNewEvents: string[];
  /** Clients whose data is frozen: passed by, and caught up by the first pass after the thaw. */
  frozenClients: string[];
  /** Items (or, with planItemId null, whole clients) whose generation failed this run; the rest went on. */
  failures: GenerationFailure[];
}

export interface GenerationFailure {
  clientId: string;
  /** Null when the client failed as a whole (its reads, its lock, the connection). */
  planItemId: string | null;
  facilityId: string | null;
  /** "Name: message" of the error. */
  error: string;
}

// Statements and units of work are sized by the rows they insert, never by items: a batch of
// 2,500 daily items with a 90-day lead time was one 225,000-row INSERT that passed the runtime
// role's 15 s statement_timeout, so that client's events stopped for good. 5,000 rows take well
// under a second, and larger statements measured no faster (bench/generation.ts). The foreign keys'
// key-share locks a unit holds meanwhile only hold back deleting or re-keying those items and
// users, which their new events forbid anyway.
export const MAX_ROWS_PER_STATEMENT = 5_000;
const DEFAULT_ROWS_PER_UNIT = 5_000;
/** Items per next-due-date UPDATE: linear in the items' events, kept well under the timeout. */
const MAX_ITEMS_PER_UPDATE = 5_000;
/** Two inserting backends: ~25% faster than one on 2 cores (bench/generation.ts); more only queue. */
const DEFAULT_CONCURRENCY = 2;
/** Below the app role's idle_in_transaction_session_timeout (60 s). */
const HOLDER_HEARTBEAT_MS = 20_000;
/** First key of the two-key advisory lock; the second is the client. Arbitrary, fixed, unique in the app. */
export const GENERATION_LOCK_KEY = 0x504c4e01;

const SYSTEM = 'system' as const;

interface ItemRow {
  id: string;
  facility_id: string;
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
export function datesToGenerate(item: Omit<ItemRow, 'id' | 'facility_id' | 'time_zone'>, today: string, cache = new ExpansionCache()): string[] {
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

/** An item ready to insert: its dates (possibly none) and what its next-due update needs. */
interface PlannedItem {
  id: string;
  today: string;
  relative: boolean;
  dates: string[];
}

/** One item's dates; throws what the rule or the zone throws (a corrupt stored rule, say). */
function planItem(item: ItemRow, now: Date, cache: ExpansionCache): PlannedItem {
  const today = todayIn(item.time_zone, now);
  return { id: item.id, today, relative: item.schedule_kind === 'relative', dates: datesToGenerate(item, today, cache) };
}

/** The client's active items (or the given ones among them), with their zones, ordered by id. */
function readItems(clientId: string, planItemIds: string[] | null): Promise<Omit<ItemRow, 'last_scheduled'>[]> {
  return sql<Omit<ItemRow, 'last_scheduled'>>(
    `SELECT p.id, p.facility_id, p.schedule_kind, p.rrule, p.schedule_start::text AS schedule_start, p.month_end_policy, p.lead_time_days,
            p.generate_from::text AS generate_from, coalesce(f.time_zone, c.time_zone) AS time_zone
       FROM plan_items p
       JOIN org_units f ON f.client_id = p.client_id AND f.id = p.facility_id
       JOIN clients c ON c.id = p.client_id
      WHERE p.client_id = $1 AND p.schedules_events AND NOT p.hidden
        AND ($2::uuid[] IS NULL OR p.id = ANY ($2::uuid[]))
      ORDER BY p.id`,
    [clientId, planItemIds],
  );
}

/**
 * Inserts the items' dates in the current unit of work, at most MAX_ROWS_PER_STATEMENT rows per
 * statement (an item with more spans several, all in this one transaction).
 */
async function insertEvents(clientId: string, items: PlannedItem[]): Promise<number> {
  let created = 0;
  let ids: string[] = [];
  let dates: string[] = [];
  const flush = async () => {
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
      [clientId, ids, dates],
    );
    created += row!.created;
    ids = [];
    dates = [];
  };
  for (const item of items) {
    for (const date of item.dates) {
      ids.push(item.id);
      dates.push(date);
      if (ids.length === MAX_ROWS_PER_STATEMENT) await flush();
    }
  }
  if (ids.length) await flush();
  return created;
}

/**
 * insertEvents in a savepoint; when it fails, its items are split in halves and retried, down to
 * the one item that fails, which is set aside. An item's rows always stay in one savepoint, so an
 * item is generated whole or not at all (its high-water mark never skips dates).
 */
async function insertIsolated(clientId: string, items: PlannedItem[], failed: Array<{ id: string; error: unknown }>): Promise<number> {
  try {
    return await inSavepoint(() => insertEvents(clientId, items));
  } catch (error) {
    if (items.length === 1) {
      failed.push({ id: items[0]!.id, error });
      return 0;
    }
    const half = Math.ceil(items.length / 2);
    return (await insertIsolated(clientId, items.slice(0, half), failed)) + (await insertIsolated(clientId, items.slice(half), failed));
  }
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

/**
 * next_due_date: the earliest open event due on or after the facility's today (relative items:
 * their one open event, even when overdue). Written only when it changes. One statement per
 * MAX_ITEMS_PER_UPDATE items: a single pass over their events beats one index probe per item
 * planned blind, and the cap keeps a client with very many items under the statement timeout.
 */
async function updateNextDueDates(clientId: string, items: PlannedItem[]): Promise<void> {
  for (let i = 0; i < items.length; i += MAX_ITEMS_PER_UPDATE) {
    const slice = items.slice(i, i + MAX_ITEMS_PER_UPDATE);
    await sql(
      `WITH v AS (SELECT * FROM unnest($2::uuid[], $3::date[], $4::boolean[]) AS v(item_id, today, relative)),
            n AS (SELECT v.item_id, min(e.due_date) AS next_due
                    FROM v LEFT JOIN events e
                      ON e.client_id = $1 AND e.plan_item_id = v.item_id AND e.status = 'open' AND (v.relative OR e.due_date >= v.today)
                   GROUP BY v.item_id)
       UPDATE plan_items p SET next_due_date = n.next_due
         FROM n
        WHERE p.client_id = $1 AND p.id = n.item_id AND p.next_due_date IS DISTINCT FROM n.next_due`,
      [clientId, slice.map((s) => s.id), slice.map((s) => s.today), slice.map((s) => s.relative)],
    );
  }
}

/**
 * Generates for the given items of the client inside the caller's unit of work (e.g. right after
 * a Plan Item is saved). No advisory lock: the unique key already makes it safe to overlap a job.
 * A failure here is the caller's (the save it belongs to fails with it).
 */
export async function generateForItems(clientId: string, planItemIds: string[], now: Date = new Date()): Promise<{ items: number; created: number }> {
  if (planItemIds.length === 0) return { items: 0, created: 0 };
  const rows = await readItems(clientId, planItemIds);
  if (rows.length === 0) return { items: 0, created: 0 };
  const marks = await highWaterMarks(clientId, rows.map((r) => r.id));
  const cache = new ExpansionCache();
  const planned = rows.map((r) => planItem({ ...r, last_scheduled: marks.get(r.id) ?? null }, now, cache));
  const created = await insertEvents(clientId, planned);
  await updateNextDueDates(clientId, planned);
  return { items: rows.length, created };
}

/** Runs generation for every client (or the given ones), each in its own short units of work. */
export async function generateEvents(sequelize: Sequelize, options: GenerationOptions = {}): Promise<GenerationResult> {
  const now = options.now ?? new Date();
  const run = {
    now,
    unitRows: Math.max(1, options.rowsPerUnit ?? DEFAULT_ROWS_PER_UNIT),
    unitItems: Math.max(1, options.batchSize ?? Infinity),
    concurrency: Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY),
    cache: new ExpansionCache(),
  };
  const clientIds = options.clientIds ?? (await allClientIds(sequelize));
  const frozen = await inUnitOfWork(sequelize, { actorKind: SYSTEM }, () => frozenAmong(clientIds));
  const result: GenerationResult = { clients: 0, items: 0, created: 0, skippedClients: [], clientsWithNewEvents: [], frozenClients: [...frozen], failures: [] };
  for (const clientId of clientIds) {
    if (frozen.has(clientId)) continue;
    let done: ClientOutcome | null;
    try {
      done = await generateClient(sequelize, clientId, run);
    } catch (error) {
      // Something beyond one item (the client's reads, its lock, the connection): the next
      // client still gets its events; this one is retried next pass.
      done = { items: 0, created: 0, failures: [{ clientId, planItemId: null, facilityId: null, error: describeError(error) }] };
      await recordFailures(sequelize, done.failures, [error]);
      result.failures.push(...done.failures);
      continue;
    }
    if (!done) {
      result.skippedClients.push(clientId);
      continue;
    }
    result.clients += 1;
    result.items += done.items;
    result.created += done.created;
    if (done.created) result.clientsWithNewEvents.push(clientId);
    result.failures.push(...done.failures);
  }
  return result;
}

type ClientOutcome = { items: number; created: number; failures: GenerationFailure[] };

/**
 * One client: a holder unit of work takes the client's advisory lock (or gives up: another
 * process is on it), reads the items and their high-water marks, and keeps the lock while
 * `concurrency` workers insert in their own units of work (PostgreSQL spends the time in per-row
 * insert work, so two backends nearly halve it); then the holder writes the items' next due
 * dates. Units of work are cut by rows (whole items, about `unitRows` rows each), never by item
 * count, so a client of daily items with a long lead time makes more units, not longer statements.
 * An item that fails (its rule, or its rows) is set aside and reported; the others go on.
 * Resolves null when skipped.
 */
async function generateClient(
  sequelize: Sequelize,
  clientId: string,
  run: { now: Date; unitRows: number; unitItems: number; concurrency: number; cache: ExpansionCache },
): Promise<ClientOutcome | null> {
  const context = { actorKind: SYSTEM, clientId };
  const read = deferred<Array<Omit<ItemRow, 'last_scheduled'> & { last_scheduled: string | null }> | null>();
  const worked = deferred<PlannedItem[]>();
  const holder = inUnitOfWork(sequelize, context, async () => {
    const [lock] = await sql<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1::int, hashtext($2::text)) AS ok', [GENERATION_LOCK_KEY, clientId]);
    if (!lock!.ok) return read.resolve(null);
    // Every item's high-water mark in one pass, read before any insert: an event another
    // process adds meanwhile only meets ON CONFLICT.
    const marks = await highWaterMarks(clientId);
    const rows = await readItems(clientId, null);
    read.resolve(rows.map((r) => ({ ...r, last_scheduled: marks.get(r.id) ?? null })));
    // The items' next due dates, once their events exist.
    await updateNextDueDates(clientId, await holdUntil(worked.promise));
  });
  holder.catch(read.reject);
  const items = await read.promise;
  if (!items) {
    await holder;
    return null;
  }

  const failures = new Map<string, { error: unknown; facilityId: string }>();
  const facilityOf = new Map(items.map((i) => [i.id, i.facility_id]));
  const planned: PlannedItem[] = [];
  let next = 0;
  /** The next unit of work's items (whole items, about unitRows rows), planned now; null when done. */
  const takeUnit = (): PlannedItem[] | null => {
    const unit: PlannedItem[] = [];
    let rows = 0;
    while (next < items.length && rows < run.unitRows && unit.length < run.unitItems) {
      const item = items[next++]!;
      try {
        const p = planItem(item, run.now, run.cache);
        planned.push(p);
        if (p.dates.length) {
          unit.push(p);
          rows += p.dates.length;
        }
      } catch (error) {
        failures.set(item.id, { error, facilityId: item.facility_id });
      }
    }
    return unit.length || next < items.length ? unit : null;
  };

  let created = 0;
  let stopped = false;
  const worker = async () => {
    for (let unit = takeUnit(); unit && !stopped; unit = takeUnit()) {
      if (unit.length === 0) continue;
      const failed: Array<{ id: string; error: unknown }> = [];
      let inserted: number;
      try {
        inserted = await inUnitOfWork(sequelize, context, () => insertEvents(clientId, unit));
      } catch {
        // The unit rolled back whole: redo it with each part in a savepoint, to find the item(s)
        // at fault. Only then: subtransactions would slow every insert down.
        inserted = await inUnitOfWork(sequelize, context, () => insertIsolated(clientId, unit, failed));
      }
      created += inserted; // not `created += await …`, which would add to a stale total
      for (const f of failed) failures.set(f.id, { error: f.error, facilityId: facilityOf.get(f.id)! });
    }
  };
  const outcomes = await Promise.allSettled(
    Array.from({ length: run.concurrency }, () =>
      worker().catch((error: unknown) => {
        stopped = true;
        throw error;
      }),
    ),
  );
  const crashed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (crashed) {
    worked.reject(crashed.reason);
    await holder.catch(() => undefined);
    throw crashed.reason;
  }
  worked.resolve(planned.filter((p) => !failures.has(p.id)));
  await holder;

  const list: GenerationFailure[] = [...failures].map(([planItemId, f]) => ({ clientId, planItemId, facilityId: f.facilityId, error: describeError(f.error) }));
  await recordFailures(sequelize, list, [...failures.values()].map((f) => f.error));
  return { items: items.length, created, failures: list };
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
// Failures

/** "Name: message" of an error, for reports (the message of a rule error quotes the rule). */
function describeError(error: unknown): string {
  const e = error as { name?: string; message?: string; parent?: { code?: string } };
  const code = e?.parent?.code ? ` [SQLSTATE ${e.parent.code}]` : '';
  return `${e?.name ?? 'Error'}: ${e?.message ?? String(error)}${code}`.slice(0, 1000);
}

/** The same failure is written to app_errors at most once a day, by whichever server meets it
 *  first (the job runs every 15 minutes on every server). */
const RECORD_AGAIN_MS = 24 * 60 * 60_000;
/** A client with many failing items gets this many rows, then one that counts the rest. */
const MAX_RECORDED_PER_CLIENT = 20;

/** Records generation failures for the admin errors page (app_errors): ids and the error only. */
async function recordFailures(sequelize: Sequelize, failures: GenerationFailure[], errors: unknown[]): Promise<void> {
  const entries: JobError[] = failures.slice(0, MAX_RECORDED_PER_CLIENT).map((f, i) => ({ where: generationFailureWhere(f), error: errors[i] }));
  const more = failures.length - entries.length;
  if (more > 0) {
    const [first] = failures;
    entries.push({ where: `event generation: client ${first!.clientId}`, error: new Error(`${more} more plan item(s) failed generation (npm run events:generate lists them all)`) });
  }
  await recordJobErrors(sequelize, entries, { againAfterMs: RECORD_AGAIN_MS });
}

export function generationFailureWhere(f: Pick<GenerationFailure, 'clientId' | 'planItemId'>): string {
  return `event generation: client ${f.clientId}${f.planItemId ? ` plan item ${f.planItemId}` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// Self-check

export interface ItemWithoutFutureOccurrence {
  clientId: string;
  planItemId: string;
  facilityId: string;
  /**
   * Set when the item could not be checked or generated ("Name: message"): its schedule could
   * not be evaluated, or its generation failed. Absent: its schedule has simply ended.
   */
  failure?: string;
}

/**
 * Active items (scheduling events, not hidden) whose schedule yields no occurrence on or after
 * today in their facility's zone: a calendar rule ended by COUNT/UNTIL, or a relative item with no
 * open event. Such an item has silently stopped, which DESIGN.md §4 forbids, so it is reported.
 * So is an item whose schedule cannot be evaluated (say, a corrupt stored rule), and every item
 * of `generationFailures` (a generation run's failures), with its error in `failure`.
 */
export async function findItemsWithoutFutureOccurrence(
  sequelize: Sequelize,
  now: Date = new Date(),
  options: { clientIds?: string[]; generationFailures?: GenerationFailure[] } = {},
): Promise<ItemWithoutFutureOccurrence[]> {
  const clientIds = options.clientIds ?? (await allClientIds(sequelize));
  const cache = new ExpansionCache();
  const found: ItemWithoutFutureOccurrence[] = [];
  for (const clientId of clientIds) {
    const rows = await inUnitOfWork(sequelize, { actorKind: SYSTEM, clientId }, () =>
      sql<ItemRow & { open_events: number }>(
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
      try {
        const today = todayIn(item.time_zone, now);
        let future: boolean;
        if (item.schedule_kind === 'relative') {
          // Its next date exists once an event is open; a brand-new item's first is generated next run.
          future = item.open_events > 0 || item.last_scheduled === null;
        } else {
          const schedule: CalendarSchedule = { kind: 'calendar', rrule: item.rrule!, start: item.schedule_start, monthEnd: item.month_end_policy };
          future = cache.next(schedule, today) !== null;
        }
        if (!future) found.push({ clientId, planItemId: item.id, facilityId: item.facility_id });
      } catch (error) {
        found.push({ clientId, planItemId: item.id, facilityId: item.facility_id, failure: describeError(error) });
      }
    }
  }
  // A generation failure says more than "cannot be evaluated" or "has ended": it replaces those.
  const listed = new Map(found.map((f) => [f.planItemId, f]));
  for (const g of options.generationFailures ?? []) {
    if (!g.planItemId || !clientIds.includes(g.clientId)) continue;
    listed.set(g.planItemId, { clientId: g.clientId, planItemId: g.planItemId, facilityId: g.facilityId!, failure: g.error });
  }
  return [...listed.values()];
}

/**
 * The self-check as the daily job runs it: one warning per affected client, ids and counts only,
 * and one per client with failing items (ids and errors; the rows are on the admin errors page).
 * `generationFailures`: the latest generation pass's, which it reports with the rest.
 */
export async function runSelfCheck(
  sequelize: Sequelize,
  now: Date = new Date(),
  options: { generationFailures?: GenerationFailure[] } = {},
): Promise<ItemWithoutFutureOccurrence[]> {
  const found = await findItemsWithoutFutureOccurrence(sequelize, now, options);
  const group = (list: ItemWithoutFutureOccurrence[]) => {
    const byClient = new Map<string, ItemWithoutFutureOccurrence[]>();
    for (const f of list) byClient.set(f.clientId, [...(byClient.get(f.clientId) ?? []), f]);
    return byClient;
  };
  for (const [clientId, items] of group(found.filter((f) => !f.failure))) {
    logger.warn({ clientId, count: items.length, planItemIds: items.slice(0, 50).map((f) => f.planItemId) }, 'active plan items without a future occurrence');
  }
  for (const [clientId, items] of group(found.filter((f) => f.failure))) {
    logger.warn(
      { clientId, count: items.length, failures: items.slice(0, 50).map((f) => ({ planItemId: f.planItemId, error: f.failure })) },
      'active plan items failing event generation',
    );
  }
  // Whole clients that failed have no item to list: each gets its own line.
  for (const g of options.generationFailures ?? []) {
    if (!g.planItemId) logger.warn({ clientId: g.clientId, error: g.error }, 'event generation failed for a whole client');
  }
  return found;
}
