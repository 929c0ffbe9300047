// At the database level: a staff context sees a client's rows only through its own open,
// unexpired support session for that client, and a read-only session cannot write, whatever the
// application asks. Exercised as the runtime role on every tenant table.
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { type UnitOfWorkContext, inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import {
  INSUFFICIENT_PRIVILEGE,
  type Tenant,
  type TenantTable,
  createClientlessRows,
  createTenant,
  expectPgError,
  tenantRowInserts,
  tenantTables,
} from '../support/db-roles.ts';
import { testEnv } from '../support/env.ts';
import { ownerQuery } from '../support/factories.ts';
import { type StaffRow, assignRepresentative, createStaff } from '../support/staff.ts';

/** Visit rows are the vendor's record of every visit: staff read them all, outside any visit. */
const VISITS = 'support_sessions';

async function ownerCount(table: string, where = 'true', params: unknown[] = []): Promise<number> {
  const [row] = await ownerQuery<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}" WHERE ${where}`, params);
  return row.n;
}

/** An active visit inserted as the owner (no context: the trigger leaves the row as given). */
async function openVisit(staff: StaffRow, tenant: Tenant, attrs: { readOnly?: boolean; expiresIn?: string; status?: string } = {}): Promise<string> {
  const [row] = await ownerQuery<{ id: string }>(
    `INSERT INTO support_sessions (client_id, staff_id, reason, read_only, duration_minutes, status, started_at, expires_at, ended_at)
     VALUES ($1, $2, 'Database test', $3, 120, $4, now() - interval '1 minute', now() + $5::interval, CASE WHEN $4 = 'ended' THEN now() END)
     RETURNING id`,
    [tenant.client.id, staff.id, attrs.readOnly ?? false, attrs.status ?? 'active', attrs.expiresIn ?? '1 hour'],
  );
  return row.id;
}

function asStaff<T>(staff: StaffRow, where: { clientId?: string; visitId?: string }, work: () => Promise<T>): Promise<T> {
  const context: UnitOfWorkContext = { actorKind: 'staff', staffId: staff.id, clientId: where.clientId ?? null, supportSessionId: where.visitId ?? null };
  return inUnitOfWork(testEnv().db.sequelize, context, work);
}

/** Rows of each tenant table (but the visits) this context sees, as [table, owners of the rows]. */
async function visibleOwners(tables: TenantTable[]): Promise<Record<string, string[]>> {
  const seen: Record<string, string[]> = {};
  for (const { table, column } of tables) {
    if (table === VISITS) continue;
    // The vendor-level audit entries (no client) are staff's to read; they are nobody's client rows.
    const rows = await sql<{ owner: string }>(`SELECT ${column}::text AS owner FROM "${table}" WHERE ${column} IS NOT NULL`);
    seen[table] = rows.map((r) => r.owner);
  }
  return seen;
}

