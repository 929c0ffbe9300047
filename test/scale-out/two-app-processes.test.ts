// Two real app processes (server.ts) on one database, as behind a load balancer: a session made on
// one is good on the other, the jobs both start at the same moment do their work once (advisory
// locks), and the outbox both deliver sends each message once (SKIP LOCKED).
import { expect } from 'chai';
import pg from 'pg';
import supertest from 'supertest';
import { testEnv } from '../support/env.ts';
import { createUser, ownerQuery, VALID_PASSWORD } from '../support/factories.ts';
import { cookiePair } from '../support/auth-helpers.ts';
import { csrfFrom, sessionCookie } from '../support/http.ts';
import { insertOutbox, messageId } from '../support/mail-helpers.ts';
import { smtpForSuite } from '../support/smtp.ts';
import { grantScope } from '../support/hierarchy-factories.ts';
import { type AppProcess, type Install, removeInstall, scratchInstall, startApp } from '../ops/app-process.ts';
import { createItem, createSite, type Site } from '../generation/generation-factories.ts';

/** The first key of the advisory lock a start holds while it records the running versions. */
const VERSIONS_LOCK_KEY = 727_021;
const today = () => new Date().toISOString().slice(0, 10);

describe('two app processes on one database', function () {
  this.timeout(120_000);
  const smtp = smtpForSuite();
  let installs: Install[] = [];
  let apps: AppProcess[] = [];
  let site: Site;
  let itemIds: string[];
  let queuedId: string;

  const url = (i: number) => `http://127.0.0.1:${installs[i]!.env.PORT}`;
  /** Both processes have logged a full notification pass (which follows their start-up generation pass). */
  const passesDone = async () => {
    for (const deadline = Date.now() + 60_000; !apps.every((a) => a.output().includes('"msg":"notification pass"')); await new Promise((r) => setTimeout(r, 100))) {
      if (Date.now() > deadline) throw new Error(`the passes did not finish:\n${apps.map((a) => a.output()).join('\n---\n')}`);
    }
  };

  beforeEach(async () => {
    // The work both will find at start-up: due events to generate (a daily and a weekly item, due
    // from today, assigned so their notices are urgent) and one message already in the outbox.
    site = await createSite();
    await grantScope(site.assignee, null);
    itemIds = [];
    for (let i = 0; i < 20; i++) {
      itemIds.push(await createItem(site, { activity: `Daily walk-round ${i}`, rrule: 'FREQ=DAILY', start: today(), leadTimeDays: 10 }));
      itemIds.push(await createItem(site, { activity: `Weekly test ${i}`, rrule: 'FREQ=WEEKLY', start: today(), leadTimeDays: 30 }));
    }
    [queuedId] = await insertOutbox(1, { to: () => 'queued-once@example.com', subject: () => 'Queued before both started' });
    const { urls } = testEnv();
    installs = await Promise.all(['scale-a', 'scale-b'].map(async (label) => {
      const install = await scratchInstall(label);
      Object.assign(install.env, {
        DATABASE_URL: urls.owner, DATABASE_APP_URL: urls.app, DATABASE_SESSION_URL: urls.session,
        SMTP_URL: smtp.url, LOG_LEVEL: 'info',
      });
      return install;
    }));
    // Started together and held at one barrier: each start records the running versions under an
    // advisory lock (services/operations/versions.ts) before it starts its jobs. With the test
    // holding that lock until both wait for it, both then run event generation, the notification
    // pass and outbox delivery at the same moment.
    const barrier = new pg.Client({ connectionString: urls.owner });
    await barrier.connect();
    let started: PromiseSettledResult<AppProcess>[];
    try {
      await barrier.query('SELECT pg_advisory_lock($1, 0)', [VERSIONS_LOCK_KEY]);
      const starting = Promise.allSettled(installs.map((install) => startApp(install)));
      for (const deadline = Date.now() + 60_000; ; await new Promise((r) => setTimeout(r, 50))) {
        const { rows } = await barrier.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objid = 0 AND objsubid = 2 AND NOT granted`, [VERSIONS_LOCK_KEY]);
        if (rows[0]!.n === 2 || Date.now() > deadline) break;
      }
      await barrier.query('SELECT pg_advisory_unlock($1, 0)', [VERSIONS_LOCK_KEY]);
      started = await starting;
    } finally {
      await barrier.end();
    }
    apps = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  });

  afterEach(async () => {
    await Promise.all(installs.map((install, i) => removeInstall(install, apps[i])));
    installs = [];
    apps = [];
  });

  it('accepts on process B a session signed in through the form on process A, and signs it out everywhere', async () => {
    const user = await createUser(site.client, { rank: 'manager', name: 'Shared Session Person' });
    await grantScope(user, null);
    const a = supertest.agent(url(0));
    const form = await a.get('/login').expect(200);
    const signedIn = await a.post('/login').type('form').send({ _csrf: csrfFrom(form.text), email: user.email, password: VALID_PASSWORD }).expect(303);
    const cookie = cookiePair(sessionCookie(signedIn)!);

    const onB = await supertest(url(1)).get('/').set('Cookie', cookie).expect(200);
    expect(onB.text).to.include('Shared Session Person');
    expect(onB.text).to.include(site.client.name);
    // The CSRF secret lives in the session too: a form from A's page is accepted by B.
    const page = await supertest(url(0)).get('/').set('Cookie', cookie).expect(200);
    await supertest(url(1)).post('/logout').set('Cookie', cookie).type('form').send({ _csrf: csrfFrom(page.text) }).expect(303);
    const afterSignOut = await supertest(url(0)).get('/').set('Cookie', cookie).expect(303);
    expect(afterSignOut.headers.location).to.match(/^\/login/);
  });

  it('writes each event and each notice once when both generate and notify at the same moment', async () => {
    await passesDone();
    const events = await ownerQuery<{ plan_item_id: string; scheduled_date: string; n: number }>(
      `SELECT plan_item_id, scheduled_date::text, count(*)::int AS n FROM events WHERE plan_item_id = ANY($1) GROUP BY 1, 2`, [itemIds]);
    // Daily: today and the 10 days of lead time; weekly: today's and the next ones within 30 days.
    for (const [i, id] of itemIds.entries()) expect(events.filter((e) => e.plan_item_id === id)).to.have.length.of.at.least(i % 2 ? 4 : 10);
    expect(events.filter((e) => e.n !== 1), 'events written twice').to.deep.equal([]);

    const notices = await ownerQuery<{ n: number }>(
      `SELECT count(*)::int AS n FROM notifications WHERE client_id = $1 GROUP BY event_id, plan_item_id, recipient_id, kind, due_for`, [site.client.id]);
    expect(notices, 'the pass noticed the assignments').not.to.deep.equal([]);
    expect(notices.filter((row) => row.n !== 1), 'notices written twice').to.deep.equal([]);
    // Both ran a generation pass; the events are one process's work (the other found the client's
    // advisory lock held, or nothing left to create).
    const created = apps.map((app) => {
      const line = app.output().split('\n').find((l) => l.includes('"msg":"event generation pass"'));
      return (JSON.parse(line!) as { created: number }).created;
    });
    expect(created.reduce((a, b) => a + b)).to.equal(events.length);
    expect(created.filter((n) => n > 0)).to.have.length(1);
  });

  it('delivers each outbox message exactly once while both processes deliver', async () => {
    await passesDone();
    // Wait until nothing is left to send (the notification mail too).
    for (const deadline = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 100))) {
      const [left] = await ownerQuery<{ n: number }>(`SELECT count(*)::int AS n FROM mail_outbox WHERE status <> 'sent'`);
      if (left!.n === 0) break;
      if (Date.now() > deadline) throw new Error('the outbox was not drained');
    }
    const sent = await ownerQuery<{ id: string; attempts: number }>(`SELECT id, attempts FROM mail_outbox ORDER BY id`);
    expect(sent.length).to.be.greaterThan(1);
    const received = smtp.received.map((m) => messageId(m.raw));
    expect(received.filter((id) => id === `<${queuedId}@plantrak>`)).to.have.length(1);
    expect(received).to.have.length(sent.length);
    expect(new Set(received).size).to.equal(sent.length);
    expect(sent.every((row) => row.attempts === 1)).to.equal(true);
  });
});
