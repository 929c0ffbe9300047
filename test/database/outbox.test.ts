// The outbox crosses tenants only through its SECURITY DEFINER functions, and only for the
// 'system' actor; claims are exclusive (FOR UPDATE SKIP LOCKED) even when deliverers race.
import { expect } from 'chai';
import { type ActorKind, inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { queueMail } from '../../services/mail/outbox.ts';
import { withConnection } from '../support/db-roles.ts';
import { testEnv } from '../support/env.ts';
import { type ClientRow, createClient, createUser, ownerQuery } from '../support/factories.ts';

interface Claimed {
  id: string;
  to_address: string;
  attempts: number;
}

async function pendingMail(client: ClientRow | null, count: number): Promise<string[]> {
  const { rows } = await testEnv().owner.query<{ id: string }>(
    `INSERT INTO mail_outbox (client_id, to_address, subject, text_body, kind)
     SELECT $1, 'to-' || g || '@example.com', 'Subject', 'Body', 'test' FROM generate_series(1, $2) g RETURNING id`,
    [client?.id ?? null, count],
  );
  return rows.map((r) => r.id);
}

function claim(actorKind: ActorKind, clientId: string | null, batch: number, during?: () => Promise<void>): Promise<Claimed[]> {
  return inUnitOfWork(testEnv().db.sequelize, { actorKind, clientId }, async () => {
    const rows = await sql<Claimed>(`SELECT * FROM mail_outbox_claim($1, '1 minute'::interval)`, [batch]);
    await during?.();
    return rows;
  });
}

async function statuses(): Promise<Record<string, number>> {
  const rows = await ownerQuery<{ status: string; attempts: number; n: number }>(
    `SELECT status, attempts, count(*)::int AS n FROM mail_outbox GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  return Object.fromEntries(rows.map((r) => [`${r.status}/${r.attempts}`, r.n]));
}

describe('outbox functions', () => {
  let a: ClientRow;
  let b: ClientRow;

  beforeEach(async () => {
    a = await createClient({ name: 'Outbox A' });
    b = await createClient({ name: 'Outbox B' });
  });

  it('claim returns nothing, and changes nothing, unless the actor is the system', async () => {
    await pendingMail(a, 3);
    await pendingMail(null, 1);
    const user = await createUser(a);
    const asUser = await inUnitOfWork(testEnv().db.sequelize, { actorKind: 'user', clientId: a.id, userId: user.id }, () =>
      sql<Claimed>(`SELECT * FROM mail_outbox_claim(100, '1 minute'::interval)`),
    );
    expect(asUser).to.deep.equal([]);
    for (const actorKind of ['staff', 'anonymous'] as const) {
      expect(await claim(actorKind, null, 100), actorKind).to.deep.equal([]);
      expect(await claim(actorKind, a.id, 100), `${actorKind} in client A`).to.deep.equal([]);
    }
    // Without any context on a raw connection, too.
    expect(await withConnection('app', async (c) => (await c.query(`SELECT * FROM mail_outbox_claim(100, '1 minute'::interval)`)).rows)).to.deep.equal([]);
    expect(await statuses()).to.deep.equal({ 'pending/0': 4 });
  });

  it('claims the pending mail of every client, and of none, exactly once as the system', async () => {
    const ids = [...(await pendingMail(a, 2)), ...(await pendingMail(b, 2)), ...(await pendingMail(null, 1))];
    await testEnv().owner.query(`INSERT INTO mail_outbox (client_id, to_address, subject, kind, next_attempt_at) VALUES ($1, 'later@example.com', 'Later', 'test', now() + interval '1 hour')`, [a.id]);
    const first = await claim('system', null, 100);
    expect(first.map((r) => r.id).sort()).to.deep.equal(ids.sort());
    expect(first.every((r) => r.attempts === 1)).to.equal(true);
    expect(await claim('system', null, 100), 'leased rows are not claimed again').to.deep.equal([]);
    expect(await statuses()).to.deep.equal({ 'sending/1': 5, 'pending/0': 1 });
  });

  it('never hands a row to two racing claims, and a claim does not wait for another', async () => {
    const ids = await pendingMail(a, 10);
    ids.push(...(await pendingMail(b, 10)));
    let firstClaimed!: () => void;
    const firstHasClaimed = new Promise<void>((resolve) => (firstClaimed = resolve));
    const finished: string[] = [];
    // The first claim keeps its transaction (and its row locks) open while the second one runs.
    const first = claim('system', null, 10, async () => {
      firstClaimed();
      await sql('SELECT pg_sleep(0.5)');
    }).then((rows) => (finished.push('first'), rows));
    await firstHasClaimed;
    const second = claim('system', null, 100).then((rows) => (finished.push('second'), rows));
    const [one, two] = await Promise.all([first, second]);
    expect(one).to.have.length(10);
    expect(two).to.have.length(10);
    expect(finished, 'SKIP LOCKED: the second claim skipped the locked rows instead of waiting').to.deep.equal(['second', 'first']);
    const all = [...one, ...two].map((r) => r.id);
    expect(new Set(all).size).to.equal(20);
    expect(all.sort()).to.deep.equal(ids.sort());
    expect(await statuses()).to.deep.equal({ 'sending/1': 20 });
  });

  it('splits a backlog among concurrent claimers with no row claimed twice', async () => {
    const ids = [...(await pendingMail(a, 25)), ...(await pendingMail(b, 25)), ...(await pendingMail(null, 10))];
    const claimed: string[] = [];
    // Four claimers (the pool's size) draining in small batches until nothing is left.
    const claimer = async () => {
      for (;;) {
        const rows = await claim('system', null, 3);
        if (rows.length === 0) return;
        claimed.push(...rows.map((r) => r.id));
      }
    };
    await Promise.all([claimer(), claimer(), claimer(), claimer()]);
    expect(claimed).to.have.length(60);
    expect(new Set(claimed).size).to.equal(60);
    expect(claimed.sort()).to.deep.equal(ids.sort());
    expect(await statuses()).to.deep.equal({ 'sending/1': 60 });
  });

  it('settles a claimed row only as the system', async () => {
    const [id] = await testEnv().owner.query<{ id: string }>(
      `INSERT INTO mail_outbox (client_id, to_address, subject, text_body, kind, sensitive) VALUES ($1, 'x@example.com', 'Reset', 'secret link', 'test', true) RETURNING id`,
      [a.id],
    ).then((r) => r.rows.map((row) => row.id));
    await claim('system', null, 10);
    const settle = `SELECT mail_outbox_settle($1, true, 'test', NULL, 8)`;
    const user = await createUser(a);
    await inUnitOfWork(testEnv().db.sequelize, { actorKind: 'user', clientId: a.id, userId: user.id }, () => sql(settle, [id]));
    expect(await ownerQuery('SELECT status, text_body FROM mail_outbox WHERE id = $1', [id])).to.deep.equal([{ status: 'sending', text_body: 'secret link' }]);
    await inUnitOfWork(testEnv().db.sequelize, { actorKind: 'system' }, () => sql(settle, [id]));
    expect(await ownerQuery('SELECT status, text_body FROM mail_outbox WHERE id = $1', [id])).to.deep.equal([{ status: 'sent', text_body: null }]);
  });

  it('lets a system actor without a client queue mail through the app (a client-less row)', async () => {
    await inUnitOfWork(testEnv().db.sequelize, { actorKind: 'system' }, () =>
      queueMail({ to: 'ops@example.com', subject: 'System notice', text: 'Hello', kind: 'test' }),
    );
    expect(await ownerQuery('SELECT client_id, to_address, status FROM mail_outbox')).to.deep.equal([
      { client_id: null, to_address: 'ops@example.com', status: 'pending' },
    ]);
  });
});