describe('staff contexts under row-level security', () => {
  let a: Tenant;
  let b: Tenant;
  let staff: StaffRow;
  let tables: TenantTable[];

  beforeEach(async () => {
    a = await createTenant('Staff Alpha');
    b = await createTenant('Staff Beta');
    await createClientlessRows();
    staff = await createStaff({ role: 'application_developer' });
    tables = await tenantTables();
    expect(tables.length).to.be.greaterThan(10);
  });

  it('without an open support session sees no client rows, even naming a client', async () => {
    for (const where of [{}, { clientId: a.client.id }, { clientId: a.client.id, visitId: randomUUID() }]) {
      const seen = await asStaff(staff, where, () => visibleOwners(tables));
      for (const { table } of tables) {
        if (table === VISITS) continue;
        expect(await ownerCount(table), `${table} has rows`).to.be.greaterThan(0);
        expect(seen[table], `${table} in ${JSON.stringify(where)}`).to.deep.equal([]);
      }
    }
  });

  it('with an open session sees exactly that client, in every tenant table', async () => {
    const visit = await openVisit(staff, a);
    const seen = await asStaff(staff, { clientId: a.client.id, visitId: visit }, () => visibleOwners(tables));
    for (const { table, column } of tables) {
      if (table === VISITS) continue;
      const expected = await ownerCount(table, `${column} = $1`, [a.client.id]);
      expect(expected, `${table} has rows of A`).to.be.greaterThan(0);
      expect(seen[table], table).to.deep.equal(Array(expected).fill(a.client.id));
    }
    // The same visit id does not open another client, nor does it open for another staff member.
    const other = await createStaff({ role: 'technical_director' });
    for (const [who, clientId] of [[staff, b.client.id], [other, a.client.id]] as const) {
      const none = await asStaff(who, { clientId, visitId: visit }, () => visibleOwners(tables));
      expect(Object.values(none).flat(), `${who.role} in ${clientId}`).to.deep.equal([]);
    }
  });

  it('sees nothing once the session has expired or ended, or while it waits for approval', async () => {
    const expired = await openVisit(staff, a, { expiresIn: '-1 second' });
    const ended = await openVisit(staff, a, { status: 'ended' });
    const [{ id: pending }] = await ownerQuery<{ id: string }>(
      `INSERT INTO support_sessions (client_id, staff_id, reason, duration_minutes, status) VALUES ($1, $2, 'Waiting', 60, 'pending') RETURNING id`,
      [a.client.id, staff.id],
    );
    for (const visitId of [expired, ended, pending]) {
      const seen = await asStaff(staff, { clientId: a.client.id, visitId }, () => visibleOwners(tables));
      expect(Object.values(seen).flat(), visitId).to.deep.equal([]);
    }
  });

  it('in a read-only session reads, but cannot insert, update or delete anything (the audit log still records)', async () => {
    const visit = await openVisit(staff, a, { readOnly: true });
    const inVisit = <T>(work: () => Promise<T>) => asStaff(staff, { clientId: a.client.id, visitId: visit }, work);
    expect((await inVisit(() => sql('SELECT id FROM users'))).length).to.be.greaterThan(0);

    for (const table of Object.keys(tenantRowInserts)) {
      if (table === VISITS || table === 'audit_log') continue;
      const [text, params] = tenantRowInserts[table]({ clientId: a.client.id, userId: a.user.id });
      await expectPgError(inVisit(() => sql(text, params)), INSUFFICIENT_PRIVILEGE, /row-level security/);
    }
    for (const { table, column } of tables) {
      if (table === VISITS || table === 'audit_log') continue;
      const [{ update, del }] = await ownerQuery<{ update: boolean; del: boolean }>(
        `SELECT has_column_privilege($1, $2, $3, 'UPDATE') OR $2 = 'public.clients' AS update, has_table_privilege($1, $2, 'DELETE') AS del`,
        [testEnv().roles.app, `public.${table}`, column],
      );
      const before = await ownerCount(table, `${column} = $1`, [a.client.id]);
      if (update) {
        const touch = table === 'clients' ? 'settings = settings' : `${column} = ${column}`;
        await expectPgError(inVisit(() => sql(`UPDATE "${table}" SET ${touch} WHERE ${column} = $1 RETURNING 1`, [a.client.id])), INSUFFICIENT_PRIVILEGE, /row-level security/);
      }
      if (del) {
        const deleted = await inVisit(() => sql(`DELETE FROM "${table}" WHERE ${column} = $1 RETURNING 1`, [a.client.id]));
        expect(deleted, `${table}: deleted in a read-only session`).to.deep.equal([]);
      }
      expect(await ownerCount(table, `${column} = $1`, [a.client.id]), table).to.equal(before);
    }
    const [text, params] = tenantRowInserts.audit_log({ clientId: a.client.id, userId: a.user.id });
    expect(await inVisit(() => sql(text, params))).to.have.length(1);
  });

  it('in a writable session writes that client only', async () => {
    const visit = await openVisit(staff, a);
    const inVisit = <T>(work: () => Promise<T>) => asStaff(staff, { clientId: a.client.id, visitId: visit }, work);
    const [text, params] = tenantRowInserts.org_units({ clientId: a.client.id, userId: a.user.id });
    expect(await inVisit(() => sql(text, params))).to.have.length(1);
    const [textB, paramsB] = tenantRowInserts.org_units({ clientId: b.client.id, userId: b.user.id });
    await expectPgError(inVisit(() => sql(textB, paramsB)), INSUFFICIENT_PRIVILEGE, /row-level security/);
  });

  describe('opening and changing visits', () => {
    const request = (who: StaffRow, tenant: Tenant, status = 'active') =>
      asStaff(who, {}, () =>
        sql<{ id: string; started_at: Date; expires_at: Date }>(
          `INSERT INTO support_sessions (client_id, staff_id, reason, duration_minutes, status, started_at, expires_at)
           VALUES ($1, $2, 'Visit', 30, $3, now() - interval '1 day', now() + interval '1 year') RETURNING id, started_at, expires_at`,
          [tenant.client.id, who.id, status],
        ),
      );

    it('lets a Client Representative open visits only for their assigned client', async () => {
      const representative = await createStaff({ role: 'client_representative' });
      await assignRepresentative(a.client, representative);
      await expectPgError(request(representative, b), INSUFFICIENT_PRIVILEGE, /row-level security/);
      expect(await request(representative, a)).to.have.length(1);
      // Nobody opens a visit in someone else's name, and staff without an authenticator none at all.
      await expectPgError(
        asStaff(staff, {}, () => sql(`INSERT INTO support_sessions (client_id, staff_id, reason, duration_minutes, status) VALUES ($1, $2, 'x y z', 30, 'pending')`, [a.client.id, representative.id])),
        INSUFFICIENT_PRIVILEGE,
        /row-level security/,
      );
      const unenrolled = await createStaff({ role: 'technical_director', enrolled: false });
      await expectPgError(request(unenrolled, a), INSUFFICIENT_PRIVILEGE, /row-level security/);
    });

    it('sets the window itself: a visit lasts its duration from now, whatever the insert says', async () => {
      const [visit] = await request(staff, a);
      const minutes = (visit.expires_at.getTime() - visit.started_at.getTime()) / 60_000;
      expect(minutes).to.equal(30);
      expect(Math.abs(visit.started_at.getTime() - Date.now())).to.be.below(60_000);
    });

    it('needs the client’s approval when the client requires it; staff cannot approve or change that', async () => {
      await ownerQuery(`UPDATE clients SET support_approval_required = true WHERE id = $1`, [a.client.id]);
      await expectPgError(request(staff, a), INSUFFICIENT_PRIVILEGE, /row-level security/);
      const [pending] = await request(staff, a, 'pending');
      await expectPgError(
        asStaff(staff, {}, () => sql(`UPDATE support_sessions SET status = 'approved' WHERE id = $1 RETURNING id`, [pending.id])),
        INSUFFICIENT_PRIVILEGE,
        /cannot go from pending to approved/,
      );
      await expectPgError(
        asStaff(staff, {}, () => sql(`UPDATE support_sessions SET status = 'active' WHERE id = $1 RETURNING id`, [pending.id])),
        INSUFFICIENT_PRIVILEGE,
        /cannot go from pending to active/,
      );
      // Inside an open, writable visit the approval requirement still cannot be switched off.
      const visit = await openVisit(staff, a);
      await expectPgError(
        asStaff(staff, { clientId: a.client.id, visitId: visit }, () => sql(`UPDATE clients SET support_approval_required = false WHERE id = $1 RETURNING id`, [a.client.id])),
        INSUFFICIENT_PRIVILEGE,
        /Administrators decide/,
      );
      // The client's Administrator approves; then the staff member may start it.
      await inUnitOfWork(testEnv().db.sequelize, { actorKind: 'user', clientId: a.client.id, userId: a.user.id }, () =>
        sql(`UPDATE support_sessions SET status = 'approved', decided_by = $2 WHERE id = $1 RETURNING id`, [pending.id, a.user.id]),
      );
      const [started] = await asStaff(staff, {}, () => sql<{ status: string }>(`UPDATE support_sessions SET status = 'active' WHERE id = $1 RETURNING status`, [pending.id]));
      expect(started.status).to.equal('active');
    });
  });
});
