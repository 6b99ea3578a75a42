import type { Locator, Page } from '@playwright/test';

export interface SetupDetails {
  organisationName: string;
  organisationType: 'Standard' | 'Healthcare';
  displayName: string;
  email: string;
  password: string;
}

/** The first-run page `/setup?token=…` that creates the organisation and its owner. */
export class SetupPage {
  readonly heading: Locator;
  readonly organisationName: Locator;
  readonly organisationType: Locator;
  readonly displayName: Locator;
  readonly email: Locator;
  readonly password: Locator;
  readonly createButton: Locator;
  readonly alert: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { name: 'Set up Tessera' });
    this.organisationName = page.getByLabel('Organisation name', { exact: true });
    this.organisationType = page.getByLabel('Organisation type', { exact: true });
    this.displayName = page.getByLabel('Your name', { exact: true });
    this.email = page.getByLabel('Email', { exact: true });
    this.password = page.getByLabel('Password', { exact: true });
    this.createButton = page.getByRole('button', { name: 'Create organisation' });
    this.alert = page.getByRole('alert').filter({ visible: true });
  }

  /** Opens the setup link (absolute, as printed by the server). */
  async goto(setupLink: string) {
    return this.page.goto(setupLink);
  }

  /** True when the page shows the setup form (the link is still valid). */
  async hasForm(): Promise<boolean> {
    return (await this.createButton.count()) > 0;
  }

  async fill(details: SetupDetails) {
    await this.organisationName.fill(details.organisationName);
    await this.organisationType.selectOption({ label: details.organisationType });
    await this.displayName.fill(details.displayName);
    await this.email.fill(details.email);
    await this.password.fill(details.password);
  }

  async submit() {
    await this.createButton.click();
  }
}
