// Secrets a fresh install makes for itself (embedded role passwords, session secret, data key), kept in
// var/secrets.json readable by the owner only.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

export interface LocalSecrets {
  superuser: string;
  owner: string;
  app: string;
  session: string;
  backup: string;
  sessionSecret: string;
  /** 32 random bytes as hex: the data-encryption key when DATA_ENCRYPTION_KEY is not set. */
  dataEncryptionKey: string;
  /** pgBackRest's repository passphrases (daily, monthly archival) when BACKUP_*PASSPHRASE is not set. */
  backupPassphrase: string;
  archivePassphrase: string;
}

export async function loadLocalSecrets(dataDir: string): Promise<LocalSecrets> {
  const file = path.join(dataDir, 'secrets.json');
  let stored: Partial<LocalSecrets> = {};
  try {
    stored = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<LocalSecrets>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const fresh = () => randomBytes(24).toString('hex');
  const secrets: LocalSecrets = {
    superuser: stored.superuser ?? fresh(),
    owner: stored.owner ?? fresh(),
    app: stored.app ?? fresh(),
    session: stored.session ?? fresh(),
    backup: stored.backup ?? fresh(),
    sessionSecret: stored.sessionSecret ?? randomBytes(48).toString('hex'),
    dataEncryptionKey: stored.dataEncryptionKey ?? randomBytes(32).toString('hex'),
    backupPassphrase: stored.backupPassphrase ?? randomBytes(36).toString('base64'),
    archivePassphrase: stored.archivePassphrase ?? randomBytes(36).toString('base64'),
  };
  if (JSON.stringify(secrets) !== JSON.stringify(stored)) {
    await fs.mkdir(dataDir, { recursive: true });
    await fs.writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return secrets;
}
