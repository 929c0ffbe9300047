// A password may not contain a part (4 characters or more) of the e-mail address's local part or
// of the person's name, whatever its case and separators: `Port.manager1!` is refused for
// port.manager@…. Checked on every path that sets a password: reset link, invitation, change,
// staff set-up link and npm run staff:create.
import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import supertest from 'supertest';
import { passwordProblems, personalTokenIn } from '../../services/auth/passwords.ts';
import { changePasswordForm } from '../support/auth-helpers.ts';
import { BASE_TEST_ENV, testEnv } from '../support/env.ts';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { signedInAgent, submitForm, testApp } from '../support/http.ts';
import { createStaff } from '../support/staff.ts';

const RULE = { minLength: 8 };
const PORT_MANAGER = ['port.manager@harbour.example', 'Pat Quillfeather'];
const REFUSED = /Do not build the password from your name or e-mail address \(it contains “([^”]+)”\)\./;
/** Strong, and sharing nothing with either person below. */
const UNRELATED = 'Granite-Owl-Ledger-71!';

const sha256 = (token: string) => createHash('sha256').update(token).digest();
const newToken = () => randomBytes(32).toString('base64url');
const hashOf = async (table: 'users' | 'staff_users', id: string) =>
  (await ownerQuery<{ password_hash: string | null }>(`SELECT password_hash FROM ${table} WHERE id = $1`, [id]))[0].password_hash;

