/**
 * Settings -> Email templates end to end, in every project (SQLite and
 * PostgreSQL, JavaScript on and off), in an organisation of its own made with
 * the operator CLI:
 * - Olga, its owner (no authenticator app), opens Email templates from the
 *   navigation and the password reset link's template: its variables and
 *   what Tessera adds are listed;
 * - she writes her own words, previews them with sample data, is told the
 *   line of a variable the mail does not have, and fixes it;
 * - saving asks her to confirm it is her (an emailed code, as she has no
 *   app); she comes back to her draft and saves it;
 * - Max, a member, forgets his password: the reset mail that reaches MailDev
 *   uses Olga's template and still has the link and Tessera's security
 *   footer; the link works.
 */
import type { Locator, Page } from '@playwright/test';
import { expectAccessible } from '../pages/a11y';
import { addUser, createOrganisation } from '../pages/Cli';
import { expect, test } from '../pages/fixtures';
import { HomePage } from '../pages/HomePage';
import { enterCode, expectFitsPhone, javaScriptOn, submitAndSettle, submitExpectingError } from '../pages/http';
import { signIn } from '../pages/LoginPage';
import { MailDev } from '../pages/MailDev';
import { ensureOrganisation, ownerFor } from '../pages/Organisation';
import { ForgotPasswordPage, ResetPasswordPage, resetLinkIn } from '../pages/PasswordReset';
import { EMAIL_CODE_SUBJECT_PREFIX, EmailStepUpPage, codeOf } from '../pages/StepUpPage';

test.describe.configure({ mode: 'serial', timeout: 120_000 });

const PASSWORD = 'saffron beacon tulip granite ferry';
const FOOTER = "Tessera sends this mail for your account's security; it cannot be turned off.";

/** The editor of one mail's template. */
class TemplateEditor {
  readonly subject: Locator;
  readonly text: Locator;
  readonly html: Locator;
  readonly preview: Locator;
  readonly save: Locator;
  readonly previewSection: Locator;

  constructor(readonly page: Page) {
    this.subject = page.getByLabel('Subject', { exact: true });
    this.text = page.getByLabel('Plain-text body', { exact: true });
    this.html = page.getByLabel('HTML body', { exact: true });
    this.preview = page.getByRole('button', { name: 'Preview', exact: true });
    this.save = page.getByRole('button', { name: 'Save template' });
    this.previewSection = page.getByRole('region', { name: 'Preview with sample data' });
  }

  async fill(subject: string, text: string, html: string) {
    await this.subject.fill(subject);
    await this.text.fill(text);
    await this.html.fill(html);
  }
}

