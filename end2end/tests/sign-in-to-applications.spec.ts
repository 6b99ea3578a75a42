/**
 * The organisation's applications sign their people in with Tessera, end to
 * end, in every project (SQLite and PostgreSQL, JavaScript on and off): a
 * demo application built on the npm `openid-client` relying-party library
 * (end2end/demo-app) is registered through the operator CLI, sends a member to
 * Tessera, and shows the claims it verified once they are back.
 *
 * Each test registers its own application and its own member, so they do not
 * depend on what other specs did to the owner. (The file sorts after
 * auth-flow.spec.ts, whose first test must meet the setup form unused.)
 */
import { expectAccessible } from '../pages/a11y';
import { Authenticator } from '../pages/Authenticator';
import { ChallengePage } from '../pages/ChallengePage';
import { addUser, createOrganisation } from '../pages/Cli';
import { DemoApp } from '../pages/DemoApp';
import { EnrolPage } from '../pages/EnrolPage';
import { expect, test } from '../pages/fixtures';
import { HomePage } from '../pages/HomePage';
import { expectFitsPhone } from '../pages/http';
import { LoginPage, signIn } from '../pages/LoginPage';
import { MemberPage, TeamPage } from '../pages/TeamPage';
import { ensureOrganisation, ownerFor } from '../pages/Organisation';
import { FIRST_CODES_STATUS, RecoveryCodesPage } from '../pages/RecoveryCodesPage';

const PASSWORD = 'lantern orchard velvet canyon drift';

test('an application that requires MFA: enrolment on the way in, password and code the next time, sign-out from the application', async ({
  page,
  server,
}, testInfo) => {
  test.setTimeout(120_000);
  const project = testInfo.project.name;
  const owner = ownerFor(project);
  await ensureOrganisation(page, server, owner);
  const email = `carol.apps.${project}@example.com`;
  addUser(server, { organisationName: owner.organisationName, email, role: 'member', password: PASSWORD, displayName: 'Carol Apps' });
  const demo = await DemoApp.start(server, { organisationName: owner.organisationName, name: `Demo wiki ${project}`, requireMfa: true });
  try {
    // The application sends Carol to Tessera, which says what she is signing in to.
    await demo.open(page);
    await page.getByRole('link', { name: 'Sign in with Tessera' }).click();
    const login = new LoginPage(page);
    await login.expectOnEmailStep();
    await expect(page.getByText(`Sign in to continue to Demo wiki ${project}.`)).toBeVisible();
    await login.continueWith(email);
    await expect(page.getByText(`Sign in to continue to Demo wiki ${project}.`)).toBeVisible();
    // No MFA yet, and the application requires it: enrolment first, named for the application.
    await login.submitPassword(PASSWORD, page.getByRole('heading', { name: 'Set up MFA', exact: true }));
    await expect(page.getByText(`Demo wiki ${project} requires MFA. Before you continue to Demo wiki ${project}`)).toBeVisible();
    await page.getByRole('button', { name: 'Set up now' }).click();
    const enrol = new EnrolPage(page);
    await enrol.expectLoaded();
    const app = new Authenticator(await enrol.readSetupKey());
    const enrolled = app.current();
    const codes = new RecoveryCodesPage(page);
    await enrol.confirm(enrolled.code, codes.heading);
    await codes.expectLoaded(FIRST_CODES_STATUS);
    await expect(codes.doneButton).toHaveText(`Done: continue to Demo wiki ${project}`);
    await codes.finish();
    // Back in the application, which verified who she is and how she signed in.
    await demo.expectSignedIn(page, email);
    await expect(page.locator('#groups')).toHaveText('Member');
    await expect(page.locator('#amr')).toHaveText('pwd otp mfa');
    await expect(page.locator('#acr')).toHaveText('mfa');

    // Signing out of the application signs her out of Tessera too.
    await page.getByRole('link', { name: 'Sign out' }).click();
    await expect(DemoApp.statusOn(page)).toHaveText('You are not signed in.');
    await page.goto('/');
    await expect(page).toHaveURL((url) => url.pathname === '/login');

    // The next time: password, then the code from her app, then straight back.
    await demo.open(page);
    await page.getByRole('link', { name: 'Sign in with Tessera' }).click();
    await login.expectOnEmailStep();
    await login.continueWith(email);
    const challenge = new ChallengePage(page);
    await login.submitPassword(PASSWORD, challenge.heading);
    const next = await app.codeAfter(enrolled.step);
    await challenge.submitAuthenticatorCode(next.code, DemoApp.statusOn(page));
    await demo.expectSignedIn(page, email);
    await expect(page.locator('#amr')).toHaveText('pwd otp mfa');
  } finally {
    demo.stop();
  }
});

