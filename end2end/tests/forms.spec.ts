/**
 * Every screen's form, in every project (SQLite and PostgreSQL, JavaScript on
 * and off): a submit that fails stays where it is and says why at the field.
 *
 * - With JavaScript the island sends the form with fetch: the URL does not
 *   change, nothing navigates, the answer is a 4xx and the error appears next
 *   to its field (or in the form's alert) and takes the focus.
 * - Without JavaScript the browser posts the form itself: the answer is the
 *   page again with a 4xx, the error at its field, what was typed kept (never
 *   a password or a code), and nothing about the error in the URL.
 *
 * And a forged `__err` link shows nothing an attacker wrote. (That every
 * screen with an island hydrates is in hydration.spec.ts.)
 *
 * The spec has its own organisation (made with the operator CLI), so it does
 * not depend on what the other specs leave behind.
 */
import type { Page } from '@playwright/test';
import { Authenticator } from '../pages/Authenticator';
import { addUser, createOrganisation, runCli } from '../pages/Cli';
import { expect, test } from '../pages/fixtures';
import { HomePage } from '../pages/HomePage';
import { javaScriptOn, submitExpectingError } from '../pages/http';
import { LoginPage, signIn } from '../pages/LoginPage';
import { ensureOrganisation, ownerFor } from '../pages/Organisation';

test.describe.configure({ mode: 'serial', timeout: 180_000 });

const PASSWORD = 'cobalt meadow lantern quiver bison';


function people(project: string) {
  return {
    org: `Forms Co ${project}`,
    owner: { name: 'Fran Owner', email: `fran.${project}@forms.example` },
    mia: { name: 'Mia Member', email: `mia.${project}@forms.example` },
    newcomer: `nora.${project}@forms.example`,
  };
}

/** The error under the field `name` (its problem line). */
function fieldError(page: Page, name: string) {
  return page.locator(`[data-error-for="${name}"]`).filter({ visible: true });
}

/** What a failed submit must look like in this project; returns its status. */
async function failing(page: Page, submit: () => Promise<void>, field: string, text: string | RegExp) {
  const shown = fieldError(page, field).filter({ hasText: text });
  const status = await submitExpectingError(page, submit, shown, javaScriptOn());
  // The field with the problem is marked, and (with the islands) has the focus.
  const input = page.locator(`[name="${field}"]`).first();
  await expect(input).toHaveAttribute('aria-invalid', 'true');
  if (javaScriptOn()) await expect(input).toBeFocused();
  return status;
}

