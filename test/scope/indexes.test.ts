// queries stay on indexes, and every index on a tenant table leads with
// client_id, so each client's rows form one contiguous range of every index. Read from the
// catalog, so an index added later by any migration is checked too.
import { expect } from 'chai';
import { ownerQuery } from '../support/factories.ts';

/**
 * Indexes that may not lead with client_id, each with its reason. They all serve a lookup made
 * before the client is known, or by a system job working across clients; a primary key on `id`
 * (a random UUID) is allowed everywhere and not listed.
 */
const EXCEPTIONS: Record<string, string> = {
  // E-mail is the login name across all clients (DESIGN.md §3): sign-in finds the client by it.
  users_email_key: 'global unique login e-mail',
  // A reset or invitation link carries only the token; the client is found through its hash.
  password_reset_tokens_token_hash_key: 'token lookup before the client is known',
  // A calendar feed URL carries only the token; its feed (and client) is found through its hash.
  calendar_feeds_token_sha256_key: 'feed token lookup before the client is known',
  // The outbox worker (a system job) claims due mail of every client, and client-less mail.
  mail_outbox_due: 'cross-client delivery queue',
  // The audit log's global sequence (an identity column); rows may have no client at all.
  audit_log_seq_key: 'global audit sequence',
};

interface IndexRow {
  table: string;
  index: string;
  definition: string;
  primary: boolean;
  first_column: string | null;
  key_columns: string[];
}

async function tenantIndexes(): Promise<IndexRow[]> {
  return ownerQuery<IndexRow>(`
    SELECT t.relname AS table, i.relname AS index, pg_get_indexdef(i.oid) AS definition, x.indisprimary AS primary,
           (SELECT a.attname FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attnum = x.indkey[0]) AS first_column,
           array(SELECT coalesce(a.attname, '(expression)') FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, n)
                   LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS key_columns
      FROM pg_index x
      JOIN pg_class i ON i.oid = x.indexrelid
      JOIN pg_class t ON t.oid = x.indrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname = 'public'
       AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attname = 'client_id' AND a.attnum > 0 AND NOT a.attisdropped)
     ORDER BY t.relname, i.relname`);
}

describe('indexes on tenant tables', () => {
  it('finds the tenant tables\' indexes (so the check below cannot pass vacuously)', async () => {
    const tables = new Set((await tenantIndexes()).map((r) => r.table));
    expect([...tables]).to.include.members(['users', 'org_units', 'user_scopes', 'password_reset_tokens', 'mail_outbox', 'audit_log']);
  });

  it('lead with client_id, except primary keys on id and the reasoned exceptions', async () => {
    const offenders = (await tenantIndexes())
      .filter((r) => r.first_column !== 'client_id')
      .filter((r) => !(r.primary && r.key_columns.length === 1 && r.key_columns[0] === 'id'))
      .filter((r) => !(r.index in EXCEPTIONS))
      .map((r) => r.definition);
    expect(offenders, 'lead with client_id, or add a reasoned entry to EXCEPTIONS').to.deep.equal([]);
  });

  it('still has every listed exception (a stale entry would hide a future offender of that name)', async () => {
    const names = new Set((await tenantIndexes()).map((r) => r.index));
    for (const name of Object.keys(EXCEPTIONS)) expect(names.has(name), name).to.equal(true);
  });

  it('serves the hierarchy\'s access paths: children by parent, scope rows by user and by unit', async () => {
    const keys = new Map((await tenantIndexes()).map((r) => [r.index, r.key_columns.join(',')]));
    const has = (columns: string) => [...keys.values()].some((k) => k === columns || k.startsWith(`${columns},`));
    expect(has('client_id,parent_id'), 'org_units (client_id, parent_id)').to.equal(true);
    expect(has('client_id,user_id'), 'user_scopes (client_id, user_id, …)').to.equal(true);
    expect(has('client_id,org_unit_id'), 'user_scopes (client_id, org_unit_id)').to.equal(true);
    expect(has('client_id,id'), '(client_id, id) keys for composite foreign keys').to.equal(true);
  });
});
