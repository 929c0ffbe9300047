// Regression: signing in again from inside a visit drops it from the browser session without ending it.
import { expect } from 'chai';
import { createClient, createUser } from '../support/factories.ts';
import { submitForm, testApp } from '../support/http.ts';
import { createStaff, signedInStaffAgent } from '../support/staff.ts';
import { requestEntry, visitRows } from './helpers.ts';

describe('a visit abandoned by a new sign-in', () => {
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  // controllers/staff-sessions.ts create (and controllers/sessions.ts create) regenerate the session without
  // ending staff.support: the visit stays 'active' (shown "in progress" to the client) though nobody holds it.
  it('ends the open visit when the browser signs in again on /admin/login', async () => {
    const client = await createClient({ name: 'Dropped Co' });
    await createUser(client, { rank: 'administrator' });
    const staff = await createStaff({ role: 'application_developer' });
    const agent = await signedInStaffAgent(app, staff);
    const entered = await requestEntry(agent, staff, client);
    expect(entered.status, entered.text).to.equal(303);
    const again = await submitForm(agent, '/admin/support/new', '/admin/login', { email: staff.email, password: staff.password });
    expect(again.status, again.text).to.equal(303);
    expect((await agent.get('/users')).status, 'the browser is no longer inside the visit').to.equal(303);
    const [visit] = await visitRows();
    expect(visit.status, 'the abandoned visit must be ended').to.equal('ended');
  });
});
