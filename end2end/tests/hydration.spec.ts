/**
 * The WASM bundle loads and the "Show password" island hydrates, without any
 * console error or uncaught exception. Runs in the JavaScript projects only
 * (see testIgnore in playwright.config.ts).
 */
import type { Response } from '@playwright/test';
import { expect, test } from '../pages/fixtures';
import { LoginPage } from '../pages/LoginPage';

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
