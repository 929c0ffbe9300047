// sql() prepares each statement once per connection. When a migration changes what one returns
// (a column added to a table a `SELECT *` reads) while the server runs, PostgreSQL refuses that
// prepared statement on every connection holding it: the unit of work that meets it fails, and
// from then on every text is prepared afresh, so the next request works again on the same
// connection.
import { expect } from 'chai';
import { Sequelize } from 'sequelize';
import { guardQueries, inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { testEnv } from '../support/env.ts';
import { ownerQuery } from '../support/factories.ts';

const rejection = async (p: Promise<unknown>): Promise<Error> => p.then(() => { throw new Error('expected a rejection'); }, (e: Error) => e);

describe('prepared statements and a table changed under them', () => {
  let single: Sequelize;

  before(async () => {
    const { urls, roles } = testEnv();
    await ownerQuery('CREATE TABLE prepared_probe (id int PRIMARY KEY)');
    await ownerQuery(`GRANT SELECT ON prepared_probe TO ${roles.app}`);
    // One connection, so each unit of work below runs on the one that holds the statement.
    single = new Sequelize(urls.app, { dialect: 'postgres', logging: false, pool: { max: 1, min: 1 } });
    guardQueries(single);
  });

  after(async () => {
    await single.close();
    await ownerQuery('DROP TABLE IF EXISTS prepared_probe');
  });

  it('fails the one unit of work that meets the changed result, then prepares afresh', async () => {
    // Inserted here: the suite empties every table before each test.
    await ownerQuery('INSERT INTO prepared_probe VALUES (1)');
    const read = () => inUnitOfWork(single, { actorKind: 'system' }, () => sql<Record<string, unknown>>('SELECT * FROM prepared_probe ORDER BY id'));
    expect(await read()).to.deep.equal([{ id: 1 }]);
    await ownerQuery('ALTER TABLE prepared_probe ADD COLUMN note text');
    const failed = await rejection(read());
    expect(failed.message).to.match(/cached plan must not change result type/);
    expect(await read()).to.deep.equal([{ id: 1, note: null }]);
    expect(await read()).to.deep.equal([{ id: 1, note: null }]);
  });
});
