/**
 * The organisation's MFA policy, end to end, in every
 * project (SQLite and PostgreSQL, JavaScript on and off): an owner changes it
 * at /settings/security, and a member's session that is already open follows
 * each change at its next request.
 *
 * One test, in steps, with two browser sessions side by side:
 * - a member, added with the operator CLI (`tessera user add`, pages/Cli.ts)
 *   against the project's own database, who signs in while the policy is
 *   Visible and keeps that session open;
 * - the project's organisation owner (the organisation is created through the
 *   setup link if nothing has yet), who needs MFA of their
 *   own before the policy can change, turns it on, then sets Required with a
 *   grace period of 3 days (the member sees a reminder), then Required without
 *   one (the member is confined to /account/security/enrol-required, also
 *   after signing in again, until they enrol).
 *
 * At the end the owner sets the policy back to Visible and turns their own
 * MFA off again, so that the other spec files (mfa.spec.ts)
 * find the owner as they expect whatever order they run in. The project's spec
 * files never run at the same time (workers: 1 per project in
 * playwright.config.ts).
 *
 * Changing the policy or turning MFA off needs a second factor proven within
 * the step-up window (one minute on the e2e servers, TESSERA_STEP_UP_MINUTES=1);
 * when it has lapsed, the server asks "Confirm it is you" first and the change
 * is submitted again after that. TOTP codes come from the `otpauth` package
 * (pages/Authenticator.ts); a code counts once per 30-second step, so a
 * step-up waits for the step after the owner's last code.
 */
import { AppFrame } from '../pages/AppFrame';
import type { BrowserContext, Locator, Page } from '@playwright/test';
import { Authenticator } from '../pages/Authenticator';
import { addUser } from '../pages/Cli';
import { EnrolPage } from '../pages/EnrolPage';
import { EnrolRequiredPage } from '../pages/EnrolRequiredPage';
import { expect, test } from '../pages/fixtures';
import { HomePage, type Member } from '../pages/HomePage';
import { submitAndSettle } from '../pages/http';
import { LoginPage, signIn } from '../pages/LoginPage';
import { ensureOrganisation, memberOf, ownerFor } from '../pages/Organisation';
import { PolicyPage, type MfaPolicyLabel } from '../pages/PolicyPage';
import { EmailStepUpPage } from '../pages/StepUpPage';
import { FIRST_CODES_STATUS, RecoveryCodesPage } from '../pages/RecoveryCodesPage';
import { MFA_OFF, MFA_ON, MFA_REQUIRED_NOTE, SecurityPage, STEP_UP_DONE } from '../pages/SecurityPage';
import type { SetupDetails } from '../pages/SetupPage';
import { StepUpPage } from '../pages/StepUpPage';

// Up to three step-ups, each of which may wait for the next 30-second TOTP step.
test.describe.configure({ mode: 'serial', timeout: 240_000 });

/** A passphrase of five uncommon words (Required would accept 8 characters; this is strong anyway). */
const MEMBER_PASSWORD = 'lantern gravel orchid cobalt meadow';
const REQUIRED: MfaPolicyLabel = 'Required (recommended)';

function memberFor(project: string, owner: SetupDetails): Member {
  return {
    displayName: 'Grace Hopper',
    email: `member.${project}@example.com`,
    organisationName: owner.organisationName,
    role: 'Member',
  };
}

/** Opens `path`: the server answers 303 to the enrol-required page, which loads. */
async function expectConfined(page: Page, path: string) {
  const response = await page.goto(path);
  const redirect = response?.request().redirectedFrom();
  expect(redirect ? new URL(redirect.url()).pathname : null, `the request redirected away from ${path}`).toBe(path);
  expect((await redirect?.response())?.status(), `the HTTP status of GET ${path}`).toBe(303);
  await new EnrolRequiredPage(page).expectLoaded();
}

