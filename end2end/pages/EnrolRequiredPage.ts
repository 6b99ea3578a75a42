import { expect, type Locator, type Page } from '@playwright/test';
import { Authenticator, type StepCode } from './Authenticator';
import { EnrolPage } from './EnrolPage';
import { FIRST_CODES_STATUS, RecoveryCodesPage } from './RecoveryCodesPage';
import { submitAndSettle } from './http';
import { MFA_ON, SecurityPage } from './SecurityPage';

export const ENROL_REQUIRED_PATH = '/account/security/enrol-required';

/**
 * `/account/security/enrol-required`: where a signed-in user without MFA is
 * confined while the organisation's policy requires it.
 */
export class EnrolRequiredPage {
  readonly heading: Locator;
  readonly explanation: Locator;
  readonly setUpNowButton: Locator;
  readonly signOutButton: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { name: 'Set up MFA', exact: true });
    this.explanation = page.getByText(/^Your organisation requires MFA\./);
    this.setUpNowButton = page.getByRole('button', { name: 'Set up now' });
    this.signOutButton = page.getByRole('button', { name: 'Sign out' });
  }

  async goto() {
    return this.page.goto(ENROL_REQUIRED_PATH);
  }

  async expectLoaded() {
    await expect(this.page).toHaveURL((url) => url.pathname === ENROL_REQUIRED_PATH);
    await expect(this.heading).toBeVisible();
    await expect(this.explanation).toBeVisible();
    await expect(this.setUpNowButton).toBeVisible();
    await expect(this.signOutButton).toBeVisible();
  }
}

/**
 * From the confinement page, through the wizard to "MFA is on": returns the
 * person's authenticator and the step of the code used.
 */
export async function enrolFromConfinement(page: Page): Promise<{ app: Authenticator; last: StepCode }> {
  const confined = new EnrolRequiredPage(page);
  await confined.expectLoaded();
  await confined.setUpNowButton.click();
  return throughTheWizard(page);
}

/** From account security: "Enable MFA", then the whole wizard. Returns the app and the step its code was for. */
export async function enrolFromSecurity(page: Page): Promise<{ app: Authenticator; last: StepCode }> {
  const security = new SecurityPage(page);
  await security.goto();
  await submitAndSettle(page, () => security.enableButton.click(), new EnrolPage(page).heading);
  return throughTheWizard(page);
}

/** The wizard from its first page: the setup key, its first code, the recovery codes, done. */
async function throughTheWizard(page: Page): Promise<{ app: Authenticator; last: StepCode }> {
  const enrol = new EnrolPage(page);
  const codes = new RecoveryCodesPage(page);
  await enrol.expectLoaded();
  const app = new Authenticator(await enrol.readSetupKey());
  const last = app.current();
  await enrol.confirm(last.code, codes.heading);
  await codes.expectLoaded(FIRST_CODES_STATUS);
  await codes.finish();
  await expect(new SecurityPage(page).notice(MFA_ON)).toBeVisible();
  return { app, last };
}