test('an application open to administrators only turns a member away, and tells the application', async ({
  page,
  server,
}, testInfo) => {
  const project = testInfo.project.name;
  const owner = ownerFor(project);
  await ensureOrganisation(page, server, owner);
  const email = `dave.apps.${project}@example.com`;
  addUser(server, { organisationName: owner.organisationName, email, role: 'member', password: PASSWORD });
  const name = `Demo admin ${project}`;
  const demo = await DemoApp.start(server, { organisationName: owner.organisationName, name, roles: ['Administrator'] });
  try {
    await demo.open(page);
    await page.getByRole('link', { name: 'Sign in with Tessera' }).click();
    const login = new LoginPage(page);
    await login.expectOnEmailStep();
    await login.continueWith(email);
    const refused = page.getByRole('heading', { name: "You can't use this application" });
    await login.submitPassword(PASSWORD, refused);
    await expect(page.getByText('People with your role (Member) may not use it.')).toBeVisible();
    await page.getByRole('link', { name: `Back to ${name}` }).click();
    await expect(page.locator('#error')).toHaveText('access_denied');
  } finally {
    demo.stop();
  }
});

test('a disabled member hears so after the right password, and whom to ask; the application hears access_denied', async ({
  page,
  server,
}, testInfo) => {
  const project = testInfo.project.name;
  await ensureOrganisation(page, server, ownerFor(project));
  // An organisation of this test's own, so disabling someone changes nothing another spec sees.
  const org = `Disabled Co ${project}`;
  const owner = { name: 'Owen Owner', email: `owen.${project}@disabled.example` };
  const email = `erin.${project}@disabled.example`;
  createOrganisation(server, { name: org, ownerEmail: owner.email, ownerName: owner.name, ownerPassword: PASSWORD });
  addUser(server, { organisationName: org, email, role: 'member', password: PASSWORD, displayName: 'Erin' });
  const name = `Demo disabled ${project}`;
  const demo = await DemoApp.start(server, { organisationName: org, name });
  try {
    // The owner disables Erin's account in Settings -> Team, and signs out.
    await signIn(page, owner.email, PASSWORD, new HomePage(page).welcomeHeading(owner.name));
    const team = new TeamPage(page);
    await team.goto();
    await team.expectLoaded();
    await new MemberPage(page).goto(await team.memberId(email));
    await page.getByRole('button', { name: 'Disable account' }).click();
    await expect(page.getByRole('button', { name: 'Enable account' })).toBeVisible();
    await page.context().clearCookies();

    // Erin, on her way to the application: a wrong password hears nothing about her account.
    await demo.open(page);
    await page.getByRole('link', { name: 'Sign in with Tessera' }).click();
    const login = new LoginPage(page);
    await login.expectOnEmailStep();
    await login.continueWith(email);
    await login.submitPassword('not her password at all', page.getByText('Incorrect email or password.'));
    // Her password: why she cannot go on, and whom to ask.
    const heading = page.getByRole('heading', { name: 'Your account is disabled' });
    await login.submitPassword(PASSWORD, heading);
    const said = page.getByText(`The account ${email} at ${org} is disabled, so you cannot sign in to ${name} or to Tessera.`);
    await expect(said).toBeVisible();
    const ask = page.getByText(`Only someone who manages the members of ${org}, such as an owner or administrator, can enable it again.`);
    await expect(ask).toBeVisible();
    await expectAccessible(page, 'the page for a disabled account');
    const back = page.getByRole('link', { name: `Back to ${name}` });
    await expectFitsPhone(page, [heading, said, ask, back]);
    // The application hears that she was refused.
    await back.click();
    await expect(page.locator('#error')).toHaveText('access_denied');
  } finally {
    demo.stop();
  }
});
