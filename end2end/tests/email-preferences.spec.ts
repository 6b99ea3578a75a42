/**
 * Email preferences and reminders end to end, in every project (SQLite and
 * PostgreSQL, JavaScript on and off), in an organisation of its own made with
 * the operator CLI (the servers look for scheduled mail every 2 seconds):
 * - Mo, a member without MFA, turns off reminders to set up MFA in Account
 *   -> Email preferences, which says security mail is always sent;
 * - the operator requires MFA with a 3-day grace period: Nia gets a reminder
 *   with the enrolment link and an unsubscribe link; Mo gets none;
 * - Nia's unsubscribe link works without signing in: its page changes
 *   nothing until its button is pressed;
 * - Mo sets up MFA; the operator resets it; that security mail reaches him
 *   although he turned reminders off.
 * And the weekly security digest (sent now with `tessera digest send`) is
 * turned off with one click by the mail program, without signing in.
 */
import { expectAccessible } from '../pages/a11y';
import { addUser, createOrganisation, requireWithGrace, resetMfa, sendDigest } from '../pages/Cli';
import { enrolFromSecurity } from '../pages/EnrolRequiredPage';
import { expect, test } from '../pages/fixtures';
import { HomePage } from '../pages/HomePage';
import { expectFitsPhone, submitAndSettle } from '../pages/http';
import { signIn } from '../pages/LoginPage';
import { MailDev } from '../pages/MailDev';
import { ensureOrganisation, ownerFor } from '../pages/Organisation';

test.describe.configure({ mode: 'serial', timeout: 150_000 });

const PASSWORD = 'saffron beacon tulip granite ferry';
const FOOTER = "Tessera sends this mail for your account's security; it cannot be turned off.";

test('a member turns reminders off and gets none, but security mail still reaches him; an unsubscribe link needs no sign-in', async ({
  page,
  server,
  browser,
}, testInfo) => {
  const project = testInfo.project.name;
  const org = `Prefs Co ${project}`;
  const owner = { name: 'Pia Owner', email: `pia.${project}@prefs.example` };
  const mo = { name: 'Mo Member', email: `mo.${project}@prefs.example` };
  const nia = { name: 'Nia Member', email: `nia.${project}@prefs.example` };
  const mail = new MailDev(server.mailURL);
  const reminderSubject = `Tessera: 3 days left to set up MFA for ${org}`;
  const reminders = page.getByLabel('Reminders to set up MFA');

  await ensureOrganisation(page, server, ownerFor(project));
  createOrganisation(server, { name: org, ownerEmail: owner.email, ownerName: owner.name, ownerPassword: PASSWORD });
  for (const who of [mo, nia]) {
    addUser(server, { organisationName: org, email: who.email, role: 'member', displayName: who.name, password: PASSWORD });
  }

  await test.step('Mo turns off reminders in Account security -> Email preferences', async () => {
    await signIn(page, mo.email, PASSWORD, new HomePage(page).welcomeHeading(mo.name));
    await page.goto('/account/security');
    await page.getByRole('link', { name: 'Email preferences' }).click();
    await expect(page.getByRole('heading', { name: 'Email preferences', level: 1 })).toBeVisible();
    await expect(page.getByText('Security mail cannot be turned off')).toBeVisible();
    await expect(reminders).toBeChecked();
    await reminders.uncheck();
    await submitAndSettle(page, () => page.getByRole('button', { name: 'Save preferences' }).click(), page.getByText('Your email preferences are saved.'));
    await expect(reminders).not.toBeChecked();
    await expectAccessible(page, 'email preferences');
    await expectFitsPhone(page, [reminders, page.getByRole('button', { name: 'Save preferences' })]);
  });

  let unsubscribe = '';
  await test.step('MFA becomes required within 3 days: Nia is reminded, Mo is not', async () => {
    const since = Date.now();
    requireWithGrace(server, org, 3);
    const reminder = await mail.waitFor({ to: nia.email, subject: reminderSubject, since: since - 1_000 }, 20_000);
    expect(reminder.text).toContain('/account/security');
    expect(reminder.text).toContain('Turn these mails off:');
    expect(reminder.text).not.toContain(FOOTER);
    unsubscribe = /https?:\/\/\S+\/unsubscribe\?token=[\w.-]+/.exec(reminder.text)?.[0] ?? '';
    expect(unsubscribe).not.toBe('');
    // Two more rounds of the scheduler: Mo's reminder would have gone by now.
    await page.waitForTimeout(5_000);
    expect(await mail.find({ to: mo.email, subject: reminderSubject })).toHaveLength(0);
  });

  await test.step("Nia's unsubscribe link works without signing in", async () => {
    const anonymous = await browser.newContext({ javaScriptEnabled: testInfo.project.use.javaScriptEnabled });
    const other = await anonymous.newPage();
    await other.goto(unsubscribe);
    await expect(other.getByRole('heading', { name: 'Turn off these mails?' })).toBeVisible();
    await expect(other.getByText(`Reminders to set up MFA will no longer be sent to ${nia.email}`)).toBeVisible();
    await expectAccessible(other, 'the unsubscribe page');
    await submitAndSettle(other, () => other.getByRole('button', { name: 'Turn them off' }).click(), other.getByRole('heading', { name: 'Turned off' }));
    await expect(other.getByText('Security mail still reaches you.')).toBeVisible();
    await anonymous.close();
  });

  await test.step('Mo sets up MFA, the operator resets it, and that security mail reaches him', async () => {
    await enrolFromSecurity(page);
    const since = Date.now();
    // MFA is required of him, so the operator gets the temporary access code to hand over.
    const printed = resetMfa(server, org, mo.email, 'Lost phone');
    const code = /Temporary access code \(works once, for 60 minutes; give it to them yourself, never by email\): ([A-Z2-9-]{14})/.exec(printed);
    expect(code, printed).not.toBeNull();
    const reset = await mail.waitFor({ to: mo.email, subject: 'Tessera: Your MFA was reset', since: since - 1_000 });
    expect(reset.text).toContain('Reason: Lost phone');
    expect(reset.text).toContain('you need a temporary access code from an operator');
    expect(reset.text).not.toContain((code as RegExpExecArray)[1]);
    expect(reset.text).toContain(FOOTER);
  });
});

