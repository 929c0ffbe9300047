// Gets a migrated database ready: the configured server, or an embedded one under var/.
import { type Config, type DatabaseUrls, missingBackupPassphrases } from '../../config/index.ts';
import { type BackupSetup, archiveSettings, backupSetup, findPgbackrest, passphrases, writeBackupConfig } from '../backups/pgbackrest.ts';
import { startEmbeddedPostgres } from './embedded.ts';
import { loadLocalSecrets } from './local-secrets.ts';
import { migrateUp } from './migrator.ts';
import { provisionDatabase } from './provision.ts';
import { type RoleNames, roleNames, rolesFromUrls } from './roles.ts';

export interface PreparedDatabase {
  urls: DatabaseUrls;
  roles: RoleNames;
  embedded: boolean;
  sessionSecret?: string;
  /** pgBackRest's setup when the embedded server archives its WAL; absent without pgbackrest or with BACKUPS=off. */
  backups?: BackupSetup;
  /** Why there are no backups, for the Backups page and the commands. */
  backupsUnavailable?: string;
  /** The embedded server's superuser URL. */
  adminUrl?: string;
  stop(): Promise<void>;
}

type Progress = (message: string) => void;

/**
 * Who asks: the app ('app') adopts an embedded server nobody owns and stops it at its shutdown;
 * a CLI command ('cli', the default) uses the running embedded server when there is one and
 * leaves it running, and starts (then stops) one only when there is none.
 */
export interface ConnectOptions {
  kind?: 'app' | 'cli';
}

/** The configured server, or the embedded one (running, or started) and provisioned; not yet migrated. */
export async function connectServer(config: Config, onProgress: Progress = () => undefined, options: ConnectOptions = {}): Promise<PreparedDatabase> {
  if (config.database) {
    // pgBackRest runs on the database host: configure it there (docs/DISASTER-RECOVERY.md).
    return { urls: config.database, roles: rolesFromUrls(config.database), embedded: false, backupsUnavailable: 'With DATABASE_URL, pgBackRest runs on the database server itself (docs/DISASTER-RECOVERY.md).', stop: async () => undefined };
  }
  const secrets = await loadLocalSecrets(config.dataDir);
  // With pgBackRest, the server archives every WAL segment into both repositories (DESIGN.md §9).
  const executable = config.backups.enabled ? await findPgbackrest(config) : null;
  const backups = executable ? await backupSetup(config, executable) : undefined;
  if (backups) {
    const missing = missingBackupPassphrases(config);
    if (missing) throw missing;
    await writeBackupConfig(backups, config, passphrases(config, secrets));
  }
  const backupsUnavailable = !config.backups.enabled ? 'Backups are switched off (BACKUPS=off).' : backups ? undefined : 'pgBackRest is not installed.';
  const server = await startEmbeddedPostgres({
    dataDir: config.dataDir, port: config.embeddedPort, superuserPassword: secrets.superuser, kind: options.kind ?? 'cli', onProgress,
    ...(backups ? { socketDir: backups.socketDir, settings: archiveSettings(backups) } : {}),
  });
  try {
    if (backups && server.port !== backups.port) {
      backups.port = server.port;
      await writeBackupConfig(backups, config, passphrases(config, secrets));
    }
    const roles = roleNames(config.rolePrefix);
    const urls = await provisionDatabase(server.adminUrl, roles, secrets);
    return { urls, roles, embedded: true, sessionSecret: secrets.sessionSecret, backups, backupsUnavailable, adminUrl: server.adminUrl, stop: server.stop };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/** connectServer, then every pending migration. */
export async function prepareDatabase(config: Config, onProgress: Progress = () => undefined, options: ConnectOptions = {}): Promise<PreparedDatabase> {
  const prepared = await connectServer(config, onProgress, options);
  onProgress('Applying migrations …');
  const applied = await migrateUp(prepared.urls.owner, prepared.roles);
  if (applied.length) onProgress(`Applied ${applied.length} migration(s): ${applied.join(', ')}`);
  return prepared;
}
