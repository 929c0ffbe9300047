// Regression: while a client requires two-factor sign-in, a signed-in user without it reaches only
// the enrolment pages. Walking the route table covers every signed-in route, present and future:
// each answers 303 to the enrolment page and changes nothing in the database.
import { expect } from 'chai';
import { appRouteTable } from '../../routes/index.ts';
import { signedIn } from '../../middleware/action.ts';
import { testConfig, testEnv } from '../support/env.ts';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { createUnit } from '../support/hierarchy-factories.ts';
import { csrfFrom, signedInAgent, testApp } from '../support/http.ts';

const OPEN_DURING_ENROLMENT = new Set(['get /account', 'get /account/two-factor', 'post /account/two-factor/setup', 'post /account/two-factor/confirm']);

async function fingerprint(clientId: string): Promise<string> {
  const parts: string[] = [];
  for (const table of ['clients', 'org_units', 'users', 'user_scopes', 'recovery_codes']) {
    const column = table === 'clients' ? 'id' : 'client_id';
    const [row] = await ownerQuery<{ digest: string | null }>(`SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest FROM ${table} t WHERE ${column} = $1`, [clientId]);
    parts.push(`${table}:${row.digest}`);
  }
  return parts.join(' ');
}

describe('the enrolment gate covers every signed-in route', () => {
  it('sends every other signed-in route to enrolment and changes nothing', async () => {
    const client = await createClient();
    await ownerQuery(`UPDATE clients SET settings = settings || '{"requireTotp": true}' WHERE id = $1`, [client.id]);
    const admin = await createUser(client, { rank: 'administrator' });
    const target = await createUser(client, { rank: 'associate' });
    const unit = await createUnit(client, { kind: 'region', name: 'North' });
    const agent = await signedInAgent(testApp(), admin.email, admin.password);
    const token = csrfFrom((await agent.get('/account/two-factor').expect(200)).text);
    const before = await fingerprint(client.id);

    const routes = appRouteTable({ config: testConfig(), db: testEnv().db, sessionSecret: 'x'.repeat(40) })
      .filter(([, , guards]) => guards.includes(signedIn))
      .filter(([verb, path]) => !OPEN_DURING_ENROLMENT.has(`${verb} ${path}`));
    expect(routes.length).to.be.greaterThan(20);
    for (const [verb, path] of routes) {
      const url = path.replace(':id', path.startsWith('/users') ? target.id : unit.id);
      const res = verb === 'get'
        ? await agent.get(url)
        : await agent.post(url).type('form').send({ _csrf: token, name: 'Changed', code: 'X', confirm: 'yes', requireTotp: 'on', region: 'A', division: 'B', facility: 'C', rank: 'administrator' });
      expect(res.status, `${verb} ${path}`).to.equal(303);
      expect(res.headers.location, `${verb} ${path}`).to.equal('/account/two-factor');
    }
    expect(await fingerprint(client.id)).to.equal(before);
  });
});
