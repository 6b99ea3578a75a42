import { expect, type Locator, type Page } from '@playwright/test';

export interface Member {
  displayName: string;
  email: string;
  organisationName: string;
  role: string;
}

/** `/`: the signed-in home page. */
export class HomePage {
  readonly signOutButton: Locator;
  readonly securityLink: Locator;
  /** The reminder (role=status) shown while a grace period of the Required policy runs. */
  readonly mfaReminder: Locator;
  /** The reminder's link to account security. */
  readonly setItUpNowLink: Locator;

  constructor(readonly page: Page) {
    this.signOutButton = page.getByRole('button', { name: 'Sign out' });
    this.securityLink = page.getByRole('link', { name: 'Account security and MFA' });
    this.mfaReminder = page.getByRole('status').filter({ hasText: 'Your organisation requires MFA.' });
    this.setItUpNowLink = this.mfaReminder.getByRole('link', { name: 'Set it up now' });
  }

  async goto() {
    return this.page.goto('/');
  }

  welcomeHeading(displayName: string): Locator {
    return this.page.getByRole('heading', { name: `Welcome, ${displayName}` });
  }

  /** Visible text on the page (first visible match). */
  text(value: string | RegExp): Locator {
    return this.page.getByText(value).filter({ visible: true }).first();
  }

  /** Asserts that `/` shows the signed-in member. */
  async expectSignedInAs(member: Member) {
    await expect(this.page).toHaveURL((url) => url.pathname === '/');
    await expect(this.welcomeHeading(member.displayName)).toBeVisible();
    await expect(this.text(member.email)).toBeVisible();
    await expect(this.text(member.organisationName)).toBeVisible();
    await expect(this.text(new RegExp(`\\b${member.role}\\b`))).toBeVisible();
    await expect(this.signOutButton).toBeVisible();
  }

  async signOut() {
    await this.signOutButton.click();
  }
}
