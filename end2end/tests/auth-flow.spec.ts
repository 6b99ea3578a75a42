/**
 * First-run setup, sign-out and username-first sign-in, in every project
 * (SQLite and PostgreSQL, JavaScript on and off).
 *
 * Each project has its own fresh server, so the organisation is created once
 * per project. The tests run serially in file order; any test that needs the
 * organisation but finds the setup not yet done (e.g. when run alone with
 * --grep) performs it first, with the same credentials.
 */
import { expect, test } from '../pages/fixtures';
import { HomePage } from '../pages/HomePage';
import { islandsReady, javaScriptOn, submitExpectingError } from '../pages/http';
import { LoginPage } from '../pages/LoginPage';
import { ensureOrganisation, memberOf, ownerFor } from '../pages/Organisation';
import { SetupPage } from '../pages/SetupPage';
import { addUser } from '../pages/Cli';
import { MailDev } from '../pages/MailDev';

test.describe.configure({ mode: 'serial' });

const WEAK_PASSWORD = 'password';

test('first-run setup creates the organisation and signs the owner in; sign out works', async ({
  page,
  server,
}, testInfo) => {
  const owner = ownerFor(testInfo.project.name);
  const setup = new SetupPage(page);
  const home = new HomePage(page);
  const login = new LoginPage(page);

  await test.step('the setup link shows the setup form (hydrated, where JavaScript runs)', async () => {
    // The link works once, so this is the one place its page can be checked for hydration.
    const errors: string[] = [];
    const onError = (e: Error) => errors.push(e.message);
    const onConsole = (m: import('@playwright/test').ConsoleMessage) => {
      if (m.type() === 'error') errors.push(m.text());
    };
    page.on('pageerror', onError);
    page.on('console', onConsole);
    try {
      await setup.goto(server.setupLink);
      await expect(setup.heading).toBeVisible();
      await expect(setup.createButton).toBeVisible();
      if (javaScriptOn()) {
        await islandsReady(page);
        expect(errors, 'console errors on the setup page').toEqual([]);
      }
    } finally {
      page.off('pageerror', onError);
      page.off('console', onConsole);
    }
  });

  await test.step('a weak password is refused and the other fields are kept', async () => {
    await setup.fill({ ...owner, password: WEAK_PASSWORD });
    // With JavaScript in place (no navigation, the URL as it was); without, the page again; a 4xx either way.
    const status = await submitExpectingError(page, () => setup.submit(), setup.alert.first(), javaScriptOn());
    expect(status, 'the status of the refused setup').toBe(422);
    await expect(page.locator('[data-error-for="password"]')).toContainText(/Use at least 15 characters|too easy to guess/);
    await expect(setup.password).toHaveValue('');
    await expect(setup.heading).toBeVisible();
    await expect(setup.organisationName).toHaveValue(owner.organisationName);
    await expect(setup.displayName).toHaveValue(owner.displayName);
    await expect(setup.email).toHaveValue(owner.email);
  });

  await test.step('a strong passphrase creates the organisation and signs the owner in', async () => {
    await setup.password.fill(owner.password);
    await setup.submit();
    await home.expectSignedInAs(memberOf(owner));
  });

  await test.step('signing out lands on /login with a confirmation', async () => {
    await home.signOut();
    await login.expectOnEmailStep();
    await expect(login.signedOutStatus).toBeVisible();
  });

  await test.step('the home page now redirects to /login', async () => {
    await home.goto();
    await login.expectOnEmailStep();
  });
});

test('username-first sign-in refuses unknown accounts and wrong passwords alike, then signs in', async ({
  page,
  server,
}, testInfo) => {
  const owner = ownerFor(testInfo.project.name);
  await ensureOrganisation(page, server, owner);
  const login = new LoginPage(page);
  const home = new HomePage(page);

  await test.step('signed out, / redirects to /login', async () => {
    await home.goto();
    await login.expectOnEmailStep();
  });

  await test.step('an unknown email gets the generic error', async () => {
    const unknown = `nobody.${testInfo.project.name}@example.com`;
    await login.continueWith(unknown);
    await expect(login.password).toHaveAttribute('autocomplete', 'current-password');
    const statuses = await login.submitPassword('any old password 123', login.incorrectCredentialsAlert);
    expect(statuses, 'HTTP statuses of the sign-in submission').toContain(401);
    await expect(login.password).toHaveValue('');
  });

  await test.step('"Use a different email" goes back to /login', async () => {
    await login.useDifferentEmail.click();
    await login.expectOnEmailStep();
  });

  await test.step('the right email with a wrong password gets the same error', async () => {
    await login.continueWith(owner.email);
    const statuses = await login.submitPassword('wrong horse battery staple', login.incorrectCredentialsAlert);
    expect(statuses, 'HTTP statuses of the sign-in submission').toContain(401);
    await expect(login.password).toHaveValue('');
    await expect(login.passwordHeading).toBeVisible();
  });

  await test.step('the right password signs in', async () => {
    await login.submitPassword(owner.password, home.welcomeHeading(owner.displayName));
    await home.expectSignedInAs(memberOf(owner));
  });

  await test.step('sign out', async () => {
    await home.signOut();
    await login.expectOnEmailStep();
    await expect(login.signedOutStatus).toBeVisible();
  });
});

