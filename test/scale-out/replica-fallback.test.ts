// Reports and downloads read from a streaming standby (DATABASE_REPLICA_URL) while it keeps up, as
// the runtime role under row-level security, and from the primary when the standby is down or its
// replay lags beyond REPLICA_MAX_LAG_SECONDS; the download's audit entry is always the primary's.
// A real primary and hot standby (Debian's postgresql-15), shared by the cases.
import { randomUUID } from 'node:crypto';
import bcrypt from 'bcrypt';
import { expect } from 'chai';
import type { Express } from 'express';
import supertest from 'supertest';
import { buildApp } from '../../app.ts';
import { type Database, openDatabase } from '../../models/index.ts';
import { testConfig } from '../support/env.ts';
import { VALID_PASSWORD } from '../support/factories.ts';
import { type Agent, signedInAgent } from '../support/http.ts';
import { captureLogs } from '../support/logs.ts';
import { type StreamingPair, startStreamingPair } from '../support/streaming-pair.ts';

const METRICS_TOKEN = 'replica-test-metrics-token-0123456789abcdef';

/** The fallback lines logged, parsed; the lines must name no client data. */
function fallbackLines(lines: string[], clientData: string[]): Array<{ reason: string }> {
  for (const line of lines) for (const value of clientData) expect(line).not.to.include(value);
  return lines.map((l) => JSON.parse(l) as { msg: string; reason: string }).filter((l) => l.msg === 'replica reads fall back to the primary');
}

/** The replica counters as /metrics shows them. */
async function replicaCounters(app: Express): Promise<{ reads: number; unreachable: number; lagging: number }> {
  const res = await supertest(app).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200);
  const value = (pattern: RegExp) => Number(pattern.exec(res.text)?.[1] ?? 0);
  return {
    reads: value(/^plantrak_replica_reads_total (\S+)$/m),
    unreachable: value(/^plantrak_replica_fallbacks_total\{reason="unreachable"\} (\S+)$/m),
    lagging: value(/^plantrak_replica_fallbacks_total\{reason="lagging"\} (\S+)$/m),
  };
}

