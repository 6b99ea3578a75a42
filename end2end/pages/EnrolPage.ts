import { expect, type Locator, type Page } from '@playwright/test';
import { at, enterCode } from './http';

export const MFA_STILL_OFF = 'MFA is still off';
export const RESET_KEEPS_OLD = 'Your current authenticator app keeps working until the new one is confirmed below.';
/** The setup key as shown: base32 in 8 groups of 4. */
const GROUPED_KEY_RE = /^[A-Z2-7]{4}( [A-Z2-7]{4}){7}$/;

/** `/account/security/mfa`: set up (or replace) the authenticator app. */
export class EnrolPage {
  readonly heading: Locator;
  readonly qrCode: Locator;
  readonly setupKey: Locator;
  readonly code: Locator;
  readonly confirmButton: Locator;
  readonly alert: Locator;
  readonly resetNotice: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { name: 'Set up your authenticator app' });
    this.qrCode = page.getByRole('img', { name: 'QR code for your authenticator app' });
    // A <code> has no role to find it by; its aria-label spells the key out for screen readers.
    this.setupKey = page.locator('code#setup-key');
    this.code = page.getByLabel('Authentication code', { exact: true });
    this.confirmButton = page.getByRole('button', { name: 'Verify and turn on' });
    // The code's problem, under the field; help for a refused code below it.
    this.alert = page.locator('#code-error, [data-after-failure]').filter({ visible: true });
    this.resetNotice = page.getByText(RESET_KEEPS_OLD);
  }

  async expectLoaded() {
    await expect(this.page).toHaveURL(at('/account/security/mfa', '/api/mfa/confirm'));
    await expect(this.heading).toBeVisible();
    await expect(this.qrCode).toBeVisible();
    await expect(this.setupKey).toBeVisible();
    await expect(this.code).toBeVisible();
  }

  /** The setup key as displayed (8 groups of 4, space-separated). */
  async readSetupKey(): Promise<string> {
    const shown = ((await this.setupKey.textContent()) ?? '').trim().replace(/\s+/g, ' ');
    expect(shown, 'the setup key: base32 in 8 groups of 4').toMatch(GROUPED_KEY_RE);
    return shown;
  }

  /** Types the code and submits; returns the HTTP statuses once `settled` is visible. */
  async confirm(code: string, settled: Locator): Promise<number[]> {
    return enterCode(this.page, this.code, code, this.confirmButton, settled);
  }
}
