import { expect, type Locator, type Page } from '@playwright/test';
import { at, enterCode } from './http';

/** `/account/security/verify`: "Confirm it is you" before a sensitive change. */
export class StepUpPage {
  readonly heading: Locator;
  readonly code: Locator;
  readonly verifyButton: Locator;
  readonly alert: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { name: 'Confirm it is you' });
    this.code = page.getByLabel('Code', { exact: true });
    this.verifyButton = page.getByRole('button', { name: 'Verify', exact: true });
    this.alert = page.locator('#code-error').filter({ visible: true });
  }

  async expectLoaded() {
    await expect(this.page).toHaveURL(at('/account/security/verify', '/api/mfa/verify'));
    await expect(this.heading).toBeVisible();
    await expect(this.code).toBeVisible();
  }

  /** Submits an authenticator or recovery code; returns the HTTP statuses once `settled` is visible. */
  async submit(code: string, settled: Locator): Promise<number[]> {
    return enterCode(this.page, this.code, code, this.verifyButton, settled);
  }
}

export const EMAIL_CODE_SUBJECT_PREFIX = 'Tessera: Your one-time code';

/** The same page for someone without an authenticator app: the code comes by email. */
export class EmailStepUpPage {
  readonly heading: Locator;
  readonly emailMeACode: Locator;
  readonly sendNewCode: Locator;
  readonly weakerNote: Locator;
  readonly code: Locator;
  readonly verifyButton: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { name: 'Confirm it is you' });
    this.emailMeACode = page.getByRole('button', { name: 'Email me a code' });
    this.sendNewCode = page.getByRole('button', { name: 'Send a new code' });
    this.weakerNote = page.getByText('Email codes are weaker than an app');
    this.code = page.getByLabel('Code from the email', { exact: true });
    this.verifyButton = page.getByRole('button', { name: 'Verify', exact: true });
  }

  async expectLoaded() {
    await expect(this.page).toHaveURL(at('/account/security/verify', '/api/mfa/email-code'));
    await expect(this.heading).toBeVisible();
    await expect(this.weakerNote).toBeVisible();
  }
}

/**
 * The six digits of a code mail, from its body ("Your Tessera code is: 123456"). The subject
 * never carries the code: phones show subjects on the lock screen.
 */
export function codeOf(mail: { subject: string; text: string }): string {
  expect(mail.subject, 'no code in the subject').not.toMatch(/\d{6}/);
  const m = /Your Tessera code is: (\d{6})/.exec(mail.text);
  if (!m) throw new Error(`no code in ${JSON.stringify(mail.text)}`);
  return m[1];
}
