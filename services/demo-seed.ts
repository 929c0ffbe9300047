// The demo client a fresh install starts with. Inserted as the owner role (a provisioning step,
// like a migration). Passwords are random per install and kept in var/demo-logins.json.
import { randomInt } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { RANK_LABELS, RANKS, type Rank } from '../models/user.ts';
import { hashPassword } from './passwords.ts';

export interface DemoLogin {
  email: string;
  name: string;
  rank: Rank;
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
const DEMO_USERS: Array<Omit<DemoLogin, 'password' | 'scope'> & { scope: string[] }> = [
  { email: 'admin@northwind.example', name: 'Avery Admin', rank: 'administrator', scope: ['client'] },
  { email: 'executive@northwind.example', name: 'Emerson Executive', rank: 'executive', scope: ['client'] },
  { email: 'director@northwind.example', name: 'Dana Director', rank: 'director', scope: ['CEN'] },
  { email: 'pacific.director@northwind.example', name: 'Parker Pacific', rank: 'director', scope: ['PAC'] },
  { email: 'manager@northwind.example', name: 'Morgan Manager', rank: 'manager', scope: ['SPR-01', 'JOL-02'] },
  { email: 'port.manager@northwind.example', name: 'Quinn Quay', rank: 'manager', scope: ['OAK-10'] },
  { email: 'associate@northwind.example', name: 'Alex Associate', rank: 'associate', scope: ['SPR-01'] },
];

/** A password that passes the rule and is easy to type from a terminal: Word-Word-12!. */
function demoPassword(): string {
  const words = ['Harbor', 'Meadow', 'Granite', 'Willow', 'Falcon', 'Cedar', 'Lantern', 'Summit', 'River', 'Orchard', 'Beacon', 'Prairie'];
  const pick = () => words[randomInt(words.length)];
  return `${pick()}-${pick().toLowerCase()}-${randomInt(10, 100)}!`;
}

const loginsFile = (dataDir: string) => path.join(dataDir, 'demo-logins.json');

/** Seeds the demo client when the database has no client yet; returns the logins it created. */
export async function seedDemoIfEmpty(ownerUrl: string, options: { dataDir: string; bcryptCost: number; onProgress?: (m: string) => void }): Promise<DemoLogin[] | undefined> {
  const client = new pg.Client({ connectionString: ownerUrl, application_name: 'plantrak-seed' });
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
    const { rows } = await client.query<{ id: string }>(`INSERT INTO clients (name, time_zone) VALUES ($1, $2) RETURNING id`, [DEMO_CLIENT, CLIENT_ZONE]);
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
    for (const [index, user] of DEMO_USERS.entries()) {
      const password = demoPassword();
      options.onProgress?.(`  user ${index + 1}/${DEMO_USERS.length}: ${RANK_LABELS[user.rank]} (${user.scope.join(', ')})`);
      const inserted = await client.query<{ id: string }>(
        `INSERT INTO users (client_id, email, name, rank, status, password_hash, password_changed_at)
         VALUES ($1, $2, $3, $4, 'active', $5, now()) RETURNING id`,
        [clientId, user.email, user.name, user.rank, await hashPassword(password, options.bcryptCost)],
      );
      for (const code of user.scope) {
        await client.query('INSERT INTO user_scopes (client_id, user_id, org_unit_id) VALUES ($1, $2, $3)', [clientId, inserted.rows[0].id, code === 'client' ? null : unitIds.get(code)]);
      }
      logins.push({ email: user.email, name: user.name, rank: user.rank, password, scope: user.scope.includes('client') ? 'whole client' : user.scope.join(', ') });
    }
    await client.query('COMMIT');
    await fs.mkdir(options.dataDir, { recursive: true });
    await fs.writeFile(loginsFile(options.dataDir), JSON.stringify(logins, null, 2), { mode: 0o600 });
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
    return logins.sort((a, b) => RANKS.indexOf(a.rank) - RANKS.indexOf(b.rank));
  } catch {
    return [];
  }
}
