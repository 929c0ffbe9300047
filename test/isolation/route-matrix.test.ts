// The isolation matrix: every route of the app that names a row in its path is tried by
// a user of another client and by a user of the same client whose scope does not cover the row.
// Reads answer 404 (or 403 where the rank lacks the permission) without naming the row; writes
// change nothing, checked in the database. Walking the route table itself means a new :id route
// is covered the day it is added — or fails here until it is given a target below.
import { expect } from 'chai';
import { appRouteTable } from '../../routes/index.ts';
import { testConfig, testEnv } from '../support/env.ts';
import { createClient, createUser, ownerQuery, type UserRow } from '../support/factories.ts';
import { createUnit, grantScope } from '../support/hierarchy-factories.ts';
import { type Agent, csrfFrom, signedInAgent, testApp } from '../support/http.ts';
import { createStaff } from '../support/staff.ts';
import { staffSignedIn } from '../../middleware/staff-action.ts';

/** Client A's tables, fingerprinted as the owner sees them. */
async function fingerprint(clientId: string): Promise<string> {
  const tables = ['clients', 'org_units', 'users', 'user_scopes', 'password_reset_tokens', 'mail_outbox', 'recovery_codes', 'plan_items', 'events', 'documents', 'document_blobs', 'support_sessions'];
  const parts: string[] = [];
  for (const table of tables) {
    const column = table === 'clients' ? 'id' : 'client_id';
    const [row] = await ownerQuery<{ digest: string | null }>(
      `SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest FROM ${table} t WHERE ${column} = $1`,
      [clientId],
    );
    parts.push(`${table}:${row.digest}`);
  }
  return parts.join(' ');
}

/** Fields a forged form might carry; enough for any of the app's actions to do something. */
const FORGED_FIELDS = {
  name: 'Changed by an intruder',
  code: 'HACK-1',
  rank: 'associate',
  scope: '',
  confirm: '1',
  cascade: '1',
  count: '99',
  parentId: '',
  address: 'Nowhere',
  timeZone: 'UTC',
  activity: 'Changed by an intruder',
  scheduleMode: 'one-time',
  scheduleStart: '2032-01-01',
  intent: 'save',
};

