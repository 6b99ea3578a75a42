/**
 * Step-up by emailed code, in every project (SQLite and PostgreSQL,
 * JavaScript on and off), in an organisation of its own made with the
 * operator CLI: its owner has no authenticator app.
 * - Settings -> Team -> Invite says an administrative role needs a fresh
 *   confirmation and links to it; the step-up page offers "Email me a code"
 *   and says email is weaker than an app;
 * - the code arrives in MailDev; a wrong one is refused with the reason, the
 *   right one brings her back to the invitation form;
 * - she invites an administrator, and the invitation goes out.
 * Then email codes as the sign-in factor, in another organisation:
 * - its owner (no app) turns on "Allow email codes as a second factor" on the
 *   security policy page, which needs a fresh confirmation (an emailed code);
 * - with MFA required, a member without an app signs in: after the password
 *   comes a code by email (not enrolment), the page says email is weaker; a
 *   wrong code is refused, the right one from MailDev signs him in, and home
 *   says he signs in with emailed codes;
 * - the owner then lets administrators, and no longer members, use them: a
 *   confirmation page names who moves each way before anything is saved, and
 *   after it the member's next sign-in leads to setting up an app.
 */
import type { Cookie, Locator, Page } from '@playwright/test';
import { addUser, createOrganisation, setPolicy } from '../pages/Cli';
import { expect, test } from '../pages/fixtures';
import { HomePage } from '../pages/HomePage';
import { enterCode, expectFitsPhone, javaScriptOn, submitAndSettle, submitExpectingError } from '../pages/http';
import { signIn } from '../pages/LoginPage';
import { MailDev } from '../pages/MailDev';
import { ensureOrganisation, ownerFor } from '../pages/Organisation';
import { EMAIL_CODE_SUBJECT_PREFIX, EmailStepUpPage, codeOf } from '../pages/StepUpPage';

test.describe.configure({ mode: 'serial', timeout: 120_000 });

const PASSWORD = 'saffron beacon tulip granite ferry';
const WRONG_CODE = "That code didn't work. Check it and try again.";

/** Types a wrong emailed code (refused, 401, with the reason under the field), then `code`. */
async function wrongThenRight(page: Page, byEmail: EmailStepUpPage, code: string, settled: Locator) {
  const wrong = code === '000000' ? '000001' : '000000';
  const status = await submitExpectingError(
    page,
    async () => {
      await byEmail.code.fill(wrong);
      if (!javaScriptOn()) await byEmail.verifyButton.click();
    },
    page.locator('#code-error').filter({ hasText: WRONG_CODE }),
    javaScriptOn(),
  );
  expect(status).toBe(401);
  await enterCode(page, byEmail.code, code, byEmail.verifyButton, settled);
}

