/**
 * The WASM bundle loads and the islands hydrate, without any console error or
 * uncaught exception: the "Show password" switch, then every screen that has
 * an island. Runs in the JavaScript projects only (see testIgnore in
 * playwright.config.ts).
 */
import type { Locator, Response } from '@playwright/test';
import { Authenticator } from '../pages/Authenticator';
import { addUser, createOrganisation, runCli, setPolicy } from '../pages/Cli';
import { expect, test } from '../pages/fixtures';
import { LoginPage } from '../pages/LoginPage';
import { ensureOrganisation, ownerFor } from '../pages/Organisation';

const isWasm = (response: Response) => new URL(response.url()).pathname.endsWith('.wasm');

test('the password page hydrates its "Show password" island without errors', async ({ page }, testInfo) => {
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  const responses: Response[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') {
      const where = message.location();
      consoleErrors.push(`${message.text()}${where.url ? ` (${where.url}:${where.lineNumber})` : ''}`);
    }
  });
  page.on('pageerror', (error) => pageErrors.push(error.stack ?? error.message));
  page.on('response', (response) => responses.push(response));

  const login = new LoginPage(page);
  await login.goto();
  await login.expectOnEmailStep();

  const wasmOnPasswordPage = page.waitForResponse(isWasm, { timeout: 30_000 });
  await login.continueWith(`hydration.${testInfo.project.name}@example.com`);

  // The toggle appears only once the WASM has loaded and the island has hydrated.
  await expect(login.showPassword).toBeVisible({ timeout: 30_000 });
  expect((await wasmOnPasswordPage).status(), 'status of the .wasm response').toBe(200);
  await expect(login.password).toHaveAttribute('type', 'password');
  await expect(login.showPassword).toHaveAttribute('aria-pressed', 'false');

  await login.password.fill('peek-a-boo');
  await login.showPassword.click();
  await expect(login.password).toHaveAttribute('type', 'text');
  await expect(login.showPassword).toHaveAttribute('aria-pressed', 'true');
  await expect(login.password).toHaveValue('peek-a-boo');

  const wasm = responses.filter(isWasm);
  expect(
    wasm.map((r) => `${r.status()} ${r.url()}`),
    'a .wasm response with status 200',
  ).toContainEqual(expect.stringMatching(/^200 /));

  expect(consoleErrors, 'console errors').toEqual([]);
  expect(pageErrors, 'uncaught page errors').toEqual([]);
});

test('every screen with an island hydrates without a console error', async ({ page, server }, testInfo) => {
  test.setTimeout(180_000);
  const project = testInfo.project.name;
  const org = `Hydration Co ${project}`;
  const password = 'juniper anvil lagoon thistle comet';
  const owner = { name: 'Hugo Owner', email: `hugo.${project}@hydration.example` };
  const member = { name: 'Ines Member', email: `ines.${project}@hydration.example` };
  const confined = { name: 'Jo Later', email: `jo.${project}@hydration.example` };
  // The project's main organisation comes from the setup link, which works only while no
  // organisation exists: make sure it is there before the CLI adds this spec's own, so the
  // spec passes run alone or in any order.
  await ensureOrganisation(page, server, ownerFor(project));
  createOrganisation(server, { name: org, ownerEmail: owner.email, ownerName: owner.name, ownerPassword: password });
  for (const p of [member, confined]) {
    addUser(server, { organisationName: org, email: p.email, role: 'member', displayName: p.name, password });
  }

  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(e.stack ?? e.message));
  /** Opens `path` (unless already there) and waits until its islands have hydrated. */
  const hydrated = async (path: string | null, islands = 'form[data-hydrated], [data-dialog-host][data-hydrated]') => {
    if (path !== null) await page.goto(path);
    // Attached rather than visible: on home the only island is the sign-out form in the frame's
    // closed person menu.
    await expect(page.locator(islands).first(), `an island of ${path ?? page.url()} hydrated`).toBeAttached();
    expect(errors, `console errors on ${path ?? page.url()}`).toEqual([]);
  };
  const signInAs = async (email: string, settled: Locator) => {
    await page.context().clearCookies();
    await hydrated('/login');
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByRole('button', { name: 'Show password' })).toBeVisible();
    await hydrated(null);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect(settled).toBeVisible();
  };
  /** Turns MFA on for whoever is signed in; returns their authenticator. */
  const enrol = async (): Promise<{ app: Authenticator; step: number }> => {
    await hydrated('/account/security');
    await page.getByRole('button', { name: 'Enable MFA' }).click();
    await expect(page.getByRole('heading', { name: 'Set up your authenticator app' })).toBeVisible();
    await hydrated(null);
    const app = new Authenticator(((await page.locator('code#setup-key').textContent()) ?? '').trim());
    const code = app.current();
    // Six digits send the form by themselves.
    await page.getByLabel('Authentication code', { exact: true }).fill(code.code);
    await expect(page.getByRole('heading', { name: 'Save your recovery codes' })).toBeVisible();
    // This page's islands copy and print; they appear once hydrated.
    await expect(page.getByRole('button', { name: 'Copy' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Print' })).toBeVisible();
    expect(errors, 'console errors on the recovery codes').toEqual([]);
    return { app, step: code.step };
  };

  await test.step('the member: home, account security, the enrolment wizard, step-up', async () => {
    await signInAs(member.email, page.getByRole('heading', { name: `Welcome, ${member.name}` }));
    await hydrated('/');
    await enrol();
    await hydrated('/account/security/verify');
    await hydrated('/account/security/disable');
  });

  let ownerApp: { app: Authenticator; step: number } | undefined;
  await test.step('the owner: every settings page, then the challenge at sign-in', async () => {
    await signInAs(owner.email, page.getByRole('heading', { name: `Welcome, ${owner.name}` }));
    ownerApp = await enrol();
    for (const path of ['/settings/team', '/settings/team/invite', '/settings/team/invite/list', '/settings/roles', '/settings/security', '/settings/activity']) {
      await hydrated(path);
    }
    await signInAs(owner.email, page.getByRole('heading', { name: 'MFA: enter your code' }));
    await hydrated('/login/mfa?recovery');
    await hydrated('/login/mfa');
    const fresh = await ownerApp.app.codeAfter(ownerApp.step);
    await page.getByLabel('Authentication code', { exact: true }).fill(fresh.code);
    await expect(page.getByRole('heading', { name: `Welcome, ${owner.name}` })).toBeVisible();
  });

  await test.step("the member's page with its Reset MFA dialog, and the confirmation page", async () => {
    await hydrated('/settings/team');
    const href = await page.getByRole('row').filter({ hasText: member.email }).getByRole('link').first().getAttribute('href');
    await hydrated(href as string, '[data-dialog-host][data-hydrated]');
    await hydrated(`${href}/reset-mfa`);
  });

  await test.step('someone the MFA policy confines to enrolment', async () => {
    setPolicy(server, org, 'required');
    await signInAs(confined.email, page.getByRole('heading', { name: 'Set up MFA', exact: true }));
    await hydrated('/account/security/enrol-required');
  });

  await test.step('the set-password page of an invitation link', async () => {
    await page.context().clearCookies();
    const out = runCli(server, ['user', 'add', '--org', org, '--email', `kim.${project}@hydration.example`, '--role', 'member']);
    const link = out.match(/https?:\/\/\S+\/set-password\?token=\S+/)?.[0];
    expect(link, `the CLI's set-password link in: ${out}`).toBeTruthy();
    const url = new URL(link as string);
    await hydrated(`${url.pathname}${url.search}`);
  });
});
