// The real app (`npm start`, i.e. server.ts) and CLI scripts as child processes on a scratch
// DATA_DIR with its own embedded PostgreSQL, for the operations tests.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { isAlive } from '../../lib/process-alive.ts';
import { BASE_TEST_ENV, freePort } from '../support/env.ts';

export { isAlive };

const root = path.resolve(import.meta.dirname, '../..');

export interface Install {
  dataDir: string;
  env: Record<string, string>;
}

/** A scratch install: its own DATA_DIR (under var/, reachable by the postgres user when root), web and database ports. */
export async function scratchInstall(label: string): Promise<Install> {
  const dataDir = path.join(root, 'var', `ops-${label}-${process.pid}`);
  await fs.rm(dataDir, { recursive: true, force: true });
  await fs.mkdir(dataDir, { recursive: true });
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...(BASE_TEST_ENV as Record<string, string>),
    DATA_DIR: dataDir,
    PORT: String(await freePort()),
    EMBEDDED_PG_PORT: String(await freePort()),
  };
  return { dataDir, env };
}

export interface AppProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** Starts server.ts and resolves once it says it is running (rejects with its output if it exits first). */
export async function startApp(install: Install, timeoutMs = 90_000): Promise<AppProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], { cwd: root, env: install.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const app = { child, output: () => output, exited };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the app did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const check = () => {
      if (output.includes('PlanTRAK is running')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the app exited (${code}) before it was running:\n${output}`));
    });
  });
  return app;
}

/** Sends the signal and waits for the process to end. */
export async function stopApp(app: AppProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill(signal);
  return app.exited;
}

/** Runs a CLI script (scripts/*.ts) to its end. */
export async function runCli(install: Install, script: string, args: string[] = []): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, ['--import', 'tsx', `scripts/${script}`, ...args], { cwd: root, env: install.env, timeout: 90_000 });
}

/** The pid postmaster.pid names, or null without one. */
export async function postmasterPid(install: Install): Promise<number | null> {
  const text = await fs.readFile(path.join(install.dataDir, 'postgres', 'postmaster.pid'), 'utf8').catch(() => null);
  return text ? Number(text.split('\n')[0]) : null;
}

/** Waits until the process is gone. */
export async function gone(pid: number, ms = 30_000): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) if (!isAlive(pid)) return true;
  return false;
}

/** GET on the app, as a status code (0 when nothing answers). */
export async function statusOf(install: Install, urlPath: string): Promise<number> {
  try {
    return (await fetch(`http://127.0.0.1:${install.env.PORT}${urlPath}`)).status;
  } catch {
    return 0;
  }
}

/** Postmasters running on this install's data directory (Linux /proc; elsewhere the pid file's). */
export async function postgresOf(install: Install): Promise<number[]> {
  const dir = path.join(install.dataDir, 'postgres');
  const entries = await fs.readdir('/proc').catch(() => null);
  if (!entries) return [await postmasterPid(install)].filter((p): p is number => p !== null);
  const found: number[] = [];
  for (const entry of entries.filter((e) => /^\d+$/.test(e))) {
    const args = (await fs.readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (path.basename(args[0] ?? '') === 'postgres' && args[args.indexOf('-D') + 1] === dir) found.push(Number(entry));
  }
  return found;
}

/** Stops whatever this install left running (its app, its postmaster) and removes its folder. */
export async function removeInstall(install: Install | undefined, app?: AppProcess): Promise<void> {
  if (!install) return;
  if (app) await stopApp(app, 'SIGKILL');
  for (const pid of await postgresOf(install)) {
    process.kill(pid, 'SIGINT');
    await gone(pid);
  }
  await fs.rm(install.dataDir, { recursive: true, force: true });
}
