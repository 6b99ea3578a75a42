import { expect, type Locator, type Page } from '@playwright/test';

/** The confirmations `/account/security` shows (role=status). */
export const MFA_ON = 'MFA is on.';
export const MFA_OFF = 'MFA is off.';
export const AUTHENTICATOR_RESET = 'Your new authenticator app is set up. The old one no longer works.';
export const STEP_UP_DONE = 'Verified. You can change your sign-in security for the next 1 minute.';
export const RECOVERY_CODE_USED = 'You signed in with a recovery code. That code no longer works.';
/** The note under "MFA" while the organisation requires it and the user has it. */
export const MFA_REQUIRED_NOTE = 'Your organisation requires MFA, so it cannot be turned off.';

/** `/account/security`: MFA status and the changes it allows. */
export class SecurityPage {
  readonly heading: Locator;
  /** "Status: Not set up" and the like: any state but the authenticator app. */
  readonly statusOff: Locator;
  /** The "On since …" value of the Status row (MFA on). */
  readonly statusOn: Locator;
  readonly recoveryCodesLeft: Locator;
  readonly enableButton: Locator;
  readonly regenerateButton: Locator;
  readonly resetButton: Locator;
  /** Opens "Disable MFA?" (a dialog with JavaScript, a page without). */
  readonly disableLink: Locator;
  /** "Yes, disable MFA" in that confirmation. */
  readonly confirmDisableButton: Locator;
  /** Shown while the session has no fresh second factor. */
  readonly verifyNowLink: Locator;
  /** To `/settings/security` (owners only). */

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { name: 'Account security', exact: true });
    // Any state but the app: not set up, required, locked or email codes.
    this.statusOff = page.locator('#mfa-state').filter({ hasNotText: 'Authenticator app' });
    this.statusOn = this.valueOf('Status');
    this.recoveryCodesLeft = this.valueOf('Recovery codes left');
    this.enableButton = page.getByRole('button', { name: 'Enable MFA' });
    this.regenerateButton = page.getByRole('button', { name: 'Generate new recovery codes' });
    this.resetButton = page.getByRole('button', { name: 'Reset authenticator app' });
    this.disableLink = page.getByRole('link', { name: 'Disable MFA', exact: true });
    this.confirmDisableButton = page.getByRole('button', { name: 'Yes, disable MFA' });
    this.verifyNowLink = page.getByRole('link', { name: 'Verify now' });
  }

  /** The <dd> that follows the <dt> called `term`. */
  private valueOf(term: string): Locator {
    return this.page
      .getByRole('term')
      .filter({ hasText: new RegExp(`^\\s*${term}\\s*$`) })
      .locator('xpath=following-sibling::dd[1]');
  }

  async goto() {
    return this.page.goto('/account/security');
  }

  /** A confirmation (role=status) with `text`. */
  notice(text: string): Locator {
    return this.page.getByRole('status').filter({ hasText: text });
  }

  /** Disable MFA: the link, then the confirmation's "Yes". */
  async disable() {
    await this.disableLink.click();
    await expect(this.page.getByRole('heading', { name: 'Disable MFA?' })).toBeVisible();
    await this.confirmDisableButton.click();
  }

  async expectLoaded() {
    await expect(this.page).toHaveURL((url) => url.pathname === '/account/security');
    await expect(this.heading).toBeVisible();
  }

  async expectMfaOff() {
    await this.expectLoaded();
    await expect(this.statusOff).toBeVisible();
    await expect(this.enableButton).toBeVisible();
    await expect(this.disableLink).toHaveCount(0);
    await expect(this.recoveryCodesLeft).toHaveCount(0);
  }

  async expectMfaOn(recoveryCodesLeft: number) {
    await this.expectLoaded();
    await expect(this.statusOn).toHaveText(/^\s*Authenticator app, since /);
    await expect(this.recoveryCodesLeft).toHaveText(String(recoveryCodesLeft));
    await expect(this.regenerateButton).toBeVisible();
    await expect(this.resetButton).toBeVisible();
    await expect(this.disableLink).toBeVisible();
    await expect(this.enableButton).toHaveCount(0);
    await expect(this.statusOff).toHaveCount(0);
  }
}
