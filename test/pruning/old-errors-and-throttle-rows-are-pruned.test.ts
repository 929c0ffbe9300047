// Scheduled pruning removes server errors older than the kept days and throttle rows long past
// their window, keeping recent ones; only the system actor may prune.
import { expect } from 'chai';
import { inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { ERRORS_KEPT_DAYS, pruneOperationalRows } from '../../services/operations/pruning.ts';
import { testEnv } from '../support/env.ts';
import { ownerQuery } from '../support/factories.ts';

describe('pruning of operational rows', () => {
  it('removes old errors and throttle rows and keeps recent ones', async () => {
    await ownerQuery(`INSERT INTO app_errors (occurred_at, method, path, status, error_name, message) VALUES
      (now() - make_interval(days => $1 + 1), 'GET', '/old', 500, 'Error', 'old'), (now() - interval '1 hour', 'GET', '/new', 500, 'Error', 'new')`, [ERRORS_KEPT_DAYS]);
    await ownerQuery(`INSERT INTO login_throttle (key, window_started_at, failures) VALUES ('old', now() - interval '3 days', 2), ('new', now(), 1)`);
    expect(await pruneOperationalRows(testEnv().db.sequelize)).to.deep.equal({ errors: 1, throttle: 1 });
    expect(await ownerQuery('SELECT path FROM app_errors')).to.deep.equal([{ path: '/new' }]);
    expect(await ownerQuery('SELECT key FROM login_throttle')).to.deep.equal([{ key: 'new' }]);
    let refused = false;
    try {
      await inUnitOfWork(testEnv().db.sequelize, { actorKind: 'staff' }, () => sql('SELECT * FROM ops_prune(1, 1)'));
    } catch {
      refused = true;
    }
    expect(refused).to.equal(true);
  });
});
