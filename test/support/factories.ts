// Rows for tests, inserted as the owner role (outside RLS), with sensible defaults.
import { randomUUID } from 'node:crypto';
import bcrypt from 'bcrypt';
import type pg from 'pg';
import type { Rank, UserStatus } from '../../models/user.ts';
import { testEnv } from './env.ts';

export const VALID_PASSWORD = 'Quartz-Lantern-47!';

export interface ClientRow {
  id: string;
  name: string;
}

export interface UserRow {
  id: string;
  client_id: string;
  email: string;
  name: string;
  rank: Rank;
  status: UserStatus;
  /** The plain password the factory hashed. */
  password: string;
}

export async function createClient(attrs: { name?: string; timeZone?: string; status?: 'active' | 'suspended' } = {}): Promise<ClientRow> {
  const { rows } = await testEnv().owner.query<ClientRow>(
    'INSERT INTO clients (name, time_zone, status) VALUES ($1, $2, $3) RETURNING id, name',
    [attrs.name ?? `Client ${randomUUID().slice(0, 8)}`, attrs.timeZone ?? 'UTC', attrs.status ?? 'active'],
  );
  return rows[0];
}

export async function createUser(
  client: ClientRow,
  attrs: { email?: string; name?: string; rank?: Rank; status?: UserStatus; password?: string } = {},
): Promise<UserRow> {
  const password = attrs.password ?? VALID_PASSWORD;
  const { rows } = await testEnv().owner.query<Omit<UserRow, 'password'>>(
    `INSERT INTO users (client_id, email, name, rank, status, password_hash, password_changed_at)
     VALUES ($1, $2, $3, $4, $5, $6, now()) RETURNING id, client_id, email, name, rank, status`,
    [
      client.id,
      (attrs.email ?? `user-${randomUUID().slice(0, 8)}@example.com`).toLowerCase(),
      attrs.name ?? 'Test User',
      attrs.rank ?? 'associate',
      attrs.status ?? 'active',
      await bcrypt.hash(password, 4),
    ],
  );
  return { ...rows[0], password };
}

/** Reads rows as the owner (outside RLS), to check what really is in the database. */
export async function ownerQuery<T extends object = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  return (await testEnv().owner.query<T & pg.QueryResultRow>(text, params)).rows;
}

