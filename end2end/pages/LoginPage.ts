import { expect, type Locator, type Page } from '@playwright/test';
import { at } from './http';

export const INCORRECT_CREDENTIALS = 'Incorrect email or password.';
export const SIGNED_OUT = 'You have signed out.';

/** The username-first sign-in: `/login` (email) then `/login/password`. */
export class LoginPage {
  // step 1: /login
  readonly signInHeading: Locator;
  readonly email: Locator;
  readonly continueButton: Locator;
  readonly signedOutStatus: Locator;
  // step 2: /login/password
  readonly passwordHeading: Locator;
  readonly password: Locator;
  readonly signInButton: Locator;
  readonly useDifferentEmail: Locator;
  readonly showPassword: Locator;
  readonly incorrectCredentialsAlert: Locator;

  constructor(readonly page: Page) {
    this.signInHeading = page.getByRole('heading', { name: 'Sign in' });
    this.email = page.getByLabel('Email', { exact: true });
    this.continueButton = page.getByRole('button', { name: 'Continue' });
    this.signedOutStatus = page.getByRole('status').filter({ hasText: SIGNED_OUT });

    this.passwordHeading = page.getByRole('heading', { name: 'Enter your password' });
    // exact: the "Show password" toggle must not match.
    this.password = page.getByLabel('Password', { exact: true });
    this.signInButton = page.getByRole('button', { name: 'Sign in', exact: true });
    this.useDifferentEmail = page.getByRole('link', { name: 'Use a different email' });
    this.showPassword = page.getByRole('button', { name: 'Show password' });
    this.incorrectCredentialsAlert = page.getByRole('alert').filter({ hasText: INCORRECT_CREDENTIALS });
  }

  async goto() {
    return this.page.goto('/login');
  }

  async expectOnEmailStep() {
    await expect(this.page).toHaveURL(at('/login', '/api/login/email'));
    await expect(this.signInHeading).toBeVisible();
    await expect(this.email).toBeVisible();
  }

  /** Step 1: enter the email and continue to the password step. */
  async continueWith(email: string) {
    await this.email.fill(email);
    await this.continueButton.click();
    await this.expectOnPasswordStep(email);
  }

  async expectOnPasswordStep(email: string) {
    await expect(this.page).toHaveURL(at('/login/password', '/api/login/password'));
    await expect(this.passwordHeading).toBeVisible();
    await expect(this.page.getByText(email).filter({ visible: true }).first()).toBeVisible();
    await expect(this.password).toBeVisible();
  }

  /**
   * Step 2: submits the password and returns the HTTP status codes of the
   * document/POST responses that the submission caused (in order), once the
   * browser has navigated away from or re-rendered the form.
   */
  async submitPassword(password: string, settled: Locator): Promise<number[]> {
    const statuses: number[] = [];
    const onResponse = (response: import('@playwright/test').Response) => {
      const request = response.request();
      if (request.isNavigationRequest() || request.method() === 'POST') statuses.push(response.status());
    };
    this.page.on('response', onResponse);
    try {
      await this.password.fill(password);
      await this.signInButton.click();
      await expect(settled).toBeVisible();
    } finally {
      this.page.off('response', onResponse);
    }
    return statuses;
  }
}

/** Both sign-in steps from `/login`; `settled` tells where a right password should land. */
export async function signIn(page: Page, email: string, password: string, settled: Locator): Promise<number[]> {
  const login = new LoginPage(page);
  await login.goto();
  await login.expectOnEmailStep();
  await login.continueWith(email);
  return login.submitPassword(password, settled);
}
