// Offboarding's deletion: every row of one suspended client goes, table by table, in one
// transaction, and none of another client's; the append-only triggers are back on afterwards;
// the deletion is in the vendor-level audit log with its counts and the backups' note. An active
// client, a mistyped name or an unknown client change nothing.
import { expect } from 'chai';
import { OffboardingError, deleteClient } from '../../services/operations/offboarding.ts';
import { createTenant, tenantTables } from '../support/db-roles.ts';
import { testEnv } from '../support/env.ts';
import { ownerQuery } from '../support/factories.ts';

/** Rows of the client in every tenant table, as the owner sees them. */
async function countsOf(clientId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const { table, column } of await tenantTables()) {
    counts[table] = (await ownerQuery<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}" WHERE ${column} = $1`, [clientId]))[0]!.n;
  }
  return counts;
}

/** Every trigger but the foreign keys' (the append-only ones among them), with its state. */
const userTriggers = () =>
  ownerQuery<{ table: string; enabled: string }>(
    `SELECT c.relname AS table, t.tgenabled AS enabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
      WHERE NOT t.tgisinternal ORDER BY 1, t.tgname`);

async function expectRefusal(promise: Promise<unknown>, message: RegExp): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, 'refused').to.be.instanceOf(OffboardingError);
  expect((caught as Error).message).to.match(message);
}

describe('offboarding: deleting a client', () => {
  it('removes every row of the suspended client, table by table, and none of another client', async () => {
    const leaving = await createTenant('Leaving Water');
    const staying = await createTenant('Staying Power');
    await ownerQuery(`UPDATE clients SET status = 'suspended' WHERE id = $1`, [leaving.client.id]);
    for (const [sid, clientId] of [['leaving-sid', leaving.client.id], ['staying-sid', staying.client.id]]) {
      await ownerQuery(`INSERT INTO session (sid, sess, expire) VALUES ($1, $2, now() + interval '1 hour')`, [sid, JSON.stringify({ auth: { clientId } })]);
    }
    const before = await countsOf(leaving.client.id);
    const stayingBefore = await countsOf(staying.client.id);
    // Every tenant table has a row to delete (so no table is proven empty vacuously).
    for (const [table, n] of Object.entries(before)) expect(n, `${table} rows before`).to.be.greaterThan(0);
    const triggersBefore = await userTriggers();
    expect(triggersBefore.map((t) => t.table)).to.include.members(['audit_log', 'event_comments', 'event_closures']);

    const done = await deleteClient(testEnv().urls.owner, 'Leaving Water', 'Leaving Water', 24);

    const after = await countsOf(leaving.client.id);
    for (const table of Object.keys(before)) {
      expect(after[table], `${table} rows after`).to.equal(0);
      expect(done.rows[table], `${table} rows reported`).to.equal(before[table]);
    }
    expect(done.rows.session).to.equal(1);
    expect(await ownerQuery('SELECT sid FROM session ORDER BY sid')).to.deep.equal([{ sid: 'staying-sid' }]);
    expect(await countsOf(staying.client.id)).to.deep.equal(stayingBefore);
    expect(await userTriggers()).to.deep.equal(triggersBefore);
    expect(triggersBefore.every((t) => t.enabled === 'O')).to.equal(true);

    const [entry] = await ownerQuery<{ client_id: string | null; actor_kind: string; entity_id: string; changes: { client: string; rows: Record<string, number>; total: number; backups: string } }>(
      `SELECT client_id, actor_kind, entity_id, changes FROM audit_log WHERE action = 'client.deleted'`);
    expect(entry).to.deep.include({ client_id: null, actor_kind: 'system', entity_id: leaving.client.id });
    expect(entry!.changes.client).to.equal('Leaving Water');
    expect(entry!.changes.rows).to.deep.equal(done.rows);
    expect(entry!.changes.total).to.equal(Object.values(done.rows).reduce((a, b) => a + b, 0));
    expect(entry!.changes.backups).to.include('archival repository for 24 month(s)');
  });

  it('refuses an active client, a mistyped name and an unknown client, changing nothing', async () => {
    const active = await createTenant('Active Water');
    const suspended = await createTenant('Suspended Power');
    await ownerQuery(`UPDATE clients SET status = 'suspended' WHERE id = $1`, [suspended.client.id]);
    const before = [await countsOf(active.client.id), await countsOf(suspended.client.id)];
    const owner = testEnv().urls.owner;
    await expectRefusal(deleteClient(owner, 'Active Water', 'Active Water'), /Active Water is active: only a suspended client can be deleted/);
    await expectRefusal(deleteClient(owner, suspended.client.id, 'Suspended Powr'), /confirmation "Suspended Powr" is not the client's name/);
    await expectRefusal(deleteClient(owner, 'Suspended Powr', 'Suspended Powr'), /no client named "Suspended Powr"/);
    expect([await countsOf(active.client.id), await countsOf(suspended.client.id)]).to.deep.equal(before);
    expect(await ownerQuery(`SELECT 1 FROM audit_log WHERE action = 'client.deleted'`)).to.deep.equal([]);
    expect((await userTriggers()).every((t) => t.enabled === 'O')).to.equal(true);
  });
});
