// Shared by the staff-account tests: set-up links read from the outbox, enrolment through the
// real page, and posts from a page's CSRF token.
import { expect } from 'chai';
import { generate } from 'otplib';
import { ownerQuery } from '../support/factories.ts';
import { type Agent, submitForm } from '../support/http.ts';
import { outboxRows } from '../support/mail-helpers.ts';

export const SETUP_LINK = /http:\/\/plantrak\.test\/admin\/setup\?token=([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/;
export const NEW_PASSWORD = 'Harbour-Violet-93#';

/** The token of the newest set-up link mailed to this address. */
export async function setupTokenFor(email: string): Promise<string> {
  const mails = (await outboxRows()).filter((m) => m.to_address === email && m.kind === 'staff.setup');
  expect(mails, `set-up mail to ${email}`).to.not.have.length(0);
  const match = SETUP_LINK.exec(mails.at(-1)!.text_body ?? '');
  expect(match, 'set-up link in the mail').to.not.equal(null);
  return match![1];
}

/** Posts a form as a signed-in staff member, with the CSRF token of the staff list page. */
export function staffPost(agent: Agent, action: string, fields: Record<string, string> = {}) {
  return submitForm(agent, '/admin/staff', action, fields);
}

export async function staffRow(id: string) {
  const [row] = await ownerQuery<{
    status: string; role: string; name: string; password_hash: string | null; totp_secret: string | null; totp_enabled_at: Date | null;
    totp_last_step: string | null; session_epoch: number;
  }>('SELECT status, role, name, password_hash, totp_secret, totp_enabled_at, totp_last_step, session_epoch FROM staff_users WHERE id = $1', [id]);
  return row;
}

/** Submits the password and confirmation on a set-up link's page. */
export async function useSetupLink(agent: Agent, token: string, password: string, confirmation = password) {
  return submitForm(agent, `/admin/setup?token=${token}`, '/admin/setup', { token, password, confirmation });
}

/** The secret shown on the enrolment page (grouped in fours there). */
export async function enrolmentSecret(agent: Agent): Promise<string> {
  const page = await agent.get('/admin/login/enrol');
  expect(page.status, page.text).to.equal(200);
  const match = /<code class="totp-secret" id="totp-secret">([A-Z2-7 ]+)<\/code>/.exec(page.text);
  expect(match, 'secret on the enrolment page').to.not.equal(null);
  return match![1].replace(/\s/g, '');
}

export const codeFor = (secret: string, offsetSteps = 0) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + offsetSteps * 30 });
