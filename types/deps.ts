import type { Config } from '../config/index.ts';
import type { Database } from '../models/index.ts';

/** What the web app is built from; tests build it with their own. */
export interface AppDeps {
  config: Config;
  db: Database;
  sessionSecret: string;
  /** The data-encryption key (64 hex) when config has none: var/secrets.json's, outside production. */
  dataEncryptionKey?: string;
  /** Whether this server's database is backed up (pgBackRest archiving), and if not why. */
  backups?: { available: boolean; unavailable?: string };
}
