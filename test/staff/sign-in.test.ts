// Staff sign-in's second factor and session limits: a wrong or replayed code is refused
// and audited; an account without an authenticator cannot use the code step; staff sessions idle
// out after STAFF_SESSION_IDLE_MINUTES and end at STAFF_SESSION_ABSOLUTE_HOURS.
import { expect } from 'chai';
import supertest from 'supertest';
import { auditRows, setCookies } from '../support/auth-helpers.ts';
import { ownerQuery } from '../support/factories.ts';
import { type Agent, sessionCookie, submitForm, testApp } from '../support/http.ts';
import { type StaffRow, createStaff, freshCode, signedInStaffAgent, spentCode } from '../support/staff.ts';

async function passwordStep(app: ReturnType<typeof testApp>, staff: StaffRow): Promise<Agent> {
  const agent = supertest.agent(app);
  const res = await submitForm(agent, '/admin/login', '/admin/login', { email: staff.email, password: staff.password });
  expect(res.status, res.text).to.equal(303);
  return agent;
}

const codeStep = (agent: Agent, code: string) => submitForm(agent, '/admin/login/code', '/admin/login/code', { code });

/** The Expires of the session cookie a response set, in ms from now. */
function cookieLifetime(res: { headers: Record<string, unknown> }): number {
  const cookie = sessionCookie(res);
  expect(cookie, `session cookie in ${JSON.stringify(setCookies(res))}`).to.be.a('string');
  const expires = /Expires=([^;]+)/i.exec(cookie!)?.[1];
  expect(expires, cookie).to.be.a('string');
  return Date.parse(expires!) - Date.now();
}

describe('staff sign-in: second factor and session limits', function () {
  this.timeout(120_000);
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  it('refuses a wrong code (401, audited wrong_code) and then accepts the right one', async () => {
    const staff = await createStaff({ role: 'application_developer' });
    const agent = await passwordStep(app, staff);
    const right = await freshCode(staff);
    const wrong = await codeStep(agent, right === '000000' ? '999999' : '000000');
    expect(wrong.status).to.equal(401);
    expect(wrong.text).to.include('That code is not correct');
    expect((await agent.get('/admin/staff')).status).to.equal(303);
    const [failed] = await auditRows('staff.second_factor_failed');
    expect(failed).to.include({ client_id: null, entity_type: 'staff', entity_id: staff.id });
    expect(failed.changes).to.deep.equal({ step: 'sign_in', reason: 'wrong_code' });

    const ok = await codeStep(agent, right);
    expect(ok.status).to.equal(303);
    expect(ok.headers.location).to.equal('/admin');
    await agent.get('/admin/staff').expect(200);
  });

  it('refuses a replayed code (401, audited reused_code)', async () => {
    const staff = await createStaff({ role: 'technical_director' });
    const first = await signedInStaffAgent(app, staff);
    await first.get('/admin/staff').expect(200);
    const agent = await passwordStep(app, staff);
    const replay = await codeStep(agent, await spentCode(staff));
    expect(replay.status).to.equal(401);
    expect((await agent.get('/admin/staff')).status).to.equal(303);
    const failed = await auditRows('staff.second_factor_failed');
    expect(failed.map((a) => a.changes)).to.deep.equal([{ step: 'sign_in', reason: 'reused_code' }]);
  });

  it('sends an account without an authenticator to enrolment; its code step accepts nothing', async () => {
    const staff = await createStaff({ role: 'client_representative', enrolled: false });
    const agent = supertest.agent(app);
    const res = await submitForm(agent, '/admin/login', '/admin/login', { email: staff.email, password: staff.password });
    expect(res.headers.location).to.equal('/admin/login/enrol');
    // Skipping to the code step: refused, and the half-done sign-in is dropped.
    const skipped = await submitForm(agent, '/admin/login/enrol', '/admin/login/code', { code: '123456' });
    expect(skipped.status).to.equal(401);
    expect((await agent.get('/admin/staff')).status).to.equal(303);
    expect((await agent.get('/admin')).status).to.equal(303);
    const [{ enabled }] = await ownerQuery<{ enabled: boolean }>('SELECT totp_enabled_at IS NOT NULL AS enabled FROM staff_users WHERE id = $1', [staff.id]);
    expect(enabled).to.equal(false);
    expect(await auditRows('staff.login')).to.have.length(0);
  });

  it('gives staff sessions the staff idle timeout, renewed by each request', async () => {
    const idle = testApp({ STAFF_SESSION_IDLE_MINUTES: '7' });
    const staff = await createStaff({ role: 'application_developer' });
    const agent = await signedInStaffAgent(idle, staff);
    const later = await agent.get('/admin/staff').expect(200);
    expect(Math.abs(cookieLifetime(later) - 7 * 60_000)).to.be.below(5_000);
    const [row] = await ownerQuery<{ max_age: number }>(
      `SELECT (sess->'cookie'->>'originalMaxAge')::float8 AS max_age FROM session WHERE sess->'staff'->>'staffId' = $1`, [staff.id]);
    expect(Math.abs(row.max_age - 7 * 60_000)).to.be.below(5_000);

    // The default staff idle time (15 minutes) is shorter than the client users' (30).
    const defaults = await signedInStaffAgent(app, await createStaff({ role: 'application_developer' }));
    expect(Math.abs(cookieLifetime(await defaults.get('/admin/staff').expect(200)) - 15 * 60_000)).to.be.below(5_000);
  });

  it('ends a staff session past STAFF_SESSION_ABSOLUTE_HOURS, however active', async () => {
    const limited = testApp({ STAFF_SESSION_ABSOLUTE_HOURS: '1' });
    const staff = await createStaff({ role: 'application_developer' });
    const agent = await signedInStaffAgent(limited, staff);
    await agent.get('/admin/staff').expect(200);
    // Signed in 61 minutes ago.
    const updated = await ownerQuery(
      `UPDATE session SET sess = jsonb_set(sess::jsonb, '{staff,signedInAt}', to_jsonb($2::bigint))::json
        WHERE sess->'staff'->>'staffId' = $1 RETURNING sid`,
      [staff.id, Date.now() - 61 * 60_000],
    );
    expect(updated).to.have.length(1);
    const res = await agent.get('/admin/staff');
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/admin/login');
    const page = await agent.get('/admin/login');
    expect(page.status).to.equal(200);
    expect(page.text).to.include('Your staff session reached its time limit');
  });
});
