// The data-encryption key (configuration and the development fallback), the sealing itself, and
// the recovery_codes table's tenant shape (index, keys, grants) in the catalog.
import fs from 'node:fs/promises';
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../config/index.ts';
import { SecretBox } from '../../lib/secret-box.ts';
import { loadLocalSecrets } from '../../services/database/local-secrets.ts';
import { testEnv } from '../support/env.ts';
import { ownerQuery } from '../support/factories.ts';
import { removeDir, scratchPath } from '../support/mail-helpers.ts';

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('two-factor: data-encryption key and schema', () => {
  it('requires DATA_ENCRYPTION_KEY in production, as 64 hex characters', () => {
    const production = { NODE_ENV: 'production', SESSION_SECRET: 's'.repeat(40) };
    expect(configError(production)).to.include('DATA_ENCRYPTION_KEY is required in production');
    expect(configError({ ...production, DATA_ENCRYPTION_KEY: 'not-hex' })).to.include('DATA_ENCRYPTION_KEY: exactly 64 hex characters');
    expect(configError({ DATA_ENCRYPTION_KEY: 'ab'.repeat(31) })).to.include('DATA_ENCRYPTION_KEY');
    expect(loadConfig({ ...production, DATA_ENCRYPTION_KEY: 'AB'.repeat(32) }).dataEncryptionKey).to.equal('ab'.repeat(32));
    expect(loadConfig({}).dataEncryptionKey).to.equal(undefined);
  });

  it('generates a development key into secrets.json once and keeps it', async () => {
    const dir = scratchPath('secrets');
    try {
      const first = await loadLocalSecrets(dir);
      expect(first.dataEncryptionKey).to.match(/^[0-9a-f]{64}$/);
      expect((await loadLocalSecrets(dir)).dataEncryptionKey).to.equal(first.dataEncryptionKey);
      const stat = await fs.stat(`${dir}/secrets.json`);
      expect(stat.mode & 0o777).to.equal(0o600);
    } finally {
      await removeDir(dir);
    }
  });

  it('seals with a fresh IV each time and detects tampering', () => {
    const box = new SecretBox('0f'.repeat(32));
    const a = box.seal('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', 'ctx');
    const b = box.seal('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', 'ctx');
    expect(a).not.to.equal(b);
    expect(box.open(a, 'ctx')).to.equal('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
    const raw = Buffer.from(a.slice(3), 'base64url');
    raw[raw.length - 1] ^= 1;
    expect(() => box.open(`v1:${raw.toString('base64url')}`, 'ctx')).to.throw();
    expect(() => box.open('JBSWY3DPEHPK3PXP', 'ctx')).to.throw();
    expect(() => new SecretBox('short')).to.throw();
  });

  it('gives recovery_codes a client-led index, composite keys and only the grants it needs', async () => {
    const indexes = await ownerQuery<{ def: string }>(`SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index WHERE indrelid = 'recovery_codes'::regclass`);
    for (const { def } of indexes.filter((i) => !/\(id\)$/.test(i.def))) expect(def).to.match(/\(client_id[,)]/);
    expect(indexes.map((i) => i.def).join('\n')).to.include('(client_id, user_id, code_hash)');

    const constraints = (await ownerQuery<{ def: string }>(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'recovery_codes'::regclass`)).map((c) => c.def);
    expect(constraints).to.include('UNIQUE (client_id, id)');
    expect(constraints).to.include('FOREIGN KEY (client_id, user_id) REFERENCES users(client_id, id) ON DELETE CASCADE');

    const privileges = await ownerQuery<{ privilege: string }>(
      `SELECT p AS privilege FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) AS p
        WHERE has_table_privilege($1, 'recovery_codes', p) ORDER BY 1`,
      [testEnv().roles.app],
    );
    expect(privileges.map((p) => p.privilege)).to.deep.equal(['DELETE', 'INSERT', 'SELECT', 'UPDATE']);

    const columns = await ownerQuery<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'users' AND column_name LIKE 'totp%' ORDER BY 1`);
    expect(columns).to.deep.equal([
      { column_name: 'totp_enabled_at', data_type: 'timestamp with time zone' },
      { column_name: 'totp_last_step', data_type: 'bigint' },
      { column_name: 'totp_secret', data_type: 'text' },
    ]);
  });
});
