// A failing Plan Item is recorded on the admin errors page once a day across every app server,
// not once per server: the second process to meet the same failure finds it recorded.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { generateEvents } from '../../services/events/generation.ts';
import { BASE_TEST_ENV, testEnv } from '../support/env.ts';
import { ownerQuery } from '../support/factories.ts';
import { createItem, createSite } from '../generation/generation-factories.ts';

const root = path.resolve(import.meta.dirname, '../..');
const jobErrors = () => ownerQuery<{ path: string; message: string }>(`SELECT path, message FROM app_errors WHERE method = 'JOB' ORDER BY occurred_at`);

describe('job failures recorded once across processes', function () {
  this.timeout(60_000);

  it('records a generation failure once when this process and another (npm run events:generate) both meet it the same day', async () => {
    const site = await createSite();
    const broken = await createItem(site, { rrule: 'FREQ=DAILY', start: '2026-03-01' });
    await ownerQuery(`UPDATE plan_items SET rrule = 'FREQ=SOMETIMES;BYDAY=9XX' WHERE id = $1`, [broken]);
    const other = await createSite();
    const alsoBroken = await createItem(other, { rrule: 'FREQ=DAILY', start: '2026-03-01' });

    await generateEvents(testEnv().db.sequelize, { clientIds: [site.client.id] });
    expect((await jobErrors()).map((r) => r.path)).to.deep.equal([`event generation: client ${site.client.id} plan item ${broken}`]);

    // The other server: a process of its own, which never saw this one's failure.
    await ownerQuery(`UPDATE plan_items SET rrule = 'FREQ=SOMETIMES;BYDAY=9XX' WHERE id = $1`, [alsoBroken]);
    const { urls } = testEnv();
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/generate-events.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH, ...BASE_TEST_ENV, DATABASE_URL: urls.owner, DATABASE_APP_URL: urls.app, DATABASE_SESSION_URL: urls.session },
      timeout: 60_000,
    });
    // The known failure is not recorded again; the one new to both is recorded once.
    expect((await jobErrors()).map((r) => r.path)).to.deep.equal([
      `event generation: client ${site.client.id} plan item ${broken}`,
      `event generation: client ${other.client.id} plan item ${alsoBroken}`,
    ]);

    // And the same process running again records nothing new either.
    await generateEvents(testEnv().db.sequelize, { clientIds: [site.client.id, other.client.id] });
    expect(await jobErrors()).to.have.length(2);
  });
});
