// One transaction per request or job step, carrying the authorization context that row-level
// security reads. This is the only module that calls set_config (DESIGN.md §8.2).
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { QueryTypes, Sequelize, Transaction } from 'sequelize';
import { PortalReader } from './portal-reader.ts';
import { UUID_PATTERN as uuidPattern } from './uuid.ts';

export type ActorKind = 'user' | 'staff' | 'system' | 'anonymous';

/** Who is acting, for RLS (the set_config values) and for the audit log (the request details). */
export interface UnitOfWorkContext {
  actorKind: ActorKind;
  clientId?: string | null;
  userId?: string | null;
  staffId?: string | null;
  supportSessionId?: string | null;
  requestId?: string;
  ip?: string;
  userAgent?: string;
}

/** The facility scope the unit of work set at its start (what app_scope_all() and
 *  app_scope_units() read for the rest of the transaction). */
export interface UnitScope {
  whole: boolean;
  units: string[];
}

interface ActiveUnit {
  context: UnitOfWorkContext;
  transaction: Transaction;
  sequelize: Sequelize;
  scope: UnitScope;
  /** The opening read and its rows, until taken. */
  openingRead?: { text: string; rows?: object[] };
  /** Settles when the statement sent last by sql() has its answer. */
  lastStatement?: Promise<void>;
}

/** Sequelize 6 expects a cls-hooked namespace; this one is backed by AsyncLocalStorage. */
class AsyncLocalNamespace {
  private readonly storage = new AsyncLocalStorage<Map<string, unknown>>();
  run<T>(fn: (context: Map<string, unknown>) => T): T {
    const context = new Map(this.storage.getStore());
    return this.storage.run(context, () => fn(context));
  }
  get(key: string): unknown {
    return this.storage.getStore()?.get(key);
  }
  set<T>(key: string, value: T): T {
    // Outside a run (a context lost across an await import() under loader hooks) there is
    // nothing to set: Sequelize then finds no transaction and the query guard refuses the query.
    // Throwing here instead would keep Transaction#cleanup from releasing its connection.
    this.storage.getStore()?.set(key, value);
    return value;
  }
  bind<F extends (...args: never[]) => unknown>(fn: F): F {
    return AsyncLocalStorage.bind(fn) as F;
  }
}

const namespace = new AsyncLocalNamespace();
const units = new AsyncLocalStorage<ActiveUnit>();
Sequelize.useCLS(namespace as never);

/** Queries that may run without a unit of work: they read no tenant data. */
export type OutsideUnitOfWorkReason = 'health';

declare module 'sequelize' {
  interface QueryOptions {
    outsideUnitOfWork?: OutsideUnitOfWorkReason;
  }
}

export class OutsideUnitOfWorkError extends Error {}

/** Marks the transactions inUnitOfWork opens; any other transaction carries no context. */
const UNIT_OF_WORK = Symbol('unit of work');

/** Installs the guard that refuses any query outside a unit of work, except the allowlist. */
export function guardQueries(sequelize: Sequelize): void {
  sequelize.addHook('beforeQuery', (options: { transaction?: Transaction | null; outsideUnitOfWork?: string }) => {
    const transactionOptions = (options.transaction as { options?: Record<symbol, unknown> } | null | undefined)?.options;
    if (transactionOptions?.[UNIT_OF_WORK] || options.outsideUnitOfWork === 'health') return;
    throw new OutsideUnitOfWorkError('query outside a unit of work');
  });
}


function checkedUuid(value: string | null | undefined): string {
  if (value == null) return '';
  if (!uuidPattern.test(value)) throw new Error('context ids must be UUIDs');
  return value;
}

const ACTOR_KINDS: readonly ActorKind[] = ['user', 'staff', 'system', 'anonymous'];

/**
 * The unit of work's first round trip: START TRANSACTION and the context in one simple-protocol
 * query (two statements, run in order). Simple protocol takes no parameters, so the values go in
 * as literals, and only values that cannot need quoting: UUIDs checked against the pattern (or
 * empty) and an actor kind from the fixed list.
 */
