import { expect, type Locator, type Page } from '@playwright/test';
import { at, enterCode } from './http';

/** The server function the challenge form posts to. */
export const CHALLENGE_FN = '/api/login/mfa';

export const WRONG_CODE = "That code didn't work. Check it and try again.";
export const WRONG_ACCESS_CODE = "That access code didn't work. Check it with the person who gave it to you: each code works once.";
/** A right code that was already used (only someone who had it sees this). */
export const USED_CODE = 'That code has already been used. Wait for your app to show the next code, then enter that one.';

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
  readonly usedCodeAlert: Locator;
  readonly clockHint: Locator;
  /** After an administrator's MFA reset: the temporary access code they hand over. */
  readonly accessCodeHeading: Locator;
  readonly accessCode: Locator;
  readonly wrongAccessCodeAlert: Locator;

  constructor(readonly page: Page) {
    this.accessCodeHeading = page.getByRole('heading', { name: 'Your MFA was reset', level: 1 });
    this.accessCode = page.getByLabel('Temporary access code', { exact: true });
    this.wrongAccessCodeAlert = page.locator('#code-error').filter({ hasText: WRONG_ACCESS_CODE });
    this.heading = page.getByRole('heading', { name: 'MFA: enter your code', level: 1 });
    this.authenticationCode = page.getByLabel('Authentication code', { exact: true });
    this.recoveryCode = page.getByLabel('Recovery code', { exact: true });
    this.verifyButton = page.getByRole('button', { name: 'Verify', exact: true });
    this.useRecoveryCode = page.getByRole('link', { name: 'Use a recovery code' });
    this.useAuthenticator = page.getByRole('link', { name: 'Use your authenticator app' });
    this.cancelButton = page.getByRole('button', { name: 'Cancel and sign out' });
    // Under the code field, where the field's problems go.
    this.wrongCodeAlert = page.locator('#code-error').filter({ hasText: WRONG_CODE });
    this.usedCodeAlert = page.locator('#code-error').filter({ hasText: USED_CODE });
    this.clockHint = page.getByText(/automatic date and time/);
  }

  async expectOnCodeStep() {
    await expect(this.page).toHaveURL((url) => at('/login/mfa', CHALLENGE_FN)(url) && !url.searchParams.has('recovery'));
    await expect(this.heading).toBeVisible();
    await expect(this.authenticationCode).toBeVisible();
    await expect(this.verifyButton).toBeVisible();
    await expect(this.useRecoveryCode).toBeVisible();
    await expect(this.cancelButton).toBeVisible();
  }

  async expectOnRecoveryStep() {
    await expect(this.page).toHaveURL(at('/login/mfa', CHALLENGE_FN));
    await expect(this.heading).toBeVisible();
    await expect(this.recoveryCode).toBeVisible();
    await expect(this.authenticationCode).toHaveCount(0);
    await expect(this.useAuthenticator).toBeVisible();
    await expect(this.cancelButton).toBeVisible();
  }

  /** Submits an authenticator code; returns the HTTP statuses once `settled` is visible. */
  async submitAuthenticatorCode(code: string, settled: Locator): Promise<number[]> {
    return enterCode(this.page, this.authenticationCode, code, this.verifyButton, settled);
  }

  /** Submits a recovery code; returns the HTTP statuses once `settled` is visible. */
  async submitRecoveryCode(code: string, settled: Locator): Promise<number[]> {
    return enterCode(this.page, this.recoveryCode, code, this.verifyButton, settled);
  }
}