test('an owner without an authenticator app invites an administrator after confirming with an emailed code', async ({
  page,
  server,
}, testInfo) => {
  const project = testInfo.project.name;
  const org = `Mail Code Co ${project}`;
  const owner = { name: 'Ella Owner', email: `ella.${project}@codes.example` };
  const newAdmin = { name: 'Ned Admin', email: `ned.${project}@codes.example` };
  const mail = new MailDev(server.mailURL);
  const byEmail = new EmailStepUpPage(page);

  await ensureOrganisation(page, server, ownerFor(project));
  createOrganisation(server, { name: org, ownerEmail: owner.email, ownerName: owner.name, ownerPassword: PASSWORD });

  await test.step('Ella signs in (password only: she has no app)', async () => {
    await signIn(page, owner.email, PASSWORD, new HomePage(page).welcomeHeading(owner.name));
  });

  await test.step('the invitation form says an administrative role needs a fresh confirmation, and links to it', async () => {
    await page.goto('/settings/team/invite');
    await expect(page.getByText('Inviting someone with an administrative role needs a fresh confirmation first.')).toBeVisible();
    await expect(page.getByLabel('Your authentication code')).toHaveCount(0);
    await page.getByRole('link', { name: 'Confirm it is you' }).click();
    await byEmail.expectLoaded();
    await expect(page.getByRole('main').getByText(owner.email)).toBeVisible();
  });

  let code = '';
  await test.step('"Email me a code" sends a code to her address', async () => {
    const asked = Date.now();
    await submitAndSettle(page, () => byEmail.emailMeACode.click(), byEmail.code);
    await expect(page.getByRole('status').filter({ hasText: `We sent a code to ${owner.email}` })).toBeVisible();
    await expect(byEmail.code).toHaveAttribute('autocomplete', 'one-time-code');
    await expect(byEmail.sendNewCode).toBeVisible();
    // The subject carries the code, so it is not known in advance: look for its prefix.
    const codeMails = async () =>
      (await mail.to(owner.email)).filter(
        (m) => m.subject.startsWith(EMAIL_CODE_SUBJECT_PREFIX) && Date.parse(m.time) >= asked - 1_000,
      );
    await expect.poll(async () => (await codeMails()).length, { message: 'a code mail', timeout: 15_000 }).toBe(1);
    const [received] = await codeMails();
    code = codeOf(received);
    expect(received.text).toContain(`Your Tessera code is: ${code}`);
    expect(received.text).toContain('only in the browser where you asked for it');
  });

  await test.step('on a phone (390 px) the page fits without scrolling sideways', async () => {
    await expectFitsPhone(page, [byEmail.code, byEmail.verifyButton, byEmail.sendNewCode]);
  });

  await test.step('a wrong code is refused with the reason; the right one brings her back to the form', async () => {
    await wrongThenRight(page, byEmail, code, page.getByRole('heading', { name: 'Invite a member' }));
    await expect(page).toHaveURL(/\/settings\/team\/invite$/);
    await expect(page.getByText('needs a fresh confirmation first')).toHaveCount(0);
  });

  await test.step('she invites an administrator, and the invitation goes out', async () => {
    await page.getByLabel('Email', { exact: true }).fill(newAdmin.email);
    await page.getByLabel('Name (optional)').fill(newAdmin.name);
    await page.getByLabel('Role', { exact: true }).selectOption({ label: 'Administrator (administrative)' });
    await submitAndSettle(
      page,
      () => page.getByRole('button', { name: 'Send invitation' }).click(),
      page.getByRole('status').filter({ hasText: 'The invitation is on its way.' }),
    );
    const invitation = await mail.waitFor({ to: newAdmin.email, subject: `Tessera: You were invited to ${org}` });
    expect(invitation.text).toContain(`${owner.name} added you to ${org}`);
  });
});

