import { expect, type Locator, type Page } from '@playwright/test';
import { javaScriptOn, submitAndSettle } from './http';

export const RESET_DONE = 'MFA was reset. They were signed out everywhere and told by email.';
/** The Reset MFA confirmation's choices for "How did you verify who is asking?". */
export const VERIFIED_BY_CALL_BACK = 'I called them back on a number already on record';
export const VERIFIED_BY_EMAIL_ONLY = 'Only by email (not enough on its own)';
export const EMAIL_ONLY_REFUSED = 'An email alone does not prove who is asking';
export const OWNER_PROTECTED = "Only an owner can reset an owner's MFA.";
/** The team list's MFA filter. */
export type MfaStatusLabel = 'Authenticator app' | 'Not set up' | 'Required, no authenticator app';
/** One person's MFA, as every page names it. */
export const MFA_APP = 'Authenticator app';
export const MFA_NOT_SET_UP = 'Not set up';
export const MFA_LOCKED = 'Required, locked until set up';

/** `/settings/team`: the member list with its search and filters. */
export class TeamPage {
  readonly heading: Locator;
  readonly search: Locator;
  readonly role: Locator;
  readonly mfaStatus: Locator;
  readonly filterButton: Locator;
  readonly table: Locator;
  readonly count: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { name: 'Team', exact: true, level: 1 });
    this.search = page.getByLabel('Search name or email');
    this.role = page.getByLabel('Role', { exact: true });
    this.mfaStatus = page.getByLabel('MFA status');
    this.filterButton = page.getByRole('button', { name: 'Filter' });
    this.table = page.getByRole('table', { name: 'Members of your organisation' });
    this.count = page.locator('#member-count');
  }

  async goto(query = '') {
    return this.page.goto(`/settings/team${query}`);
  }

  async expectLoaded() {
    await expect(this.page).toHaveURL((url) => url.pathname === '/settings/team');
    await expect(this.heading).toBeVisible();
    await expect(this.table).toBeVisible();
  }

  /** The row of the member with this email. */
  row(email: string): Locator {
    return this.table.getByRole('row').filter({ hasText: email });
  }

  /**
   * Filters by MFA status (and optionally a search) with the GET form: with JavaScript a new
   * choice applies at once; without, "Filter" sends it.
   */
  async filter(options: { search?: string; mfa?: MfaStatusLabel | 'Any status' }) {
    await submitAndSettle(
      this.page,
      async () => {
        if (options.search !== undefined) await this.search.fill(options.search);
        if (options.mfa !== undefined) await this.mfaStatus.selectOption({ label: options.mfa });
        if (options.mfa === undefined || !javaScriptOn()) await this.filterButton.click();
      },
      this.table,
    );
  }

  /** The member's id, read from the link to their page. */
  async memberId(email: string): Promise<number> {
    const href = (await this.row(email).getByRole('link').first().getAttribute('href')) ?? '';
    const match = /^\/settings\/team\/(\d+)$/.exec(href);
    expect(match, `the link to ${email}'s page`).not.toBeNull();
    return Number((match as RegExpExecArray)[1]);
  }
}

/** `/settings/team/{id}`: a member's page, with Security settings for `manage-mfa`. */
export class MemberPage {
  readonly securitySettings: Locator;
  readonly mfaStatus: Locator;
  readonly resetButton: Locator;
  readonly ownerProtected: Locator;
  /** Where a reset's hold for a temporary access code stands. */
  readonly accessHold: Locator;
  readonly issueAccessCode: Locator;

  constructor(readonly page: Page) {
    this.securitySettings = page.getByRole('region', { name: 'Security settings' });
    this.mfaStatus = page.locator('#member-mfa');
    this.resetButton = page.getByRole('link', { name: 'Reset MFA' });
    this.accessHold = page.locator('#access-hold');
    this.issueAccessCode = page.getByRole('button', { name: 'Issue a new access code' });
    this.ownerProtected = page.getByText(OWNER_PROTECTED);
  }

  async goto(id: number) {
    return this.page.goto(`/settings/team/${id}`);
  }

  heading(name: string): Locator {
    return this.page.getByRole('heading', { name, exact: true, level: 1 });
  }

  notice(text: string): Locator {
    return this.page.getByRole('status').filter({ hasText: text });
  }
}

/**
 * The "Reset MFA for NAME?" confirmation: a modal dialog on the member's page with JavaScript,
 * a page of its own without.
 */
export class ResetMfaDialog {
  readonly dialog: Locator;
  readonly reason: Locator;
  readonly question: Locator;
  readonly code: Locator;
  readonly confirmButton: Locator;
  readonly cancelLink: Locator;

  constructor(readonly page: Page) {
    this.dialog = page.getByRole('dialog').or(page.getByRole('alertdialog'));
    this.reason = this.dialog.getByLabel('Reason or ticket number (optional)');
    this.question = this.dialog.getByRole('group', { name: 'How did you verify who is asking?' });
    this.code = this.dialog.getByLabel('Your authentication code');
    this.confirmButton = this.dialog.getByRole('button', { name: 'Yes, reset MFA' });
    this.cancelLink = this.dialog.getByRole('link', { name: 'Cancel' }).or(this.dialog.getByRole('button', { name: 'Cancel' }));
  }

  async expectFor(name: string, email: string) {
    await expect(this.dialog).toBeVisible();
    await expect(this.dialog.getByRole('heading', { name: `Reset MFA for ${name}?` })).toBeVisible();
    await expect(this.dialog).toContainText(`${name} (${email}) will lose MFA at once`);
    await expect(this.dialog).toContainText('they are signed out everywhere');
    await expect(this.question).toBeVisible();
  }

  /** One answer to "How did you verify who is asking?". */
  verifiedBy(label: string): Locator {
    return this.question.getByRole('radio', { name: label });
  }
}

/** `/settings/team/{id}/access-code`: a temporary access code, shown once to whoever issued it. */
export class AccessCodePage {
  readonly code: Locator;
  readonly shownAlready: Locator;

  constructor(readonly page: Page) {
    this.code = page.locator('#access-code');
    this.shownAlready = page.getByText('This code was shown already, and is never shown twice.');
  }

  heading(name: string): Locator {
    return this.page.getByRole('heading', { name: `Temporary access code for ${name}`, level: 1 });
  }

  /** The code as shown, checked for its form (three groups of four). */
  async read(): Promise<string> {
    const code = ((await this.code.textContent()) ?? '').trim();
    expect(code, 'a temporary access code').toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    return code;
  }
}
