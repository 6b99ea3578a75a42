/**
 * Changing one's email address end to end, in every project (SQLite and
 * PostgreSQL, JavaScript on and off), in an organisation of its own made with
 * the operator CLI and set to Required, so that its member has an
 * authenticator app:
 * - Mia signs in and enrols; Account security -> Change email address takes
 *   the new address (a code from her app if the confirmation went stale);
 * - her current address is told at once; the new one gets a link;
 * - signed out, the link's page says where the account is going and changes
 *   nothing until "Use this address", which leads to sign-in with the new
 *   address filled in; the old address is told;
 * - the new address signs in, with her app code; the link does not work again.
 */
import { Authenticator, type StepCode } from '../pages/Authenticator';
import { ChallengePage } from '../pages/ChallengePage';
import { addUser, createOrganisation, setPolicy } from '../pages/Cli';
import { EnrolRequiredPage, enrolFromConfinement } from '../pages/EnrolRequiredPage';
import { expect, test } from '../pages/fixtures';
import { HomePage } from '../pages/HomePage';
import { expectFitsPhone, submitAndSettle } from '../pages/http';
import { LoginPage, signIn } from '../pages/LoginPage';
import { MailDev } from '../pages/MailDev';
import { ensureOrganisation, ownerFor } from '../pages/Organisation';
import { StepUpPage } from '../pages/StepUpPage';

// An enrolment and a sign-in that may wait for the next 30-second TOTP step.
test.describe.configure({ mode: 'serial', timeout: 180_000 });

const PASSWORD = 'saffron beacon tulip granite ferry';

test('the email address changes through a link to the new one, and the old one is told', async ({ page, server }, testInfo) => {
  const project = testInfo.project.name;
  const org = `Email Change Co ${project}`;
  const owner = { name: 'Otto Owner', email: `otto.${project}@change.example` };
  const mia = { name: 'Mia', email: `mia.${project}@change.example`, next: `mia.${project}@moved.example` };
  const mail = new MailDev(server.mailURL);
  let app: Authenticator | undefined;
  let last: StepCode | undefined;
  let link = '';

  await ensureOrganisation(page, server, ownerFor(project));
  createOrganisation(server, { name: org, ownerEmail: owner.email, ownerName: owner.name, ownerPassword: PASSWORD });
  addUser(server, { organisationName: org, email: mia.email, role: 'member', displayName: mia.name, password: PASSWORD });
  expect(setPolicy(server, org, 'required')).toContain('is now required');

  await test.step('Mia signs in and sets up her authenticator app', async () => {
    await signIn(page, mia.email, PASSWORD, new EnrolRequiredPage(page).heading);
    ({ app, last } = await enrolFromConfinement(page));
  });

  const newAddress = page.getByLabel('New email address', { exact: true });
  await test.step('Account security -> Change email address takes the new address', async () => {
    await page.goto('/account/security');
    await page.getByRole('link', { name: 'Change email address' }).click();
    await expect(page.getByRole('heading', { name: 'Change email address', level: 1 })).toBeVisible();
    const confirm = page.getByRole('link', { name: 'Confirm it is you' });
    await expect(newAddress.or(confirm)).toBeVisible();
    if (await confirm.isVisible()) {
      // Her last code is older than the step-up window: a fresh one from the app first.
      await confirm.click();
      const stepUp = new StepUpPage(page);
      await stepUp.expectLoaded();
      const fresh = await (app as Authenticator).codeAfter((last as StepCode).step);
      await stepUp.submit(fresh.code, newAddress);
      last = fresh;
    }
    await expect(newAddress).toHaveAttribute('autocomplete', 'email');
  });

  await test.step('on a phone (390 px) the form fits without scrolling sideways', async () => {
    await expectFitsPhone(page, [newAddress, page.getByRole('button', { name: 'Send confirmation link' })]);
  });

  await test.step('the link goes to the new address; the current one is told at once', async () => {
    const asked = Date.now();
    await newAddress.fill(mia.next);
    await submitAndSettle(
      page,
      () => page.getByRole('button', { name: 'Send confirmation link' }).click(),
      page.getByRole('status').filter({ hasText: 'We sent a confirmation link to the new address.' }),
    );
    const told = await mail.waitFor({ to: mia.email, subject: 'Tessera: A change of your email address was asked for', since: asked - 1_000 });
    expect(told.text).toContain(`to change its email address to ${mia.next}`);
    const received = await mail.waitFor({ to: mia.next, subject: 'Tessera: Confirm your new email address', since: asked - 1_000 });
    const m = /https?:\/\/\S+\/account\/email\/confirm\?token=[A-Za-z0-9_-]+/.exec(received.text);
    expect(m, received.text).not.toBeNull();
    link = (m as RegExpExecArray)[0];
    // Until the link is opened, the account keeps its address.
    await expect(page.getByRole('main').getByText(mia.email, { exact: true })).toBeVisible();
  });

  await test.step('signed out, the link shows where the account goes; "Use this address" moves it', async () => {
    await page.context().clearCookies();
    await page.goto(link);
    await expect(page.getByRole('heading', { name: 'Confirm your new email address', level: 1 })).toBeVisible();
    await expect(page.getByText(mia.next)).toBeVisible();
    const login = new LoginPage(page);
    await submitAndSettle(
      page,
      () => page.getByRole('button', { name: 'Use this address' }).click(),
      page.getByRole('status').filter({ hasText: 'Your email address is changed. Sign in with the new one.' }),
    );
    await login.expectOnEmailStep();
    await expect(login.email).toHaveValue(mia.next);
    const told = await mail.waitFor({ to: mia.email, subject: 'Tessera: Your email address was changed' });
    expect(told.text).toContain(`changed to ${mia.next}`);
  });

  await test.step('the new address signs in, with her app code; the link does not work again', async () => {
    const challenge = new ChallengePage(page);
    await signIn(page, mia.next, PASSWORD, challenge.heading);
    const fresh = await (app as Authenticator).codeAfter((last as StepCode).step);
    await challenge.submitAuthenticatorCode(fresh.code, new HomePage(page).welcomeHeading(mia.name));
    const answer = await page.goto(link);
    expect(answer?.status()).toBe(404);
    await expect(page.getByRole('heading', { name: 'Confirmation link no longer valid', level: 1 })).toBeVisible();
  });
});
