/**
 * Settings -> Security policy -> Sign-in methods, end to end in every project
 * (SQLite and PostgreSQL, JavaScript on and off), against a real OpenID Connect
 * provider (end2end/idp):
 * - bob signs in with the provider before anyone is linked to it (its address is
 *   at methods.example): he proves his Tessera account with his password and
 *   code, and Account security offers to link it;
 * - the owner, from the security policy page, limits the provider to accounts
 *   from another domain: a mistyped domain is named first, and nothing saved;
 * - bob's provider sign-in is then refused, saying why and what to do;
 * - she limits it to methods.example: bob's provider sign-in goes on to his code;
 * - she turns the provider off: the sign-in page stops offering it.
 * The owner keeps her own browser throughout. (The file sorts after
 * auth-flow.spec.ts, whose first test must meet the setup form unused.)
 */
import type { BrowserContext, Page } from '@playwright/test';
import { ChallengePage } from '../pages/ChallengePage';
import { addUser, createOrganisation } from '../pages/Cli';
import { enrolFromSecurity } from '../pages/EnrolRequiredPage';
import { expect, test } from '../pages/fixtures';
import { HomePage } from '../pages/HomePage';
import { at, expectFitsPhone } from '../pages/http';
import { Idp } from '../pages/Idp';
import { LoginPage, signIn } from '../pages/LoginPage';
import { ensureOrganisation, ownerFor } from '../pages/Organisation';

const PASSWORD = 'granite heron ladder violet canal';