describe('passwords built from the name or e-mail address', () => {
  describe('the rule', () => {
    it('refuses the reported case, port.manager and Port.manager1!', () => {
      const problems = passwordProblems('Port.manager1!', { ...RULE, personalWords: PORT_MANAGER });
      expect(problems).to.have.length(1);
      expect(problems[0]).to.match(REFUSED);
    });

    it('ignores case and separators, in the password and in the name or address', () => {
      for (const password of ['MANAGER-2024-xyz!', 'Man.ag.er-Quartz-9!', 'Quartz-P_O_R_T-99!', 'Zz9!Quillfeather', 'Quill-feather-Zz9!']) {
        expect(personalTokenIn(password, PORT_MANAGER), password).to.be.a('string');
        expect(passwordProblems(password, { ...RULE, personalWords: PORT_MANAGER }).join(' '), password).to.match(REFUSED);
      }
    });

    it('looks only at parts of 4 characters or more, and at the local part of the address only', () => {
      // "Pat" is too short to count; "harbour" is the domain.
      expect(personalTokenIn('Pat-Granite-Owl-71!', PORT_MANAGER)).to.equal(undefined);
      expect(personalTokenIn('Harbour-Granite-71!', PORT_MANAGER)).to.equal(undefined);
      expect(passwordProblems(UNRELATED, { ...RULE, personalWords: PORT_MANAGER })).to.deep.equal([]);
    });

    it('names the part it found', () => {
      expect(REFUSED.exec(passwordProblems('Quillfeather-77!', { ...RULE, personalWords: PORT_MANAGER })[0])![1]).to.equal('quillfeather');
    });
  });

  describe('every path that sets a password', () => {
    it('refuses it from a reset link, keeping the old password and the link', async () => {
      const client = await createClient();
      const user = await createUser(client, { email: 'port.manager@harbour.example', name: 'Pat Quillfeather' });
      const token = newToken();
      await ownerQuery(`INSERT INTO password_reset_tokens (client_id, user_id, purpose, token_hash, expires_at) VALUES ($1, $2, 'reset', $3, now() + interval '1 hour')`,
        [client.id, user.id, sha256(token)]);
      const before = await hashOf('users', user.id);
      const app = testApp();
      const agent = supertest.agent(app);
      const res = await submitForm(agent, `/password/reset?token=${token}`, '/password/reset', { token, password: 'Port.manager1!', confirmation: 'Port.manager1!' });
      expect(res.status).to.equal(422);
      expect(res.text).to.match(REFUSED);
      expect(await hashOf('users', user.id)).to.equal(before);
      // The link still works for a password of their own.
      const ok = await submitForm(agent, `/password/reset?token=${token}`, '/password/reset', { token, password: UNRELATED, confirmation: UNRELATED });
      expect(ok.status).to.equal(303);
      await signedInAgent(app, user.email, UNRELATED);
    });

    it('refuses it when accepting an invitation, leaving the user invited', async () => {
      const client = await createClient();
      const [user] = await ownerQuery<{ id: string }>(
        `INSERT INTO users (client_id, email, name, rank, status) VALUES ($1, 'port.manager@harbour.example', 'Pat Quillfeather', 'manager', 'invited') RETURNING id`, [client.id]);
      const token = newToken();
      await ownerQuery(`INSERT INTO password_reset_tokens (client_id, user_id, purpose, token_hash, expires_at) VALUES ($1, $2, 'invite', $3, now() + interval '1 day')`,
        [client.id, user.id, sha256(token)]);
      const app = testApp();
      const agent = supertest.agent(app);
      const res = await submitForm(agent, `/invite/accept?token=${token}`, '/invite/accept', { token, password: 'Quillfeather-2024!', confirmation: 'Quillfeather-2024!' });
      expect(res.status).to.equal(422);
      expect(res.text).to.match(REFUSED);
      expect((await ownerQuery<{ status: string }>('SELECT status FROM users WHERE id = $1', [user.id]))[0].status).to.equal('invited');
      const ok = await submitForm(agent, `/invite/accept?token=${token}`, '/invite/accept', { token, password: UNRELATED, confirmation: UNRELATED });
      expect(ok.status).to.equal(303);
      await signedInAgent(app, 'port.manager@harbour.example', UNRELATED);
    });

    it('refuses it when a signed-in user changes their password', async () => {
      const client = await createClient();
      const user = await createUser(client, { email: 'port.manager@harbour.example', name: 'Pat Quillfeather' });
      const agent = await signedInAgent(testApp(), user.email, user.password);
      const before = await hashOf('users', user.id);
      const res = await changePasswordForm(agent, user.password, 'Port.manager1!');
      expect(res.status).to.equal(422);
      expect(res.text).to.match(REFUSED);
      expect(await hashOf('users', user.id)).to.equal(before);
      expect((await changePasswordForm(agent, user.password, UNRELATED)).status).to.equal(303);
    });

    it('refuses it on a staff set-up link, keeping the account invited', async () => {
      const staff = await createStaff({ email: 'ops.lead@solutionstrak.example', name: 'Rowan Brightwater', enrolled: false, status: 'invited' });
      await ownerQuery('UPDATE staff_users SET password_hash = NULL WHERE id = $1', [staff.id]);
      const token = newToken();
      await ownerQuery(`INSERT INTO staff_tokens (staff_id, token_hash, expires_at) VALUES ($1, $2, now() + interval '1 hour')`, [staff.id, sha256(token)]);
      const agent = supertest.agent(testApp());
      const res = await submitForm(agent, `/admin/setup?token=${token}`, '/admin/setup', { token, password: 'Brightwater-55!', confirmation: 'Brightwater-55!' });
      expect(res.status).to.equal(422);
      expect(res.text).to.match(REFUSED);
      expect(await hashOf('staff_users', staff.id)).to.equal(null);
      const ok = await submitForm(agent, `/admin/setup?token=${token}`, '/admin/setup', { token, password: UNRELATED, confirmation: UNRELATED });
      expect(ok.status, ok.text).to.equal(303);
      expect(await hashOf('staff_users', staff.id)).to.match(/^\$2[aby]\$/);
    });

    it('refuses it in npm run staff:create, creating nothing', async function () {
      this.timeout(90_000);
      const { urls } = testEnv();
      const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/staff-create.ts'], {
          cwd: path.resolve(import.meta.dirname, '../..'),
          env: { PATH: process.env.PATH, ...BASE_TEST_ENV, DATABASE_URL: urls.owner, DATABASE_APP_URL: urls.app, DATABASE_SESSION_URL: urls.session },
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
        child.stdin.end('ops.lead@solutionstrak.example\nRowan Brightwater\nOps.Lead-2024!\nOps.Lead-2024!\n');
      });
      expect(run.code).to.not.equal(0);
      expect(run.stdout + run.stderr).to.match(REFUSED);
      expect(await ownerQuery(`SELECT 1 FROM staff_users WHERE email = 'ops.lead@solutionstrak.example'`)).to.deep.equal([]);
    });
  });
});
