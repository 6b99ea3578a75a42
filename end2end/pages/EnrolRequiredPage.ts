import { expect, type Locator, type Page } from '@playwright/test';

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
