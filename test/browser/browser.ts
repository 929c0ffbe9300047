// Browser tests drive Debian's Chromium (/usr/bin/chromium, installed by .ci/run) through
// playwright-core against the app listening on a free local port. Without Chromium the suite is
// skipped with a notice on a developer machine, and fails under CI, where it must run.
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium, type Page } from 'playwright-core';
import { testApp } from '../support/http.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface BrowserRig {
  browser: Browser;
  baseUrl: string;
  close(): Promise<void>;
}

/** Call in before(): starts the app and Chromium, or skips the suite when Chromium is absent outside CI. */
export async function startBrowserRig(context: Mocha.Context): Promise<BrowserRig | undefined> {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI) throw new Error(`Chromium not found at ${CHROMIUM}; .ci/run installs Debian's chromium package`);
    process.stdout.write(`  (browser tests skipped: no Chromium at ${CHROMIUM}; install Debian's chromium to run them)\n`);
    context.skip();
  }
  const server: Server = await new Promise((resolve) => {
    const s = testApp().listen(0, '127.0.0.1', () => resolve(s));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  return {
    browser,
    baseUrl,
    async close() {
      await browser.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A fresh browser context signed in through the real login form; `problems` collects script
 *  errors and console errors (CSP violations among them) for the test to assert empty.
 *  `bypassCSP` lets a test inject its own script (axe-core); the app's CSP is then not checked. */
export async function signedInPage(rig: BrowserRig, email: string, password: string, viewport = { width: 1280, height: 900 }, options: { bypassCSP?: boolean; javaScriptEnabled?: boolean } = {}): Promise<{ page: Page; problems: string[] }> {
  const context = await rig.browser.newContext({ baseURL: rig.baseUrl, viewport, bypassCSP: options.bypassCSP ?? false, javaScriptEnabled: options.javaScriptEnabled ?? true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`script error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  await page.goto('/login');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  return { page, problems };
}