test('an owner limits a provider to her organisation\'s domain: an account from elsewhere is refused, hers signs in', async ({
  page,
  server,
  browser,
  baseURL,
}, testInfo) => {
  test.setTimeout(180_000);
  const project = testInfo.project.name;
  await ensureOrganisation(page, server, ownerFor(project));
  const org = `Methods Co ${project}`;
  const bob = `bob.${project}@methods.example`;
  const olga = `olga.${project}@methods.example`;
  createOrganisation(server, { name: org, ownerEmail: olga, ownerName: 'Olga', ownerPassword: PASSWORD });
  addUser(server, { organisationName: org, email: bob, role: 'member', password: PASSWORD, displayName: 'Bob' });
  const name = `Methods Idp ${project}`;
  const idp = await Idp.start(server, { name, organisationName: org, bobEmail: bob });
  let owner: BrowserContext | undefined;
  try {
    // Bob has MFA; signed out, he signs in with the provider first. Nobody is linked to his
    // account there, so he proves his Tessera account (password, then his code), and Account
    // security offers to link it.
    await signIn(page, bob, PASSWORD, new HomePage(page).welcomeHeading('Bob'));
    const { app, last: enrolled } = await enrolFromSecurity(page);
    await page.context().clearCookies();
    const login = new LoginPage(page);
    const withIdp = page.getByRole('link', { name: `Sign in with ${name}` });
    await login.goto();
    await withIdp.click();
    await idp.signIn(page, 'bob');
    await expect(page.getByText(`No Tessera account you may use is linked to that ${name} account yet.`)).toBeVisible();
    await login.continueWith(bob);
    const challenge = new ChallengePage(page);
    await login.submitPassword(PASSWORD, challenge.heading);
    let step = await app.codeAfter(enrolled.step);
    const offer = page.getByRole('region', { name: `Link your ${name} account?` });
    await challenge.submitAuthenticatorCode(step.code, offer);
    await expect(offer).toContainText(`You signed in with ${name} (${bob}), and no Tessera account is linked to it.`);
    await expectFitsPhone(page, [offer.getByRole('button', { name: `Link ${name}` })]);
    await offer.getByRole('button', { name: `Link ${name}` }).click();
    const providers = page.getByRole('region', { name: 'Sign-in providers' });
    await expect(page.getByText('Linked. From now on you can sign in with it from the sign-in page; your MFA still applies.')).toBeVisible();
    await expect(providers).toContainText(`${name}: linked (${bob})`);
    await expect(offer).toHaveCount(0);

    // Olga, the owner, in her own browser: enrolling gives her the fresh second factor.
    owner = await browser.newContext({ baseURL, javaScriptEnabled: testInfo.project.use.javaScriptEnabled });
    const olgaPage = await owner.newPage();
    await signIn(olgaPage, olga, PASSWORD, new HomePage(olgaPage).welcomeHeading('Olga'));
    await enrolFromSecurity(olgaPage);
    await olgaPage.goto('/settings/security');
    await olgaPage.getByRole('link', { name: 'Choose sign-in methods' }).click();
    await expect(olgaPage.getByRole('heading', { name: 'Sign-in methods', level: 1 })).toBeVisible();
    const method = olgaPage.getByRole('region', { name });
    await expect(method).toContainText(`On: people sign in with any ${name} account linked to theirs.`);
    const from = method.getByLabel('Only accounts from (optional)');
    const save = method.getByRole('button', { name: 'Save' });
    await expectFitsPhone(olgaPage, [from, save]);

    // A mistyped domain is named, with what to do; nothing is saved.
    await from.fill('elsewhere.example\nelsewhere');
    await save.click();
    await expect(method.getByText('Line 2: not a domain name. Write only the part after the @, like example.org.')).toBeVisible();
    await expect(method.getByLabel('Only accounts from (optional)')).toHaveValue('elsewhere.example\nelsewhere');
    await expect(method).toContainText(`On: people sign in with any ${name} account linked to theirs.`);
    await limitTo(olgaPage, name, 'elsewhere.example');
    await expect(olgaPage.getByText('Saved. On, for accounts from elsewhere.example only.')).toBeVisible();

    // Bob's provider account is at methods.example: refused, saying why.
    await page.context().clearCookies();
    await login.goto();
    await withIdp.click();
    await idp.signIn(page, 'bob');
    await expect(page).toHaveURL((url) => url.pathname === '/login');
    await expect(page.getByText(`Your organisation accepts only its own ${name} accounts, and that one is not one of them.`)).toBeVisible();

    // Limited to methods.example: he goes on to his code.
    await limitTo(olgaPage, name, 'methods.example');
    await expect(olgaPage.getByText('Saved. On, for accounts from methods.example only.')).toBeVisible();
    await page.context().clearCookies();
    await login.goto();
    await withIdp.click();
    await idp.signIn(page, 'bob');
    await expect(challenge.heading).toBeVisible();
    step = await app.codeAfter(step.step);
    await challenge.submitAuthenticatorCode(step.code, new HomePage(page).welcomeHeading('Bob'));

    // Off: the sign-in page no longer offers it (no other organisation allows it).
    await olgaPage.getByRole('region', { name }).getByLabel(`Let people sign in with ${name}`).uncheck();
    await olgaPage.getByRole('region', { name }).getByRole('button', { name: 'Save' }).click();
    await expect(olgaPage.getByText(`Saved. Off: nobody signs in with ${name}.`)).toBeVisible();
    await page.context().clearCookies();
    await login.goto();
    await expect(login.signInHeading).toBeVisible();
    await expect(withIdp).toHaveCount(0);
  } finally {
    await owner?.close();
    idp.stop();
  }
});

/** Saves the provider `name` as on, with accounts from `domain` only. */
async function limitTo(page: Page, name: string, domain: string) {
  const method = page.getByRole('region', { name });
  await method.getByLabel(`Let people sign in with ${name}`).check();
  await method.getByLabel('Only accounts from (optional)').fill(domain);
  await method.getByRole('button', { name: 'Save' }).click();
}

