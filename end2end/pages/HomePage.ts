import { expect, type Locator, type Page } from '@playwright/test';
import { AppFrame } from './AppFrame';

export interface Member {
  displayName: string;
  email: string;
  organisationName: string;
  role: string;
}

/** `/`: the signed-in home page. */
export class HomePage {
  readonly frame: AppFrame;
  /** The reminder (role=status) shown while a grace period of the Required policy runs. */
  readonly mfaReminder: Locator;
  /** The reminder's link to account security. */
  readonly setItUpNowLink: Locator;

  constructor(readonly page: Page) {
    this.frame = new AppFrame(page);
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
    // Who is signed in, where and as what: in the person's menu of the frame.
    await this.frame.openPersonMenu();
    for (const text of [member.email, `${member.role} · ${member.organisationName}`]) {
      await expect(this.frame.personMenu.getByText(text, { exact: true })).toBeVisible();
    }
    await this.frame.closePersonMenu();
  }

  /** Account security, from the person's menu. */
  async openSecurity() {
    await this.frame.accountSecurity();
  }

  async signOut() {
    await this.frame.signOut();
  }
}
