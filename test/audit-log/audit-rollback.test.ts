// "Audit writes never fail silently": when the audit insert fails, the change it records is
// rolled back with it, because both run in the request's one transaction (DESIGN.md §8.2, §8.5).
import { expect } from 'chai';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { csrfToken, signedInAgent, testApp } from '../support/http.ts';

describe('audit writes never fail silently', () => {
  before(async () => {
    // Refuses one action's audit entry only, so signing in (also audited) still works.
    await ownerQuery(`
      CREATE FUNCTION test_refuse_user_update_audit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.action = 'user.update' THEN RAISE EXCEPTION 'audit insert refused by the test'; END IF;
          RETURN NEW;
        END $$;
      CREATE TRIGGER test_refuse_user_update_audit BEFORE INSERT ON audit_log
        FOR EACH ROW EXECUTE FUNCTION test_refuse_user_update_audit();
    `);
  });
  after(async () => {
    await ownerQuery(`
      DROP TRIGGER IF EXISTS test_refuse_user_update_audit ON audit_log;
      DROP FUNCTION IF EXISTS test_refuse_user_update_audit();
    `);
  });

  it('answers 500 and leaves the user unchanged when the audit entry cannot be written', async () => {
    const client = await createClient();
    const admin = await createUser(client, { rank: 'administrator' });
    const target = await createUser(client, { name: 'Tom Target', rank: 'associate' });
    const agent = await signedInAgent(testApp(), admin.email, admin.password);
    const snapshot = async () => ({
      user: (await ownerQuery('SELECT rank, status, updated_at FROM users WHERE id = $1', [target.id]))[0],
      scope: await ownerQuery('SELECT org_unit_id FROM user_scopes WHERE user_id = $1 ORDER BY org_unit_id', [target.id]),
    });
    const before = await snapshot();

    const token = await csrfToken(agent, `/users/${target.id}/edit`);
    const res = await agent.post(`/users/${target.id}`).type('form').send({ _csrf: token, rank: 'executive', scope: 'client' });
    expect(res.status).to.equal(500);
    expect(res.text).to.include('Nothing was saved.');
    expect(res.text).to.not.include('audit insert refused by the test');

    expect(await snapshot()).to.deep.equal(before);
    expect(before.user.rank).to.equal('associate');
    expect(await ownerQuery(`SELECT 1 FROM audit_log WHERE action = 'user.update'`)).to.deep.equal([]);
  });
});
