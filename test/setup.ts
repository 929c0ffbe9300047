// Mocha root hooks: one database for the whole run, emptied before every test.
import { startTestEnv, stopTestEnv, truncateAll } from './support/env.ts';

export async function mochaGlobalSetup(): Promise<void> {
  await startTestEnv();
}

export async function mochaGlobalTeardown(): Promise<void> {
  await stopTestEnv();
}

export const mochaHooks = {
  async beforeEach(): Promise<void> {
    await truncateAll();
  },
};