test('a failed submit stays on its page with the error at its field, on every form', async ({ page, server }, testInfo) => {
  const { org, owner, mia, newcomer } = people(testInfo.project.name);
  const login = new LoginPage(page);
  const home = new HomePage(page);

  await test.step('an organisation of its own, made by the operator', async () => {
    // The project's main organisation comes from the setup link, which works only while no
    // organisation exists: make sure it is there before the CLI adds this spec's own, so the
    // spec passes run alone or in any order.
    await ensureOrganisation(page, server, ownerFor(testInfo.project.name));
    createOrganisation(server, { name: org, ownerEmail: owner.email, ownerName: owner.name, ownerPassword: PASSWORD });
    addUser(server, { organisationName: org, email: mia.email, role: 'member', displayName: mia.name, password: PASSWORD });
  });

  await test.step('sign-in, step one: an address that is not one', async () => {
    await login.goto();
    await login.expectOnEmailStep();
    await login.email.fill('not-an-email');
    const status = await failing(page, () => login.continueButton.click(), 'email', 'Enter an email address like name@example.com.');
    expect(status).toBe(422);
    await expect(login.email).toHaveValue('not-an-email');
  });

  await test.step('sign-in, step two: a wrong password (never shown back)', async () => {
    await login.email.fill(owner.email);
    await login.continueButton.click();
    await login.expectOnPasswordStep(owner.email);
    await login.password.fill('not the right password at all');
    const shown = login.incorrectCredentialsAlert;
    const status = await submitExpectingError(page, () => login.signInButton.click(), shown, javaScriptOn());
    expect(status).toBe(401);
    await expect(login.password).toHaveValue('');
    expect(await page.content()).not.toContain('not the right password at all');
  });

  await test.step('a set-password link: a password too short', async () => {
    const out = runCli(server, ['user', 'add', '--org', org, '--email', newcomer, '--role', 'member']);
    const link = /(http\S+\/set-password\?token=\S+)/.exec(out)?.[1];
    expect(link, 'the set-password link printed by `tessera user add`').toBeDefined();
    // The operator's link names the server the CLI was configured for: keep its path and token.
    const url = new URL(link as string);
    await page.goto(url.pathname + url.search);
    await page.getByLabel('New password', { exact: true }).fill('short');
    const status = await failing(
      page,
      () => page.getByRole('button', { name: 'Set password' }).click(),
      'password',
      /Use at least 15 characters/,
    );
    expect(status).toBe(422);
    // The link still works: the failure did not use it.
    await page.getByLabel('New password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Set password' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Your password is set.' })).toBeVisible();
  });

  await test.step('the owner signs in', async () => {
    await signIn(page, owner.email, PASSWORD, home.welcomeHeading(owner.name));
  });

  await test.step('Settings -> Team -> invite: an address that is not one, the name kept', async () => {
    await page.goto('/settings/team/invite');
    await page.getByLabel('Email', { exact: true }).fill('nope');
    await page.getByLabel('Name (optional)').fill('Dee');
    const status = await failing(
      page,
      () => page.getByRole('button', { name: 'Send invitation' }).click(),
      'email',
      'Enter an email address like name@example.com.',
    );
    expect(status).toBe(422);
    await expect(page.getByLabel('Name (optional)')).toHaveValue('Dee');
    await expect(page.getByRole('alert').filter({ hasText: 'Please correct the fields marked below.' })).toBeVisible();
  });

  await test.step('Settings -> Roles: a role without a name, the ticks kept', async () => {
    await page.goto('/settings/roles');
    await page.getByLabel('View activity log').check();
    const status = await failing(page, () => page.getByRole('button', { name: 'Create role' }).click(), 'name', 'Enter the role name.');
    expect(status).toBe(422);
    await expect(page.getByLabel('View activity log')).toBeChecked();
  });

  await test.step('Settings -> Security policy: business hours that end before they start, as typed', async () => {
    await page.goto('/settings/security');
    await page.getByLabel('Opens').fill('18:00');
    await page.getByLabel('Closes').fill('09:00');
    const status = await failing(
      page,
      () => page.getByRole('button', { name: 'Save business hours' }).click(),
      'start',
      'The working day must end after it starts.',
    );
    expect(status).toBe(422);
    await expect(page.getByLabel('Opens')).toHaveValue('18:00');
  });

  await test.step('Settings -> Security policy: a grace period that is not a number of days', async () => {
    await page.goto('/settings/security');
    await page.getByRole('radio', { name: 'Required (recommended)' }).check();
    await page.getByLabel('Grace period in days (optional, for Required)').fill('-3');
    const status = await failing(
      page,
      () => page.getByRole('button', { name: 'Save policy' }).click(),
      'grace_days',
      'Enter the grace period as a whole number of days, from 0 to 365.',
    );
    expect(status).toBe(422);
    await expect(page.getByRole('radio', { name: 'Required (recommended)' })).toBeChecked();
  });

  let app: Authenticator | undefined;
  await test.step('turning MFA on: a wrong code leaves it off', async () => {
    await page.goto('/account/security');
    await page.getByRole('button', { name: 'Enable MFA' }).click();
    await expect(page.getByRole('heading', { name: 'Set up your authenticator app' })).toBeVisible();
    const key = ((await page.locator('code#setup-key').textContent()) ?? '').trim();
    app = new Authenticator(key);
    const code = page.getByLabel('Authentication code', { exact: true });
    // With the islands, six digits send the form by themselves.
    const submit = async () => {
      await code.fill(app!.wrongCode());
      if (!javaScriptOn()) await page.getByRole('button', { name: 'Verify and turn on' }).click();
    };
    const status = await failing(page, submit, 'code', "That code didn't work. Check it and try again.");
    expect(status).toBe(401);
    await expect(page.getByText(/^MFA is still off\./)).toBeVisible();
    await expect(code).toHaveValue('');
    await code.fill(app.current().code);
    if (!javaScriptOn()) await page.getByRole('button', { name: 'Verify and turn on' }).click();
    await expect(page.getByRole('heading', { name: 'Save your recovery codes' })).toBeVisible();
  });

  await test.step('step-up: a wrong code', async () => {
    await page.goto('/account/security/verify');
    const code = page.getByLabel('Code', { exact: true });
    const submit = async () => {
      await code.fill(app!.wrongCode());
      if (!javaScriptOn()) await page.getByRole('button', { name: 'Verify', exact: true }).click();
    };
    const status = await failing(page, submit, 'code', "That code didn't work. Check it and try again.");
    expect(status).toBe(401);
  });

  await test.step('the MFA challenge at sign-in: a wrong code', async () => {
    await page.context().clearCookies();
    await signIn(page, owner.email, PASSWORD, page.getByRole('heading', { name: 'MFA: enter your code' }));
    const code = page.getByLabel('Authentication code', { exact: true });
    const submit = async () => {
      await code.fill(app!.wrongCode());
      if (!javaScriptOn()) await page.getByRole('button', { name: 'Verify', exact: true }).click();
    };
    const status = await failing(page, submit, 'code', "That code didn't work. Check it and try again.");
    expect(status).toBe(401);
    await expect(page.getByText(/automatic date and time/)).toBeVisible();
  });
});

test('a forged __err link shows nothing an attacker wrote', async ({ page }) => {
  const attacker = 'Your account is locked. Call +1 555 0100 now';
  const base64 = Buffer.from(`invalid email=missing ${attacker}`).toString('base64url');
  for (const query of [
    `__err=${encodeURIComponent(attacker)}&__path=/api/login/email`,
    `__err=${base64}&__path=/api/login/email`,
  ]) {
    await page.goto(`/login?${query}`);
    await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
    if (javaScriptOn()) await expect(page.locator('form[data-hydrated]')).toHaveCount(1);
    await expect(page.getByText(/Call \+1 555/)).toHaveCount(0);
    expect(await page.content()).not.toContain('555 0100');
    await expect(page.getByRole('alert').filter({ visible: true })).toHaveCount(0);
  }
});