describe('isolation matrix over every route that names a row', () => {
  it('answers 404/403 to outsiders on every :id route, names nothing and changes nothing', async () => {
    // Client A: two regions, each with a division and a facility; a target user in facility F1.
    const clientA = await createClient({ name: 'Matrix A' });
    const north = await createUnit(clientA, { kind: 'region', name: 'Matrix North' });
    const northDivision = await createUnit(clientA, { kind: 'division', name: 'Matrix North Division', parent: north });
    const target = await createUnit(clientA, { kind: 'facility', name: 'Alder Works', parent: northDivision });
    const south = await createUnit(clientA, { kind: 'region', name: 'Matrix South' });
    const southDivision = await createUnit(clientA, { kind: 'division', name: 'Matrix South Division', parent: south });
    await createUnit(clientA, { kind: 'facility', name: 'Birch Yard', parent: southDivision });
    const targetUser = await createUser(clientA, { name: 'Tara Target', rank: 'associate' });
    await grantScope(targetUser, target);
    // Same client, outside the scope: a Director of a sibling facility (may view users and units).
    // Its division and region are visible to it as ancestors, for navigation, yet out of scope.
    const sibling = await createUnit(clientA, { kind: 'facility', name: 'Cedar Depot', parent: northDivision });
    const outsider = await createUser(clientA, { name: 'Olly Outsider', rank: 'director' });
    await grantScope(outsider, sibling);
    // A Plan Item of F1, with an event: outside the outsider's scope (a sibling facility).
    const [planItem] = await ownerQuery<{ id: string; activity: string }>(
      `INSERT INTO plan_items (client_id, facility_id, activity, assignee_id, schedule_kind, rrule, schedule_start)
       VALUES ($1, $2, 'Alder stormwater inspection', $3, 'calendar', 'FREQ=MONTHLY;BYMONTHDAY=-1', DATE '2032-01-01') RETURNING id, activity`,
      [clientA.id, target.id, targetUser.id],
    );
    const [eventRow] = await ownerQuery<{ id: string }>(
      `INSERT INTO events (client_id, plan_item_id, facility_id, activity, scheduled_date, due_date, assignee_id)
       VALUES ($1, $2, $3, 'Alder stormwater inspection', DATE '2032-01-31', DATE '2032-01-31', $4) RETURNING id`,
      [clientA.id, planItem.id, target.id, targetUser.id],
    );
    // A document of that event, with its bytes.
    const [documentRow] = await ownerQuery<{ id: string; file_name: string }>(
      `INSERT INTO documents (client_id, event_id, facility_id, file_name, content_type, size_bytes, sha256)
       VALUES ($1, $2, $3, 'alder-evidence-report.pdf', 'application/pdf', 4, repeat('a', 64)) RETURNING id, file_name`,
      [clientA.id, eventRow.id, target.id],
    );
    await ownerQuery(`INSERT INTO document_blobs (client_id, document_id, facility_id, content) VALUES ($1, $2, $3, '\\x25504446'::bytea)`, [clientA.id, documentRow.id, target.id]);
    // A support visit waiting for client A's approval.
    const staff = await createStaff({ name: 'Vera Vendor' });
    const [visitRow] = await ownerQuery<{ id: string }>(
      `INSERT INTO support_sessions (client_id, staff_id, reason, duration_minutes, status) VALUES ($1, $2, 'Alder visit reason', 60, 'pending') RETURNING id`,
      [clientA.id, staff.id],
    );
    // A Plan Item import file kept for the target facility's user (its uploader's only).
    const [importRow] = await ownerQuery<{ id: string; file_name: string }>(
      `INSERT INTO plan_item_imports (client_id, uploaded_by, file_name, format, content, sha256)
       VALUES ($1, $2, 'alder-import-plan.csv', 'csv', '\\x61'::bytea, repeat('a', 64)) RETURNING id, file_name`,
      [clientA.id, targetUser.id],
    );
    // Another client's Administrator: every permission, in the wrong client.
    const clientB = await createClient({ name: 'Matrix B' });
    const foreignAdmin = await createUser(clientB, { name: 'Fran Foreign', rank: 'administrator' });

    const app = testApp();
    type Row = { id: string; name: string };
    const user: Row = { id: targetUser.id, name: targetUser.name };
    const item: Row = { id: planItem.id, name: planItem.activity };
    const event: Row = { id: eventRow.id, name: planItem.activity };
    const document: Row = { id: documentRow.id, name: documentRow.file_name };
    const visit: Row = { id: visitRow.id, name: 'Alder visit reason' };
    const kept: Row = { id: importRow.id, name: importRow.file_name };
    // Staff-only routes refuse client users before any lookup; any staff id will do there.
    const staffRow: Row = { id: staff.id, name: staff.name };
    const targetsFor: Record<string, Record<string, Row>> = {
      'another client': { units: { id: target.id, name: target.name }, users: user, 'plan-items': item, events: event, transition: user, documents: document, settings: visit, admin: staffRow, 'plan-imports': kept },
      // The ancestor is the sharper case: row-level security shows it, the scope does not cover it.
      'outside the scope': { units: { id: northDivision.id, name: northDivision.name }, users: user, 'plan-items': item, events: event, transition: user, documents: document, settings: visit, admin: staffRow, 'plan-imports': kept },
    };
    const routes = appRouteTable({ config: testConfig(), db: testEnv().db, sessionSecret: 'x'.repeat(40) })
      .filter(([, path]) => path.includes(':id'));
    expect(routes.length, 'routes with :id').to.be.greaterThan(10);

    const failures: string[] = [];
    for (const [label, actor] of [['another client', foreignAdmin], ['outside the scope', outsider]] as Array<[string, UserRow]>) {
      const agent: Agent = await signedInAgent(app, actor.email, actor.password);
      const token = csrfFrom((await agent.get('/account/password')).text);
      const before = await fingerprint(clientA.id);
      for (const [verb, path, guards] of routes) {
        const resource = path.split('/')[1];
        const row = targetsFor[label][resource];
        if (!row) {
          failures.push(`${verb.toUpperCase()} ${path}: no target row for "${resource}" routes; add one to this test`);
          continue;
        }
        const url = path.replace(':id', row.id);
        const res = verb === 'get' ? await agent.get(url) : await agent.post(url).type('form').send({ _csrf: token, ...FORGED_FIELDS });
        // The other client's administrator has every permission (and a valid CSRF token, or these
        // would be 403s), so only row-level security can answer: 404.
        // Staff-only routes (the admin area) refuse every client user outright.
        const allowed = guards.includes(staffSignedIn) ? [403] : label === 'another client' ? [404] : [403, 404];
        if (!allowed.includes(res.status)) failures.push(`${label}: ${verb.toUpperCase()} ${url} answered ${res.status}`);
        // (An ancestor's name may appear in the outsider's own navigation, so only 2xx pages count.)
        if (res.status < 300 && res.text.includes(row.name)) failures.push(`${label}: ${verb.toUpperCase()} ${url} named "${row.name}"`);
      }
      const after = await fingerprint(clientA.id);
      if (after !== before) failures.push(`${label}: client A's data changed (${before} → ${after})`);
    }
    expect(failures).to.deep.equal([]);
  });
});
