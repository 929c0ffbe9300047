// What every benchmark needs around it: a scratch folder under var/, a stack of cleanup steps run
// at the end (and on Ctrl-C), and a throw-away PostgreSQL in that folder.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { type EmbeddedServer, startEmbeddedPostgres } from '../services/database/embedded.ts';
import { freePort } from '../lib/free-port.ts';

export interface BenchScratch {
  dir: string;
  /** Runs step at cleanup, after the steps deferred later (a stack). */
  defer(step: () => Promise<unknown>): void;
  cleanup(): Promise<void>;
}

export async function benchScratch(label: string, say: (line: string) => void): Promise<BenchScratch> {
  const dir = path.resolve(import.meta.dirname, `../var/bench-${label}-${process.pid}`);
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  const steps: Array<() => Promise<unknown>> = [async () => fs.rm(dir, { recursive: true, force: true })];
  const scratch: BenchScratch = {
    dir,
    defer: (step) => void steps.push(step),
    async cleanup() {
      for (const step of steps.splice(0).reverse()) await step().catch((e: unknown) => say(`cleanup: ${(e as Error).message}`));
    },
  };
  process.once('SIGINT', () => void scratch.cleanup().then(() => process.exit(130)));
  return scratch;
}

/** A PostgreSQL cluster in the scratch folder (with these server settings), stopped at cleanup. */
export async function scratchPostgres(scratch: BenchScratch, settings: Record<string, string> = {}): Promise<EmbeddedServer> {
  const server = await startEmbeddedPostgres({ dataDir: scratch.dir, port: await freePort(), superuserPassword: randomBytes(12).toString('hex'), settings });
  scratch.defer(server.stop);
  return server;
}
