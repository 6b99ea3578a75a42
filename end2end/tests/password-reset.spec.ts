/**
 * "Forgot your password?" end to end, in every project (SQLite and
 * PostgreSQL, JavaScript on and off), in an organisation of its own made with
 * the operator CLI and set to Required, so that its member has MFA:
 * - Rosa signs in and enrols; that session stays open in a browser context
 *   of its own;
 * - on the password step she follows "Forgot your password?" (her address is
 *   filled in) and sends a reset link; the answer promises nothing about the
 *   account;
 * - the link arrives in MailDev; its page refuses two different passwords
 *   with the reason, then resets the password and sends her to sign-in with
 *   her address filled in, without signing her in;
 * - her open session has ended, she is told by mail, the old password no
 *   longer works, and the new one leads to the MFA challenge: a reset never
 *   gets past MFA; then to "Your MFA after a new password", where she keeps
 *   her existing codes;
 * - the link cannot be used again;
 * - signed in, she changes her password from Account security (current
 *   password, the new one twice, a fresh code if asked), is asked about MFA
 *   again, stays signed in, and the next sign-in takes the changed password.
 */
import type { BrowserContext, Page } from '@playwright/test';
import { Authenticator, type StepCode } from '../pages/Authenticator';
import { ChallengePage } from '../pages/ChallengePage';
import { addUser, createOrganisation, setPolicy } from '../pages/Cli';
import { EnrolRequiredPage, enrolFromConfinement } from '../pages/EnrolRequiredPage';
import { expect, test } from '../pages/fixtures';
import { HomePage } from '../pages/HomePage';
import { expectFitsPhone, islandsReady, javaScriptOn, submitAndSettle, submitExpectingError } from '../pages/http';
import { INCORRECT_CREDENTIALS, LoginPage, signIn } from '../pages/LoginPage';
import { MailDev } from '../pages/MailDev';
import { ensureOrganisation, ownerFor } from '../pages/Organisation';
import {
  ForgotPasswordPage,
  PASSWORD_CHANGED_SUBJECT,
  PASSWORD_RESET_NOTICE,
  PASSWORDS_DIFFER,
  RESET_MAIL_SUBJECT,
  ResetPasswordPage,
  resetLinkIn,
} from '../pages/PasswordReset';
import { StepUpPage } from '../pages/StepUpPage';

// An enrolment and a sign-in that may wait for the next 30-second TOTP step.
test.describe.configure({ mode: 'serial', timeout: 180_000 });

const PASSWORD = 'saffron beacon tulip granite ferry';
const NEW_PASSWORD = 'orchard violin pebble lantern';
const CHANGED_PASSWORD = 'meadow cobalt whistle ember';
const PROMPT_HEADING = (page: Page) => page.getByRole('heading', { name: 'Your MFA after a new password', level: 1 });

function people(project: string) {
  return {
    org: `Reset Co ${project}`,
    owner: { name: 'Otto Owner', email: `otto.${project}@reset.example` },
    rosa: { name: 'Rosa', email: `rosa.${project}@reset.example` },
  };
}

