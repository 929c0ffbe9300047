// DESIGN.md §8.2: transaction-local settings never carry one unit's client into the next user
// of a pooled connection, under heavy interleaving (the shared pool has only 4 connections).
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { User } from '../../models/index.ts';
import { withConnection } from '../support/db-roles.ts';
import { testEnv } from '../support/env.ts';
import { type ClientRow, type UserRow, createClient, createUser } from '../support/factories.ts';
import { signedInAgent, testApp } from '../support/http.ts';

const ROUNDS = 200;

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('no context leaks between pooled connections', () => {
  let alpha: ClientRow;
  let beta: ClientRow;
  let alphaUsers: UserRow[];
  let betaUsers: UserRow[];

  beforeEach(async () => {
    alpha = await createClient({ name: 'Aardvark Water Authority' });
    beta = await createClient({ name: 'Bluefin Gas Works' });
    alphaUsers = [await createUser(alpha, { email: 'ann@aardvark.example' }), await createUser(alpha, { email: 'al@aardvark.example' })];
    betaUsers = [await createUser(beta, { email: 'bo@bluefin.example' }), await createUser(beta, { email: 'bea@bluefin.example' })];
  });

  it(`keeps ${ROUNDS} interleaved units of work of two clients apart`, async () => {
    const { sequelize } = testEnv().db;
    expect(sequelize.config.pool?.max, 'a small pool, so connections are reused').to.equal(4);
    const runs = Array.from({ length: ROUNDS }, async (_, i) => {
      const [client, users] = i % 2 === 0 ? [alpha, alphaUsers] : [beta, betaUsers];
      const user = users[(i >> 1) % 2];
      const failing = i % 10 === 7; // some units roll back; their context must not survive either
      try {
        return await inUnitOfWork(sequelize, { actorKind: 'user', clientId: client.id, userId: user.id }, async () => {
          const [before] = await sql<{ client: string; user: string; pid: number }>(
            `SELECT current_setting('app.client_id') AS client, current_setting('app.user_id') AS user, pg_backend_pid() AS pid`,
          );
          await tick();
          const visibleUsers = (await User.findAll({ order: [['email', 'ASC']] })).map((u) => u.clientId);
          await tick();
          const visibleClients = (await sql<{ id: string }>('SELECT id FROM clients')).map((r) => r.id);
          const [after] = await sql<{ client: string }>(`SELECT current_setting('app.client_id') AS client`);
          if (failing) throw new Error('rolled back on purpose');
          return { i, expected: client.id, expectedUser: user.id, ...before, after: after.client, visibleUsers, visibleClients };
        });
      } catch (error) {
        if (failing && (error as Error).message === 'rolled back on purpose') return undefined;
        throw error;
      }
    });
    const results = (await Promise.all(runs)).filter((r) => r !== undefined);
    expect(results).to.have.length(ROUNDS - ROUNDS / 10);

    for (const r of results) {
      const label = `unit ${r.i}`;
      expect(r.client, label).to.equal(r.expected);
      expect(r.after, label).to.equal(r.expected);
      expect(r.user, label).to.equal(r.expectedUser);
      expect(r.visibleUsers, label).to.deep.equal([r.expected, r.expected]);
      expect(r.visibleClients, label).to.deep.equal([r.expected]);
    }
    // The test only means something if connections really served both clients in turn.
    const pids = new Set(results.map((r) => r.pid));
    expect(pids.size).to.be.within(2, 4);
    const sharedPids = [...pids].filter((pid) => {
      const served = new Set(results.filter((r) => r.pid === pid).map((r) => r.expected));
      return served.size === 2;
    });
    expect(sharedPids.length, 'a pooled connection served both clients').to.be.greaterThan(0);

    // Afterwards the pooled connections themselves carry no context ...
    const idle = await Promise.all(
      Array.from({ length: 4 }, () =>
        sequelize.query<{ client: string | null; kind: string | null; users: number; pid: number }>(
          `SELECT current_setting('app.client_id', true) AS client, current_setting('app.actor_kind', true) AS kind,
                  (SELECT count(*)::int FROM users) AS users, pg_backend_pid() AS pid, pg_sleep(0.05)`,
          { outsideUnitOfWork: 'health', type: QueryTypes.SELECT },
        ),
      ),
    );
    for (const [row] of idle) {
      expect(row.client ?? '', `connection ${row.pid}`).to.equal('');
      expect(row.kind ?? '', `connection ${row.pid}`).to.equal('');
      expect(row.users, `connection ${row.pid}`).to.equal(0);
    }
    expect(idle.some(([row]) => pids.has(row.pid)), 'checked a connection that served the units').to.equal(true);

    // ... and neither does a fresh connection of the runtime role.
    await withConnection('app', async (conn) => {
      await conn.query('BEGIN');
      const { rows } = await conn.query<{ client: string | null; users: number; clients: number }>(
        `SELECT current_setting('app.client_id', true) AS client, (SELECT count(*)::int FROM users) AS users, (SELECT count(*)::int FROM clients) AS clients`,
      );
      await conn.query('COMMIT');
      expect(rows[0]).to.deep.equal({ client: null, users: 0, clients: 0 });
    });
  });

  it(`shows each signed-in user only their own client over ${ROUNDS} interleaved concurrent requests`, async function () {
    this.timeout(60_000);
    const app = testApp();
    const agents = await Promise.all([
      signedInAgent(app, alphaUsers[0].email, alphaUsers[0].password),
      signedInAgent(app, betaUsers[0].email, betaUsers[0].password),
    ]);
    const expected = [
      { own: alpha.name, email: alphaUsers[0].email, other: beta.name, otherEmails: betaUsers.map((u) => u.email) },
      { own: beta.name, email: betaUsers[0].email, other: alpha.name, otherEmails: alphaUsers.map((u) => u.email) },
    ];
    // Fired together, alternating between the two agents.
    const responses = await Promise.all(Array.from({ length: ROUNDS }, (_, i) => agents[i % 2].get('/').then((res) => ({ i, res }))));
    expect(responses).to.have.length(ROUNDS);
    for (const { i, res } of responses) {
      const want = expected[i % 2];
      expect(res.status, `request ${i}`).to.equal(200);
      expect(res.text, `request ${i}`).to.include(`<dd>${want.own}</dd>`);
      expect(res.text, `request ${i}`).to.include(want.email);
      expect(res.text, `request ${i}`).not.to.include(want.other);
      for (const email of want.otherEmails) expect(res.text, `request ${i}`).not.to.include(email);
    }
  });
});
