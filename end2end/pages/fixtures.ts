/**
 * Test fixtures shared by every spec: import `test` and `expect` from here,
 * not from '@playwright/test'.
 *
 * - `server`: this project's server ({ baseURL, setupLink, mailURL, dataDir,
 *   databaseUrl }) from end2end/.tmp/servers.json, written by global-setup.ts
 *   (mailURL is the run's MailDev, shared by every project: see MailDev.ts;
 *   dataDir and databaseUrl are what the operator CLI needs: see Cli.ts).
 * - `baseURL`: overridden with the server's URL, so `page.goto('/login')` and
 *   every context created from the built-in fixtures reach the right server.
 */
import { test as base, expect } from '@playwright/test';
import * as fs from 'node:fs';
import { SERVERS_FILE, type ServerEntry } from '../global-setup';

export type { ServerEntry };

export function readServer(projectName: string): ServerEntry {
  let servers: Record<string, ServerEntry>;
  try {
    servers = JSON.parse(fs.readFileSync(SERVERS_FILE, 'utf8')) as Record<string, ServerEntry>;
  } catch (e) {
    throw new Error(
      `Cannot read ${SERVERS_FILE} (${(e as Error).message}). It is written by end2end/global-setup.ts: ` +
        'run the suite with `npx playwright test -c end2end/playwright.config.ts` from the repository root.',
    );
  }
  const server = servers[projectName];
  if (!server) {
    throw new Error(`${SERVERS_FILE} has no server for project "${projectName}" (it has: ${Object.keys(servers).join(', ')}).`);
  }
  return server;
}

export const test = base.extend<{ server: ServerEntry }>({
  server: async ({}, use, testInfo) => {
    await use(readServer(testInfo.project.name));
  },
  baseURL: async ({ server }, use) => {
    await use(server.baseURL);
  },
});

export { expect };
