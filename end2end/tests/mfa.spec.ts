/**
 * MFA (MFA) with an authenticator app, end to end, in every
 * project (SQLite and PostgreSQL, JavaScript on and off): enrolment, the
 * sign-in challenge, replayed and wrong codes, recovery codes, step-up,
 * regenerating recovery codes, resetting the authenticator and turning MFA
 * off, with the security notices Tessera mails (read back from MailDev).
 *
 * The tests run serially in this order and build on each other (the
 * authenticator's key and the recovery codes are carried over). They use the
 * project's organisation owner, creating the organisation through the setup
 * link if nothing has yet (tests/auth-flow.spec.ts uses the same details), and
 * leave MFA off at the end so that the owner signs in with the password alone
 * again. The project's spec files never run at the same time (workers: 1 per
 * project in playwright.config.ts).
 *
 * TOTP codes come from the `otpauth` package (pages/Authenticator.ts). A code
 * counts once per 30-second step, so the suite waits for the next step only
 * where it needs a second authenticator code (signing in after enrolment);
 * everywhere else it uses recovery codes.
 */
import type { BrowserContext, Locator, Page } from '@playwright/test';
import { Authenticator, stepAt, type StepCode } from '../pages/Authenticator';
import { ChallengePage, WRONG_CODE } from '../pages/ChallengePage';
import { EnrolPage, MFA_STILL_OFF } from '../pages/EnrolPage';
import { expect, test } from '../pages/fixtures';
import { HomePage } from '../pages/HomePage';
import { LoginPage } from '../pages/LoginPage';
import { MailDev, type ReceivedMail } from '../pages/MailDev';
import { ensureOrganisation, memberOf, ownerFor } from '../pages/Organisation';
import { FIRST_CODES_STATUS, NEW_CODES_STATUS, RecoveryCodesPage } from '../pages/RecoveryCodesPage';
import {
  AUTHENTICATOR_RESET,
  MFA_OFF,
  MFA_ON,
  RECOVERY_CODE_USED,
  SecurityPage,
  STEP_UP_DONE,
} from '../pages/SecurityPage';
import type { SetupDetails } from '../pages/SetupPage';
import { StepUpPage } from '../pages/StepUpPage';

// One of the tests waits for the next 30-second TOTP step.
test.describe.configure({ mode: 'serial', timeout: 120_000 });

const SUBJECT = {
  on: 'Tessera: MFA is on',
  off: 'Tessera: MFA is off',
  recoveryCodeUsed: 'Tessera: A recovery code was used',
  newRecoveryCodes: 'Tessera: New recovery codes were created',
  authenticatorChanged: 'Tessera: Your authenticator app was changed',
  failingCodes: 'Tessera: Repeated failed sign-in codes',
};

// --- carried from one test to the next (serial mode: same worker, in order)
let owner: SetupDetails;
/** The User-Agent header the browser sends (security notices quote it). */
let userAgent: string;
/** The setup key shown at enrolment, and the app that knows it. */
let setupKey: string;
let authenticator: Authenticator;
/** The code that turned MFA on (consumed by then). */
let enrolmentCode: StepCode;
let firstCodes: string[];
let newCodes: string[];
/**
 * A second browser session signed in before MFA was turned on: it has never
 * proven a second factor, so sensitive changes there must ask for a code.
 */
let staleContext: BrowserContext | undefined;
/** When the main session last proved a second factor (for the step-up window). */
let provenAt = 0;
let stalePage: Page;

test.afterAll(async () => {
  await staleContext?.close();
});

/** Signs in with email and password; `settled` tells where that should land. */
async function signInWithPassword(page: Page, settled: Locator) {
  const login = new LoginPage(page);
  await login.goto();
  await login.expectOnEmailStep();
  await login.continueWith(owner.email);
  await login.submitPassword(owner.password, settled);
}

async function signOut(page: Page) {
  const login = new LoginPage(page);
  await new HomePage(page).signOut();
  await login.expectOnEmailStep();
  await expect(login.signedOutStatus).toBeVisible();
}

/** Neither the grouped, the compact nor the spelled-out form of `key` is anywhere in the page. */
async function expectKeyAbsent(page: Page, key: string, what: string) {
  const html = await page.content();
  const compact = key.replace(/\s+/g, '');
  const spelled = key
    .split(' ')
    .map((group) => group.split('').join(' '))
    .join(', ');
  expect(html.includes(key), `${what} (grouped) in ${page.url()}`).toBe(false);
  expect(html.includes(compact), `${what} (without spaces) in ${page.url()}`).toBe(false);
  expect(html.includes(spelled), `${what} (spelled out) in ${page.url()}`).toBe(false);
}

