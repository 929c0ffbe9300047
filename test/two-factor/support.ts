// Helpers for the two-factor tests: enrolling through the real pages, TOTP codes for a chosen
// time-step (generated with otplib from the secret the enrolment page shows), session surgery.
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import type { Express } from 'express';
import { generate } from 'otplib';
import supertest from 'supertest';
import { BASE_TEST_ENV } from '../support/env.ts';
import { ownerQuery } from '../support/factories.ts';
import { type Agent, signIn, signedInAgent, submitForm } from '../support/http.ts';

export const TEST_KEY = BASE_TEST_ENV.DATA_ENCRYPTION_KEY!;
export const PERIOD = 30;
export const RECOVERY_CODE = /<li><code>([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})<\/code><\/li>/g;

/** Waits while the current 30-second step is about to end, so a code made now is checked in the
 *  same step (the ±1 window is relative to the moment of checking). */
export async function awayFromStepEdge(): Promise<void> {
  const intoStep = (Date.now() / 1000) % PERIOD;
  if (intoStep > PERIOD - 3) await new Promise((resolve) => setTimeout(resolve, (PERIOD - intoStep + 0.2) * 1000));
}

/** The TOTP code of `offset` steps from now (-1 previous, 0 current, +1 next). */
export async function codeAt(secret: string, offset = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + offset * PERIOD });
}

export const currentStep = () => Math.floor(Date.now() / 1000 / PERIOD);

/** The base32 secret shown on the enrolment page (grouped in fours there). */
export function secretOnPage(html: string): string {
  const match = /<code class="totp-secret" id="totp-secret">([A-Z2-7 ]+)<\/code>/.exec(html);
  if (!match) throw new Error('no TOTP secret on the page');
  return match[1].replace(/ /g, '');
}

export function recoveryCodesOnPage(html: string): string[] {
  return [...html.matchAll(RECOVERY_CODE)].map((m) => m[1]);
}

export const sha256 = (text: string) => createHash('sha256').update(text).digest();

/** Starts enrolment on the account page and returns the secret it then shows. */
export async function startEnrolment(agent: Agent): Promise<{ secret: string; page: string }> {
  const started = await submitForm(agent, '/account/two-factor', '/account/two-factor/setup', {});
  expect(started.status).to.equal(303);
  expect(started.headers.location).to.equal('/account/two-factor');
  const page = await agent.get('/account/two-factor').expect(200);
  return { secret: secretOnPage(page.text), page: page.text };
}

/**
 * Enrols a signed-in agent, confirming with the previous step's code so the current and next
 * steps stay free for sign-ins in the test. Returns the secret and the recovery codes shown.
 */
export async function enrol(agent: Agent): Promise<{ secret: string; codes: string[] }> {
  const { secret } = await startEnrolment(agent);
  await awayFromStepEdge();
  const confirmed = await submitForm(agent, '/account/two-factor', '/account/two-factor/confirm', { code: await codeAt(secret, -1) });
  expect(confirmed.status, confirmed.text).to.equal(200);
  const codes = recoveryCodesOnPage(confirmed.text);
  expect(codes).to.have.length(10);
  return { secret, codes };
}

/** Signs a user in and enrols them; returns a fresh app-less agent's secret and codes. */
export async function enrolledUser(app: Express, user: { email: string; password: string }) {
  const agent = await signedInAgent(app, user.email, user.password);
  const enrolment = await enrol(agent);
  await submitForm(agent, '/account/two-factor', '/logout', {});
  return enrolment;
}

/** A new agent past the password step (answered with a redirect to the code page). */
export async function pastPassword(app: Express, user: { email: string; password: string }, next?: string): Promise<Agent> {
  const agent = supertest.agent(app);
  const res = next ? await submitForm(agent, `/login?next=${encodeURIComponent(next)}`, '/login', { email: user.email, password: user.password, next }) : await signIn(agent, user.email, user.password);
  expect(res.status).to.equal(303);
  expect(res.headers.location).to.equal('/login/two-factor');
  return agent;
}

/** Submits a code on the sign-in code page. */
export function submitCode(agent: Agent, code: string) {
  return submitForm(agent, '/login/two-factor', '/login/two-factor', { code });
}

/** Moves every pending second-factor state back in time, as if the user had waited. */
export async function agePendingStates(ms: number): Promise<number> {
  const rows = await ownerQuery<{ sid: string }>(
    `UPDATE session SET sess = jsonb_set(sess::jsonb, '{pendingSecondFactor,startedAt}',
            to_jsonb(((sess::jsonb -> 'pendingSecondFactor' ->> 'startedAt')::bigint - $1)))::json
      WHERE sess::jsonb ? 'pendingSecondFactor' RETURNING sid`,
    [ms],
  );
  return rows.length;
}

export interface TotpColumns {
  totp_secret: string | null;
  totp_enabled_at: Date | null;
  totp_last_step: string | null;
  failed_login_count: number;
  status: string;
}

export async function totpColumns(userId: string): Promise<TotpColumns> {
  const [row] = await ownerQuery<TotpColumns>('SELECT totp_secret, totp_enabled_at, totp_last_step, failed_login_count, status FROM users WHERE id = $1', [userId]);
  return row;
}

export async function recoveryRows(userId: string): Promise<{ id: string; client_id: string; code_hash: Buffer; used_at: Date | null }[]> {
  return ownerQuery('SELECT id, client_id, code_hash, used_at FROM recovery_codes WHERE user_id = $1 ORDER BY created_at, id', [userId]);
}
