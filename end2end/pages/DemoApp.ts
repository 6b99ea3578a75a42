/**
 * The demo application (end2end/demo-app/server.mjs, built on the npm
 * `openid-client` relying-party library), registered with a project's Tessera
 * through the operator CLI and started on a free port for one test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { expect, type Locator, type Page } from '@playwright/test';
import { REPO_ROOT } from '../global-setup';
import { runCli } from './Cli';
import { freePort } from './ports';
import type { ServerEntry } from './fixtures';

export interface DemoOptions {
  organisationName: string;
  /** Unique per test: application names are unique in an organisation. */
  name: string;
  roles?: string[];
  requireMfa?: boolean;
}

function printedAfter(out: string, label: string): string {
  const line = out.split('\n').find((l) => l.includes(label));
  if (!line) throw new Error(`no "${label}" in:\n${out}`);
  return line.slice(line.indexOf(label) + label.length).trim();
}

export class DemoApp {
  private constructor(
    readonly url: string,
    readonly clientId: string,
    private readonly child: ChildProcess,
    private readonly log: string[],
  ) {}

  /** Registers the application (`tessera app add`) and starts it. */
  static async start(server: ServerEntry, o: DemoOptions): Promise<DemoApp> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const args = ['app', 'add', '--org', o.organisationName, '--name', o.name, '--type', 'confidential'];
    args.push('--redirect-uri', `${url}/callback`, '--post-logout-uri', `${url}/`);
    if (o.roles) args.push('--roles', o.roles.join(','));
    if (o.requireMfa) args.push('--require-mfa');
    const out = runCli(server, args);
    const clientId = printedAfter(out, 'Client id:');
    const clientSecret = printedAfter(out, 'keep it now):');
    const log: string[] = [];
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'end2end', 'demo-app', 'server.mjs')], {
      cwd: REPO_ROOT,
      env: { ...process.env, TESSERA_URL: server.baseURL, CLIENT_ID: clientId, CLIENT_SECRET: clientSecret, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const ready = new Promise<void>((resolve, reject) => {
      const seen = (chunk: Buffer) => {
        log.push(chunk.toString());
        if (log.join('').includes('demo application on')) resolve();
      };
      child.stdout?.on('data', seen);
      child.stderr?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
      child.once('exit', (code) => reject(new Error(`the demo application stopped (${code}):\n${log.join('')}`)));
      setTimeout(() => reject(new Error(`the demo application did not start:\n${log.join('')}`)), 20_000);
    });
    await ready;
    return new DemoApp(url, clientId, child, log);
  }

  stop() {
    this.child.kill();
  }

  /** What the demo's page says about who is signed in. */
  static statusOn(page: Page): Locator {
    return page.locator('#status');
  }

  async open(page: Page) {
    await page.goto(`${this.url}/`);
    await expect(DemoApp.statusOn(page)).toHaveText('You are not signed in.');
  }

  async expectSignedIn(page: Page, email: string) {
    await expect(page).toHaveURL(`${this.url}/`);
    await expect(DemoApp.statusOn(page), this.log.join('')).toHaveText(`Signed in as ${email}`);
    // What it shows was verified by openid-client: the ID token's claims, and userinfo.
    await expect(page.locator('#userinfo')).toHaveText(email);
  }
}
