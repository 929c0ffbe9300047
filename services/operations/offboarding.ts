// Client offboarding (DESIGN.md §9): suspend the client, export everything, then delete every row
// of that client. The export runs as the system actor under row-level security, like the
// Administrator's download; the deletion runs as the owner in one transaction, lifting the
// append-only triggers for that transaction only, and leaves a vendor-level audit entry.
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import pg from 'pg';
import type { Sequelize } from 'sequelize';
import { allowLongStatement, inUnitOfWork } from '../../lib/unit-of-work.ts';
import { Client } from '../../models/index.ts';
import { clientExport } from '../exports/client-export.ts';
import { streamZip } from '../exports/zip.ts';
import { archivalRetentionNote } from './backup-facts.ts';

/** A refusal the command prints as it is; nothing was changed. */
export class OffboardingError extends Error {}

export interface ClientIdentity {
  id: string;
  name: string;
  status: string;
}

/** The client named by id or by its exact name (as the owner: the CLI names any client). */
export async function findClient(owner: pg.ClientBase, key: string): Promise<ClientIdentity> {
  const wanted = key.trim();
  if (!wanted) throw new OffboardingError('Name the client: its id or its exact name.');
  const { rows } = await owner.query<ClientIdentity>('SELECT id::text, name, status FROM clients WHERE id::text = $1 OR name = $1 ORDER BY id', [wanted]);
  if (rows.length === 0) throw new OffboardingError(`There is no client named "${wanted}". Nothing was changed.`);
  if (rows.length > 1) throw new OffboardingError(`Several clients are named "${wanted}"; give the client's id instead: ${rows.map((r) => r.id).join(', ')}.`);
  return rows[0]!;
}

/**
 * Writes the full client export (the Administrator's workbook and documents ZIP) into `dir`, as
 * the system actor: it works for a suspended client whose support visits have lapsed. Returns the
 * file written; a failure removes the partial file.
 */
export async function exportClientToFile(sequelize: Sequelize, clientId: string, dir: string): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  let file: string | undefined;
  try {
    await inUnitOfWork(sequelize, { actorKind: 'system', clientId, requestId: 'cli:client:export' }, async () => {
      const client = await Client.findByPk(clientId);
      if (!client) throw new OffboardingError('The client is not visible to the system actor.');
      const archive = clientExport(client);
      file = path.join(dir, archive.fileName);
      const out = createWriteStream(file, { flags: 'wx' });
      await allowLongStatement(120);
      await streamZip(out, archive.write);
      out.end();
      await finished(out);
    });
  } catch (error) {
    if (file && (error as NodeJS.ErrnoException).code !== 'EEXIST') await fs.rm(file, { force: true });
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new OffboardingError(`${file} already exists; move it away first. Nothing was written.`);
    throw error;
  }
  return file!;
}

/** Every table in public holding a client's rows, children before the tables they reference. */
async function tenantTablesInDeleteOrder(owner: pg.ClientBase): Promise<string[]> {
  const { rows: tables } = await owner.query<{ table: string }>(`
    SELECT c.relname AS table FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
       AND (c.relname = 'clients' OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'client_id' AND NOT a.attisdropped))`);
  const { rows: edges } = await owner.query<{ child: string; parent: string }>(`
    SELECT ch.relname AS child, pa.relname AS parent FROM pg_constraint k
      JOIN pg_class ch ON ch.oid = k.conrelid JOIN pg_class pa ON pa.oid = k.confrelid
      JOIN pg_namespace n ON n.oid = ch.relnamespace
     WHERE k.contype = 'f' AND n.nspname = 'public' AND k.conrelid <> k.confrelid`);
  const names = new Set(tables.map((t) => t.table));
  const children = new Map<string, Set<string>>([...names].map((t) => [t, new Set()]));
  for (const e of edges) if (names.has(e.child) && names.has(e.parent)) children.get(e.parent)!.add(e.child);
  // Depth-first: a table comes after every table referencing it.
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (table: string) => {
    if (state.get(table) === 'done') return;
    if (state.get(table) === 'visiting') throw new Error(`foreign keys form a cycle through ${table}`);
    state.set(table, 'visiting');
    for (const child of [...children.get(table)!].sort()) visit(child);
    state.set(table, 'done');
    order.push(table);
  };
  for (const table of [...names].sort()) visit(table);
  return order;
}

export interface Deletion {
  client: ClientIdentity;
  /** Rows deleted per table (tables with none included), plus the client's browser sessions. */
  rows: Record<string, number>;
  backups: string;
}

/**
 * Deletes every row of a suspended client, as the owner, in one transaction. `confirmation` must
 * be the client's exact name. The append-only (and kept-count) triggers are disabled inside the
 * transaction and enabled again before it commits (DDL in PostgreSQL is transactional: should anything fail, the
 * rollback restores them too). The deletion itself is recorded in the vendor-level audit log.
 */
export async function deleteClient(ownerUrl: string, key: string, confirmation: string, retentionMonths?: number): Promise<Deletion> {
  const owner = new pg.Client({ connectionString: ownerUrl, application_name: 'plantrak-client-delete' });
  await owner.connect();
  try {
    await owner.query('BEGIN');
    try {
      const client = await findClient(owner, key);
      await owner.query('SELECT 1 FROM clients WHERE id = $1 FOR UPDATE', [client.id]);
      if (client.status !== 'suspended') {
        throw new OffboardingError(`${client.name} is ${client.status}: only a suspended client can be deleted. Suspend it in the admin area, export it (npm run client:export), then delete it. Nothing was changed.`);
      }
      if (confirmation !== client.name) {
        throw new OffboardingError(`The confirmation "${confirmation}" is not the client's name ("${client.name}"). Nothing was changed.`);
      }
      const tables = await tenantTablesInDeleteOrder(owner);
      // The append-only triggers refuse any DELETE, and the kept-count triggers would recount rows
      // about to go anyway: every trigger of the client's tables but the foreign keys' is lifted,
      // by name, for this transaction only.
      const { rows: triggers } = await owner.query<{ table: string; trigger: string }>(`
        SELECT c.relname AS table, t.tgname AS trigger FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
         WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' AND c.relname = ANY ($1) ORDER BY 1, 2`, [tables]);
      const lift = async (verb: 'DISABLE' | 'ENABLE') => {
        for (const t of triggers) await owner.query(`ALTER TABLE "${t.table}" ${verb} TRIGGER "${t.trigger}"`);
      };
      await lift('DISABLE');
      const rows: Record<string, number> = {};
      for (const table of tables) {
        const column = table === 'clients' ? 'id' : 'client_id';
        rows[table] = (await owner.query(`DELETE FROM "${table}" WHERE ${column} = $1`, [client.id])).rowCount ?? 0;
      }
      rows.session = (await owner.query(`DELETE FROM session WHERE sess::jsonb -> 'auth' ->> 'clientId' = $1`, [client.id])).rowCount ?? 0;
      await lift('ENABLE');
      const backups = archivalRetentionNote(retentionMonths);
      await owner.query(
        `INSERT INTO audit_log (client_id, actor_kind, action, entity_type, entity_id, changes, request_id)
         VALUES (NULL, 'system', 'client.deleted', 'client', $1, $2, 'cli:client:delete')`,
        [client.id, JSON.stringify({ client: client.name, rows, total: Object.values(rows).reduce((a, b) => a + b, 0), backups })],
      );
      await owner.query('COMMIT');
      return { client, rows, backups };
    } catch (error) {
      await owner.query('ROLLBACK');
      throw error;
    }
  } finally {
    await owner.end();
  }
}