/** A security notice: from Tessera, to the owner, saying when, from which IP address and browser. */
function expectSecurityNotice(mail: ReceivedMail) {
  expect(mail.from.map((a) => a.name), `sender of "${mail.subject}"`).toContain('Tessera');
  expect(mail.to.map((a) => a.address.toLowerCase()), `recipient of "${mail.subject}"`).toEqual([
    owner.email.toLowerCase(),
  ]);
  expect(mail.text, `when, in "${mail.subject}"`).toMatch(/When: \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);
  expect(mail.text, `IP address, in "${mail.subject}"`).toContain('IP address: 127.0.0.1');
  // Named as people say it (the suite drives Debian's Chromium on Linux), never the raw header.
  expect(mail.text, `browser, in "${mail.subject}"`).toContain('Browser: Chrome on Linux');
  expect(mail.text, `raw User-Agent, in "${mail.subject}"`).not.toContain(userAgent);
}

test('turning MFA on: a QR code and setup key, a wrong code refused, ten recovery codes shown once', async ({
  page,
  server,
  browser,
  baseURL,
}, testInfo) => {
  owner = ownerFor(testInfo.project.name);
  const mail = new MailDev(server.mailURL);
  await ensureOrganisation(page, server, owner);
  const login = new LoginPage(page);
  const home = new HomePage(page);
  const security = new SecurityPage(page);
  const enrol = new EnrolPage(page);
  const codesPage = new RecoveryCodesPage(page);

  await test.step('another session signs in while MFA is still off', async () => {
    staleContext = await browser.newContext({ baseURL, javaScriptEnabled: testInfo.project.use.javaScriptEnabled });
    stalePage = await staleContext.newPage();
    await signInWithPassword(stalePage, new HomePage(stalePage).welcomeHeading(owner.displayName));
    await new HomePage(stalePage).expectSignedInAs(memberOf(owner));
  });

  await test.step('sign in and open account security from the home page: MFA is off', async () => {
    const response = await login.goto();
    userAgent = (await response?.request().headerValue('user-agent')) ?? '';
    expect(userAgent, 'the User-Agent header the browser sends').not.toBe('');
    await login.continueWith(owner.email);
    await login.submitPassword(owner.password, home.welcomeHeading(owner.displayName));
    await home.expectSignedInAs(memberOf(owner));
    await home.openSecurity();
    await security.expectMfaOff();
  });

  await test.step('"Enable MFA" shows a QR code and the setup key', async () => {
    await security.enableButton.click();
    await enrol.expectLoaded();
    await expect(enrol.resetNotice).toHaveCount(0);
    setupKey = await enrol.readSetupKey();
    authenticator = new Authenticator(setupKey);
  });

  await test.step('a wrong code is refused: MFA is still off', async () => {
    const alert = enrol.alert.filter({ hasText: MFA_STILL_OFF });
    const statuses = await enrol.confirm(authenticator.wrongCode(), alert);
    expect(
      statuses.some((s) => s >= 400 && s < 500),
      `a 4xx among the HTTP statuses of the refused code: ${statuses.join(', ')}`,
    ).toBe(true);
    await enrol.expectLoaded();
    expect(await enrol.readSetupKey(), 'the same pending key is shown again').toBe(setupKey);
  });

  await test.step('the right code turns MFA on and shows ten recovery codes', async () => {
    enrolmentCode = authenticator.current();
    await enrol.confirm(enrolmentCode.code, codesPage.heading);
    await codesPage.expectLoaded(FIRST_CODES_STATUS);
    firstCodes = await codesPage.readCodes();
  });

  await test.step('turning MFA on signed the other session out', async () => {
    await new SecurityPage(stalePage).goto();
    await new LoginPage(stalePage).expectOnEmailStep();
  });

  await test.step('"Download as a text file" holds the codes', async () => {
    expect(await codesPage.downloadHref(), 'the data: URL of the download').toContain(firstCodes[0]);
    const file = await codesPage.downloadText();
    for (const code of firstCodes) expect(file, 'the downloaded text file').toContain(code);
  });

  await test.step('"I have saved these codes", Done: MFA is on with 10 recovery codes', async () => {
    await codesPage.finish();
    await expect(security.notice(MFA_ON)).toBeVisible();
    await security.expectMfaOn(10);
  });

  await test.step('the setup key is never shown again', async () => {
    await expectKeyAbsent(page, setupKey, 'the setup key');
    // Nothing is pending any more: the enrolment page sends back to account security.
    await page.goto('/account/security/mfa');
    await security.expectMfaOn(10);
    await expectKeyAbsent(page, setupKey, 'the setup key');
  });

  await test.step('mail: "MFA is on"', async () => {
    expectSecurityNotice(await mail.waitFor({ to: owner.email, subject: SUBJECT.on }));
  });
});

