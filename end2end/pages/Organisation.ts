/**
 * The organisation each project's server is set up with, and the way to make
 * sure it exists whatever ran before.
 *
 * Every spec uses these details: whichever meets the setup form first creates
 * the organisation, and the others sign in with the same owner.
 */
import type { Page } from '@playwright/test';
import type { ServerEntry } from './fixtures';
import { HomePage, type Member } from './HomePage';
import { SetupPage, type SetupDetails } from './SetupPage';

/** A passphrase of five uncommon words: strong by any reasonable policy. */
export const OWNER_PASSWORD = 'velvet quartz harbour mosaic tundra';

/** The organisation and owner of `project`'s server (each project has its own addresses). */
export function ownerFor(project: string): SetupDetails {
  return {
    organisationName: `Analytical Engines ${project}`,
    organisationType: 'Standard',
    displayName: 'Ada Lovelace',
    email: `ada.${project}@example.com`,
    password: OWNER_PASSWORD,
  };
}

/** What the home page shows for the owner. */
export function memberOf(owner: SetupDetails): Member {
  return {
    displayName: owner.displayName,
    email: owner.email,
    organisationName: owner.organisationName,
    role: 'Owner',
  };
}

/**
 * Creates the organisation through the setup link if the link still offers
 * the setup form (nothing has used it yet), then drops the cookies so that
 * the caller starts signed out either way.
 */
export async function ensureOrganisation(page: Page, server: ServerEntry, owner: SetupDetails): Promise<void> {
  const setup = new SetupPage(page);
  await setup.goto(server.setupLink);
  if (await setup.hasForm()) {
    await setup.fill(owner);
    await setup.submit();
    await new HomePage(page).expectSignedInAs(memberOf(owner));
  }
  await page.context().clearCookies();
}
