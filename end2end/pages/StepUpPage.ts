import { expect, type Locator, type Page } from '@playwright/test';
import { at, enterCode } from './http';

/** `/account/security/verify`: "Confirm it is you" before a sensitive change. */
export class StepUpPage {
  readonly heading: Locator;
  readonly code: Locator;
  readonly verifyButton: Locator;
  readonly alert: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { name: 'Confirm it is you' });
    this.code = page.getByLabel('Code', { exact: true });
    this.verifyButton = page.getByRole('button', { name: 'Verify', exact: true });
    this.alert = page.locator('#code-error').filter({ visible: true });
  }

  async expectLoaded() {
    await expect(this.page).toHaveURL(at('/account/security/verify', '/api/mfa/verify'));
    await expect(this.heading).toBeVisible();
    await expect(this.code).toBeVisible();
  }

  /** Submits an authenticator or recovery code; returns the HTTP statuses once `settled` is visible. */
  async submit(code: string, settled: Locator): Promise<number[]> {
    return enterCode(this.page, this.code, code, this.verifyButton, settled);
  }
}
