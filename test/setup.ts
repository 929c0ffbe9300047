// Mocha root hooks. Each process that runs tests (the one process, or each parallel worker) has
// its own database, started before its first file and emptied before every test.
import { ensureTestEnv, prepareTestRun, removeWorkerClusters, stopTestEnv, truncateAll } from './support/env.ts';

export async function mochaGlobalSetup(): Promise<void> {
  await prepareTestRun();
}

export async function mochaGlobalTeardown(): Promise<void> {
  await stopTestEnv();
  await removeWorkerClusters();
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    // initdb, start, provisioning and every migration, with the other workers doing the same.
    this.timeout(300_000);
    await ensureTestEnv();
  },
  async beforeEach(): Promise<void> {
    await truncateAll();
  },
};