function openingSql(context: UnitOfWorkContext, readOnly: boolean): string {
  if (!ACTOR_KINDS.includes(context.actorKind)) throw new Error('unknown actor kind');
  const [client, user, staff, kind, support] = [
    checkedUuid(context.clientId), checkedUuid(context.userId), checkedUuid(context.staffId), context.actorKind, checkedUuid(context.supportSessionId),
  ].map((value) => `'${value}'`);
  // The context and the user's facility scope, computed once here for every policy to read.
  // System jobs and staff act across the whole client. The scope comes back from the same
  // statement (the values just set, read back as app_scope_all() and app_scope_units() would),
  // so no policy needs a query to learn it.
  return `START TRANSACTION${readOnly ? ' READ ONLY' : ''};
    SELECT set_config('app.client_id', ${client}, true), set_config('app.user_id', ${user}, true),
           set_config('app.staff_id', ${staff}, true), set_config('app.actor_kind', ${kind}, true),
           set_config('app.support_session_id', ${support}, true),
           set_config('app.scope_all', CASE WHEN s.whole OR ${kind} IN ('system', 'staff') THEN 'on' ELSE '' END, true) AS scope_all,
           coalesce(nullif(set_config('app.scope_units', s.units, true), ''), '{}')::uuid[] AS scope_units,
           set_config('app.scope_ancestors', s.ancestors, true)
      FROM app_scope_for(nullif(${client}, '')::uuid, CASE WHEN ${kind} = 'user' THEN nullif(${user}, '')::uuid END) s`;
}

/** A unit of work's transaction: it begins with the opening query instead of a bare START
 *  TRANSACTION, and keeps the scope that query read back. */
class UnitTransaction extends Transaction {
  scope?: UnitScope;
  openingRows?: object[];

  constructor(sequelize: Sequelize, private readonly opening: string) {
    super(sequelize, { [UNIT_OF_WORK]: true } as object);
  }

  /** Called by Transaction#prepareEnvironment once the connection is acquired (rolls back on failure). */
  async begin(): Promise<void> {
    const connection = (this as unknown as { connection: pg.ClientBase }).connection;
    const results = (await connection.query(this.opening)) as unknown as Array<pg.QueryResult<{ scope_all: string; scope_units: string[] }>>;
    const set = results[1]?.rows[0];
    if (!set) throw new Error('the unit of work set no context');
    this.scope = { whole: set.scope_all === 'on', units: set.scope_units ?? [] };
    this.openingRows = results[2]?.rows;
  }
}

/**
 * Runs work in one transaction with transaction-local settings, so a pooled connection never
 * carries one request's context into the next. Commits before resolving; rolls back on failure.
 * (Sequelize#transaction's managed flow, with the transaction that opens with the context.)
 */
export async function inUnitOfWork<T>(
  sequelize: Sequelize,
  context: UnitOfWorkContext,
  work: (transaction: Transaction) => Promise<T>,
  options: {
    /** A read on a standby: the transaction is READ ONLY (the primary's too, should it serve). */
    readOnly?: boolean;
    /** One more statement for the opening round trip, run once the context is set: a constant
     *  text that reads the context from the settings (the simple protocol takes no parameters),
     *  never one built from values. Its rows are taken with takeOpeningRows(). */
    openingRead?: string;
  } = {},
): Promise<T> {
  if (units.getStore()) throw new Error('units of work do not nest');
  if (options.openingRead?.includes(';')) throw new Error('the opening read is one statement');
  const opening = openingSql(context, options.readOnly ?? false);
  const transaction = new UnitTransaction(sequelize, options.openingRead ? `${opening};\n${options.openingRead}` : opening);
  return namespace.run(async () => {
    try {
      await (transaction as unknown as { prepareEnvironment(useCls: boolean): Promise<void> }).prepareEnvironment(true);
    } catch (error) {
      // Sequelize rolls back a failed begin, but not a failure after it: never keep the connection.
      const state = transaction as unknown as { connection?: unknown; finished?: string };
      if (state.connection && !state.finished) await transaction.rollback().catch(() => undefined);
      throw error;
    }
    let result: T;
    try {
      const openingRead = options.openingRead ? { text: options.openingRead, rows: transaction.openingRows } : undefined;
      result = await units.run({ context, transaction, sequelize, scope: transaction.scope!, openingRead }, () => work(transaction));
    } catch (error) {
      await transaction.rollback().catch(() => undefined);
      throw error;
    }
    await transaction.commit();
    return result;
  });
}

