import { expect, type Locator, type Page } from '@playwright/test';

export const FIRST_CODES_STATUS = 'MFA is on.';
export const NEW_CODES_STATUS = 'New recovery codes are ready. The old ones no longer work.';
const CODE_RE = /^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$/;

/** "Save your recovery codes": shown once, after enrolment or regeneration. */
export class RecoveryCodesPage {
  readonly heading: Locator;
  readonly list: Locator;
  readonly codes: Locator;
  readonly downloadLink: Locator;
  readonly savedCheckbox: Locator;
  readonly doneButton: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { name: 'Save your recovery codes' });
    this.list = page.getByRole('list', { name: 'Recovery codes' });
    this.codes = this.list.getByRole('listitem');
    this.downloadLink = page.getByRole('link', { name: 'Download as a text file' });
    this.savedCheckbox = page.getByLabel('I have saved these codes');
    this.doneButton = page.getByRole('button', { name: 'Done' });
  }

  status(text: string): Locator {
    return this.page.getByRole('status').filter({ hasText: text });
  }

  async expectLoaded(statusText: string) {
    await expect(this.heading).toBeVisible();
    await expect(this.status(statusText)).toBeVisible();
    await expect(this.codes).toHaveCount(10);
  }

  /** The ten codes as shown, each like ABCD-EFGH-JKMN-PQRS, all different. */
  async readCodes(): Promise<string[]> {
    await expect(this.codes).toHaveCount(10);
    const codes = (await this.codes.allTextContents()).map((c) => c.trim());
    for (const code of codes) expect(code, 'a recovery code').toMatch(CODE_RE);
    expect(new Set(codes).size, 'the ten recovery codes are all different').toBe(10);
    return codes;
  }

  /** The href of "Download as a text file" (an <a download> with a data: URL of plain text). */
  async downloadHref(): Promise<string> {
    await expect(this.downloadLink).toHaveAttribute('download', /\S/);
    const href = (await this.downloadLink.getAttribute('href')) ?? '';
    expect(href, 'the download link is a data: URL of plain text').toMatch(/^data:text\/plain[;,]/);
    return href;
  }

  /** The text of that file. */
  async downloadText(): Promise<string> {
    const href = await this.downloadHref();
    return decodeURIComponent(href.slice(href.indexOf(',') + 1));
  }

  /** Ticks "I have saved these codes" and presses Done. */
  async finish() {
    await this.savedCheckbox.check();
    await this.doneButton.click();
  }
}
