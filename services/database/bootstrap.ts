// Gets a migrated database ready: the configured server, or an embedded one under var/.
import type { Config, DatabaseUrls } from '../../config/index.ts';
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
    return { urls: config.database, roles: rolesFromUrls(config.database), embedded: false, stop: async () => undefined };
  }
  const secrets = await loadLocalSecrets(config.dataDir);
  const server = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPort, superuserPassword: secrets.superuser, kind: options.kind ?? 'cli', onProgress });
  try {
    const roles = roleNames(config.rolePrefix);
    const urls = await provisionDatabase(server.adminUrl, roles, secrets);
    return { urls, roles, embedded: true, sessionSecret: secrets.sessionSecret, stop: server.stop };
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