test('verified addresses link themselves or make new members where the owner says, the unverified twin never; then the owner requires the provider', async ({
  page,
  server,
}, testInfo) => {
  test.setTimeout(180_000);
  const project = testInfo.project.name;
  await ensureOrganisation(page, server, ownerFor(project));
  const org = `Trust Co ${project}`;
  const bob = `bob.${project}@trust.example`;
  const olga = `olga.${project}@trust.example`;
  createOrganisation(server, { name: org, ownerEmail: olga, ownerName: 'Olga', ownerPassword: PASSWORD });
  addUser(server, { organisationName: org, email: bob, role: 'member', password: PASSWORD, displayName: 'Bob' });
  const name = `Trust Idp ${project}`;
  const idp = await Idp.start(server, { name, organisationName: org, bobEmail: bob });
  try {
    // Olga trusts the provider's verified addresses at trust.example (her enrolment just gave
    // her the fresh second factor this needs).
    await signIn(page, olga, PASSWORD, new HomePage(page).welcomeHeading('Olga'));
    const { app: olgasApp, last: olgaEnrolled } = await enrolFromSecurity(page);
    await page.goto('/settings/security/sign-in');
    const method = page.getByRole('region', { name });
    await method.getByLabel('Link accounts by their verified address at (optional)').fill('trust.example');
    // And new people from the provider's own domain (its accounts there are verified) join.
    await method.getByLabel('Create accounts for new people from (optional)').fill('idp.example');
    await method.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByText('Verified addresses at trust.example link themselves.').first()).toBeVisible();
    await expect(page.getByText('New people from idp.example become members.').first()).toBeVisible();

    // The provider's other account with bob's address, unverified, links to nobody.
    await page.context().clearCookies();
    const login = new LoginPage(page);
    const withIdp = page.getByRole('link', { name: `Sign in with ${name}` });
    await login.goto();
    await withIdp.click();
    await idp.signIn(page, 'twin');
    await expect(page.getByText(`No Tessera account you may use is linked to that ${name} account yet.`)).toBeVisible();

    // Bob's, verified, links itself to his account: he is signed in, and it is listed.
    await page.context().clearCookies();
    await login.goto();
    await withIdp.click();
    await idp.signIn(page, 'bob');
    await expect(new HomePage(page).welcomeHeading('Bob')).toBeVisible();
    await page.goto('/account/security');
    await expect(page.getByRole('region', { name: 'Sign-in providers' })).toContainText(`${name}: linked (${bob})`);

    // Nia has no account; her provider account's address is verified at idp.example: she
    // becomes a member at her first sign-in. (Logins are addresses at idp.example whatever
    // the test: this one is used by no other.)
    await page.context().clearCookies();
    await login.goto();
    await withIdp.click();
    await idp.signIn(page, 'nia');
    await expect(new HomePage(page).welcomeHeading('nia')).toBeVisible();
    await page.goto('/account/security');
    await expect(page.getByText(`Signed in as nia (nia@idp.example)`)).toBeVisible();

    // Olga requires sign-in with a provider (her code at sign-in is the fresh second factor).
    await page.context().clearCookies();
    const challenge = new ChallengePage(page);
    await signIn(page, olga, PASSWORD, challenge.heading);
    const code = await olgasApp.codeAfter(olgaEnrolled.step);
    await challenge.submitAuthenticatorCode(code.code, new HomePage(page).welcomeHeading('Olga'));
    await page.goto('/settings/security/sign-in');
    await page.getByLabel('Require sign-in with a provider for everyone but the owners').check();
    await page.getByRole('button', { name: 'Save requirement' }).click();
    await expect(page.getByText('Saved. Everyone but the owners must now sign in with a provider.')).toBeVisible();

    // Bob's password alone no longer signs him in, and he is told what to do instead.
    await page.context().clearCookies();
    await login.goto();
    await login.continueWith(bob);
    const instead = page.getByText('Your organisation requires signing in with a provider');
    await login.submitPassword(PASSWORD, instead);
    await expect(page).toHaveURL(at('/login/password', '/api/login/password'));
    // The provider still does, and his link stays.
    await login.goto();
    await withIdp.click();
    await idp.signIn(page, 'bob');
    await expect(new HomePage(page).welcomeHeading('Bob')).toBeVisible();
    await page.goto('/account/security');
    const providers = page.getByRole('region', { name: 'Sign-in providers' });
    await expect(providers).toContainText('Your organisation requires signing in with a provider, so links stay.');
    await expect(providers.getByRole('button', { name: `Unlink ${name}` })).toHaveCount(0);
  } finally {
    idp.stop();
  }
});