test('signing in asks for a code: the code used at enrolment is refused, the next step\'s code signs in', async ({
  page,
}) => {
  const challenge = new ChallengePage(page);
  const home = new HomePage(page);

  await test.step('the right password leads to the MFA page', async () => {
    await signInWithPassword(page, challenge.heading);
    await challenge.expectOnCodeStep();
  });

  await test.step('the code already used at enrolment is refused (single use), saying to wait for the next', async () => {
    // Still inside the step of clock skew the server allows: only its single use can refuse it.
    expect(stepAt() - enrolmentCode.step, 'TOTP steps since enrolment').toBeLessThanOrEqual(1);
    const statuses = await challenge.submitAuthenticatorCode(enrolmentCode.code, challenge.usedCodeAlert);
    expect(statuses, 'HTTP statuses of the refused code').toContain(401);
    await challenge.expectOnCodeStep();
    await expect(challenge.clockHint).toBeVisible();
    await expect(challenge.authenticationCode).toHaveValue('');
  });

  await test.step('in the next 30-second step, the new code signs in', async () => {
    const fresh = await authenticator.codeAfter(enrolmentCode.step);
    await challenge.submitAuthenticatorCode(fresh.code, home.welcomeHeading(owner.displayName));
    await home.expectSignedInAs(memberOf(owner));
  });

  await test.step('sign out', async () => {
    await signOut(page);
  });
});

test('three wrong codes send a warning; a recovery code signs in; step-up; new recovery codes', async ({
  page,
  server,
}) => {
  const mail = new MailDev(server.mailURL);
  const challenge = new ChallengePage(page);
  const security = new SecurityPage(page);
  const codesPage = new RecoveryCodesPage(page);
  const since = Date.now();

  await test.step('three wrong codes after the right password are refused', async () => {
    await signInWithPassword(page, challenge.heading);
    await challenge.expectOnCodeStep();
    for (let i = 1; i <= 3; i++) {
      const statuses = await challenge.submitAuthenticatorCode(authenticator.wrongCode(), challenge.wrongCodeAlert);
      expect(statuses, `HTTP statuses of wrong code ${i}`).toContain(401);
      await challenge.expectOnCodeStep();
    }
  });

  await test.step('mail: "Repeated failed sign-in codes"', async () => {
    expectSecurityNotice(await mail.waitFor({ to: owner.email, subject: SUBJECT.failingCodes, since }));
  });

  await test.step('"Use a recovery code" and back', async () => {
    await challenge.useRecoveryCode.click();
    await challenge.expectOnRecoveryStep();
    await expect(page).toHaveURL((url) => url.searchParams.has('recovery'));
    await challenge.useAuthenticator.click();
    await challenge.expectOnCodeStep();
    await challenge.useRecoveryCode.click();
    await challenge.expectOnRecoveryStep();
  });

  await test.step('a recovery code signs in to account security: 9 codes left', async () => {
    await challenge.submitRecoveryCode(firstCodes[0], security.notice(RECOVERY_CODE_USED));
    provenAt = Date.now();
    await security.expectMfaOn(9);
    await expect(security.verifyNowLink, 'the session just proved a second factor').toHaveCount(0);
  });

  await test.step('mail: "A recovery code was used", 9 left', async () => {
    const m = await mail.waitFor({
      to: owner.email,
      subject: SUBJECT.recoveryCodeUsed,
      text: '9 recovery codes are left',
      since,
    });
    expectSecurityNotice(m);
  });

  await test.step('once the second factor is older than the step-up window, a change asks "Confirm it is you"', async () => {
    // The e2e servers use a one-minute window (TESSERA_STEP_UP_MINUTES=1).
    await page.waitForTimeout(Math.max(0, provenAt + 61_000 - Date.now()));
    const stepUp = new StepUpPage(page);
    await security.goto();
    await expect(security.verifyNowLink).toBeVisible();
    await security.disable();
    await stepUp.expectLoaded();

    const wrong = stepUp.alert.filter({ hasText: WRONG_CODE });
    const statuses = await stepUp.submit(authenticator.wrongCode(), wrong);
    expect(statuses, 'HTTP statuses of the refused step-up code').toContain(401);
    await stepUp.expectLoaded();

    await stepUp.submit(firstCodes[1], security.notice(STEP_UP_DONE));
    await security.expectMfaOn(8);
    await expect(security.verifyNowLink).toHaveCount(0);
  });

  await test.step('"Generate new recovery codes" (the sign-in code is fresh): ten new codes', async () => {
    await security.goto();
    await security.expectMfaOn(8);
    await security.regenerateButton.click();
    await codesPage.expectLoaded(NEW_CODES_STATUS);
    newCodes = await codesPage.readCodes();
    expect(newCodes.filter((c) => firstCodes.includes(c)), 'codes of the old set among the new').toEqual([]);
    await codesPage.finish();
    await security.expectMfaOn(10);
  });

  await test.step('mail: "New recovery codes were created"', async () => {
    expectSecurityNotice(await mail.waitFor({ to: owner.email, subject: SUBJECT.newRecoveryCodes, since }));
  });

  await test.step('sign out', async () => {
    await page.goto('/');
    await signOut(page);
  });
});