test('one click in the mail program turns the weekly digest off, without signing in', async ({ page, server, playwright }, testInfo) => {
  const project = testInfo.project.name;
  const org = `Digest Co ${project}`;
  const dora = { name: 'Dora Owner', email: `dora.${project}@digest.example` };
  const mail = new MailDev(server.mailURL);
  const subject = `Tessera: the week in ${org}`;
  // The main organisation first (the setup link works only while there is none).
  await ensureOrganisation(page, server, ownerFor(project));
  createOrganisation(server, { name: org, ownerEmail: dora.email, ownerName: dora.name, ownerPassword: PASSWORD });

  const since = Date.now();
  expect(sendDigest(server, org)).toContain('is on its way to 1 person');
  const digest = await mail.waitFor({ to: dora.email, subject, since: since - 1_000 });
  expect(digest.text).toContain('MFA: 0 of 1 with an authenticator app, 0 with email codes.');
  expect(digest.text).toContain('/settings/activity');
  const link = /https?:\/\/\S+\/unsubscribe\?token=[\w.-]+/.exec(digest.text)?.[0] ?? '';
  expect(link).not.toBe('');

  // What a mail program does (RFC 8058): a POST to the link, no cookies, no Origin of ours.
  const mailProgram = await playwright.request.newContext();
  const answer = await mailProgram.post(link, { form: { 'List-Unsubscribe': 'One-Click' } });
  expect(answer.status()).toBe(200);
  expect(await answer.text()).toContain('Weekly security digest: turned off.');
  await mailProgram.dispose();
  const turnedOff = Date.now();

  // Neither the command nor the server's own weekly run (every 2 seconds here) sends her one now.
  expect(sendDigest(server, org)).toContain('is on its way to 0 people');
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  expect(await mail.find({ to: dora.email, subject, since: turnedOff })).toHaveLength(0);
});