test('where the organisation allows them, a member without an app signs in with an emailed code', async ({
  page,
  server,
}, testInfo) => {
  const project = testInfo.project.name;
  const org = `Mail Sign-in Co ${project}`;
  const owner = { name: 'Olga Owner', email: `olga.${project}@signin-codes.example` };
  const member = { name: 'Max Member', email: `max.${project}@signin-codes.example` };
  const admin = { name: 'Ada Admin', email: `ada.${project}@signin-codes.example` };
  const mail = new MailDev(server.mailURL);
  const byEmail = new EmailStepUpPage(page);
  const allow = page.getByLabel('Allow email codes as a second factor');
  const roles = page.getByRole('group', { name: 'Roles that may use them' });

  /** The code of the newest code mail to `to` sent since `since`. */
  const newCode = async (to: string, since: number) => {
    const codeMails = async () =>
      (await mail.to(to)).filter(
        (m) => m.subject.startsWith(EMAIL_CODE_SUBJECT_PREFIX) && Date.parse(m.time) >= since - 1_000,
      );
    await expect.poll(async () => (await codeMails()).length, { message: 'a code mail', timeout: 15_000 }).toBe(1);
    return codeOf((await codeMails())[0]);
  };

  let olgaCookies: Cookie[] = [];
  await ensureOrganisation(page, server, ownerFor(project));
  createOrganisation(server, { name: org, ownerEmail: owner.email, ownerName: owner.name, ownerPassword: PASSWORD });
  addUser(server, { organisationName: org, email: member.email, role: 'member', displayName: member.name, password: PASSWORD });
  addUser(server, { organisationName: org, email: admin.email, role: 'admin', displayName: admin.name, password: PASSWORD });

  await test.step('Olga turns on email codes after confirming it is her with an emailed code', async () => {
    await signIn(page, owner.email, PASSWORD, new HomePage(page).welcomeHeading(owner.name));
    await page.goto('/settings/security');
    await expect(page.getByText("Email is weaker than an authenticator app: anyone who can read a person's mailbox passes.")).toBeVisible();
    await expect(allow).not.toBeChecked();
    await allow.check();
    await submitAndSettle(page, () => page.getByRole('button', { name: 'Save email codes' }).click(), byEmail.heading);
    await byEmail.expectLoaded();
    const asked = Date.now();
    await submitAndSettle(page, () => byEmail.emailMeACode.click(), byEmail.code);
    const code = await newCode(owner.email, asked);
    await enterCode(page, byEmail.code, code, byEmail.verifyButton, page.getByRole('heading', { name: 'Security policy' }));
    await allow.check();
    // A new organisation offers them to the role without permissions; Olga adds her own.
    await expect(roles.getByLabel('Member')).toBeChecked();
    await expect(roles.getByLabel('Administrator')).not.toBeChecked();
    await expect(roles.getByText("Can change others' accounts or settings")).toHaveCount(3);
    await roles.getByLabel('Owner').check();
    // Nobody's sign-in changes while MFA is optional: saved without a question.
    await submitAndSettle(
      page,
      () => page.getByRole('button', { name: 'Save email codes' }).click(),
      page.getByRole('status').filter({ hasText: 'Email codes are allowed as a second factor for: Owner, Member.' }),
    );
    await expect(allow).toBeChecked();
    await expect(roles.getByLabel('Owner')).toBeChecked();
    setPolicy(server, org, 'required');
    // Olga comes back later in this session (her confirmation still fresh); Max signs in now.
    olgaCookies = await page.context().cookies();
    await page.context().clearCookies();
  });

  let asked = 0;
  await test.step('Max signs in: after his password comes a code by email, not enrolment', async () => {
    asked = Date.now();
    await signIn(page, member.email, PASSWORD, page.getByRole('heading', { name: 'MFA: enter your code' }));
    await expect(page).toHaveURL(/\/login\/mfa$/);
    await expect(page.getByRole('status').filter({ hasText: `We sent a code to ${member.email}` })).toBeVisible();
    await expect(page.getByText('Email is weaker than an authenticator app')).toBeVisible();
    await expect(byEmail.code).toHaveAttribute('autocomplete', 'one-time-code');
    await expect(page.getByRole('link', { name: 'Use a recovery code' })).toHaveCount(0);
  });

  await test.step('on a phone (390 px) the challenge fits without scrolling sideways', async () => {
    await expectFitsPhone(page, [byEmail.code, byEmail.verifyButton, byEmail.sendNewCode]);
  });

  await test.step('a wrong code is refused with the reason; the right one signs him in', async () => {
    const code = await newCode(member.email, asked);
    await wrongThenRight(page, byEmail, code, new HomePage(page).welcomeHeading(member.name));
    await expect(page.getByText('you sign in with your password and a code we email you')).toBeVisible();
  });

  await test.step('Olga lets administrators, no longer members, use them: she is told whom it moves first', async () => {
    await page.context().clearCookies();
    await page.context().addCookies(olgaCookies);
    await page.goto('/settings/security');
    await roles.getByLabel('Member').uncheck();
    await roles.getByLabel('Administrator').check();
    const confirm = page.getByRole('heading', { name: 'Change who may use email codes?' });
    await submitAndSettle(page, () => page.getByRole('button', { name: 'Save email codes' }).click(), confirm);
    await expect(page.locator('#email-codes-to-app')).toHaveText(
      '1 person signs in with emailed codes now and will have to set up an authenticator app at their next sign-in, or their next request if they are signed in, before they can do anything else:',
    );
    await expect(page.getByRole('listitem').filter({ hasText: `${member.name} (${member.email})` })).toBeVisible();
    await expect(page.locator('#email-codes-to-email')).toContainText('1 person without an authenticator app will sign in with a code we email them');
    await expect(page.getByRole('listitem').filter({ hasText: `${admin.name} (${admin.email})` })).toBeVisible();
    await expectFitsPhone(page, [confirm, page.getByRole('button', { name: 'Save email codes' })]);
    await submitAndSettle(
      page,
      () => page.getByRole('button', { name: 'Save email codes' }).click(),
      page.getByRole('status').filter({ hasText: 'Email codes are allowed as a second factor for: Owner, Administrator.' }),
    );
    await expect(roles.getByLabel('Member')).not.toBeChecked();
  });

  await test.step('Max signs in again: now he must set up an authenticator app', async () => {
    await page.context().clearCookies();
    await signIn(page, member.email, PASSWORD, page.getByRole('heading', { name: 'Set up MFA' }));
  });
});