test('an owner requires MFA: a grace period reminds members, then open and new sessions are confined until they enrol', async ({
  page,
  server,
  browser,
  baseURL,
}, testInfo) => {
  const project = testInfo.project.name;
  const owner = ownerFor(project);
  const member = memberFor(project, owner);
  await ensureOrganisation(page, server, owner);

  // --- the owner's session (the `page` fixture)
  const home = new HomePage(page);
  const security = new SecurityPage(page);
  const policy = new PolicyPage(page);
  const enrol = new EnrolPage(page);
  const codesPage = new RecoveryCodesPage(page);
  const stepUp = new StepUpPage(page);
  let ownerApp: Authenticator | undefined;
  /** The TOTP step of the owner's last accepted code (each step counts once). */
  let ownerLastStep = 0;

  /**
   * Runs `attempt` (which submits a step-up-guarded change and settles on
   * `done` or on "Confirm it is you"); when the server asks first, confirms
   * with the owner's next authenticator code and runs `retry`. Notes in the
   * report whether the step-up was asked.
   */
  /**
   * Runs `attempt`; when the change first asks "Confirm it is you" (the step-up window had
   * lapsed), proves a fresh code, expects to be back at `back`, then runs `retry`.
   */
  async function confirmingIfAsked(
    what: string,
    attempt: () => Promise<void>,
    retry: () => Promise<void>,
    done: Locator,
    back: Locator,
  ) {
    await attempt();
    const asked = await stepUp.heading.isVisible();
    testInfo.annotations.push({
      type: 'step-up',
      description: `${what}: ${asked ? '"Confirm it is you" asked first (the window had lapsed)' : 'not asked'}`,
    });
    if (asked) {
      await stepUp.expectLoaded();
      expect(ownerApp, "the owner's authenticator").toBeDefined();
      const fresh = await (ownerApp as Authenticator).codeAfter(ownerLastStep);
      await stepUp.submit(fresh.code, back);
      ownerLastStep = fresh.step;
      await retry();
    }
    await expect(done).toBeVisible();
  }

  /** Sets the policy from `/settings/security` (the owner's session), confirming first if asked. */
  async function savePolicy(label: MfaPolicyLabel, graceDays?: number) {
    const submit = async () => {
      await policy.expectLoaded();
      await policy.choose(label, graceDays);
      await submitAndSettle(
        page,
        () => policy.saveButton.click(),
        policy.savedStatus.or(stepUp.heading).or(policy.requireHeading).or(policy.graceHeading),
      );
      // Turning Required on first says whom it affects, and saves only once confirmed; so does
      // moving everyone's deadline under Required.
      if (await policy.requireHeading.isVisible()) {
        await expect(policy.requireImpact).toContainText('MFA');
        await submitAndSettle(page, () => policy.requireButton.click(), policy.savedStatus.or(stepUp.heading));
      } else if (await policy.graceHeading.isVisible()) {
        await expect(policy.requireImpact).toContainText(/MFA|grace period/);
        await submitAndSettle(page, () => policy.graceButton.click(), policy.savedStatus.or(stepUp.heading));
      }
    };
    const what = `saving ${label}${graceDays === undefined ? '' : ` with ${graceDays} days of grace`}`;
    await confirmingIfAsked(
      what,
      async () => {
        if (new URL(page.url()).pathname !== '/settings/security') await policy.goto();
        await submit();
      },
      // After "Confirm it is you" the owner is back on the policy page.
      submit,
      policy.savedStatus,
      policy.heading,
    );
    await expect(page).toHaveURL((url) => url.pathname === '/settings/security' && url.searchParams.has('saved'));
    await policy.expectPolicy(label);
  }

  // --- the member's session: its own browser context, kept open throughout
  let memberContext: BrowserContext | undefined;
  try {
    memberContext = await browser.newContext({ baseURL, javaScriptEnabled: testInfo.project.use.javaScriptEnabled });
    const memberPage = await memberContext.newPage();
    const memberHome = new HomePage(memberPage);
    const memberSecurity = new SecurityPage(memberPage);
    const memberEnrolRequired = new EnrolRequiredPage(memberPage);
    const memberLogin = new LoginPage(memberPage);

    await test.step('the operator CLI adds a member to the organisation', async () => {
      const out = addUser(server, {
        organisationName: owner.organisationName,
        email: member.email,
        role: 'member',
        displayName: member.displayName,
        password: MEMBER_PASSWORD,
      });
      expect(out, 'the output of `tessera user add`').toContain(`Added ${member.email} to `);
    });

    await test.step('the member signs in (policy Visible): the home page, no reminder', async () => {
      await signIn(memberPage, member.email, MEMBER_PASSWORD, memberHome.welcomeHeading(member.displayName));
      await memberHome.expectSignedInAs(member);
      await expect(memberHome.mfaReminder).toHaveCount(0);
    });

    await test.step('the owner signs in; "Security policy" shows Visible', async () => {
      await signIn(page, owner.email, owner.password, home.welcomeHeading(owner.displayName));
      await home.expectSignedInAs(memberOf(owner));
      await home.openSecurity();
      await security.expectMfaOff();
      await new AppFrame(page).goTo('Security policy');
      await policy.expectLoaded();
      await policy.expectPolicy('Visible');
    });

    await test.step('without MFA of their own, the owner is asked to confirm with an emailed code first', async () => {
      await policy.choose(REQUIRED);
      const byEmail = new EmailStepUpPage(page);
      await submitAndSettle(page, () => policy.saveButton.click(), byEmail.emailMeACode);
      await byEmail.expectLoaded();
      // Nothing was saved.
      await policy.goto();
      await policy.expectPolicy('Visible');
    });

    await test.step('the owner turns MFA on', async () => {
      await security.goto();
      await security.expectMfaOff();
      await security.enableButton.click();
      await enrol.expectLoaded();
      ownerApp = new Authenticator(await enrol.readSetupKey());
      const code = ownerApp.current();
      await enrol.confirm(code.code, codesPage.heading);
      ownerLastStep = code.step;
      await codesPage.expectLoaded(FIRST_CODES_STATUS);
      await codesPage.finish();
      await expect(security.notice(MFA_ON)).toBeVisible();
      await security.expectMfaOn(10);
    });

    await test.step('the owner sets Required with a grace period of 3 days', async () => {
      await new AppFrame(page).goTo('Security policy');
      await policy.expectLoaded();
      await savePolicy(REQUIRED, 3);
      await expect(policy.graceUntil).toBeVisible();
    });

    await test.step("the member's open session: a reminder to set it up within 3 days, not confined", async () => {
      await memberHome.goto();
      await memberHome.expectSignedInAs(member);
      await expect(memberHome.mfaReminder).toContainText('Set it up within 3 days');
      await expect(memberHome.setItUpNowLink).toBeVisible();
      await memberHome.setItUpNowLink.click();
      await memberSecurity.expectMfaOff();
      await expect(memberPage.getByText(/Set it up within 3 days/).filter({ visible: true }).first()).toBeVisible();
    });

    await test.step('the owner sets Required without a grace period', async () => {
      await savePolicy(REQUIRED);
      await expect(policy.graceUntil).toHaveCount(0);
    });

    await test.step('the owner, who has MFA, is not confined', async () => {
      await home.goto();
      await home.expectSignedInAs(memberOf(owner));
    });

    await test.step("the member's open session is now confined to the enrol-required page", async () => {
      await expectConfined(memberPage, '/');
      await expectConfined(memberPage, '/account/security');
    });

    await test.step('signing out and in again lands there again', async () => {
      await memberEnrolRequired.signOutButton.click();
      await memberLogin.expectOnEmailStep();
      await expect(memberLogin.signedOutStatus).toBeVisible();
      await signIn(memberPage, member.email, MEMBER_PASSWORD, memberEnrolRequired.heading);
      await memberEnrolRequired.expectLoaded();
      await expectConfined(memberPage, '/');
    });

    await test.step('"Set up now": the member enrols, saves the recovery codes, and the home page works again', async () => {
      const memberEnrol = new EnrolPage(memberPage);
      const memberCodes = new RecoveryCodesPage(memberPage);
      await memberEnrolRequired.setUpNowButton.click();
      await memberEnrol.expectLoaded();
      const memberApp = new Authenticator(await memberEnrol.readSetupKey());
      await memberEnrol.confirm(memberApp.current().code, memberCodes.heading);
      await memberCodes.expectLoaded(FIRST_CODES_STATUS);
      await memberCodes.finish();
      await expect(memberSecurity.notice(MFA_ON)).toBeVisible();
      await memberSecurity.expectLoaded();
      await expect(memberSecurity.statusOn).toHaveText(/^\s*Authenticator app, since /);
      // Required: the member may not turn it off.
      await expect(memberPage.getByText(MFA_REQUIRED_NOTE)).toBeVisible();
      await expect(memberSecurity.disableLink).toHaveCount(0);
      await memberHome.goto();
      await memberHome.expectSignedInAs(member);
      await expect(memberHome.mfaReminder).toHaveCount(0);
    });

    await test.step('restoring: the owner sets the policy back to Visible', async () => {
      await savePolicy('Visible');
      await expect(policy.graceUntil).toHaveCount(0);
    });

    await test.step('restoring: the owner turns their own MFA off', async () => {
      await security.goto();
      await security.expectMfaOn(10);
      const turnOff = async () => {
        await submitAndSettle(page, () => security.disable(), security.notice(MFA_OFF).or(stepUp.heading));
      };
      const verified = security.notice(STEP_UP_DONE);
      await confirmingIfAsked("turning the owner's MFA off", turnOff, turnOff, security.notice(MFA_OFF), verified);
      await security.expectMfaOff();
    });

    await test.step("the member's session still works under Visible", async () => {
      await memberHome.goto();
      await memberHome.expectSignedInAs(member);
    });
  } finally {
    await memberContext?.close();
  }
});
