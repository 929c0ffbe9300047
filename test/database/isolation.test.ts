// DESIGN.md §8.2: a missing context fails closed (no rows, no writes); a client's context sees
// and changes only that client's rows. Exercised as the runtime role on every tenant table.
import { expect } from 'chai';
import type pg from 'pg';
import { type UnitOfWorkContext, inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import {
  INSUFFICIENT_PRIVILEGE,
  RLS_VIOLATION,
  type Tenant,
  type TenantTable,
  createClientlessRows,
  createTenant,
  expectPgError,
  guardViolation,
  inSavepoint,
  tenantRowInserts,
  tenantTables,
  withConnection,
} from '../support/db-roles.ts';
import { testEnv } from '../support/env.ts';
import { ownerQuery } from '../support/factories.ts';

const RLS_CODE = INSUFFICIENT_PRIVILEGE; // PostgreSQL reports RLS violations as 42501 too.

async function ownerCount(table: string, where = 'true', params: unknown[] = []): Promise<number> {
  const [row] = await ownerQuery<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}" WHERE ${where}`, params);
  return row.n;
}

function inClient<T>(tenant: Tenant, work: () => Promise<T>): Promise<T> {
  const context: UnitOfWorkContext = { actorKind: 'user', clientId: tenant.client.id, userId: tenant.user.id };
  return inUnitOfWork(testEnv().db.sequelize, context, work);
}

