/**
 * A real OpenID Connect provider for one test (end2end/idp/server.mjs, the
 * npm `oidc-provider` package), configured in a project's Tessera through the
 * operator CLI (`tessera sso add`, `tessera sso allow`) and started on a free
 * port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { expect, type Page } from '@playwright/test';
import { REPO_ROOT } from '../global-setup';
import { runCli } from './Cli';
import { freePort } from './ports';
import type { ServerEntry } from './fixtures';

const CLIENT_SECRET = 'the provider secret of tessera';

export class Idp {
  private constructor(
    readonly origin: string,
    readonly name: string,
    private readonly child: ChildProcess,
  ) {}

  /**
   * Starts the provider, adds it to `server` as `name` and allows it for `organisationName`.
   * With `tenant`, it poses as Microsoft's endpoint for several tenants, `tenant` allowed; with
   * `hd`, as Google, its Workspace accounts at `hd`.
   */
  static async start(
    server: ServerEntry,
    o: { name: string; organisationName: string; bobEmail: string; tenant?: string; hd?: string },
  ): Promise<Idp> {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const log: string[] = [];
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'end2end', 'idp', 'server.mjs')], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        REDIRECT_URI: `${server.baseURL}/sso/callback`,
        CLIENT_SECRET,
        BOB_EMAIL: o.bobEmail,
        ...(o.tenant ? { TENANT: o.tenant } : {}),
        ...(o.hd ? { HD: o.hd } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      const seen = (chunk: Buffer) => {
        log.push(chunk.toString());
        if (log.join('').includes('identity provider on')) resolve();
      };
      child.stdout?.on('data', seen);
      child.stderr?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
      child.once('exit', (code) => reject(new Error(`the provider stopped (${code}):\n${log.join('')}`)));
      setTimeout(() => reject(new Error(`the provider did not start:\n${log.join('')}`)), 20_000);
    });
    const add = o.tenant
      ? ['sso', 'add', 'microsoft', '--issuer', `${origin}/organizations/v2.0`, '--tenant', o.tenant]
      : ['sso', 'add', o.hd ? 'google' : 'oidc', '--issuer', origin];
    add.push('--name', o.name, '--client-id', 'tessera', '--client-secret-stdin');
    expect(runCli(server, add, `${CLIENT_SECRET}\n`)).toContain(`Added "${o.name}"`);
    runCli(server, ['sso', 'allow', '--org', o.organisationName, o.name]);
    return new Idp(origin, o.name, child);
  }

  stop() {
    this.child.kill();
  }

  /** Signs in at the provider as `login` (any password), and consents where it asks. */
  async signIn(page: Page, login: string) {
    await expect(page).toHaveURL((url) => url.origin === this.origin);
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await this.consent(page);
  }

  /** Consents to Tessera's request where the provider asks, until it sends the browser back. */
  async consent(page: Page) {
    const consent = page.getByRole('button', { name: 'Continue' });
    await expect(async () => {
      if (new URL(page.url()).origin !== this.origin) return;
      if (await consent.isVisible()) await consent.click();
      throw new Error(`still at the provider: ${page.url()}`);
    }).toPass({ timeout: 20_000 });
  }
}
