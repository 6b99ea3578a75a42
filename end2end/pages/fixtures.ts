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
 * - `page`: the built-in page, with every page it loads checked by axe-core
 *   (see a11y.ts); the test fails at its end if any had a serious or critical
 *   violation. So every page the suite visits is checked, in the JavaScript
 *   projects: axe runs as a script in the page, which the *-nojs projects
 *   forbid (they get the same server-rendered HTML).
 */
import { test as base, expect } from '@playwright/test';
import * as fs from 'node:fs';
import { SERVERS_FILE, type ServerEntry } from '../global-setup';
import { seriousViolations } from './a11y';

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
  page: async ({ page, server }, use, testInfo) => {
    if (testInfo.project.use.javaScriptEnabled === false) {
      await use(page);
      return;
    }
    const found: string[] = [];
    const seen = new Set<string>();
    let queue = Promise.resolve();
    // Tessera's pages; not those of the stand-in provider or application a test visits on the
    // way (they are not ours to fix).
    const ours = new URL(server.baseURL).origin;
    page.on('load', () => {
      const url = page.url();
      if (seen.has(url) || new URL(url).origin !== ours) return;
      seen.add(url);
      queue = queue.then(async () => {
        // The page moved on before or while being checked (to another site, say): what axe saw
        // was not this page, and its next load is checked instead.
        if (page.url() !== url) return;
        try {
          const violations = await seriousViolations(page);
          if (page.url() === url) found.push(...violations.map((v) => `${url}: ${v}`));
        } catch {
          // The page moved on while being checked.
        }
      });
    });
    await use(page);
    await queue;
    expect(found, 'serious or critical accessibility violations on the pages this test loaded').toEqual([]);
  },
});

export { expect };
