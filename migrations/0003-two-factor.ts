// Optional TOTP for client users (issue 3, point 6): when it was enabled, the last accepted
// time-step (replay guard), and single-use recovery codes stored as SHA-256 hashes.
// users.totp_secret (from 0001) holds the AES-256-GCM ciphertext, never the base32 secret.
import type { MigrationContext } from '../services/database/migrator.ts';

export async function up({ sql, roles }: MigrationContext): Promise<void> {
  await sql(`
    ALTER TABLE users
      ADD COLUMN totp_enabled_at timestamptz,
      ADD COLUMN totp_last_step bigint,
      ADD CONSTRAINT users_totp_enabled_has_secret CHECK (totp_enabled_at IS NULL OR totp_secret IS NOT NULL);

    CREATE TABLE recovery_codes (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      client_id uuid NOT NULL REFERENCES clients (id),
      user_id uuid NOT NULL,
      code_hash bytea NOT NULL CHECK (length(code_hash) = 32),
      used_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (client_id, id),
      FOREIGN KEY (client_id, user_id) REFERENCES users (client_id, id) ON DELETE CASCADE
    );
    CREATE INDEX recovery_codes_user ON recovery_codes (client_id, user_id, code_hash);

    ALTER TABLE recovery_codes ENABLE ROW LEVEL SECURITY;
    ALTER TABLE recovery_codes FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_guard ON recovery_codes AS RESTRICTIVE
      USING (client_id = (SELECT app_current_client()))
      WITH CHECK (client_id = (SELECT app_current_client()));
    -- Whose codes a request may touch is decided in code (only the signed-in or signing-in user's).
    CREATE POLICY tenant_access ON recovery_codes USING (true) WITH CHECK (true);

    -- Codes are inserted, marked used, and deleted when regenerated or when TOTP is turned off.
    GRANT SELECT, INSERT, UPDATE, DELETE ON recovery_codes TO ${roles.app};
  `);
}

export async function down({ sql }: MigrationContext): Promise<void> {
  await sql(`
    DROP TABLE recovery_codes;
    ALTER TABLE users
      DROP CONSTRAINT users_totp_enabled_has_secret,
      DROP COLUMN totp_last_step,
      DROP COLUMN totp_enabled_at;
  `);
}
