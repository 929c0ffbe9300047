// The demo client a fresh install starts with. Inserted as the owner role (a provisioning step,
// like a migration). Passwords are random per install and kept in var/demo-logins.json.
// Its Management Plans start in the past, so the demo opens with overdue events to work on.
import { randomInt } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { Sequelize } from 'sequelize';
import { addDays, addMonths, todayIn } from '../../lib/calendar-dates.ts';
import type { ChecklistItem, Requirement } from '../../models/plan-item.ts';
import { STAFF_ROLES, type StaffRole } from '../../models/staff-user.ts';
import { RANK_LABELS, RANKS, type Rank } from '../../models/user.ts';
import { inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { ANSWER_PREFIX } from '../events/checklist.ts';
import { closeEvent } from '../events/closing.ts';
import { generateEvents } from '../events/generation.ts';
import { hashPassword } from '../auth/passwords.ts';

export interface DemoLogin {
  email: string;
  name: string;
  /** A client user's rank; absent for vendor staff. */
  rank?: Rank;
  /** Vendor staff (sign in at /admin/login, enrol an authenticator at the first sign-in). */
  staffRole?: StaffRole;
  password: string;
  /** Where the user works, in words. */
  scope?: string;
}

const DEMO_CLIENT = 'Northwind Environmental (demo)';
const CLIENT_ZONE = 'America/Chicago';
const PACIFIC = 'America/Los_Angeles';

/** Region → division → facilities [name, code, address, time-zone override]. */
const DEMO_HIERARCHY = [
  { region: ['Central Region', 'CEN'], divisions: [
    { division: ['Water Treatment', 'CEN-WT'], facilities: [
      ['Springfield Water Plant', 'SPR-01', '1200 Riverside Dr, Springfield, IL', null],
      ['Joliet Wastewater Facility', 'JOL-02', '88 Canal St, Joliet, IL', null],
      ['Peoria Pump Station', 'PEO-03', '410 Bluff Rd, Peoria, IL', null],
    ] },
    { division: ['Manufacturing', 'CEN-MF'], facilities: [
      ['Des Moines Assembly', 'DSM-04', '5 Industrial Pkwy, Des Moines, IA', null],
      ['Omaha Fabrication', 'OMA-05', '2700 Dodge St, Omaha, NE', null],
      ['Wichita Coatings', 'ICT-06', '900 Airport Rd, Wichita, KS', null],
    ] },
  ] },
  { region: ['Pacific Region', 'PAC'], divisions: [
    { division: ['Distribution', 'PAC-DS'], facilities: [
      ['Fresno Distribution Center', 'FAT-07', '3100 E Jensen Ave, Fresno, CA', PACIFIC],
      ['Sacramento Warehouse', 'SAC-08', '45 Power Inn Rd, Sacramento, CA', PACIFIC],
      ['Reno Cross-Dock', 'RNO-09', '1800 Glendale Ave, Sparks, NV', PACIFIC],
    ] },
    { division: ['Port Operations', 'PAC-PO'], facilities: [
      ['Oakland Terminal', 'OAK-10', '1 Market St, Oakland, CA', PACIFIC],
      ['Long Beach Terminal', 'LGB-11', '300 Pier S Ave, Long Beach, CA', PACIFIC],
      ['Seattle Pier 46', 'SEA-12', '1 Alaskan Way S, Seattle, WA', PACIFIC],
    ] },
  ] },
] as const;

/** Demo users; scope names units by code, or 'client' for the whole client. */
const DEMO_USERS: Array<{ email: string; name: string; rank: Rank; scope: string[] }> = [
  { email: 'admin@northwind.example', name: 'Avery Admin', rank: 'administrator', scope: ['client'] },
  { email: 'executive@northwind.example', name: 'Emerson Executive', rank: 'executive', scope: ['client'] },
  { email: 'director@northwind.example', name: 'Dana Director', rank: 'director', scope: ['CEN'] },
  { email: 'pacific.director@northwind.example', name: 'Parker Pacific', rank: 'director', scope: ['PAC'] },
  { email: 'manager@northwind.example', name: 'Morgan Manager', rank: 'manager', scope: ['SPR-01', 'JOL-02'] },
  { email: 'port.manager@northwind.example', name: 'Quinn Quay', rank: 'manager', scope: ['OAK-10'] },
  { email: 'associate@northwind.example', name: 'Alex Associate', rank: 'associate', scope: ['SPR-01'] },
];

/** Demo vendor staff: not enrolled in TOTP, so the first sign-in sets up the authenticator. The
 *  Client Representative is the demo client's. */
const DEMO_STAFF: Array<{ email: string; name: string; role: StaffRole }> = [
  { email: 'director@solutionstrak.example', name: 'Taylor Technical', role: 'technical_director' },
  { email: 'representative@solutionstrak.example', name: 'Robin Representative', role: 'client_representative' },
];

/** A demo Plan Item; `start` gets the seeding day in the client's zone, so every install has overdue events. */
interface DemoItem {
  facility: string;
  activity: string;
  assignee: string;
  category: string;
  regulatoryReference?: string;
  description?: string;
  schedule: { rrule: string } | { every: number; unit: 'day' | 'week' | 'month' | 'year' };
  start: (today: string) => string;
  requirement: Requirement;
  checklist?: Array<[label: string, type: ChecklistItem['type'], required: boolean]>;
  leadTimeDays: number;
  /** Its past events were worked (see workDemoHistory), so the reports have a history to show. */
  worked?: boolean;
}

const firstOfMonth = (date: string, monthsBack: number): string => addMonths(`${date.slice(0, 7)}-01`, -monthsBack);

const STORMWATER_CHECKLIST: DemoItem['checklist'] = [
  ['Outfalls free of debris and erosion', 'yes_no_na', true],
  ['No oil sheen, foam or discoloration', 'yes_no_na', true],
  ['Spill kits stocked', 'check', true],
  ['Notes on flow observed', 'text', false],
];

/** Realistic plans: the Associate's stormwater inspection (checklist and document) is always overdue. */
const DEMO_ITEMS: DemoItem[] = [
  { facility: 'SPR-01', activity: 'Monthly stormwater outfall inspection', assignee: 'associate@northwind.example', category: 'Stormwater',
    regulatoryReference: 'NPDES general permit, Part 4.2', description: 'Walk every outfall; photograph and upload the signed inspection form.',
    schedule: { rrule: 'FREQ=MONTHLY;BYMONTHDAY=-1' }, start: (t) => firstOfMonth(t, 3), requirement: 'both', checklist: STORMWATER_CHECKLIST, leadTimeDays: 30 },
  { facility: 'SPR-01', activity: 'Weekly forklift pre-use check', assignee: 'associate@northwind.example', category: 'Safety',
    regulatoryReference: '29 CFR 1910.178(q)(7)', schedule: { rrule: 'FREQ=WEEKLY;BYDAY=MO' }, start: (t) => addMonths(t, -6), requirement: 'checklist',
    checklist: [['Forks, chains and mast intact', 'check', true], ['Horn, lights and brakes work', 'check', true], ['Hydraulic hoses free of leaks', 'yes_no_na', true], ['Hour meter reading', 'number', false]],
    leadTimeDays: 7, worked: true },
  { facility: 'SPR-01', activity: 'Quarterly SPCC tank inspection', assignee: 'manager@northwind.example', category: 'Spill prevention',
    regulatoryReference: '40 CFR 112.8(c)(6)', schedule: { rrule: 'FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15' }, start: (t) => addDays(firstOfMonth(t, 4), 14),
    requirement: 'document', leadTimeDays: 30 },
  { facility: 'SPR-01', activity: 'Eyewash station flush', assignee: 'associate@northwind.example', category: 'Safety',
    regulatoryReference: 'ANSI Z358.1', schedule: { every: 90, unit: 'day' }, start: (t) => addDays(t, -10), requirement: 'none', leadTimeDays: 14 },
  { facility: 'JOL-02', activity: 'Monthly stormwater outfall inspection', assignee: 'manager@northwind.example', category: 'Stormwater',
    regulatoryReference: 'NPDES general permit, Part 4.2', schedule: { rrule: 'FREQ=MONTHLY;BYMONTHDAY=-1' }, start: (t) => firstOfMonth(t, 2),
    requirement: 'both', checklist: STORMWATER_CHECKLIST, leadTimeDays: 30 },
  { facility: 'JOL-02', activity: 'Annual fire-extinguisher service', assignee: 'manager@northwind.example', category: 'Fire safety',
    regulatoryReference: 'NFPA 10, 7.3', schedule: { rrule: 'FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=15' }, start: (t) => addMonths(t, -14), requirement: 'document', leadTimeDays: 60 },
  { facility: 'DSM-04', activity: 'Semi-annual hazardous waste training', assignee: 'director@northwind.example', category: 'Waste',
    regulatoryReference: '40 CFR 262.17(a)(7)', schedule: { rrule: 'FREQ=MONTHLY;INTERVAL=6;BYMONTHDAY=1' }, start: (t) => firstOfMonth(t, -1), requirement: 'document', leadTimeDays: 45 },
  { facility: 'OAK-10', activity: 'Quarterly SPCC tank inspection', assignee: 'port.manager@northwind.example', category: 'Spill prevention',
    regulatoryReference: '40 CFR 112.8(c)(6)', schedule: { rrule: 'FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15' }, start: (t) => addDays(firstOfMonth(t, 2), 14),
    requirement: 'document', leadTimeDays: 30 },
  { facility: 'OAK-10', activity: 'Weekly spill-kit check', assignee: 'port.manager@northwind.example', category: 'Spill prevention',
    schedule: { rrule: 'FREQ=WEEKLY;BYDAY=FR' }, start: (t) => addMonths(t, -6), requirement: 'checklist',
    checklist: [['Absorbent pads and booms stocked', 'check', true], ['Drain covers present', 'check', true]], leadTimeDays: 7, worked: true },
  { facility: 'FAT-07', activity: 'Monthly battery-charging room inspection', assignee: 'pacific.director@northwind.example', category: 'Safety',
    schedule: { rrule: 'FREQ=MONTHLY;BYDAY=1TU' }, start: (t) => firstOfMonth(t, 7), requirement: 'none', leadTimeDays: 30, worked: true },
  // One-time obligations placed so that the next days show each kind of notice: a reminder, a
  // due-today notice and a first escalation to the facility's managers.
  { facility: 'SPR-01', activity: 'Annual SPCC plan review sign-off', assignee: 'associate@northwind.example', category: 'Spill prevention',
    regulatoryReference: '40 CFR 112.5(b)', schedule: { rrule: 'FREQ=DAILY;COUNT=1' }, start: (t) => addDays(t, 4), requirement: 'document', leadTimeDays: 30 },
  { facility: 'JOL-02', activity: 'Emergency generator load test', assignee: 'manager@northwind.example', category: 'Safety',
    schedule: { rrule: 'FREQ=DAILY;COUNT=1' }, start: (t) => addDays(t, 1), requirement: 'none', leadTimeDays: 30 },
  { facility: 'SPR-01', activity: 'Discharge monitoring report submission', assignee: 'associate@northwind.example', category: 'Stormwater',
    regulatoryReference: 'NPDES general permit, Part 7.1', schedule: { rrule: 'FREQ=DAILY;COUNT=1' }, start: (t) => addDays(t, -6), requirement: 'document', leadTimeDays: 30 },
];

async function insertPlanItems(client: pg.Client, clientId: string, unitIds: Map<string, string>, userIds: Map<string, string>, onProgress?: (m: string) => void): Promise<void> {
  const today = todayIn(CLIENT_ZONE);
  for (const item of DEMO_ITEMS) {
    const relative = 'every' in item.schedule ? item.schedule : null;
    const checklist = (item.checklist ?? []).map(([label, type, required], i) => ({ key: `item-${i + 1}`, label, type, required }));
    await client.query(
      `INSERT INTO plan_items (client_id, facility_id, activity, description, regulatory_reference, category, assignee_id, requirement, checklist,
                               schedule_kind, rrule, relative_every, relative_unit, schedule_start, lead_time_days, created_by, updated_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12, $13, $14, $15, $16, $16)`,
      [clientId, unitIds.get(item.facility), item.activity, item.description ?? null, item.regulatoryReference ?? null, item.category,
        userIds.get(item.assignee), item.requirement, JSON.stringify(checklist), relative ? 'relative' : 'calendar',
        relative ? null : (item.schedule as { rrule: string }).rrule, relative?.every ?? null, relative?.unit ?? null,
        item.start(today), item.leadTimeDays, userIds.get('admin@northwind.example')],
    );
  }
  onProgress?.(`  management plans: ${DEMO_ITEMS.length} plan items at ${new Set(DEMO_ITEMS.map((i) => i.facility)).size} facilities`);
}

/** Materialises the demo plans' events (overdue ones included), as the server's job would: as the
 *  runtime role, under row-level security. */
async function generateDemoEvents(appUrl: string, clientId: string, onProgress?: (m: string) => void): Promise<void> {
  const sequelize = new Sequelize(appUrl, { dialect: 'postgres', logging: false, timezone: '+00:00', pool: { max: 3, min: 0 }, dialectOptions: { application_name: 'plantrak-seed' } });
  try {
    const result = await generateEvents(sequelize, { clientIds: [clientId] });
    onProgress?.(`  events: ${result.created} generated`);
    try {
      const closed = await workDemoHistory(sequelize, clientId);
      onProgress?.(`  history: ${closed} past events closed (one in five late) by their assignees`);
    } catch (error) {
      onProgress?.(`  history: not worked (${(error as Error).message}); the demo starts with every past event open`);
    }
  } catch (error) {
    // The client is already committed; the server's generation job (at start, then every 15 minutes) catches up.
    onProgress?.(`  events: not generated now (${(error as Error).message}); the generation job will create them`);
  } finally {
    await sequelize.close();
  }
}

/** A completed checklist: every tick box ticked, Yes, a reading. */
function completedChecklist(checklist: ChecklistItem[], n: number): Record<string, string> {
  const values: Record<ChecklistItem['type'], string> = { check: '1', yes_no_na: 'yes', number: String(1200 + 7 * n), text: 'All in order.' };
  return Object.fromEntries(checklist.map((c) => [`${ANSWER_PREFIX}${c.key}`, values[c.type]]));
}

/**
 * Closes the past events of the worked demo items as their assignees would have, through the
 * app's own close (close records, checklist answers, audit entries), each on its due date in its
 * facility's day, one in five two days late, so that the on-time rates and trend have months to
 * show. The most recent past event of each is left open: there is still work to do.
 */
async function workDemoHistory(sequelize: Sequelize, clientId: string): Promise<number> {
  const activities = DEMO_ITEMS.filter((i) => i.worked).map((i) => i.activity);
  const past = await inUnitOfWork(sequelize, { actorKind: 'system', clientId }, () =>
    sql<{ id: string; dueDate: string; assigneeId: string; rank: Rank; checklist: ChecklistItem[]; last: boolean }>(
      `SELECT e.id, e.due_date::text AS "dueDate", e.assignee_id AS "assigneeId", u.rank, p.checklist,
              e.due_date = max(e.due_date) OVER (PARTITION BY e.plan_item_id) AS last
         FROM events e JOIN plan_items p ON p.client_id = e.client_id AND p.id = e.plan_item_id
         JOIN users u ON u.client_id = e.client_id AND u.id = e.assignee_id
         JOIN org_units f ON f.client_id = e.client_id AND f.id = e.facility_id
         JOIN clients c ON c.id = e.client_id
        WHERE e.client_id = $1 AND e.status = 'open' AND p.activity = ANY ($2::text[])
          AND e.due_date < (now() AT TIME ZONE coalesce(f.time_zone, c.time_zone))::date - 2
        ORDER BY e.due_date, e.id`,
      [clientId, activities],
    ));
  let closed = 0;
  for (const [n, e] of past.filter((p) => !p.last).entries()) {
    const completedOn = n % 5 === 3 ? addDays(e.dueDate, 2) : e.dueDate;
    const worker = { user: { id: e.assigneeId, rank: e.rank }, client: { id: clientId } };
    // Entered on the day it was done (18:00 UTC is that day in every demo zone), so not recorded late.
    await inUnitOfWork(sequelize, { actorKind: 'user', clientId, userId: e.assigneeId }, () =>
      closeEvent(worker, e.id, { completedOn, notes: null, form: completedChecklist(e.checklist, n), confirmSensitive: false }, new Date(`${completedOn}T18:00:00Z`)));
    closed += 1;
  }
  return closed;
}

/** A password that passes the rule and is easy to type from a terminal: Word-Word-12!. */
function demoPassword(): string {
  const words = ['Harbor', 'Meadow', 'Granite', 'Willow', 'Falcon', 'Cedar', 'Lantern', 'Summit', 'River', 'Orchard', 'Beacon', 'Prairie'];
  const pick = () => words[randomInt(words.length)];
  return `${pick()}-${pick().toLowerCase()}-${randomInt(10, 100)}!`;
}

const loginsFile = (dataDir: string) => path.join(dataDir, 'demo-logins.json');

/** Inserts the demo staff (skipping an address `npm run staff:create` already took); returns
 *  their logins and the Client Representative's id. */
async function insertDemoStaff(client: pg.Client, options: { bcryptCost: number; onProgress?: (m: string) => void }): Promise<{ logins: DemoLogin[]; representativeId: string | null }> {
  const logins: DemoLogin[] = [];
  let representativeId: string | null = null;
  for (const staff of DEMO_STAFF) {
    const password = demoPassword();
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO staff_users (email, name, role, status, password_hash, password_changed_at)
       VALUES ($1, $2, $3, 'active', $4, now()) ON CONFLICT (email) DO NOTHING RETURNING id`,
      [staff.email, staff.name, staff.role, await hashPassword(password, options.bcryptCost)],
    );
    if (!rows[0]) continue;
    if (staff.role === 'client_representative') representativeId = rows[0].id;
    logins.push({ email: staff.email, name: staff.name, staffRole: staff.role, password, scope: staff.role === 'client_representative' ? `represents ${DEMO_CLIENT}` : 'all clients' });
  }
  options.onProgress?.(`  staff: ${logins.length} (sign in at /admin/login)`);
  return { logins, representativeId };
}

/** The demo logins as `npm start` and `npm run seed` print them. */
export function demoLoginLines(logins: DemoLogin[], baseUrl: string): string[] {
  const users = logins.filter((l) => l.rank);
  const staff = logins.filter((l) => l.staffRole);
  const lines: string[] = [];
  if (users.length) lines.push(`\nDemo logins (client "${DEMO_CLIENT}", sign in at ${baseUrl}/login):`);
  for (const l of users) lines.push(`  ${l.rank!.padEnd(13)} ${l.email.padEnd(36)} ${l.password.padEnd(22)} ${l.scope ?? ''}`);
  if (staff.length) lines.push(`\nDemo staff (sign in at ${baseUrl}/admin/login; the first sign-in sets up an authenticator app):`);
  for (const l of staff) lines.push(`  ${l.staffRole!.padEnd(22)} ${l.email.padEnd(38)} ${l.password.padEnd(22)} ${l.scope ?? ''}`);
  return lines;
}

/** Seeds the demo client when the database has no client yet; returns the logins it created. */
export async function seedDemoIfEmpty(urls: { owner: string; app: string }, options: { dataDir: string; bcryptCost: number; onProgress?: (m: string) => void }): Promise<DemoLogin[] | undefined> {
  const client = new pg.Client({ connectionString: urls.owner, application_name: 'plantrak-seed' });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['plantrak:seed']);
    const { rowCount } = await client.query('SELECT 1 FROM clients LIMIT 1');
    if (rowCount) {
      await client.query('ROLLBACK');
      return undefined;
    }
    options.onProgress?.(`Seeding the demo client "${DEMO_CLIENT}" …`);
    const demoStaff = await insertDemoStaff(client, options);
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO clients (name, time_zone, representative_id) VALUES ($1, $2, $3) RETURNING id`, [DEMO_CLIENT, CLIENT_ZONE, demoStaff.representativeId]);
    const clientId = rows[0].id;
    const unitIds = new Map<string, string>();
    const addUnit = async (kind: string, name: string, code: string, parentId: string | null, address: string | null = null, zone: string | null = null) => {
      const inserted = await client.query<{ id: string }>(
        `INSERT INTO org_units (client_id, kind, name, code, parent_id, address, time_zone) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
        [clientId, kind, name, code, parentId, address, zone],
      );
      unitIds.set(code, inserted.rows[0].id);
      return inserted.rows[0].id;
    };
    for (const { region, divisions } of DEMO_HIERARCHY) {
      const regionId = await addUnit('region', region[0], region[1], null);
      for (const { division, facilities } of divisions) {
        const divisionId = await addUnit('division', division[0], division[1], regionId);
        for (const [name, code, address, zone] of facilities) await addUnit('facility', name, code, divisionId, address, zone);
      }
    }
    options.onProgress?.(`  hierarchy: 2 regions, 4 divisions, ${unitIds.size - 6} facilities`);

    const logins: DemoLogin[] = [];
    const userIds = new Map<string, string>();
    for (const [index, user] of DEMO_USERS.entries()) {
      const password = demoPassword();
      options.onProgress?.(`  user ${index + 1}/${DEMO_USERS.length}: ${RANK_LABELS[user.rank]} (${user.scope.join(', ')})`);
      const inserted = await client.query<{ id: string }>(
        `INSERT INTO users (client_id, email, name, rank, status, password_hash, password_changed_at)
         VALUES ($1, $2, $3, $4, 'active', $5, now()) RETURNING id`,
        [clientId, user.email, user.name, user.rank, await hashPassword(password, options.bcryptCost)],
      );
      userIds.set(user.email, inserted.rows[0].id);
      for (const code of user.scope) {
        await client.query('INSERT INTO user_scopes (client_id, user_id, org_unit_id) VALUES ($1, $2, $3)', [clientId, inserted.rows[0].id, code === 'client' ? null : unitIds.get(code)]);
      }
      logins.push({ email: user.email, name: user.name, rank: user.rank, password, scope: user.scope.includes('client') ? 'whole client' : user.scope.join(', ') });
    }
    logins.push(...demoStaff.logins);
    await insertPlanItems(client, clientId, unitIds, userIds, options.onProgress);
    await client.query('COMMIT');
    await fs.mkdir(options.dataDir, { recursive: true });
    await fs.writeFile(loginsFile(options.dataDir), JSON.stringify(logins, null, 2), { mode: 0o600 });
    await generateDemoEvents(urls.app, clientId, options.onProgress);
    return logins;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}

export async function readDemoLogins(dataDir: string): Promise<DemoLogin[]> {
  try {
    const logins = JSON.parse(await fs.readFile(loginsFile(dataDir), 'utf8')) as DemoLogin[];
    const order = (l: DemoLogin) => (l.rank ? RANKS.indexOf(l.rank) : RANKS.length + STAFF_ROLES.indexOf(l.staffRole!));
    return logins.sort((a, b) => order(a) - order(b));
  } catch {
    return [];
  }
}
