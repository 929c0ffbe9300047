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
}

const DEMO_CLIENT = 'Northwind Environmental (demo)';
const DEMO_USERS: Array<Omit<DemoLogin, 'password'>> = [
  { email: 'admin@northwind.example', name: 'Avery Admin', rank: 'administrator' },
  { email: 'executive@northwind.example', name: 'Emerson Executive', rank: 'executive' },
  { email: 'director@northwind.example', name: 'Dana Director', rank: 'director' },
  { email: 'manager@northwind.example', name: 'Morgan Manager', rank: 'manager' },
  { email: 'associate@northwind.example', name: 'Alex Associate', rank: 'associate' },
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
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO clients (name, time_zone) VALUES ($1, 'America/Chicago') RETURNING id`,
      [DEMO_CLIENT],
    );
    const logins: DemoLogin[] = [];
    for (const [index, user] of DEMO_USERS.entries()) {
      const password = demoPassword();
      options.onProgress?.(`  user ${index + 1}/${DEMO_USERS.length}: ${RANK_LABELS[user.rank]}`);
      await client.query(
        `INSERT INTO users (client_id, email, name, rank, status, password_hash, password_changed_at)
         VALUES ($1, $2, $3, $4, 'active', $5, now())`,
        [rows[0].id, user.email, user.name, user.rank, await hashPassword(password, options.bcryptCost)],
      );
      logins.push({ ...user, password });
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