/** The unit of work the caller runs in; throws outside one, because that is always a bug. */
export function currentUnit(): ActiveUnit {
  const unit = units.getStore();
  if (!unit) throw new OutsideUnitOfWorkError('no unit of work');
  return unit;
}

/** The rows the opening read returned when it was `text` (inUnitOfWork's openingRead), once: what
 *  runs later in the unit of work may change them, so a second reader reads afresh. */
export function takeOpeningRows<T extends object>(text: string): T[] | undefined {
  const unit = currentUnit();
  if (unit.openingRead?.text !== text) return undefined;
  const rows = unit.openingRead.rows as T[] | undefined;
  unit.openingRead = undefined;
  return rows;
}

/** Runs fn after the current unit of work commits (never on rollback). */
export function afterCommit(fn: () => void): void {
  currentUnit().transaction.afterCommit(() => fn());
}

let savepoints = 0;

/**
 * Runs work in a savepoint of the current unit of work: when it fails, only its own statements are
 * rolled back and the unit of work stays usable (a job can set one bad step aside and go on).
 */
export async function inSavepoint<T>(work: () => Promise<T>): Promise<T> {
  const { sequelize, transaction } = currentUnit();
  const name = `uow_step_${++savepoints}`;
  await sequelize.query(`SAVEPOINT ${name}`, { transaction });
  let result: T;
  try {
    result = await work();
  } catch (error) {
    // If even this fails (the connection is gone), that error ends the unit of work.
    await sequelize.query(`ROLLBACK TO SAVEPOINT ${name}`, { transaction });
    await sequelize.query(`RELEASE SAVEPOINT ${name}`, { transaction });
    throw error;
  }
  await sequelize.query(`RELEASE SAVEPOINT ${name}`, { transaction });
  return result;
}

/** The dialect's query class, for its mapping of database errors to Sequelize's error classes. */
type SequelizeQuery = new (connection: unknown, sequelize: Sequelize, options: object) => { formatError(error: unknown, stack?: string): Error };

/** The most statement texts prepared per connection: the app's SQL is a fixed set, so a text past
 *  this (built with values in it, say) runs unnamed rather than fill every connection's cache. */
const MAX_PREPARED_TEXTS = 2_000;
const statementNames = new Map<string, string>();
/** Bumped when a migration changed what a prepared statement returns (a column added to a table
 *  a `SELECT o.*` reads, while this server runs): PostgreSQL then refuses the prepared statement
 *  on every connection that holds it, so every text is prepared afresh under a new name. */
let statementGeneration = 0;
const RESULT_TYPE_CHANGED = /cached plan must not change result type/;

function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name || statementNames.size >= MAX_PREPARED_TEXTS) return name;
  name = `uow${statementGeneration}_${createHash('sha256').update(text).digest('base64url').slice(0, 24)}`;
  statementNames.set(text, name);
  return name;
}

/**
 * Runs SQL with bound parameters in the current unit of work and returns its rows. A named
 * (prepared) statement on the unit of work's own connection: each pooled connection parses and
 * plans a text once and then only binds it, where an unnamed statement is planned every time
 * (under RLS, planning often costs more than running). Errors are Sequelize's, as before.
 */
export function sql<T extends object>(text: string, bind: unknown[] = []): Promise<T[]> {
  // Outside a unit of work this throws at once, as it always has (a bug, never a query).
  return preparedRows<T>(currentUnit(), text, bind);
}

