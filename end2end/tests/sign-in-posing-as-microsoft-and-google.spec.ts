/**
 * Signing in with a provider posing as Microsoft (Entra ID, several tenants) and as Google,
 * end to end in every project, against the real `oidc-provider` package
 * (end2end/idp with TENANT): its metadata names the issuer as the template
 * /{tenantid}/v2.0, its tokens carry the tenant's own issuer, `tid` and `oid`.
 * - bob links his work account from Account security, then signs in with it,
 *   then his code;
 * - an account of another tenant (its `tid` not the issuer's, nor allowed) is
 *   refused and opens nothing;
 * and (end2end/idp with HD) as Google, whose Workspace accounts carry `hd`:
 * - an owner accepts accounts of her Workspace domain only, and makes members
 *   of its new people: a personal account is not made one; a Workspace one is.
 * (The file sorts after auth-flow.spec.ts, whose first test must meet the setup
 * form unused.)
 */
import { ChallengePage } from '../pages/ChallengePage';
import { addUser, createOrganisation } from '../pages/Cli';
import { enrolFromSecurity } from '../pages/EnrolRequiredPage';
import { expect, test } from '../pages/fixtures';
import { HomePage } from '../pages/HomePage';
import { Idp } from '../pages/Idp';
import { LoginPage, signIn } from '../pages/LoginPage';
import { ensureOrganisation, ownerFor } from '../pages/Organisation';
import { SecurityPage } from '../pages/SecurityPage';

const PASSWORD = 'copper wren ledger atlas fjord';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

test('posing as Microsoft: a work account of the allowed tenant links and signs in, another tenant\'s is refused', async ({
  page,
  server,
}, testInfo) => {
  test.setTimeout(180_000);
  const project = testInfo.project.name;
  await ensureOrganisation(page, server, ownerFor(project));
  const org = `Entra Co ${project}`;
  const bob = `bob.${project}@entra.example`;
  createOrganisation(server, { name: org, ownerEmail: `olga.${project}@entra.example`, ownerName: 'Olga', ownerPassword: PASSWORD });
  addUser(server, { organisationName: org, email: bob, role: 'member', password: PASSWORD, displayName: 'Bob' });
  const name = `Entra ${project}`;
  const idp = await Idp.start(server, { name, organisationName: org, bobEmail: bob, tenant: TENANT });
  try {
    await signIn(page, bob, PASSWORD, new HomePage(page).welcomeHeading('Bob'));
    const { app, last: enrolled } = await enrolFromSecurity(page);
    await new SecurityPage(page).goto();
    const providers = page.getByRole('region', { name: 'Sign-in providers' });
    await providers.getByRole('link', { name: `Link your ${name} account` }).click();
    await idp.signIn(page, 'bob');
    await expect(page.getByText('Linked. From now on you can sign in with it')).toBeVisible();
    await expect(providers).toContainText(`${name}: linked (${bob})`);

    // Signed out, he signs in with it, then his code.
    await page.context().clearCookies();
    const login = new LoginPage(page);
    const withEntra = page.getByRole('link', { name: `Sign in with ${name}` });
    await login.goto();
    await withEntra.click();
    await idp.signIn(page, 'bob');
    const challenge = new ChallengePage(page);
    await expect(challenge.heading).toBeVisible();
    const next = await app.codeAfter(enrolled.step);
    await challenge.submitAuthenticatorCode(next.code, new HomePage(page).welcomeHeading('Bob'));

    // An account of another tenant: refused, and nothing opens.
    await page.context().clearCookies();
    await login.goto();
    await withEntra.click();
    await idp.signIn(page, 'stranger');
    await expect(page).toHaveURL((url) => url.pathname === '/login');
    await expect(page.getByText(`${name} could not confirm who you are just now.`)).toBeVisible();
    await page.goto('/');
    await expect(page).toHaveURL((url) => url.pathname === '/login');
  } finally {
    idp.stop();
  }
});

test('posing as Google: an owner accepts only her Workspace domain (hd); its new people become members, a personal account is refused', async ({
  page,
  server,
}, testInfo) => {
  test.setTimeout(180_000);
  const project = testInfo.project.name;
  await ensureOrganisation(page, server, ownerFor(project));
  const org = `Workspace Co ${project}`;
  const olga = `olga.${project}@workspace.example`;
  createOrganisation(server, { name: org, ownerEmail: olga, ownerName: 'Olga', ownerPassword: PASSWORD });
  const name = `Workspace ${project}`;
  const idp = await Idp.start(server, { name, organisationName: org, bobEmail: `bob.${project}@workspace.example`, hd: 'idp.example' });
  try {
    // Olga accepts accounts of the Workspace domain idp.example only, and lets its new people in.
    await signIn(page, olga, PASSWORD, new HomePage(page).welcomeHeading('Olga'));
    await enrolFromSecurity(page);
    await page.goto('/settings/security/sign-in');
    const method = page.getByRole('region', { name });
    await method.getByLabel('Only accounts from (optional)').fill('idp.example');
    await method.getByLabel('Create accounts for new people from (optional)').fill('idp.example');
    await method.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByText('Saved. On, for accounts from idp.example only.')).toBeVisible();

    // A personal account (no hd), even with a verified address at idp.example: not made a
    // member, and it opens nothing.
    await page.context().clearCookies();
    const login = new LoginPage(page);
    const withGoogle = page.getByRole('link', { name: `Sign in with ${name}` });
    await login.goto();
    await withGoogle.click();
    await idp.signIn(page, 'personal');
    await expect(page.getByText(`No Tessera account you may use is linked to that ${name} account yet.`)).toBeVisible();
    await page.goto('/');
    await expect(page).toHaveURL((url) => url.pathname === '/login');

    // Gwen's Workspace account: she becomes a member at her first sign-in. (Logins are
    // addresses at idp.example whatever the test: this one is used by no other.)
    await page.context().clearCookies();
    await login.goto();
    await withGoogle.click();
    await idp.signIn(page, 'gwen');
    await expect(new HomePage(page).welcomeHeading('gwen')).toBeVisible();
  } finally {
    idp.stop();
  }
});
