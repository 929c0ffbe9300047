// The session store prunes expired sessions (connect-pg-simple, on a timer, as the session-store
// role); once the pool has ended with the database, a prune that falls due does nothing instead
// of failing on the ended pool.
import { expect } from 'chai';
import connectPgSimple from 'connect-pg-simple';
import session from 'express-session';
import pg from 'pg';
import { touchingLessOften } from '../../middleware/session-store.ts';
import { testEnv } from '../support/env.ts';
import { ownerQuery } from '../support/factories.ts';

const prune = (store: { pruneSessions(fn: (error?: Error) => void): void }) =>
  new Promise<Error | undefined>((resolve) => store.pruneSessions((error) => resolve(error ?? undefined)));

describe('expired sessions are pruned', () => {
  it('deletes expired rows and keeps live ones; after the pool has ended it does nothing, without an error', async () => {
    await ownerQuery(`INSERT INTO session (sid, sess, expire) VALUES ('gone', '{}', now() - interval '1 minute'), ('live', '{}', now() + interval '1 hour')`);
    const pool = new pg.Pool({ connectionString: testEnv().urls.session, max: 1 });
    const Store = touchingLessOften(connectPgSimple(session));
    const store = new Store({ pool, tableName: 'session', createTableIfMissing: false, pruneSessionInterval: false });

    expect(await prune(store)).to.equal(undefined);
    const left = await ownerQuery<{ sid: string }>(`SELECT sid FROM session WHERE sid IN ('gone', 'live') ORDER BY sid`);
    expect(left.map((r) => r.sid)).to.deep.equal(['live']);

    await pool.end();
    expect(await prune(store)).to.equal(undefined);
  });
});
