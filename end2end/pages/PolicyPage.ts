import { expect, type Locator, type Page } from '@playwright/test';
import { at } from './http';

export const POLICY_SAVED = 'The security policy is saved.';

/** The policy choices, by the label of their radio button. */
export type MfaPolicyLabel = 'Hidden' | 'Visible' | 'Required (recommended)';

/** `/settings/security`: the organisation's MFA policy (owners only). */
export class PolicyPage {
  readonly heading: Locator;
  /** The fieldset "MFA" holding the three radios. */
  readonly policyGroup: Locator;
  readonly graceDays: Locator;
  readonly saveButton: Locator;
  readonly savedStatus: Locator;
  readonly alert: Locator;
  /** "Current grace period ends …", shown while one runs. */
  readonly graceUntil: Locator;
  /** "Require MFA for everyone?": what turning Required on asks first. */
  readonly requireHeading: Locator;
  readonly requireImpact: Locator;
  readonly requireButton: Locator;
  /** "Change the grace period?": under Required, what moving everyone's deadline asks first. */
  readonly graceHeading: Locator;
  readonly graceButton: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { name: 'Security policy', exact: true });
    this.policyGroup = page.getByRole('group', { name: 'MFA' });
    this.graceDays = page.getByLabel('Grace period in days (optional, for Required)', { exact: true });
    this.saveButton = page.getByRole('button', { name: 'Save policy' });
    this.savedStatus = page.getByRole('status').filter({ hasText: POLICY_SAVED });
    this.alert = page.getByRole('alert').filter({ visible: true });
    this.graceUntil = page.getByText(/^Current grace period ends /);
    this.requireHeading = page.getByRole('heading', { name: 'Require MFA for everyone?' });
    this.requireImpact = page.locator('#require-impact');
    this.requireButton = page.getByRole('button', { name: 'Require MFA', exact: true });
    this.graceHeading = page.getByRole('heading', { name: 'Change the grace period?' });
    this.graceButton = page.getByRole('button', { name: 'Save grace period', exact: true });
  }

  radio(label: MfaPolicyLabel): Locator {
    return this.policyGroup.getByRole('radio', { name: label, exact: true });
  }

  async goto() {
    return this.page.goto('/settings/security');
  }

  async expectLoaded() {
    await expect(this.page).toHaveURL(at('/settings/security', '/api/policy/mfa'));
    await expect(this.heading).toBeVisible();
    for (const label of ['Hidden', 'Visible', 'Required (recommended)'] as const) {
      await expect(this.radio(label)).toBeVisible();
    }
    await expect(this.graceDays).toBeVisible();
    await expect(this.saveButton).toBeVisible();
  }

  /** Asserts that `label` is the policy in force (the checked radio). */
  async expectPolicy(label: MfaPolicyLabel) {
    await expect(this.radio(label)).toBeChecked();
  }

  /** Picks a policy and fills the grace period (empty when `graceDays` is undefined). */
  async choose(label: MfaPolicyLabel, graceDays?: number) {
    await this.radio(label).check();
    await this.graceDays.fill(graceDays === undefined ? '' : String(graceDays));
  }
}