describe('tenant isolation under row-level security', () => {
  let a: Tenant;
  let b: Tenant;
  let tables: TenantTable[];

  beforeEach(async () => {
    a = await createTenant('Isolation Alpha');
    b = await createTenant('Isolation Beta');
    await createClientlessRows();
    tables = await tenantTables();
    expect(tables.map((t) => t.table)).to.include.members(['clients', 'users', 'password_reset_tokens', 'mail_outbox', 'audit_log']);
  });

  describe('without any context (fail closed)', () => {
    it('sees no row in any tenant table, although every one has rows', async () => {
      await withConnection('app', async (client) => {
        await client.query('BEGIN');
        for (const { table } of tables) {
          expect(await ownerCount(table), `${table} has rows`).to.be.at.least(2);
          const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`);
          expect(rows[0].n, `${table} visible without context`).to.equal(0);
        }
        await client.query('COMMIT');
        // Outside a transaction too, and with an empty client id.
        await client.query(`SELECT set_config('app.client_id', '', false)`);
        for (const { table } of tables) {
          const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`);
          expect(rows[0].n, `${table} visible with an empty client id`).to.equal(0);
        }
      });
    });

    it('cannot insert into users, reset tokens, the outbox or the audit log', async () => {
      const inserts = Object.keys(tenantRowInserts);
      expect(inserts).to.include.members(['users', 'password_reset_tokens', 'mail_outbox', 'audit_log']);
      const before = await Promise.all(inserts.map((t) => ownerCount(t)));
      await withConnection('app', async (client) => {
        await client.query('BEGIN');
        for (const table of inserts) {
          const [text, params] = tenantRowInserts[table]({ clientId: a.client.id, userId: a.user.id });
          // A visit's own trigger refuses a context-less change before row-level security does.
          const refusal = table === 'support_sessions' ? /app\.actor_kind is not set/ : guardViolation(table);
          await expectPgError(inSavepoint(client, text, params), RLS_CODE, refusal);
        }
        // Nor rows without a client, which only named non-user actors may write.
        for (const table of ['mail_outbox', 'audit_log']) {
          const [text, params] = tenantRowInserts[table]({ clientId: null, userId: a.user.id });
          await expectPgError(inSavepoint(client, text, params), RLS_CODE, guardViolation(table));
        }
        await client.query('COMMIT');
      });
      expect(await Promise.all(inserts.map((t) => ownerCount(t)))).to.deep.equal(before);
    });

    it('updates no row', async () => {
      await withConnection('app', async (client) => {
        for (const { table, column } of tables) {
          const [{ allowed }] = await ownerQuery<{ allowed: boolean }>(`SELECT has_column_privilege($1, $2, $3, 'UPDATE') AS allowed`, [testEnv().roles.app, `public.${table}`, column]);
          if (!allowed) continue;
          const result = await client.query(`UPDATE "${table}" SET ${column} = ${column}`);
          expect(result.rowCount, table).to.equal(0);
        }
      });
    });
  });

  describe("in client A's context", () => {
    it("sees exactly A's rows in every tenant table", async () => {
      for (const { table, column } of tables) {
        const expected = await ownerCount(table, `${column} = $1`, [a.client.id]);
        expect(expected, `${table} has rows of A`).to.be.at.least(1);
        expect(await ownerCount(table, `${column} IS DISTINCT FROM $1`, [a.client.id]), `${table} has rows of others`).to.be.at.least(1);
        const rows = await inClient(a, () => sql<{ owner: string }>(`SELECT ${column} AS owner FROM "${table}"`));
        expect(rows.map((r) => r.owner), table).to.deep.equal(Array(expected).fill(a.client.id));
      }
    });

    it("cannot insert a row carrying B's client id, nor a client-less user row", async () => {
      const usersOfB = await ownerCount('users', 'client_id = $1', [b.client.id]);
      for (const table of Object.keys(tenantRowInserts)) {
        const [text, params] = tenantRowInserts[table]({ clientId: b.client.id, userId: b.user.id });
        await expectPgError(inClient(a, () => sql(text, params)), RLS_CODE, guardViolation(table));
      }
      for (const table of ['mail_outbox', 'audit_log']) {
        const [text, params] = tenantRowInserts[table]({ clientId: null, userId: a.user.id });
        await expectPgError(inClient(a, () => sql(text, params)), RLS_CODE, guardViolation(table));
      }
      expect(await ownerCount('users', 'client_id = $1', [b.client.id])).to.equal(usersOfB);
      // A's own rows go in, so the refusals above are about the client id and nothing else.
      // Support visits are the exception: only staff open them, never a client's users.
      for (const table of Object.keys(tenantRowInserts)) {
        const [text, params] = tenantRowInserts[table]({ clientId: a.client.id, userId: a.user.id });
        if (table === 'support_sessions') {
          await expectPgError(inClient(a, () => sql(text, params)), RLS_CODE, /^new row violates row-level security policy for table "support_sessions"$/);
          continue;
        }
        const inserted = await inClient(a, () => sql(text, params));
        expect(inserted, table).to.have.length(1);
      }
    });

    it("updates none of B's rows and cannot move its own rows to B", async () => {
      const updatable: TenantTable[] = [];
      for (const t of tables) {
        const [{ allowed }] = await ownerQuery<{ allowed: boolean }>(`SELECT has_column_privilege($1, $2, $3, 'UPDATE') AS allowed`, [testEnv().roles.app, `public.${t.table}`, t.column]);
        if (allowed) updatable.push(t);
      }
      // clients is updatable only in a few columns (its settings); its rows are checked below.
      expect(updatable.map((t) => t.table)).to.include.members(['users', 'password_reset_tokens']);
      const ownClient = await inClient(a, () => sql(`UPDATE clients SET settings = settings WHERE id = $1 RETURNING id`, [a.client.id]));
      expect(ownClient).to.have.length(1);
      expect(await inClient(a, () => sql(`UPDATE clients SET settings = settings WHERE id = $1 RETURNING id`, [b.client.id]))).to.have.length(0);
      for (const { table, column } of updatable) {
        const touched = await inClient(a, () => sql(`UPDATE "${table}" SET ${column} = ${column} WHERE ${column} = $1 RETURNING ${column}`, [b.client.id]));
        expect(touched, `${table}: B's rows updated from A`).to.have.length(0);
        const own = await inClient(a, () => sql(`UPDATE "${table}" SET ${column} = ${column} WHERE ${column} = $1 RETURNING ${column}`, [a.client.id]));
        expect(own.length, `${table}: A's own rows are updatable`).to.equal(await ownerCount(table, `${column} = $1`, [a.client.id]));
      }
      await inClient(a, () => sql(`UPDATE users SET name = 'Hijacked' WHERE client_id = $1`, [b.client.id]));
      expect(await ownerQuery('SELECT name FROM users WHERE id = $1', [b.user.id])).to.deep.equal([{ name: 'Isolation Beta User' }]);
      // Moving A's user into B would violate the guard's WITH CHECK.
      await expectPgError(
        inClient(a, () => sql(`UPDATE users SET client_id = $1 WHERE id = $2`, [b.client.id, a.user.id])),
        RLS_CODE,
        RLS_VIOLATION,
      );
      expect(await ownerQuery('SELECT client_id FROM users WHERE id = $1', [a.user.id])).to.deep.equal([{ client_id: a.client.id }]);
    });

    it('sees nothing of B through a raw context either, and nothing with an unknown client id', async () => {
      await withConnection('app', async (client: pg.Client) => {
        await client.query('BEGIN');
        await client.query(`SELECT set_config('app.client_id', $1, true), set_config('app.actor_kind', 'user', true)`, [a.client.id]);
        const users = await client.query<{ client_id: string }>('SELECT DISTINCT client_id FROM users');
        expect(users.rows).to.deep.equal([{ client_id: a.client.id }]);
        const clients = await client.query<{ name: string }>('SELECT name FROM clients');
        expect(clients.rows).to.deep.equal([{ name: 'Isolation Alpha' }]);
        await client.query('COMMIT');

        await client.query('BEGIN');
        await client.query(`SELECT set_config('app.client_id', gen_random_uuid()::text, true)`);
        for (const { table } of tables) {
          const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`);
          expect(rows[0].n, table).to.equal(0);
        }
        await client.query('COMMIT');
      });
    });
  });

  describe('actors without a client', () => {
    it('may write client-less outbox and audit rows only as the named non-user actors', async () => {
      const { sequelize } = testEnv().db;
      // Without RETURNING: such rows may be written but, outside any client's scope, not read back.
      const clientless = (table: string) => {
        const [text, params] = tenantRowInserts[table]({ clientId: null, userId: a.user.id });
        return [text.replace(/\s+RETURNING id$/, ''), params] as const;
      };
      const mailBefore = await ownerCount('mail_outbox', 'client_id IS NULL');
      const auditBefore = await ownerCount('audit_log', 'client_id IS NULL');
      await inUnitOfWork(sequelize, { actorKind: 'system' }, () => sql(...clientless('mail_outbox')));
      await inUnitOfWork(sequelize, { actorKind: 'staff' }, () => sql(...clientless('mail_outbox')));
      await inUnitOfWork(sequelize, { actorKind: 'anonymous' }, () => sql(...clientless('audit_log')));
      await inUnitOfWork(sequelize, { actorKind: 'system' }, () => sql(...clientless('audit_log')));
      expect(await ownerCount('mail_outbox', 'client_id IS NULL')).to.equal(mailBefore + 2);
      expect(await ownerCount('audit_log', 'client_id IS NULL')).to.equal(auditBefore + 2);
      // Anonymous visitors may not queue client-less mail.
      await expectPgError(inUnitOfWork(sequelize, { actorKind: 'anonymous' }, () => sql(...clientless('mail_outbox'))), RLS_CODE, guardViolation('mail_outbox'));
      // Nor may any of them write rows of a client they are not acting for.
      for (const actorKind of ['system', 'staff', 'anonymous'] as const) {
        await expectPgError(
          inUnitOfWork(sequelize, { actorKind }, () => sql(...tenantRowInserts.audit_log({ clientId: a.client.id, userId: a.user.id }))),
          RLS_CODE,
          guardViolation('audit_log'),
        );
      }
      // And they read nothing: client-less rows are outside every client's scope.
      const visible = await inUnitOfWork(sequelize, { actorKind: 'system' }, () => sql('SELECT id FROM audit_log UNION ALL SELECT id FROM mail_outbox'));
      expect(visible).to.deep.equal([]);
    });

    it('the sign-in lookups work before the client is known and return ids only', async () => {
      const rows = await withConnection('app', (client) =>
        client.query(`SELECT * FROM auth_user_by_email($1)`, [a.user.email.toUpperCase()]),
      );
      expect(rows.rows).to.deep.equal([{ user_id: a.user.id, client_id: a.client.id }]);
    });
  });
});
