// DESIGN.md §8.1: four least-privilege roles, checked by connecting as each and trying.
import { expect } from 'chai';
import { inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { INSUFFICIENT_PRIVILEGE, createClientlessRows, createTenant, expectPgError, inSavepoint, withConnection } from '../support/db-roles.ts';
import { testEnv } from '../support/env.ts';
import { ownerQuery } from '../support/factories.ts';

interface RoleRow {
  rolsuper: boolean;
  rolbypassrls: boolean;
  rolcreatedb: boolean;
  rolcreaterole: boolean;
  rolreplication: boolean;
}

async function roleAttributes(name: string): Promise<RoleRow> {
  const rows = await ownerQuery<RoleRow>(
    'SELECT rolsuper, rolbypassrls, rolcreatedb, rolcreaterole, rolreplication FROM pg_roles WHERE rolname = $1',
    [name],
  );
  expect(rows, `role ${name}`).to.have.length(1);
  return rows[0];
}

/** Effective setting (in its base unit) and where it came from, as seen by the connected role. */
const SETTING_SQL = `SELECT setting, unit, source FROM pg_settings WHERE name = $1`;

describe('database roles', () => {
  describe('the runtime (app) role', () => {
    it('is no superuser and cannot bypass row-level security', async () => {
      const attrs = await roleAttributes(testEnv().roles.app);
      expect(attrs).to.deep.equal({ rolsuper: false, rolbypassrls: false, rolcreatedb: false, rolcreaterole: false, rolreplication: false });
    });

    it('is the role the app really connects as', async () => {
      const [row] = await inUnitOfWork(testEnv().db.sequelize, { actorKind: 'system' }, () =>
        sql<{ who: string; superuser: string }>(`SELECT current_user AS who, current_setting('is_superuser') AS superuser`),
      );
      expect(row).to.deep.equal({ who: testEnv().roles.app, superuser: 'off' });
    });

    it('owns no schema, table, sequence, view, function or type, nor the database', async () => {
      const app = testEnv().roles.app;
      const [owned] = await ownerQuery<Record<string, number>>(
        `SELECT (SELECT count(*)::int FROM pg_class WHERE relowner = r.oid) AS relations,
                (SELECT count(*)::int FROM pg_proc WHERE proowner = r.oid) AS functions,
                (SELECT count(*)::int FROM pg_namespace WHERE nspowner = r.oid) AS schemas,
                (SELECT count(*)::int FROM pg_type WHERE typowner = r.oid) AS types,
                (SELECT count(*)::int FROM pg_database WHERE datdba = r.oid) AS databases
           FROM pg_roles r WHERE r.rolname = $1`,
        [app],
      );
      expect(owned).to.deep.equal({ relations: 0, functions: 0, schemas: 0, types: 0, databases: 0 });
    });

    it('cannot change the schema nor switch row-level security off', async () => {
      await withConnection('app', async (client) => {
        await expectPgError(client.query('CREATE TABLE sneaky (id int)'), INSUFFICIENT_PRIVILEGE, /permission denied for schema public/);
        await expectPgError(client.query('ALTER TABLE users DISABLE ROW LEVEL SECURITY'), INSUFFICIENT_PRIVILEGE, /must be owner of table users/);
        await expectPgError(client.query('ALTER TABLE users NO FORCE ROW LEVEL SECURITY'), INSUFFICIENT_PRIVILEGE, /must be owner of table users/);
        await expectPgError(client.query('DROP POLICY tenant_guard ON users'), INSUFFICIENT_PRIVILEGE, /must be owner of (table|relation) users/);
      });
    });

    it('cannot UPDATE, DELETE or TRUNCATE the audit log', async () => {
      const { client } = await createTenant('Audit Co');
      await withConnection('app', async (conn) => {
        await conn.query('BEGIN');
        // Even inside the client's own context, where the rows are visible.
        await conn.query(`SELECT set_config('app.client_id', $1, true), set_config('app.actor_kind', 'user', true)`, [client.id]);
        const visible = await conn.query('SELECT id FROM audit_log');
        expect(visible.rowCount).to.equal(1);
        await expectPgError(inSavepoint(conn, `UPDATE audit_log SET action = 'tampered'`), INSUFFICIENT_PRIVILEGE, /permission denied for table audit_log/);
        await expectPgError(inSavepoint(conn, 'DELETE FROM audit_log'), INSUFFICIENT_PRIVILEGE, /permission denied for table audit_log/);
        await expectPgError(inSavepoint(conn, 'TRUNCATE audit_log'), INSUFFICIENT_PRIVILEGE, /permission denied for table audit_log/);
        await conn.query('COMMIT');
      });
      const rows = await ownerQuery<{ action: string }>('SELECT action FROM audit_log');
      expect(rows).to.deep.equal([{ action: 'test.inserted' }]);
    });

    it('cannot read or write the session table', async () => {
      await withConnection('app', async (client) => {
        await expectPgError(client.query('SELECT * FROM session'), INSUFFICIENT_PRIVILEGE, /permission denied for table session/);
        await expectPgError(
          client.query(`INSERT INTO session (sid, sess, expire) VALUES ('x', '{}', now())`),
          INSUFFICIENT_PRIVILEGE,
          /permission denied for table session/,
        );
      });
    });

    it('has a statement timeout and an idle-in-transaction timeout set on the role', async () => {
      const app = testEnv().roles.app;
      const [stored] = await ownerQuery<{ setconfig: string[] }>(
        `SELECT s.setconfig FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
          WHERE r.rolname = $1 AND s.setdatabase = 0`,
        [app],
      );
      expect(stored.setconfig).to.include.members(['statement_timeout=15s', 'idle_in_transaction_session_timeout=60s']);

      await withConnection('app', async (client) => {
        const statement = (await client.query(SETTING_SQL, ['statement_timeout'])).rows[0];
        const idle = (await client.query(SETTING_SQL, ['idle_in_transaction_session_timeout'])).rows[0];
        expect(statement).to.deep.equal({ setting: '15000', unit: 'ms', source: 'user' });
        expect(idle).to.deep.equal({ setting: '60000', unit: 'ms', source: 'user' });
      });
      // And the app's own pooled connections carry them too.
      const [pooled] = await inUnitOfWork(testEnv().db.sequelize, { actorKind: 'system' }, () =>
        sql<{ statement: string; idle: string }>(
          `SELECT current_setting('statement_timeout') AS statement, current_setting('idle_in_transaction_session_timeout') AS idle`,
        ),
      );
      expect(pooled).to.deep.equal({ statement: '15s', idle: '1min' });
    });
  });

  describe('the session-store role', () => {
    it('is no superuser and cannot bypass row-level security', async () => {
      const attrs = await roleAttributes(testEnv().roles.session);
      expect(attrs).to.deep.equal({ rolsuper: false, rolbypassrls: false, rolcreatedb: false, rolcreaterole: false, rolreplication: false });
    });

    it('can use the session table', async () => {
      await withConnection('session', async (client) => {
        await client.query(`INSERT INTO session (sid, sess, expire) VALUES ('sid-1', '{"a":1}', now() + interval '1 hour')`);
        await client.query(`UPDATE session SET sess = '{"a":2}' WHERE sid = 'sid-1'`);
        const read = await client.query<{ sess: { a: number } }>(`SELECT sess FROM session WHERE sid = 'sid-1'`);
        expect(read.rows).to.deep.equal([{ sess: { a: 2 } }]);
        const deleted = await client.query(`DELETE FROM session WHERE sid = 'sid-1'`);
        expect(deleted.rowCount).to.equal(1);
      });
    });

    it('cannot read users or any other application table, nor call the definer functions', async () => {
      await createTenant('Session Co');
      await withConnection('session', async (client) => {
        for (const table of ['users', 'clients', 'password_reset_tokens', 'mail_outbox', 'audit_log', 'login_throttle', 'schema_migrations']) {
          await expectPgError(client.query(`SELECT * FROM ${table}`), INSUFFICIENT_PRIVILEGE, new RegExp(`permission denied for table ${table}`));
        }
        await expectPgError(client.query(`SELECT * FROM auth_user_by_email('x@example.com')`), INSUFFICIENT_PRIVILEGE, /permission denied for function/);
        await expectPgError(client.query(`SELECT * FROM mail_outbox_claim(10, '1 minute')`), INSUFFICIENT_PRIVILEGE, /permission denied for function/);
      });
    });
  });

  describe('the backup role', () => {
    it('is no superuser, cannot create roles or databases, and bypasses row-level security', async () => {
      const attrs = await roleAttributes(testEnv().roles.backup);
      expect(attrs).to.deep.equal({ rolsuper: false, rolbypassrls: true, rolcreatedb: false, rolcreaterole: false, rolreplication: false });
    });

    it('reads every table in full without any context, bypassing row-level security', async () => {
      await createTenant('Backup One');
      await createTenant('Backup Two');
      await createClientlessRows();
      await testEnv().owner.query(`INSERT INTO session (sid, sess, expire) VALUES ('s', '{}', now() + interval '1 hour')`);
      await testEnv().owner.query(`INSERT INTO login_throttle (key, window_started_at, failures) VALUES ('k', now(), 1)`);
      await testEnv().owner.query(`INSERT INTO service_freeze (reason) VALUES ('Backup read test')`);
      await testEnv().owner.query(`INSERT INTO version_log (app_version, node_version, postgres_version, lockfile_sha256, migrations) VALUES ('0.1.0', 'v20', '15', 'unknown', '[]')`);
      await testEnv().owner.query(`INSERT INTO dependency_audits (lockfile_sha256, report) VALUES ('unknown', '{}')`);
      await testEnv().owner.query(`INSERT INTO log_reviews (review_day, section, reviewed_by) SELECT current_date, 'errors', id FROM staff_users LIMIT 1`);

      const tables = (await ownerQuery<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).map((r) => r.tablename);
      expect(tables).to.include.members(['clients', 'users', 'password_reset_tokens', 'mail_outbox', 'audit_log', 'login_throttle', 'session', 'schema_migrations']);
      await withConnection('backup', async (client) => {
        for (const table of tables) {
          const [{ count: expected }] = await ownerQuery<{ count: number }>(`SELECT count(*)::int AS count FROM "${table}"`);
          const { rows } = await client.query<{ count: number }>(`SELECT count(*)::int AS count FROM "${table}"`);
          expect(expected, `${table} has rows to read`).to.be.greaterThan(0);
          expect(rows[0].count, table).to.equal(expected);
        }
        const clients = await client.query(`SELECT name FROM clients ORDER BY name`);
        expect(clients.rows.map((r) => r.name)).to.deep.equal(['Backup One', 'Backup Two']);
      });
    });

    it('cannot write: its transactions are read-only, and it holds no write privilege either', async () => {
      const { client: tenant } = await createTenant('Backup Write');
      await withConnection('backup', async (client) => {
        const readOnly = await client.query(`SHOW default_transaction_read_only`);
        expect(readOnly.rows[0].default_transaction_read_only).to.equal('on');
        await expectPgError(client.query(`INSERT INTO clients (name) VALUES ('Forged')`), '25006', /read-only transaction/);
        await expectPgError(client.query(`UPDATE clients SET name = 'Renamed'`), '25006', /read-only transaction/);
        await expectPgError(client.query(`DELETE FROM audit_log`), '25006', /read-only transaction/);
        await expectPgError(client.query(`TRUNCATE session`), '25006', /read-only transaction/);
        // Switching read-only off for a transaction still leaves it without write privileges.
        await client.query('BEGIN READ WRITE');
        await expectPgError(inSavepoint(client, `UPDATE clients SET name = 'Renamed'`), INSUFFICIENT_PRIVILEGE, /permission denied for table clients/);
        await expectPgError(inSavepoint(client, `DELETE FROM users`), INSUFFICIENT_PRIVILEGE, /permission denied for table users/);
        await expectPgError(inSavepoint(client, `CREATE TABLE sneaky (id int)`), INSUFFICIENT_PRIVILEGE, /permission denied for schema public/);
        await client.query('ROLLBACK');
      });
      const [row] = await ownerQuery<{ name: string }>('SELECT name FROM clients WHERE id = $1', [tenant.id]);
      expect(row.name).to.equal('Backup Write');
    });
  });

  describe('the owner role', () => {
    it('cannot UPDATE or DELETE audit rows either (append-only trigger)', async () => {
      await createTenant('Owner Audit');
      const { owner } = testEnv();
      await expectPgError(owner.query(`UPDATE audit_log SET action = 'tampered'`), 'P0001', /audit_log is append-only/);
      await expectPgError(owner.query(`DELETE FROM audit_log`), 'P0001', /audit_log is append-only/);
      const rows = await ownerQuery<{ action: string }>('SELECT action FROM audit_log');
      expect(rows).to.deep.equal([{ action: 'test.inserted' }]);
    });

    it('is no superuser (it bypasses row-level security, for migrations)', async () => {
      const attrs = await roleAttributes(testEnv().roles.owner);
      expect(attrs).to.deep.equal({ rolsuper: false, rolbypassrls: true, rolcreatedb: false, rolcreaterole: false, rolreplication: false });
    });
  });
});