test('an owner edits the password reset mail, and the next reset mail uses it with its link and footer', async ({
  page,
  server,
}, testInfo) => {
  const project = testInfo.project.name;
  const org = `Templates Co ${project}`;
  const olga = { name: 'Olga Owner', email: `olga.${project}@templates.example` };
  const max = { name: 'Max Member', email: `max.${project}@templates.example` };
  const mail = new MailDev(server.mailURL);
  const editor = new TemplateEditor(page);
  const byEmail = new EmailStepUpPage(page);
  const subject = '{{ org_name }}: a new password for {{ name }}';
  const text = 'Hi {{ name }},\n\nChoose a new password at {{ link }}\n\nThe IT desk';
  const html = '<p>Hi {{ name }},</p><p><a href="{{ link }}">Choose a new password</a></p><p>The IT desk</p>';

  await ensureOrganisation(page, server, ownerFor(project));
  createOrganisation(server, { name: org, ownerEmail: olga.email, ownerName: olga.name, ownerPassword: PASSWORD });
  addUser(server, { organisationName: org, email: max.email, role: 'member', displayName: max.name, password: PASSWORD });

  await test.step('Olga opens the password reset link template from the navigation', async () => {
    await signIn(page, olga.email, PASSWORD, new HomePage(page).welcomeHeading(olga.name));
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Email templates' }).click();
    await expect(page.getByRole('heading', { name: 'Email templates', level: 1 })).toBeVisible();
    await page.getByRole('link', { name: 'Password reset link' }).click();
    await expect(page.getByRole('heading', { name: 'Password reset link', level: 1 })).toBeVisible();
    await expect(editor.subject).toHaveValue('Tessera: Reset your password');
    await expect(page.getByText('{{ link }}', { exact: true })).toBeVisible();
    await expect(page.getByText(FOOTER)).toBeVisible();
    // (Before any preview: axe cannot look into the preview's sandboxed frame, which runs nothing.)
    await expectAccessible(page, 'the template editor');
  });

  await test.step('a variable the mail does not have is refused with its line', async () => {
    await editor.fill(subject, 'Hi {{ name }},\n{{ pasword }} {{ link }}', html);
    const status = await submitExpectingError(
      page,
      () => editor.preview.click(),
      page.locator('#text-error').filter({ hasText: 'Line 2: It uses a variable this mail does not have.' }),
      javaScriptOn(),
    );
    expect(status).toBe(422);
    await expect(editor.text).toHaveValue('Hi {{ name }},\n{{ pasword }} {{ link }}');
  });

  await test.step('the preview shows the mail with sample data and what Tessera adds', async () => {
    await editor.fill(subject, text, html);
    await submitAndSettle(page, () => editor.preview.click(), editor.previewSection);
    await expect(editor.previewSection.getByText('Example Practice: a new password for Ada Lovelace')).toBeVisible();
    await expect(editor.previewSection.locator('pre')).toContainText('Choose a new password at https://');
    await expect(editor.previewSection.locator('pre')).toContainText(FOOTER);
    await expect(page.getByText('Your draft, not saved yet')).toBeVisible();
    await expect(editor.text).toHaveValue(text);
  });

  await test.step('a second preview shows the change, and the buttons are ready again', async () => {
    // Each preview answers with the same page and "#preview": it must load that, not only scroll.
    await editor.subject.fill('{{ org_name }}: choose a password, {{ name }}');
    await submitAndSettle(page, () => editor.preview.click(), editor.previewSection.getByText('Example Practice: choose a password, Ada Lovelace'));
    await editor.subject.fill(subject);
    await submitAndSettle(page, () => editor.preview.click(), editor.previewSection.getByText('Example Practice: a new password for Ada Lovelace'));
    await expect(editor.preview).toBeEnabled();
    await expect(editor.save).toBeEnabled();
    await expect(editor.subject).toHaveValue(subject);
    // The HTML preview is the mail as it will look: Tessera's footer keeps its inline style.
    const footer = page.frameLocator('iframe[title="HTML preview"]').getByText(FOOTER);
    await expect(footer).toHaveCSS('color', 'rgb(85, 85, 85)');
  });

  await test.step('on a phone (390 px) the editor fits without scrolling sideways', async () => {
    await expectFitsPhone(page, [editor.subject, editor.text, editor.save]);
  });

  await test.step('saving asks her to confirm it is her, then comes back to her draft', async () => {
    await submitAndSettle(page, () => editor.save.click(), byEmail.heading);
    await byEmail.expectLoaded();
    const asked = Date.now();
    await submitAndSettle(page, () => byEmail.emailMeACode.click(), byEmail.code);
    const codeMails = async () =>
      (await mail.to(olga.email)).filter(
        (m) => m.subject.startsWith(EMAIL_CODE_SUBJECT_PREFIX) && Date.parse(m.time) >= asked - 1_000,
      );
    await expect.poll(async () => (await codeMails()).length, { message: 'a code mail', timeout: 15_000 }).toBe(1);
    const code = codeOf((await codeMails())[0]);
    await enterCode(page, byEmail.code, code, byEmail.verifyButton, page.getByText('Your draft, not saved yet'));
    await expect(page).toHaveURL(/\/settings\/email\/password-reset\?draft$/);
    await expect(editor.text).toHaveValue(text);
    await submitAndSettle(page, () => editor.save.click(), page.getByText('The template is saved'));
    await expect(page.getByText("Your organisation's template is in use.")).toBeVisible();
  });

  await test.step("Max's reset mail uses the template, with its link and Tessera's footer", async () => {
    await page.context().clearCookies();
    const forgot = new ForgotPasswordPage(page);
    await page.goto('/forgot-password');
    await forgot.email.fill(max.email);
    const asked = Date.now();
    await submitAndSettle(page, () => forgot.sendButton.click(), forgot.sentHeading);
    const received = await mail.waitFor({ to: max.email, subject: `${org}: a new password for ${max.name}`, since: asked - 1_000 });
    expect(received.text).toContain('The IT desk');
    expect(received.text).toContain(FOOTER);
    expect(received.text).toContain('If this was not you, ignore this mail');
    expect(received.html).toContain('Choose a new password</a>');
    const reset = new ResetPasswordPage(page);
    await page.goto(resetLinkIn(received.text));
    await reset.expectLoaded();
  });
});
