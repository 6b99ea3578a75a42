/**
 * Signing in with a provider, end to end, in every project (SQLite and
 * PostgreSQL, JavaScript on and off), against a real OpenID Connect provider
 * (the npm `oidc-provider` package, end2end/idp) configured and allowed through
 * the operator CLI:
 * - bob links his account at the provider from Account security (after the
 *   fresh second factor his enrolment just gave);
 * - he signs in with the provider, and Tessera still asks for the code from
 *   his authenticator app;
 * - the provider's other account with bob's address, unverified, is not
 *   linked, and signs nobody in;
 * - the callback of a finished sign-in, replayed, opens nothing, nor one with a
 *   state Tessera never gave;
 * - bob unlinks it, and it no longer signs him in.
 * Each project uses an organisation of its own. (The file sorts after
 * auth-flow.spec.ts, whose first test must meet the setup form unused.)
 */
import { ChallengePage } from '../pages/ChallengePage';
import { addUser, createOrganisation } from '../pages/Cli';
import { enrolFromSecurity } from '../pages/EnrolRequiredPage';
import { expect, test } from '../pages/fixtures';
import { HomePage } from '../pages/HomePage';
import { expectFitsPhone } from '../pages/http';
import { Idp } from '../pages/Idp';
import { LoginPage, signIn } from '../pages/LoginPage';
import { ensureOrganisation, ownerFor } from '../pages/Organisation';
import { SecurityPage } from '../pages/SecurityPage';

const PASSWORD = 'marble lantern cobalt ferry orbit';

test('a member links a provider, signs in with it and then his code; an unlinked twin and a replayed callback open nothing', async ({
  page,
  server,
}, testInfo) => {
  test.setTimeout(180_000);
  const project = testInfo.project.name;
  await ensureOrganisation(page, server, ownerFor(project));
  const org = `Providers Co ${project}`;
  const email = `bob.${project}@providers.example`;
  createOrganisation(server, { name: org, ownerEmail: `olga.${project}@providers.example`, ownerName: 'Olga', ownerPassword: PASSWORD });
  addUser(server, { organisationName: org, email, role: 'member', password: PASSWORD, displayName: 'Bob' });
  const name = `Idp ${project}`;
  const idp = await Idp.start(server, { name, organisationName: org, bobEmail: email });
  try {
    // Bob signs in with his password and sets up MFA.
    await signIn(page, email, PASSWORD, new HomePage(page).welcomeHeading('Bob'));
    const { app, last: enrolled } = await enrolFromSecurity(page);
    const security = new SecurityPage(page);

    // Account security offers the provider his organisation allows; he links it.
    await security.goto();
    const providers = page.getByRole('region', { name: 'Sign-in providers' });
    await expect(providers).toContainText(`${name}: not linked`);
    await providers.getByRole('link', { name: `Link your ${name} account` }).click();
    await idp.signIn(page, 'bob');
    await expect(page.getByText('Linked. From now on you can sign in with it from the sign-in page; your MFA still applies.')).toBeVisible();
    await expect(providers).toContainText(`${name}: linked (${email})`);
    const unlink = providers.getByRole('button', { name: `Unlink ${name}` });
    await expectFitsPhone(page, [providers, unlink]);

    // Signed out, he signs in with the provider: then Tessera asks for his code.
    await page.context().clearCookies();
    const login = new LoginPage(page);
    await login.goto();
    const withIdp = page.getByRole('link', { name: `Sign in with ${name}` });
    await expectFitsPhone(page, [withIdp]);
    let callback = '';
    page.on('request', (r) => {
      if (r.url().includes('/sso/callback')) callback = r.url();
    });
    await withIdp.click();
    await idp.signIn(page, 'bob');
    const challenge = new ChallengePage(page);
    await expect(challenge.heading).toBeVisible();
    const next = await app.codeAfter(enrolled.step);
    await challenge.submitAuthenticatorCode(next.code, new HomePage(page).welcomeHeading('Bob'));

    // The same callback again, in a browser of its own: nothing opens.
    expect(callback).toContain('state=');
    await page.context().clearCookies();
    await page.goto(callback);
    await expect(page).toHaveURL((url) => url.pathname === '/login');
    await expect(page.getByText('had expired or was already used. Start again.')).toBeVisible();
    // A callback with a state Tessera never gave: the same, and nothing opens.
    await page.goto(`/sso/callback?code=forged&state=${'A'.repeat(43)}`);
    await expect(page).toHaveURL((url) => url.pathname === '/login');
    await expect(page.getByText('had expired or was already used. Start again.')).toBeVisible();

    // The provider's account with bob's address, unverified, is nobody's.
    await login.goto();
    await withIdp.click();
    await idp.signIn(page, 'twin');
    await expect(page.getByText(`No Tessera account you may use is linked to that ${name} account yet.`)).toBeVisible();
    await page.goto('/');
    await expect(page).toHaveURL((url) => url.pathname === '/login');

    // Bob unlinks it (his code first, his sign-in being older than five minutes or not).
    await signIn(page, email, PASSWORD, challenge.heading);
    const last = await app.codeAfter(next.step);
    await challenge.submitAuthenticatorCode(last.code, new HomePage(page).welcomeHeading('Bob'));
    await security.goto();
    await unlink.click();
    await expect(page.getByText('Unlinked. That account no longer signs you in.')).toBeVisible();
    await expect(providers).toContainText(`${name}: not linked`);
    await page.context().clearCookies();
    await login.goto();
    await withIdp.click();
    await idp.signIn(page, 'bob');
    await expect(page.getByText(`No Tessera account you may use is linked to that ${name} account yet.`)).toBeVisible();
  } finally {
    idp.stop();
  }
});
