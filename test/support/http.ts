// Driving the app the way a browser does: real forms, real CSRF tokens, cookies kept per agent.
import type { Express } from 'express';
import supertest from 'supertest';
import { buildApp } from '../../app.ts';
import type { Env } from '../../config/index.ts';
import { testConfig, testEnv } from './env.ts';

export type Agent = ReturnType<typeof supertest.agent>;

/** A fresh app on the shared test database, with optional configuration overrides. */
export function testApp(overrides: Env = {}): Express {
  const { db } = testEnv();
  const config = testConfig(overrides);
  return buildApp({ config, db, sessionSecret: config.sessionSecret! });
}

export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF token in the page');
  return match[1];
}

/** GETs a page and returns its CSRF token (the agent keeps the session cookie). */
export async function csrfToken(agent: Agent, path: string): Promise<string> {
  const res = await agent.get(path);
  return csrfFrom(res.text);
}

/** Submits a form the way a browser would after loading `formPage`. */
export async function submitForm(agent: Agent, formPage: string, action: string, fields: Record<string, string>) {
  const token = await csrfToken(agent, formPage);
  return agent.post(action).type('form').send({ _csrf: token, ...fields });
}

/** Signs in through the real login form; asserts nothing, returns the response. */
export function signIn(agent: Agent, email: string, password: string) {
  return submitForm(agent, '/login', '/login', { email, password });
}

/** A signed-in agent; throws if sign-in did not redirect. */
export async function signedInAgent(app: Express, email: string, password: string): Promise<Agent> {
  const agent = supertest.agent(app);
  const res = await signIn(agent, email, password);
  if (res.status !== 303) throw new Error(`sign-in failed with ${res.status}`);
  return agent;
}

/** The session cookie's value in a response, if it set one (`__Host-plantrak.sid` behind TLS). */
export function sessionCookie(res: { headers: Record<string, unknown> }): string | undefined {
  const cookies = ([] as string[]).concat((res.headers['set-cookie'] as string[] | string | undefined) ?? []);
  return cookies.find((c) => /^(?:__Host-)?plantrak\.sid=/.test(c));
}
