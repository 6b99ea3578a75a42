/**
 * Playwright configuration for Tessera's browser end-to-end suite.
 *
 * Run from the repository root:
 *   TESSERA_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
 *     npx playwright test -c end2end/playwright.config.ts
 *
 * global-setup.ts starts one server per project (see there); each project's
 * baseURL comes from end2end/.tmp/servers.json through the fixtures in
 * pages/fixtures.ts, so tests must import `test`/`expect` from there.
 *
 * Browsers are never downloaded: Debian's Chromium at /usr/bin/chromium is used.
 */
import { defineConfig } from '@playwright/test';

/** Specs that need JavaScript in the page (they never run in the *-nojs projects). */
const JS_ONLY_SPECS = ['**/hydration.spec.ts', '**/weight.spec.ts'];
/** Specs that run in a single project only (the payload budget: one server is enough). */
const SQLITE_JS_ONLY_SPECS = ['**/weight.spec.ts'];

export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  globalSetup: './global-setup.ts',
  globalTeardown: './global-teardown.ts',

  fullyParallel: false,
  workers: 2,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],

  use: {
    browserName: 'chromium',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
    actionTimeout: 15_000,
    navigationTimeout: 30_000,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },

  // metadata.database tells global-setup.ts which kind of database to give the project's server.
  // workers: 1 per project: the spec files of one project share its server and its accounts
  // (auth-flow creates the organisation, mfa turns MFA on and off for its
  // owner), so they run one after the other, in file order; different projects still run side
  // by side on the two workers.
  projects: [
    {
      name: 'sqlite-js',
      workers: 1,
      metadata: { database: 'sqlite' },
      use: { javaScriptEnabled: true },
    },
    {
      name: 'sqlite-nojs',
      workers: 1,
      metadata: { database: 'sqlite' },
      testIgnore: JS_ONLY_SPECS,
      use: { javaScriptEnabled: false },
    },
    {
      name: 'postgres-js',
      workers: 1,
      metadata: { database: 'postgres' },
      testIgnore: SQLITE_JS_ONLY_SPECS,
      use: { javaScriptEnabled: true },
    },
    {
      name: 'postgres-nojs',
      workers: 1,
      metadata: { database: 'postgres' },
      testIgnore: JS_ONLY_SPECS,
      use: { javaScriptEnabled: false },
    },
  ],
});
