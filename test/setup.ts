// Mocha root hooks. Each process that runs tests (the one process, or each parallel worker) has
// its own database, started before its first file and emptied before every test.
import { ensureTestEnv, markTestRun, removeWorkerClusters, stopTestEnv, truncateAll } from './support/env.ts';

export function mochaGlobalSetup(): void {
  markTestRun();
}

export async function mochaGlobalTeardown(): Promise<void> {
  await stopTestEnv();
  await removeWorkerClusters();
}

export const mochaHooks = {
  async beforeAll(): Promise<void> {
    await ensureTestEnv();
  },
  async beforeEach(): Promise<void> {
    await truncateAll();
  },
};
