// DESIGN.md §8.2: every query runs in a unit of work (one transaction carrying the RLS context),
// except an explicit allowlist; units do not nest; a failure rolls the whole unit back.
import { expect } from 'chai';
import pg from 'pg';
import { OutsideUnitOfWorkError, afterCommit, inUnitOfWork, sql, takeOpeningRows, withLongStatement } from '../../lib/unit-of-work.ts';
import { Client, User } from '../../models/index.ts';
import { testEnv } from '../support/env.ts';
import { type ClientRow, type UserRow, createClient, createUser, ownerQuery } from '../support/factories.ts';

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection, but it resolved');
}

describe('the unit of work', () => {
  let client: ClientRow;
  let user: UserRow;
  const context = () => ({ actorKind: 'user' as const, clientId: client.id, userId: user.id });

  beforeEach(async () => {
    client = await createClient({ name: 'Unit Co' });
    user = await createUser(client, { email: 'unit@unit.example' });
  });

  it('refuses model and raw queries outside a unit of work', async () => {
    const findAll = await rejection(User.findAll());
    expect(findAll).to.be.instanceOf(OutsideUnitOfWorkError);
    expect(findAll.message).to.equal('query outside a unit of work');
    expect(await rejection(Client.findByPk(client.id))).to.be.instanceOf(OutsideUnitOfWorkError);
    expect(await rejection(testEnv().db.sequelize.query('SELECT 1'))).to.be.instanceOf(OutsideUnitOfWorkError);
    expect(() => sql('SELECT 1')).to.throw(OutsideUnitOfWorkError, 'no unit of work');
    // A bare transaction is no unit of work for sql() either.
    const bare = await rejection(testEnv().db.sequelize.transaction(() => sql('SELECT 1')));
    expect(bare).to.be.instanceOf(OutsideUnitOfWorkError);
  });

  it('refuses queries in a transaction that no unit of work opened (it carries no context)', async () => {
    const { sequelize } = testEnv().db;
    const bare = await rejection(sequelize.transaction(() => User.findAll()));
    expect(bare).to.be.instanceOf(OutsideUnitOfWorkError);
  });

  it('lets the health check through outside a unit of work', async () => {
    await testEnv().db.ping();
    const [rows] = await testEnv().db.sequelize.query('SELECT 41 + 1 AS answer', { outsideUnitOfWork: 'health' });
    expect(rows).to.deep.equal([{ answer: 42 }]);
  });

  it('runs model queries in its transaction, under its client context', async () => {
    const other = await createClient({ name: 'Other Co' });
    await createUser(other, { email: 'other@other.example' });
    const seen = await inUnitOfWork(testEnv().db.sequelize, context(), async () => {
      await new Promise((resolve) => setTimeout(resolve, 5)); // the context survives awaits
      const users = await User.findAll();
      const clients = await Client.findAll();
      const [settings] = await sql<{ client: string; user: string; kind: string }>(
        `SELECT current_setting('app.client_id') AS client, current_setting('app.user_id') AS user, current_setting('app.actor_kind') AS kind`,
      );
      return { users: users.map((u) => u.email), clients: clients.map((c) => c.name), settings };
    });
    expect(seen).to.deep.equal({
      users: ['unit@unit.example'],
      clients: ['Unit Co'],
      settings: { client: client.id, user: user.id, kind: 'user' },
    });
  });

  it('does not nest', async () => {
    const error = await rejection(
      inUnitOfWork(testEnv().db.sequelize, context(), () => inUnitOfWork(testEnv().db.sequelize, { actorKind: 'system' }, () => sql('SELECT 1'))),
    );
    expect(error.message).to.equal('units of work do not nest');
  });

  it('rolls the whole unit back when its work throws', async () => {
    let committed = false;
    const error = await rejection(
      inUnitOfWork(testEnv().db.sequelize, context(), async () => {
        afterCommit(() => (committed = true));
        await sql(`INSERT INTO users (client_id, email, name, rank) VALUES ($1, 'rolled-back@unit.example', 'Gone', 'associate')`, [client.id]);
        await sql(`UPDATE users SET name = 'Changed' WHERE id = $1`, [user.id]);
        await sql(`INSERT INTO audit_log (client_id, actor_kind, action) VALUES ($1, 'user', 'test.rolled_back')`, [client.id]);
        const [inside] = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM users`);
        expect(inside.n).to.equal(2); // visible inside the unit
        throw new Error('boom');
      }),
    );
    expect(error.message).to.equal('boom');
    expect(committed, 'afterCommit callbacks do not run on rollback').to.equal(false);
    expect(await ownerQuery(`SELECT email FROM users WHERE email = 'rolled-back@unit.example'`)).to.deep.equal([]);
    expect(await ownerQuery('SELECT name FROM users WHERE id = $1', [user.id])).to.deep.equal([{ name: 'Test User' }]);
    expect(await ownerQuery(`SELECT id FROM audit_log`)).to.deep.equal([]);
  });

  it('commits before it resolves, and runs afterCommit callbacks then', async () => {
    let committedRows: unknown[] | undefined;
    await inUnitOfWork(testEnv().db.sequelize, context(), async () => {
      afterCommit(() => {
        committedRows = [];
      });
      await sql(`UPDATE users SET name = 'Renamed' WHERE id = $1`, [user.id]);
    });
    expect(committedRows).to.deep.equal([]);
    expect(await ownerQuery('SELECT name FROM users WHERE id = $1', [user.id])).to.deep.equal([{ name: 'Renamed' }]);
  });

  it('refuses context ids that are not UUIDs, before running any SQL', async () => {
    const error = await rejection(
      inUnitOfWork(testEnv().db.sequelize, { actorKind: 'user', clientId: `${client.id}' OR true --` }, () => sql('SELECT 1')),
    );
    expect(error.message).to.equal('context ids must be UUIDs');
  });

  it('sends the opening read with the context already set, and hands its rows to the reader of that text once', async () => {
    const other = await createClient({ name: 'Other Co' });
    await createUser(other, { email: 'other@other.example' });
    const read = `SELECT u.email, current_setting('app.actor_kind') AS kind FROM users u WHERE u.id = app_current_user()`;
    const taken = await inUnitOfWork(testEnv().db.sequelize, context(), async () => {
      const elsewhere = takeOpeningRows('SELECT 1');
      const first = takeOpeningRows<{ email: string; kind: string }>(read);
      return { elsewhere, first, again: takeOpeningRows(read) };
    }, { openingRead: read });
    expect(taken.elsewhere, 'another text gets none').to.equal(undefined);
    expect(taken.first).to.deep.equal([{ email: 'unit@unit.example', kind: 'user' }]);
    expect(taken.again, 'the rows are taken once').to.equal(undefined);
    // Under RLS like any read: the other client's users are not there to read.
    const all = `SELECT count(*)::int AS n FROM users`;
    const [count] = await inUnitOfWork(testEnv().db.sequelize, context(), async () => takeOpeningRows<{ n: number }>(all)!, { openingRead: all });
    expect(count).to.deep.equal({ n: 1 });
  });

  it('sends statements issued at once one after another on its connection, each with its own answer', async () => {
    // pg queues a query sent while its connection is busy, but deprecates that (pg 9 refuses it).
    const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
    const inFlight = new Map<unknown, number>();
    let most = 0;
    (pg.Client.prototype as { query: unknown }).query = function counted(this: pg.Client, ...args: unknown[]) {
      const result = query.apply(this, args);
      if (!(result instanceof Promise)) return result;
      inFlight.set(this, (inFlight.get(this) ?? 0) + 1);
      most = Math.max(most, inFlight.get(this)!);
      const settled = () => void inFlight.set(this, inFlight.get(this)! - 1);
      result.then(settled, settled);
      return result;
    };
    try {
      const answers = await inUnitOfWork(testEnv().db.sequelize, context(), () =>
        Promise.all([1, 2, 3].map((n) => sql<{ n: number }>('SELECT $1::int AS n, pg_sleep(0.01)::text AS slept', [n]))));
      expect(answers.map(([row]) => row!.n)).to.deep.equal([1, 2, 3]);
      const failed = await rejection(inUnitOfWork(testEnv().db.sequelize, context(), () =>
        Promise.all([sql('SELECT 1/0 AS x'), sql('SELECT 1 AS y')])));
      expect(failed.message).to.match(/division by zero/);
    } finally {
      (pg.Client.prototype as { query: unknown }).query = query;
    }
    expect(most, 'queries in flight at once on one connection').to.equal(1);
  });

  it('lifts the statement time-out for one piece of work, then puts the unit’s own back', async () => {
    const timeout = async () => (await sql<{ t: string }>(`SELECT current_setting('statement_timeout') AS t`))[0]!.t;
    const seen = await inUnitOfWork(testEnv().db.sequelize, { actorKind: 'system' }, async () => {
      await sql(`SELECT set_config('statement_timeout', '7s', true)`);
      const during = await withLongStatement(3, timeout);
      return { during, after: await timeout() };
    });
    expect(seen).to.deep.equal({ during: '3min', after: '7s' });
  });
});
