import { expect, type Locator, type Page } from '@playwright/test';
import { at } from './http';

export const FORGOT_FN = '/api/password/forgot';
export const RESET_FN = '/api/password/reset';
export const RESET_MAIL_SUBJECT = 'Tessera: Reset your password';
export const PASSWORD_CHANGED_SUBJECT = 'Tessera: Your password was changed';
export const PASSWORDS_DIFFER = 'The two passwords are different. Type the new password again.';
export const PASSWORD_RESET_NOTICE = 'Your password is changed and every session of your account was signed out.';

/** `/forgot-password` and the page every address gets after it. */
export class ForgotPasswordPage {
  readonly heading: Locator;
  readonly email: Locator;
  readonly sendButton: Locator;
  readonly sentHeading: Locator;
  readonly sentStatus: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { name: 'Reset your password', level: 1 });
    this.email = page.getByLabel('Email', { exact: true });
    this.sendButton = page.getByRole('button', { name: 'Send reset link' });
    this.sentHeading = page.getByRole('heading', { name: 'Check your email', level: 1 });
    this.sentStatus = page.getByRole('status').filter({ hasText: 'If an account exists for that address' });
  }

  async expectLoaded() {
    await expect(this.page).toHaveURL(at('/forgot-password', FORGOT_FN));
    await expect(this.heading).toBeVisible();
  }
}

/** `/reset-password?token=…`: the address the link went to and the new password twice. */
export class ResetPasswordPage {
  readonly heading: Locator;
  readonly email: Locator;
  readonly password: Locator;
  readonly passwordAgain: Locator;
  readonly resetButton: Locator;
  readonly invalidHeading: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { name: 'Choose a new password', level: 1 });
    this.email = page.getByLabel('Email address the link was sent to', { exact: true });
    this.password = page.getByLabel('New password', { exact: true });
    this.passwordAgain = page.getByLabel('New password again', { exact: true });
    this.resetButton = page.getByRole('button', { name: 'Reset password' });
    this.invalidHeading = page.getByRole('heading', { name: 'Reset link no longer valid', level: 1 });
  }

  async expectLoaded() {
    await expect(this.page).toHaveURL(at('/reset-password', RESET_FN));
    await expect(this.heading).toBeVisible();
  }

  async fill(email: string, password: string, again: string) {
    await this.email.fill(email);
    await this.password.fill(password);
    await this.passwordAgain.fill(again);
  }
}

/** The reset link in a reset mail's plain text. */
export function resetLinkIn(text: string): string {
  const m = /https?:\/\/\S+\/reset-password\?token=[A-Za-z0-9_-]+/.exec(text);
  if (!m) throw new Error(`no reset link in:\n${text}`);
  return m[0];
}