async function preparedRows<T extends object>(unit: ActiveUnit, text: string, bind: unknown[]): Promise<T[]> {
  const { sequelize, transaction } = unit;
  const connection = (transaction as unknown as { connection: pg.ClientBase }).connection;
  // As Sequelize binds strings (its postgres dialect escapes NUL, which PostgreSQL refuses in text).
  const values = bind.map((value) => (typeof value === 'string' ? value.replace(/\0/g, '\\0') : value));
  // Taken now, read only on failure: formatting a stack costs more than the query's binding.
  const calledFrom = new Error();
  // Statements sent at once (a Promise.all) take turns: pg queues a query sent on a busy
  // connection, but deprecates it (and pg 9 refuses it).
  const turn = unit.lastStatement;
  let answered!: () => void;
  unit.lastStatement = new Promise<void>((resolve) => (answered = resolve));
  try {
    await turn;
    const result = await connection.query<T>({ name: statementName(text), text, values });
    return result.rows;
  } catch (error) {
    if ((error as { code?: string }).code === '0A000' && RESULT_TYPE_CHANGED.test(String((error as Error).message))) {
      statementGeneration += 1;
      statementNames.clear();
    }
    const { Query } = (sequelize as unknown as { dialect: { Query: SequelizeQuery } }).dialect;
    throw new Query(connection, sequelize, {}).formatError(Object.assign(error as object, { sql: text, parameters: values }), calledFrom.stack);
  } finally {
    answered();
  }
}

/** Rows fetched from the server per Execute while a cursor is read. */
const CURSOR_BATCH = 1_000;
/** Batches asked for ahead of the one in use: the server keeps producing while rows are used. */
const CURSOR_AHEAD = 2;

/**
 * The rows of a query read through a portal on the unit of work's own connection, so the
 * transaction's RLS context applies and memory holds a few batches at a time: each batch as it
 * arrives, the next ones already being produced (lib/portal-reader.ts). While it is read the
 * connection is busy: any other query in this unit of work would wait for it forever, so gather
 * what the rows need (names, lookups) before reading them. Leaving the loop early closes it.
 */
export async function* cursorBatches<T extends object>(text: string, bind: unknown[] = [], batchSize = CURSOR_BATCH): AsyncGenerator<T[]> {
  const { transaction } = currentUnit();
  const connection = (transaction as unknown as { connection: pg.ClientBase }).connection;
  const reader = new PortalReader<T>(text, bind, batchSize, CURSOR_AHEAD);
  connection.query(reader as never);
  yield* reader.batches();
}

/** The rows of a query from a cursor, one by one (cursorBatches, for small lists). */
export async function* cursorRows<T extends object>(text: string, bind: unknown[] = [], batchSize = CURSOR_BATCH): AsyncGenerator<T> {
  for await (const batch of cursorBatches<T>(text, bind, batchSize)) yield* batch;
}

/**
 * Lifts this unit of work's statement time-out for one long read: a download's cursor is one
 * statement from its first row to its last, however slowly the browser takes the file. Local to
 * the transaction, so the pooled connection gets the role's own time-out back at commit.
 */
export async function allowLongStatement(minutes: number): Promise<void> {
  const { sequelize, transaction } = currentUnit();
  await sequelize.query(`SELECT set_config('statement_timeout', $1, true)`, { bind: [`${Math.max(1, Math.trunc(minutes))}min`], transaction, type: QueryTypes.SELECT });
}

/** Runs `work` (a long statement, or a wait for a lock) with the time-out lifted, then puts the unit's own back. */
export async function withLongStatement<T>(minutes: number, work: () => Promise<T>): Promise<T> {
  const [before] = await sql<{ timeout: string }>(`SELECT current_setting('statement_timeout') AS timeout`);
  await allowLongStatement(minutes);
  const result = await work();
  await sql(`SELECT set_config('statement_timeout', $1, true)`, [before!.timeout]);
  return result;
}
