import { expect, type Locator, type Page } from '@playwright/test';
import { submitAndSettle } from './http';

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
    this.alert = page.getByRole('alert');
  }

  async expectLoaded() {
    await expect(this.page).toHaveURL((url) => url.pathname === '/account/security/verify');
    await expect(this.heading).toBeVisible();
    await expect(this.code).toBeVisible();
  }

  /** Submits an authenticator or recovery code; returns the HTTP statuses once `settled` is visible. */
  async submit(code: string, settled: Locator): Promise<number[]> {
    await this.code.fill(code);
    return submitAndSettle(this.page, () => this.verifyButton.click(), settled);
  }
}
