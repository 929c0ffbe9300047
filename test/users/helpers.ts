// Shared set-up for the user-management tests: one client with a small hierarchy and users of
// several ranks and scopes, form posts with repeated fields, and database snapshots (as owner).
import { expect } from 'chai';
import type { Express } from 'express';
import { createClient, createUser, ownerQuery, type ClientRow, type UserRow } from '../support/factories.ts';
import { createUnit, grantScope, type UnitRow } from '../support/hierarchy-factories.ts';
import { type Agent, csrfToken } from '../support/http.ts';
import type { Rank, UserStatus } from '../../models/user.ts';

export interface World {
  client: ClientRow;
  north: UnitRow;
  south: UnitRow;
  lakes: UnitRow;
  lakePlant: UnitRow;
  hillPlant: UnitRow;
  southPlant: UnitRow;
  admin: UserRow;
  /** Executive over the whole client. */
  executive: UserRow;
  /** Director of the North region. */
  director: UserRow;
  /** Another director inside North (equal rank). */
  peerDirector: UserRow;
  /** Manager of Lake Plant (inside North). */
  manager: UserRow;
  /** Associate of Hill Plant (inside North). */
  associate: UserRow;
  /** Manager of South Plant (outside North). */
  southManager: UserRow;
  /** Associate of Lake Plant and South Plant (partly outside North). */
  straddler: UserRow;
}

export async function scopedUser(client: ClientRow, attrs: { name: string; email: string; rank: Rank; status?: UserStatus }, units: (UnitRow | null)[]) {
  const user = await createUser(client, attrs);
  for (const unit of units) await grantScope(user, unit);
  return user;
}

export async function buildWorld(name = 'Acme Water', domain = 'acme.example'): Promise<World> {
  const client = await createClient({ name });
  const north = await createUnit(client, { kind: 'region', name: 'North' });
  const south = await createUnit(client, { kind: 'region', name: 'South' });
  const lakes = await createUnit(client, { kind: 'division', name: 'Lakes', parent: north });
  const lakePlant = await createUnit(client, { name: 'Lake Plant', parent: lakes });
  const hillPlant = await createUnit(client, { name: 'Hill Plant', parent: north });
  const southPlant = await createUnit(client, { name: 'South Plant', parent: south });
  const u = (rank: Rank, label: string, units: (UnitRow | null)[], status?: UserStatus) =>
    scopedUser(client, { name: label, email: `${label.toLowerCase().replace(/ /g, '.')}@${domain}`, rank, status }, units);
  return {
    client, north, south, lakes, lakePlant, hillPlant, southPlant,
    admin: await u('administrator', 'Avery Admin', [null]),
    executive: await u('executive', 'Emery Executive', [null]),
    director: await u('director', 'Dana Director', [north]),
    peerDirector: await u('director', 'Drew Peer', [lakes]),
    manager: await u('manager', 'Morgan Manager', [lakePlant]),
    associate: await u('associate', 'Ash Associate', [hillPlant]),
    southManager: await u('manager', 'Sam South', [southPlant]),
    straddler: await u('associate', 'Stella Straddler', [lakePlant, southPlant]),
  };
}

/** A urlencoded body; array values become repeated fields (scope=a&scope=b), as browsers send. */
export function formBody(fields: Record<string, string | string[]>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) for (const v of ([] as string[]).concat(value)) params.append(key, v);
  return params.toString();
}

/** Posts a form with a CSRF token taken from `formPage` (default: home, whose sign-out form has one). */
export async function post(agent: Agent, action: string, fields: Record<string, string | string[]> = {}, formPage = '/') {
  const token = await csrfToken(agent, formPage);
  return agent.post(action).type('form').send(formBody({ _csrf: token, ...fields }));
}

export interface UserSnapshot {
  row: Record<string, unknown>;
  scope: string[];
}

/** Everything user management could change about a user, read as the owner. */
export async function snapshotUser(id: string): Promise<UserSnapshot> {
  const [row] = await ownerQuery(
    `SELECT client_id, email, name, rank, status, password_hash, failed_login_count, locked_at, session_epoch, updated_at FROM users WHERE id = $1`,
    [id],
  );
  const scope = (await ownerQuery<{ unit: string }>(`SELECT coalesce(org_unit_id::text, 'client') AS unit FROM user_scopes WHERE user_id = $1 ORDER BY 1`, [id])).map((r) => r.unit);
  return { row, scope };
}

export async function scopeOf(id: string): Promise<string[]> {
  return (await snapshotUser(id)).scope;
}

/** Counts of the rows a user-management change writes. */
export async function changeCounts(): Promise<Record<string, number>> {
  const [row] = await ownerQuery<Record<string, number>>(
    `SELECT (SELECT count(*)::int FROM users) AS users, (SELECT count(*)::int FROM user_scopes) AS scopes,
            (SELECT count(*)::int FROM password_reset_tokens) AS tokens, (SELECT count(*)::int FROM mail_outbox) AS mail,
            (SELECT count(*)::int FROM audit_log WHERE action LIKE 'user.%') AS audits`,
  );
  return row;
}

export async function userAudits(action: string) {
  return ownerQuery<{ actor_user_id: string | null; entity_id: string; client_id: string; changes: Record<string, unknown> }>(
    `SELECT actor_user_id, entity_id, client_id, changes FROM audit_log WHERE action = $1 ORDER BY seq`,
    [action],
  );
}

/** The page the agent lands on after a redirect, with its flash message. */
export async function follow(agent: Agent, res: { status: number; headers: Record<string, string> }) {
  expect(res.status).to.equal(303);
  return agent.get(res.headers.location);
}

export type { Express };