test('a forgotten password is reset by an emailed link, which ends every session and never gets past MFA', async ({
  page,
  server,
  browser,
  baseURL,
}, testInfo) => {
  const project = testInfo.project.name;
  const { org, owner, rosa } = people(project);
  const mail = new MailDev(server.mailURL);
  const login = new LoginPage(page);
  const forgot = new ForgotPasswordPage(page);
  const reset = new ResetPasswordPage(page);
  let app: Authenticator | undefined;
  let last: StepCode | undefined;
  let link = '';
  let oldContext: BrowserContext | undefined;

  await ensureOrganisation(page, server, ownerFor(project));
  await test.step('the operator CLI creates the organisation and Rosa, and requires MFA', async () => {
    createOrganisation(server, { name: org, ownerEmail: owner.email, ownerName: owner.name, ownerPassword: PASSWORD });
    addUser(server, { organisationName: org, email: rosa.email, role: 'member', displayName: rosa.name, password: PASSWORD });
    expect(setPolicy(server, org, 'required')).toContain('is now required');
  });

  try {
    oldContext = await browser.newContext({ baseURL, javaScriptEnabled: testInfo.project.use.javaScriptEnabled });
    const oldPage = await oldContext.newPage();
    await test.step('Rosa signs in and enrols; that session stays open', async () => {
      await signIn(oldPage, rosa.email, PASSWORD, new EnrolRequiredPage(oldPage).heading);
      ({ app, last } = await enrolFromConfinement(oldPage));
    });

    await test.step('from the password step, "Forgot your password?" sends a reset link; the answer promises nothing', async () => {
      await login.goto();
      await login.continueWith(rosa.email);
      await page.getByRole('link', { name: 'Forgot your password?' }).click();
      await forgot.expectLoaded();
      await expect(forgot.email).toHaveValue(rosa.email);
      const asked = Date.now();
      await submitAndSettle(page, () => forgot.sendButton.click(), forgot.sentHeading);
      await expect(page).toHaveURL(/\/forgot-password\/sent$/);
      await expect(forgot.sentStatus).toBeVisible();
      const received = await mail.waitFor({ to: rosa.email, subject: RESET_MAIL_SUBJECT, since: asked - 1_000 });
      expect(received.text).toContain('within 60 minutes');
      expect(received.text).toContain('Your MFA stays as it is');
      link = resetLinkIn(received.text);
      expect(new URL(link).origin).toBe(new URL(baseURL as string).origin);
    });

    await test.step('on a phone (390 px) the reset form fits without scrolling sideways', async () => {
      await expectFitsPhone(page, [reset.email, reset.password, reset.passwordAgain, reset.resetButton], () => page.goto(link));
    });

    await test.step('the link asks for the address and the new password twice, and refuses two different passwords', async () => {
      await page.goto(link);
      await reset.expectLoaded();
      if (javaScriptOn()) await islandsReady(page);
      await reset.fill(rosa.email, NEW_PASSWORD, `${NEW_PASSWORD} x`);
      const differ = page.locator('#password_again-error').filter({ hasText: PASSWORDS_DIFFER });
      const status = await submitExpectingError(page, () => reset.resetButton.click(), differ, javaScriptOn());
      expect(status).toBe(422);
      await expect(reset.email).toHaveValue(rosa.email);
    });

    await test.step('"Reset password" sets it and leads to sign-in with the address filled in, not signed in', async () => {
      await reset.fill(rosa.email, NEW_PASSWORD, NEW_PASSWORD);
      const notice = page.getByRole('status').filter({ hasText: PASSWORD_RESET_NOTICE });
      await submitAndSettle(page, () => reset.resetButton.click(), notice);
      await login.expectOnEmailStep();
      await expect(login.email).toHaveValue(rosa.email);
      await page.goto('/');
      await login.expectOnEmailStep();
    });

    await test.step('her open session has ended, and she is told by mail', async () => {
      await oldPage.goto('/');
      await new LoginPage(oldPage).expectOnEmailStep();
      const notice = await mail.waitFor({ to: rosa.email, subject: PASSWORD_CHANGED_SUBJECT });
      expect(notice.text).toContain('Your MFA is unchanged');
    });

    await test.step('the old password no longer works; the new one leads to the MFA challenge, then to the MFA question', async () => {
      await signIn(page, rosa.email, PASSWORD, page.getByRole('alert').filter({ hasText: INCORRECT_CREDENTIALS }));
      const challenge = new ChallengePage(page);
      await signIn(page, rosa.email, NEW_PASSWORD, challenge.heading);
      await challenge.expectOnCodeStep();
      const fresh = await (app as Authenticator).codeAfter((last as StepCode).step);
      await challenge.submitAuthenticatorCode(fresh.code, PROMPT_HEADING(page));
      last = fresh;
      await expect(page.getByRole('button', { name: 'Set up new authenticator codes' })).toBeVisible();
    });

    await test.step('she keeps her existing codes and is home', async () => {
      const home = new HomePage(page);
      await submitAndSettle(page, () => page.getByRole('button', { name: 'Keep my existing codes' }).click(), home.welcomeHeading(rosa.name));
    });

    await test.step('the link does not work again', async () => {
      const answer = await page.goto(link);
      expect(answer?.status()).toBe(404);
      await expect(reset.invalidHeading).toBeVisible();
      await expect(page.getByRole('link', { name: 'Ask for a new link' })).toBeVisible();
    });

    await test.step('signed in, she changes her password from Account security and stays signed in', async () => {
      await page.goto('/account/security');
      await page.getByRole('link', { name: 'Change password' }).click();
      await expect(page.getByRole('heading', { name: 'Change password', level: 1 })).toBeVisible();
      const current = page.getByLabel('Current password', { exact: true });
      const confirm = page.getByRole('link', { name: 'Confirm it is you' });
      await expect(current.or(confirm)).toBeVisible();
      if (await confirm.isVisible()) {
        // Her last code is older than the step-up window: a fresh one first.
        await confirm.click();
        const stepUp = new StepUpPage(page);
        await stepUp.expectLoaded();
        const fresh = await (app as Authenticator).codeAfter((last as StepCode).step);
        await stepUp.submit(fresh.code, current);
      }
      await current.fill(NEW_PASSWORD);
      await page.getByLabel('New password', { exact: true }).fill(CHANGED_PASSWORD);
      await page.getByLabel('New password again', { exact: true }).fill(CHANGED_PASSWORD);
      const changed = page.getByRole('status').filter({ hasText: 'Your password is changed.' });
      await submitAndSettle(page, () => page.getByRole('button', { name: 'Change password' }).click(), changed);
      // What about MFA, asked at once.
      await expect(PROMPT_HEADING(page)).toBeVisible();
      await submitAndSettle(
        page,
        () => page.getByRole('button', { name: 'Keep my existing codes' }).click(),
        new HomePage(page).welcomeHeading(rosa.name),
      );
      await mail.waitFor({ to: rosa.email, subject: PASSWORD_CHANGED_SUBJECT, text: 'from account security' });
    });

    await test.step('the next sign-in takes the changed password', async () => {
      // A browser of her own that never signed in.
      await page.context().clearCookies();
      const challenge = new ChallengePage(page);
      await signIn(page, rosa.email, CHANGED_PASSWORD, challenge.heading);
    });
  } finally {
    await oldContext?.close();
  }
});