test('sign-in returns to the page asked for, and never to another site', async ({ page, server }, testInfo) => {
  const owner = ownerFor(testInfo.project.name);
  await ensureOrganisation(page, server, owner);
  const login = new LoginPage(page);
  const home = new HomePage(page);
  await page.context().clearCookies();

  await test.step('signed out, the activity log leads to sign-in, then back to it', async () => {
    await page.goto('/settings/activity?action=signin');
    await login.expectOnEmailStep();
    expect(new URL(page.url()).searchParams.get('next')).toBe('/settings/activity?action=signin');
    await login.continueWith(owner.email);
    await login.submitPassword(owner.password, page.getByRole('heading', { name: 'Activity log' }));
    await expect(page).toHaveURL((url) => url.pathname === '/settings/activity' && url.search === '?action=signin');
    await home.goto();
    await home.signOut();
    await login.expectOnEmailStep();
  });

  for (const attempt of ['//evil.example/', '/\\evil.example', 'https://evil.example/', '/%2F%2Fevil.example']) {
    await test.step(`next=${attempt} lands on home`, async () => {
      await page.goto(`/login?next=${encodeURIComponent(attempt)}`);
      await login.continueWith(owner.email);
      await login.submitPassword(owner.password, home.welcomeHeading(owner.displayName));
      await expect(page).toHaveURL((url) => url.hostname !== 'evil.example' && url.pathname === '/');
      await home.signOut();
      await login.expectOnEmailStep();
    });
  }
});

test('a spent failure budget says how long to wait, even to the right password, and the owner is mailed', async ({
  page,
  server,
}, testInfo) => {
  const project = testInfo.project.name;
  const owner = ownerFor(project);
  await ensureOrganisation(page, server, owner);
  const lou = { email: `lou.${project}@lockout.example`, password: 'copper lantern meadow orbit' };
  addUser(server, { organisationName: owner.organisationName, email: lou.email, role: 'member', displayName: 'Lou', password: lou.password });
  const mail = new MailDev(server.mailURL);
  const since = Date.now();
  const login = new LoginPage(page);
  const alert = page.getByRole('alert').filter({ visible: true }).filter({ hasText: /\S/ }).first();
  const waiting = /Too many attempts to sign in to this account\. Try again in (\d+) seconds?; your password has not changed\./;
  await page.context().clearCookies();

  await test.step('wrong passwords until the account has to wait a few seconds', async () => {
    await login.goto();
    await login.continueWith(lou.email);
    // Five free tries, then waits of 1, 2, 4 seconds: stop once the wait outlasts the next try.
    for (let attempt = 0; ; attempt++) {
      expect(attempt, 'attempts before a wait of 4 seconds').toBeLessThan(20);
      const answered = page.waitForResponse((response) => response.request().method() === 'POST');
      await login.password.fill('wrong guess, wrong guess');
      await login.signInButton.click();
      const status = (await answered).status();
      expect([401, 429], 'a wrong password, or one that has to wait').toContain(status);
      await expect(alert).toHaveText(status === 429 ? waiting : 'Incorrect email or password.');
      const seconds = Number((await alert.textContent())?.match(waiting)?.[1] ?? 0);
      if (seconds >= 4) break;
      await page.waitForTimeout(seconds * 1000);
    }
  });

  await test.step('the right password is told to wait too (429), not that it is wrong', async () => {
    const statuses = await login.submitPassword(lou.password, page.getByRole('alert').filter({ hasText: waiting }));
    expect(statuses, 'HTTP statuses of the waiting sign-in').toContain(429);
    await expect(login.incorrectCredentialsAlert).toHaveCount(0);
  });

  await test.step('Lou gets one mail about the failed sign-ins', async () => {
    const received = await mail.waitFor({ to: lou.email, subject: 'Tessera: Failed sign-ins to your account', since });
    expect(received.text).toContain('tried to sign in to your account 5 times in a row');
    // The rule the sign-in page states too, not "a few minutes".
    expect(received.text).toContain('each further try waits longer: 1 second, then 2, 4, 8 and so on, up to 15 minutes');
    expect(received.text).toContain('IP address: 127.0.0.1');
  });
});

test('the setup link cannot be used again once the organisation exists', async ({ page, server }, testInfo) => {
  const owner = ownerFor(testInfo.project.name);
  await ensureOrganisation(page, server, owner);
  const setup = new SetupPage(page);

  const response = await setup.goto(server.setupLink);
  testInfo.annotations.push({ type: 'setup link reuse status', description: String(response?.status()) });
  await expect(page.getByRole('alert').filter({ visible: true }).first()).toBeVisible();
  await expect(setup.createButton).toHaveCount(0);
  await expect(setup.organisationName).toHaveCount(0);
  await expect(setup.password).toHaveCount(0);
});
