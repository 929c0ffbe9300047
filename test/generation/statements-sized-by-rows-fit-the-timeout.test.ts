// Generation statements are sized by rows, not items: a client of many daily items with a long
// lead time still generates when every statement must finish within a short statement_timeout.
// (Sized by items, its one INSERT of every row passed the runtime role's 15 s limit, every pass
// then failed with SQLSTATE 57014, and that client's events stopped for good.)
import { expect } from 'chai';
import { inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { type Database, openDatabase } from '../../models/index.ts';
import { generateEvents } from '../../services/events/generation.ts';
import { testEnv } from '../support/env.ts';
import { ownerQuery } from '../support/factories.ts';
import { createSite, datesOf, nextDueOf } from './generation-factories.ts';

const NOW = new Date('2026-03-10T12:00:00Z');
const ITEMS = 1_000;
const LEAD_TIME = 120;
/** Far below the runtime role's 15 s, and far above what a row-capped statement needs. */
const STATEMENT_TIMEOUT_MS = 1_500;

describe('event generation: statements sized by rows fit the statement timeout', function () {
  this.timeout(120_000);
  let short: Database;
  const durations: number[] = [];
  before(() => {
    // The runtime role with a short statement_timeout (the connection's setting overrides the role's).
    const url = new URL(testEnv().urls.app);
    url.searchParams.set('options', `-c statement_timeout=${STATEMENT_TIMEOUT_MS}`);
    short = openDatabase({ app: url.toString(), session: testEnv().urls.session }, 4);
    Object.assign((short.sequelize as unknown as { options: object }).options, {
      benchmark: true,
      logging: (_text: string, ms?: number) => durations.push(ms ?? 0),
    });
  });
  after(async () => {
    await short.close();
  });

  it(`generates ${ITEMS} daily items with a ${LEAD_TIME}-day lead time in statements that each finish within ${STATEMENT_TIMEOUT_MS} ms`, async () => {
    const site = await createSite();
    const [{ timeout }] = await inShortSession(short);
    expect(timeout).to.equal(`${STATEMENT_TIMEOUT_MS}ms`);
    const ids = (
      await ownerQuery<{ id: string }>(
        `INSERT INTO plan_items (client_id, facility_id, activity, assignee_id, schedule_kind, rrule, schedule_start, lead_time_days)
         SELECT $1, $2, 'Daily round ' || i, $3, 'calendar', 'FREQ=DAILY', '2026-03-10', $4 FROM generate_series(1, $5) i RETURNING id`,
        [site.client.id, site.facility.id, site.assignee.id, LEAD_TIME, ITEMS],
      )
    ).map((r) => r.id);
    await ownerQuery('ANALYZE plan_items');

    durations.length = 0;
    const result = await generateEvents(short.sequelize, { now: NOW });

    // 10 March through 8 July (today + 120) is 121 days.
    expect(result.failures).to.deep.equal([]);
    expect(result).to.deep.include({ clients: 1, items: ITEMS, created: ITEMS * (LEAD_TIME + 1) });
    const [{ n }] = await ownerQuery<{ n: number }>('SELECT count(*)::int AS n FROM events');
    expect(n).to.equal(ITEMS * (LEAD_TIME + 1));
    expect(await datesOf(ids[0]!)).to.have.length(LEAD_TIME + 1);
    expect(await nextDueOf(ids[ITEMS - 1]!)).to.equal('2026-03-10');
    expect(Math.max(...durations)).to.be.below(STATEMENT_TIMEOUT_MS);
    // A repeat run has nothing to insert and stays within the limit too.
    expect(await generateEvents(short.sequelize, { now: NOW })).to.deep.include({ created: 0, failures: [] });
  });
});

/** The short connection's own statement_timeout, read in a unit of work. */
async function inShortSession(db: Database): Promise<Array<{ timeout: string }>> {
  return inUnitOfWork(db.sequelize, { actorKind: 'system' }, () => sql<{ timeout: string }>('SELECT current_setting($1) AS timeout', ['statement_timeout']));
}
