import { expect, type Locator, type Page } from '@playwright/test';
import { submitAndSettle } from './http';

export const WRONG_CODE = "That code didn't work. Check it and try again.";

/** `/login/mfa`: the second step of signing in (authenticator code or recovery code). */
export class ChallengePage {
  readonly heading: Locator;
  readonly authenticationCode: Locator;
  readonly recoveryCode: Locator;
  readonly verifyButton: Locator;
  readonly useRecoveryCode: Locator;
  readonly useAuthenticator: Locator;
  readonly cancelButton: Locator;
  readonly wrongCodeAlert: Locator;
  readonly clockHint: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { name: 'Two-step verification', level: 1 });
    this.authenticationCode = page.getByLabel('Authentication code', { exact: true });
    this.recoveryCode = page.getByLabel('Recovery code', { exact: true });
    this.verifyButton = page.getByRole('button', { name: 'Verify', exact: true });
    this.useRecoveryCode = page.getByRole('link', { name: 'Use a recovery code' });
    this.useAuthenticator = page.getByRole('link', { name: 'Use your authenticator app' });
    this.cancelButton = page.getByRole('button', { name: 'Cancel and sign out' });
    this.wrongCodeAlert = page.getByRole('alert').filter({ hasText: WRONG_CODE });
    this.clockHint = page.getByText(/automatic date and time/);
  }

  async expectOnCodeStep() {
    await expect(this.page).toHaveURL((url) => url.pathname === '/login/mfa' && !url.searchParams.has('recovery'));
    await expect(this.heading).toBeVisible();
    await expect(this.authenticationCode).toBeVisible();
    await expect(this.verifyButton).toBeVisible();
    await expect(this.useRecoveryCode).toBeVisible();
    await expect(this.cancelButton).toBeVisible();
  }

  async expectOnRecoveryStep() {
    await expect(this.page).toHaveURL((url) => url.pathname === '/login/mfa');
    await expect(this.heading).toBeVisible();
    await expect(this.recoveryCode).toBeVisible();
    await expect(this.authenticationCode).toHaveCount(0);
    await expect(this.useAuthenticator).toBeVisible();
    await expect(this.cancelButton).toBeVisible();
  }

  /** Submits an authenticator code; returns the HTTP statuses once `settled` is visible. */
  async submitAuthenticatorCode(code: string, settled: Locator): Promise<number[]> {
    await this.authenticationCode.fill(code);
    return submitAndSettle(this.page, () => this.verifyButton.click(), settled);
  }

  /** Submits a recovery code; returns the HTTP statuses once `settled` is visible. */
  async submitRecoveryCode(code: string, settled: Locator): Promise<number[]> {
    await this.recoveryCode.fill(code);
    return submitAndSettle(this.page, () => this.verifyButton.click(), settled);
  }
}