test('old recovery codes are dead; resetting the authenticator app; turning MFA off', async ({ page, server }) => {
  const mail = new MailDev(server.mailURL);
  const challenge = new ChallengePage(page);
  const security = new SecurityPage(page);
  const enrol = new EnrolPage(page);
  const stepUp = new StepUpPage(page);
  const home = new HomePage(page);
  const since = Date.now();

  await test.step('signing in: an unused code of the old set is refused, a new one signs in', async () => {
    await signInWithPassword(page, challenge.heading);
    await challenge.useRecoveryCode.click();
    await challenge.expectOnRecoveryStep();
    const statuses = await challenge.submitRecoveryCode(firstCodes[2], challenge.wrongCodeAlert);
    expect(statuses, 'HTTP statuses of the refused old code').toContain(401);
    await challenge.expectOnRecoveryStep();
    await challenge.submitRecoveryCode(newCodes[0], security.notice(RECOVERY_CODE_USED));
    await security.expectMfaOn(9);
  });

  let newKey = '';
  await test.step('"Reset authenticator app" shows a new key; the current app keeps working until then', async () => {
    await security.resetButton.click();
    await enrol.expectLoaded();
    await expect(enrol.resetNotice).toBeVisible();
    newKey = await enrol.readSetupKey();
    expect(newKey, 'the new setup key').not.toBe(setupKey);
  });

  await test.step('a code of the new key confirms it', async () => {
    const app = new Authenticator(newKey);
    await enrol.confirm(app.current().code, security.notice(AUTHENTICATOR_RESET));
    await security.expectMfaOn(9);
    await expectKeyAbsent(page, newKey, 'the new setup key');
    await expectKeyAbsent(page, setupKey, 'the old setup key');
  });

  await test.step('mail: "Your authenticator app was changed"', async () => {
    expectSecurityNotice(await mail.waitFor({ to: owner.email, subject: SUBJECT.authenticatorChanged, since }));
  });

  await test.step('"Disable MFA" turns MFA off', async () => {
    await security.disable();
    await expect(page).toHaveURL((url) => ['/account/security', '/account/security/verify'].includes(url.pathname));
    if (new URL(page.url()).pathname === '/account/security/verify') {
      // More than 5 minutes since this session proved a second factor: confirm it is you first.
      await stepUp.expectLoaded();
      await stepUp.submit(newCodes[1], security.notice(STEP_UP_DONE));
      await security.disable();
    }
    await expect(security.notice(MFA_OFF)).toBeVisible();
    await security.expectMfaOff();
  });

  await test.step('mails: "on", "New recovery codes were created" and "off" all arrived', async () => {
    expectSecurityNotice(await mail.waitFor({ to: owner.email, subject: SUBJECT.off, since }));
    expectSecurityNotice(await mail.waitFor({ to: owner.email, subject: SUBJECT.on }));
    expectSecurityNotice(await mail.waitFor({ to: owner.email, subject: SUBJECT.newRecoveryCodes }));
  });

  await test.step('signing in needs only the password again', async () => {
    await page.goto('/');
    await signOut(page);
    await signInWithPassword(page, home.welcomeHeading(owner.displayName));
    await home.expectSignedInAs(memberOf(owner));
    await signOut(page);
  });
});
