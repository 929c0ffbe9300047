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

/** The configured server, or the embedded one started and provisioned; not yet migrated. */
export async function connectServer(config: Config, onProgress: Progress = () => undefined): Promise<PreparedDatabase> {
  if (config.database) {
    return { urls: config.database, roles: rolesFromUrls(config.database), embedded: false, stop: async () => undefined };
  }
  const secrets = await loadLocalSecrets(config.dataDir);
  const server = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPort, superuserPassword: secrets.superuser, onProgress });
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
export async function prepareDatabase(config: Config, onProgress: Progress = () => undefined): Promise<PreparedDatabase> {
  const prepared = await connectServer(config, onProgress);
  onProgress('Applying migrations …');
  const applied = await migrateUp(prepared.urls.owner, prepared.roles);
  if (applied.length) onProgress(`Applied ${applied.length} migration(s): ${applied.join(', ')}`);
  return prepared;
}