describe('reads on a streaming replica, with fallback to the primary', function () {
  this.timeout(120_000);
  let pair: StreamingPair | undefined;
  let db: Database | undefined;
  let apps: Record<'bounded30' | 'bounded1', Express>;
  let admin: Record<'bounded30' | 'bounded1', Agent>;
  const emails = { mine: [] as string[], other: '' };

  async function insertUser(clientId: string, rank: string, wholeScope = false): Promise<string> {
    const email = `user-${randomUUID().slice(0, 8)}@example.com`;
    const { rows } = await pair!.primaryAdmin.query<{ id: string }>(
      `INSERT INTO users (client_id, email, name, rank, status, password_hash, password_changed_at)
       VALUES ($1, $2, 'Replica Reader', $3, 'active', $4, now()) RETURNING id`,
      [clientId, email, rank, await bcrypt.hash(VALID_PASSWORD, 4)],
    );
    if (wholeScope) await pair!.primaryAdmin.query('INSERT INTO user_scopes (client_id, user_id, org_unit_id) VALUES ($1, $2, NULL)', [clientId, rows[0]!.id]);
    return email;
  }

  async function insertClient(name: string): Promise<string> {
    const { rows } = await pair!.primaryAdmin.query<{ id: string }>(`INSERT INTO clients (name, time_zone) VALUES ($1, 'UTC') RETURNING id`, [name]);
    return rows[0]!.id;
  }

  /** The e-mail column of the users download. */
  const emailsIn = (csv: string) => csv.replace(/^\uFEFF/, '').trim().split(/\r?\n/).slice(1).map((line) => line.split(',')[1]!).sort();

  /** The users downloads' audit entries, on the primary. */
  const downloadAudits = async () => Number((await pair!.primaryAdmin.query<{ n: string }>(`SELECT count(*) AS n FROM audit_log WHERE action = 'users.exported'`)).rows[0]!.n);

  before(async () => {
    pair = await startStreamingPair('replica');
    const mine = await insertClient('Replica Water');
    const other = await insertClient('Other Water');
    const adminEmail = await insertUser(mine, 'administrator', true);
    emails.mine = [adminEmail, await insertUser(mine, 'associate')];
    emails.other = await insertUser(other, 'administrator', true);
    await pair.caughtUp();
    db = openDatabase(pair.urls, 3, { replicaUrl: pair.replicaUrl });
    const appFor = (lag: string) => {
      const config = testConfig({
        DATABASE_URL: pair!.urls.owner, DATABASE_APP_URL: pair!.urls.app, DATABASE_SESSION_URL: pair!.urls.session,
        DATABASE_REPLICA_URL: pair!.replicaUrl, REPLICA_MAX_LAG_SECONDS: lag, METRICS_TOKEN,
      });
      return buildApp({ config, db: db!, sessionSecret: config.sessionSecret! });
    };
    apps = { bounded30: appFor('30'), bounded1: appFor('1') };
    admin = {
      bounded30: await signedInAgent(apps.bounded30, adminEmail, VALID_PASSWORD),
      bounded1: await signedInAgent(apps.bounded1, adminEmail, VALID_PASSWORD),
    };
  });

  after(async () => {
    await db?.close();
    await pair?.stop();
  });

  it('serves a download from the healthy replica: the primary\'s rows, another client\'s invisible, the audit entry on the primary', async () => {
    await pair!.caughtUp();
    const before = await replicaCounters(apps.bounded30);
    const auditsBefore = await downloadAudits();
    const res = await admin.bounded30.get('/users/export.csv').expect(200);
    expect(emailsIn(res.text)).to.deep.equal([...emails.mine].sort());
    expect(res.text).not.to.include(emails.other);
    const after = await replicaCounters(apps.bounded30);
    expect(after.reads - before.reads).to.equal(1);
    expect(after.unreachable + after.lagging).to.equal(before.unreachable + before.lagging);
    // The standby refuses writes: the entry can only have been written on the primary.
    expect(await downloadAudits()).to.equal(auditsBefore + 1);
    // A report page reads there too.
    await admin.bounded30.get('/reports/open').expect(200);
    expect((await replicaCounters(apps.bounded30)).reads - after.reads).to.equal(1);
  });

  it('serves the same read from the primary while the standby is stopped, counting the fallback', async () => {
    const healthy = await admin.bounded30.get('/users/export.csv').expect(200);
    const before = await replicaCounters(apps.bounded30);
    await pair!.stopStandby();
    const logs = captureLogs();
    try {
      const res = await admin.bounded30.get('/users/export.csv').expect(200);
      expect(res.text).to.equal(healthy.text);
      const after = await replicaCounters(apps.bounded30);
      expect(after.unreachable - before.unreachable).to.equal(1);
      expect(after.reads).to.equal(before.reads);
      await admin.bounded30.get('/reports/open').expect(200);
      expect((await replicaCounters(apps.bounded30)).unreachable - after.unreachable).to.equal(1);
      // Logged once, at the change, not for every read.
      expect(fallbackLines(logs.lines, [...emails.mine, emails.other, 'Replica Water']).map((l) => l.reason)).to.deep.equal(['unreachable']);
    } finally {
      logs.restore();
      await pair!.startStandby();
    }
    await pair!.caughtUp();
  });

  it('falls back to the primary, showing the newest row, while the standby\'s replay lags beyond the bound', async () => {
    await pair!.caughtUp();
    await pair!.standbyAdmin.query('SELECT pg_wal_replay_pause()');
    try {
      const newest = await insertUser((await pair!.primaryAdmin.query<{ id: string }>(`SELECT id FROM clients WHERE name = 'Replica Water'`)).rows[0]!.id, 'manager');
      await pair!.received();
      // Past the 1-second bound: the last commit the standby replayed is older than that now.
      for (const deadline = Date.now() + 10_000; ; await new Promise((r) => setTimeout(r, 100))) {
        const { rows } = await pair!.standbyAdmin.query<{ lag: number }>('SELECT extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS lag');
        if (rows[0]!.lag > 1.5) break;
        if (Date.now() > deadline) throw new Error('the standby did not fall behind');
      }
      const standbyRows = await pair!.standbyAdmin.query('SELECT 1 FROM users WHERE email = $1', [newest]);
      expect(standbyRows.rowCount, 'the paused standby does not have the row').to.equal(0);

      const before = await replicaCounters(apps.bounded1);
      const logs = captureLogs();
      const res = await Promise.resolve(admin.bounded1.get('/users/export.csv').expect(200)).finally(() => logs.restore());
      expect(fallbackLines(logs.lines, [...emails.mine, emails.other, newest]).map((l) => l.reason)).to.deep.equal(['lagging']);
      expect(emailsIn(res.text)).to.deep.equal([...emails.mine, newest].sort());
      const after = await replicaCounters(apps.bounded1);
      expect(after.lagging - before.lagging).to.equal(1);
      expect(after.reads).to.equal(before.reads);
    } finally {
      await pair!.standbyAdmin.query('SELECT pg_wal_replay_resume()');
    }
    // Replayed again, the replica serves once more (with the new row).
    await pair!.caughtUp();
    await new Promise((r) => setTimeout(r, 1_100));
    const before = await replicaCounters(apps.bounded1);
    const res = await admin.bounded1.get('/users/export.csv').expect(200);
    expect(emailsIn(res.text)).to.have.length(3);
    expect((await replicaCounters(apps.bounded1)).reads - before.reads).to.equal(1);
  });
});
