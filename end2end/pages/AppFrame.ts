import { expect, type Locator, type Page } from '@playwright/test';

/** The labels of the frame's navigation, in order, for each kind of person. */
export const NAV_FOR = {
  owner: ['Home', 'Team', 'Roles & permissions', 'Security policy', 'Email templates', 'Applications', 'Activity log'],
  admin: ['Home', 'Team', 'Applications', 'Activity log'],
  helpDesk: ['Home', 'Team'],
  member: ['Home'],
} as const;

/**
 * The frame around every signed-in page: the main navigation (a "Menu" of
 * its own below tablet width) and the person's menu (account security, sign
 * out). Both menus are <details>, so they work without JavaScript too.
 */
export class AppFrame {
  readonly personMenu: Locator;
  readonly personSummary: Locator;
  readonly phoneMenu: Locator;
  readonly signOutButton: Locator;

  constructor(readonly page: Page) {
    this.personMenu = page.locator('details[data-menu="person"]');
    this.personSummary = this.personMenu.locator('summary');
    this.phoneMenu = page.locator('details[data-menu="navigation"]');
    this.signOutButton = this.personMenu.getByRole('button', { name: 'Sign out' });
  }

  /** The visible main navigation, opening the phone menu first when that is where it is. */
  async navigation(): Promise<Locator> {
    if (await this.phoneMenu.isVisible()) {
      if ((await this.phoneMenu.getAttribute('open')) === null) {
        await this.phoneMenu.locator('summary').click();
      }
    }
    const nav = this.page.getByRole('navigation', { name: 'Main' });
    await expect(nav).toBeVisible();
    return nav;
  }

  /** Asserts the navigation offers exactly `labels`, in order, with `current` marked. */
  async expectNavigation(labels: readonly string[], current?: string) {
    const nav = await this.navigation();
    await expect(nav.getByRole('link')).toHaveText([...labels]);
    if (current) {
      await expect(nav.getByRole('link', { name: current, exact: true })).toHaveAttribute('aria-current', 'page');
    }
  }

  async goTo(label: string) {
    const nav = await this.navigation();
    await nav.getByRole('link', { name: label, exact: true }).click();
  }

  async openPersonMenu() {
    if ((await this.personMenu.getAttribute('open')) === null) {
      await this.personSummary.click();
    }
    await expect(this.signOutButton).toBeVisible();
  }

  async closePersonMenu() {
    if ((await this.personMenu.getAttribute('open')) !== null) {
      await this.personSummary.click();
    }
  }

  async accountSecurity() {
    await this.openPersonMenu();
    await this.personMenu.getByRole('link', { name: 'Account security' }).click();
  }

  async signOut() {
    await this.openPersonMenu();
    await this.signOutButton.click();
  }
}
