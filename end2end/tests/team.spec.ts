/**
 * Team management end to end, in every project (SQLite and PostgreSQL,
 * JavaScript on and off): a help-desk admin resets a teammate's MFA through
 * the confirmation dialog.
 *
 * The spec uses an organisation of its own per project, made with the
 * operator CLI (pages/Cli.ts) and set to Required, so that nothing here
 * changes what the other spec files expect of the project's main
 * organisation:
 * - Grace (a member) signs in, is confined to enrolment, enrols, and keeps
 *   that session open in a browser context of her own;
 * - Hal (help desk) signs in and enrols, finds Grace in Settings -> Team with
 *   MFA Enabled, cannot reset the owner (no button; a forged POST gets 403),
 *   and resets Grace's MFA with a reason through "Reset MFA for Grace?": the
 *   confirmation says what her next sign-in will ask, refuses a request
 *   verified by email only, and takes "I called her back on a number on
 *   record", giving his own code when his last one is older than the step-up
 *   window; he then sees her temporary access code once;
 * - Grace's open session has ended, MailDev holds the mail telling her who
 *   reset it, why and that she needs the code from Hal (never the code);
 *   her password alone reaches only the page asking for it (enrolment is out
 *   of reach), a wrong code is refused, and with Hal's code she enrols again;
 * - the organisation's owner finds the reset in the activity log by filtering
 *   on "MFA reset";
 * - the owner of the project's main organisation (another organisation)
 *   neither sees Grace in their team nor reaches her page (404), and a forged
 *   reset of her MFA from there gets 404 too.
 */
import { AppFrame } from '../pages/AppFrame';
import type { BrowserContext, Locator, Page } from '@playwright/test';
import { Authenticator, type StepCode } from '../pages/Authenticator';
import { addUser, createOrganisation, setPolicy } from '../pages/Cli';
import { EnrolRequiredPage, enrolFromConfinement } from '../pages/EnrolRequiredPage';
import { expect, test } from '../pages/fixtures';
import { HomePage } from '../pages/HomePage';
import { enterCode, expectFitsPhone, islandsReady, javaScriptOn, submitAndSettle } from '../pages/http';
import { LoginPage, signIn } from '../pages/LoginPage';
import { MailDev } from '../pages/MailDev';
import { ensureOrganisation, ownerFor } from '../pages/Organisation';
import { ChallengePage } from '../pages/ChallengePage';
import {
  AccessCodePage,
  EMAIL_ONLY_REFUSED,
  MFA_APP,
  MFA_LOCKED,
  MemberPage,
  RESET_DONE,
  ResetMfaDialog,
  TeamPage,
  VERIFIED_BY_CALL_BACK,
  VERIFIED_BY_EMAIL_ONLY,
} from '../pages/TeamPage';

// Enrolments and a step-up that may wait for the next 30-second TOTP step.
test.describe.configure({ mode: 'serial', timeout: 240_000 });

const PASSWORD = 'saffron beacon tulip granite ferry';
const REASON = 'Ticket 4242: lost her phone';

interface Person {
  name: string;
  email: string;
}

function people(project: string) {
  const org = `Help Desk Co ${project}`;
  const owner: Person = { name: 'Olive Owner', email: `olive.${project}@helpdesk.example` };
  const hal: Person = { name: 'Hal Desk', email: `hal.${project}@helpdesk.example` };
  const grace: Person = { name: 'Grace', email: `grace.${project}@helpdesk.example` };
  return { org, owner, hal, grace };
}

/** Signs in a person without MFA under Required: confined, then enrolled. Returns their authenticator and last step. */
async function signInAndEnrol(page: Page, person: Person): Promise<{ app: Authenticator; last: StepCode }> {
  await signIn(page, person.email, PASSWORD, new EnrolRequiredPage(page).heading);
  return enrolFromConfinement(page);
}

test('a help-desk admin resets a member\'s MFA: her session ends, she is told by email, and she enrols again', async ({
  page,
  server,
  browser,
  baseURL,
}, testInfo) => {
  const project = testInfo.project.name;
  const { org, owner, hal, grace } = people(project);
  const mail = new MailDev(server.mailURL);
  const team = new TeamPage(page);
  const member = new MemberPage(page);
  const dialog = new ResetMfaDialog(page);
  let graceId = 0;
  let graceContext: BrowserContext | undefined;

  // The project's main organisation comes from the setup link, which works only while no
  // organisation exists: make sure it is there before the CLI adds this spec's own.
  await ensureOrganisation(page, server, ownerFor(project));

  await test.step('the operator CLI creates the organisation, its help desk and a member, and requires MFA', async () => {
    expect(createOrganisation(server, { name: org, ownerEmail: owner.email, ownerName: owner.name, ownerPassword: PASSWORD })).toContain(
      `Created organisation "${org}"`,
    );
    expect(addUser(server, { organisationName: org, email: hal.email, role: 'helpdesk', displayName: hal.name, password: PASSWORD })).toContain(
      'as Help desk',
    );
    expect(addUser(server, { organisationName: org, email: grace.email, role: 'member', displayName: grace.name, password: PASSWORD })).toContain(
      'as Member',
    );
    expect(setPolicy(server, org, 'required')).toContain('is now required');
  });

  try {
    graceContext = await browser.newContext({ baseURL, javaScriptEnabled: testInfo.project.use.javaScriptEnabled });
    const gracePage = await graceContext.newPage();

    await test.step('Grace signs in, is confined to enrolment and enrols; her session stays open', async () => {
      await signInAndEnrol(gracePage, grace);
      const home = new HomePage(gracePage);
      await home.goto();
      await expect(home.welcomeHeading(grace.name)).toBeVisible();
    });

    let halApp: Authenticator | undefined;
    let halLast: StepCode | undefined;
    await test.step('Hal (help desk) signs in and enrols; Settings -> Team shows Grace with an authenticator app', async () => {
      ({ app: halApp, last: halLast } = await signInAndEnrol(page, hal));
      const home = new HomePage(page);
      await home.goto();
      await new AppFrame(page).goTo('Team');
      await team.expectLoaded();
      await expect(team.row(grace.email)).toContainText(MFA_APP);
      await team.filter({ mfa: 'Not set up' });
      await expect(team.row(grace.email)).toHaveCount(0);
      await expect(team.row(owner.email)).toBeVisible();
      await team.filter({ mfa: 'Authenticator app', search: 'grace' });
      await expect(team.count).toHaveText('1 member');
      graceId = await team.memberId(grace.email);
    });

    await test.step('on a phone (390 px) the team list shows name, email, MFA status and the link without scrolling sideways', async () => {
      const row = team.row(grace.email);
      const parts = [row.getByRole('link', { name: grace.name }), row.getByText(grace.email), row.getByText(MFA_APP)];
      await expectFitsPhone(page, parts, () => team.goto());
    });

    await test.step('Hal cannot reset the owner: no button, and a forged POST is refused (403)', async () => {
      await team.goto();
      const ownerId = await team.memberId(owner.email);
      await member.goto(ownerId);
      await expect(member.heading(owner.name)).toBeVisible();
      await expect(member.resetButton).toHaveCount(0);
      const forged = await page.request.post('/api/team/reset-mfa', {
        form: { member: String(ownerId), reason: 'forged' },
        headers: { Origin: new URL(page.url()).origin },
      });
      expect(forged.status(), 'the HTTP status of a forged reset of the owner').toBe(403);
      expect(await forged.text(), 'the refusal, as a code').toBe('refused owner');
    });

    let accessCode = '';
    await test.step('Hal resets Grace\'s MFA: he says how he verified her (email alone is refused), gives his own code when asked, and sees her access code once', async () => {
      const shown = new AccessCodePage(page);
      await member.goto(graceId);
      await expect(member.securitySettings).toBeVisible();
      await expect(member.mfaStatus).toHaveText(MFA_APP);
      await member.resetButton.click();
      await dialog.expectFor(grace.name, grace.email);
      // What her next sign-in will ask, under this organisation's policy.
      await expect(dialog.dialog).toContainText('they cannot sign in until they enter a temporary access code');
      await dialog.reason.fill(REASON);
      const refused = page.getByText(EMAIL_ONLY_REFUSED);
      await dialog.verifiedBy(VERIFIED_BY_EMAIL_ONLY).check();
      await submitAndSettle(page, () => dialog.confirmButton.click(), refused);
      await expect(dialog.reason).toHaveValue(REASON);
      await dialog.verifiedBy(VERIFIED_BY_CALL_BACK).check();
      const asked = page.getByText('Enter the code from your authenticator app to confirm it is you.');
      if (await dialog.code.isVisible()) {
        const fresh = await (halApp as Authenticator).codeAfter((halLast as StepCode).step);
        await dialog.code.fill(fresh.code);
        halLast = fresh;
      }
      await submitAndSettle(page, () => dialog.confirmButton.click(), shown.code.or(asked));
      if (await asked.isVisible()) {
        // The step-up window closed between showing the dialog and confirming: what was typed is kept.
        await expect(dialog.reason).toHaveValue(REASON);
        await expect(dialog.verifiedBy(VERIFIED_BY_CALL_BACK)).toBeChecked();
        const fresh = await (halApp as Authenticator).codeAfter((halLast as StepCode).step);
        await dialog.code.fill(fresh.code);
        await submitAndSettle(page, () => dialog.confirmButton.click(), shown.code);
      }
      await expect(shown.heading(grace.name)).toBeVisible();
      await expect(member.notice(RESET_DONE)).toBeVisible();
      accessCode = await shown.read();
      // Shown once: the same page again has no code.
      await page.reload();
      await expect(shown.shownAlready).toBeVisible();
      await expect(shown.code).toHaveCount(0);
      // The organisation requires MFA, so she is now locked until she sets it up, and held.
      await member.goto(graceId);
      await expect(member.mfaStatus).toHaveText(MFA_LOCKED);
      await expect(member.resetButton).toHaveCount(0);
      await expect(member.accessHold).toContainText('cannot sign in until they enter the temporary access code');
      await expect(member.issueAccessCode).toBeVisible();
    });

    await test.step("Grace's open session has ended", async () => {
      const login = new LoginPage(gracePage);
      await gracePage.goto('/');
      await login.expectOnEmailStep();
    });

    await test.step('Grace gets an email saying who reset it, when, and why', async () => {
      const received = await mail.waitFor({ to: grace.email, subject: 'Tessera: Your MFA was reset' });
      expect(received.text).toContain(`was reset by ${hal.name} (${hal.email})`);
      expect(received.text).toContain(`Reason: ${REASON}`);
      expect(received.text).toContain('If you did not ask for this, contact');
      expect(received.text).toContain(`you need a temporary access code from ${hal.name} or another administrator of ${org}`);
      expect(received.text).not.toContain(accessCode);
    });

    await test.step('Grace\'s password alone reaches only the access code; with Hal\'s code she enrols again', async () => {
      const challenge = new ChallengePage(gracePage);
      await signIn(gracePage, grace.email, PASSWORD, challenge.accessCodeHeading);
      await expect(challenge.accessCode).toHaveAttribute('autocomplete', 'one-time-code');
      await expect(gracePage.getByRole('button', { name: /Email me a code/ })).toHaveCount(0);
      // Enrolment is out of reach without the code.
      await gracePage.goto('/account/security/enrol-required');
      await expect(challenge.accessCodeHeading).toBeVisible();
      await enterCode(gracePage, challenge.accessCode, 'ABCD-EFGH-JKMN', challenge.verifyButton, challenge.wrongAccessCodeAlert);
      // Typed as people type what they are read out: small letters, spaces.
      const typed = accessCode.toLowerCase().replace(/-/g, ' ');
      await enterCode(gracePage, challenge.accessCode, typed, challenge.verifyButton, new EnrolRequiredPage(gracePage).heading);
      await enrolFromConfinement(gracePage);
    });

    await test.step('her page no longer shows a hold once she enrolled', async () => {
      await member.goto(graceId);
      await expect(member.mfaStatus).toHaveText(MFA_APP);
      await expect(member.accessHold).toHaveCount(0);
    });

    await test.step('with the policy Hidden, Grace still has MFA, so Hal can still reset it', async () => {
      expect(setPolicy(server, org, 'hidden')).toContain('is now hidden');
      try {
        await member.goto(graceId);
        await expect(member.securitySettings).toBeVisible();
        await expect(member.mfaStatus).toHaveText(MFA_APP);
        await member.resetButton.click();
        await dialog.expectFor(grace.name, grace.email);
        await dialog.cancelLink.click();
      } finally {
        setPolicy(server, org, 'required');
      }
    });

    await test.step('the owner finds the reset in the activity log by filtering on "MFA reset"', async () => {
      await page.context().clearCookies();
      await signInAndEnrol(page, owner);
      await page.goto('/settings/activity');
      // With JavaScript the filter applies on change, which only a hydrated island hears.
      if (javaScriptOn()) await islandsReady(page);
      await submitAndSettle(
        page,
        async () => {
          await page.getByLabel('Action', { exact: true }).selectOption({ label: 'MFA reset' });
          // With JavaScript the new choice applies at once.
          if (!javaScriptOn()) await page.getByRole('button', { name: 'Filter' }).click();
        },
        page.getByRole('table'),
      );
      const rows = page.getByRole('table').getByRole('row').filter({ hasText: REASON });
      await expect(rows).toHaveCount(1);
      await expect(rows).toContainText(hal.email);
      await expect(rows).toContainText(grace.email);
      await expect(rows).toContainText('Succeeded');
      await expect(rows).toContainText('verified by a call to a number on record; temporary access code issued');
      // Only resets are listed.
      await expect(page.getByRole('table').getByText('Sign-in', { exact: true })).toHaveCount(0);
    });

    await test.step('on a laptop (1280x800) the filters are one row and the table starts on the first screen, addresses whole', async () => {
      const size = page.viewportSize();
      await page.setViewportSize({ width: 1280, height: 800 });
      try {
        const action = page.getByLabel('Action', { exact: true });
        const filter = page.getByRole('button', { name: 'Filter' });
        const [a, f] = [await action.boundingBox(), await filter.boundingBox()];
        // On one row: the button's height overlaps the action list's.
        expect(f?.y ?? 0, 'the filters share one row').toBeLessThan((a?.y ?? 0) + (a?.height ?? 0));
        expect((f?.y ?? 0) + (f?.height ?? 0), 'the filters share one row').toBeGreaterThan(a?.y ?? 0);
        expect(f?.width ?? 1280, 'the Filter button is as wide as its word').toBeLessThan(200);
        const firstRow = page.getByRole('table').getByRole('row').nth(1);
        await expect(firstRow).toBeInViewport();
        const row = page.getByRole('table').getByRole('row').filter({ hasText: REASON });
        for (const email of [hal.email, grace.email]) {
          const box = await row.getByText(email, { exact: true }).boundingBox();
          expect(box?.height ?? 100, `${email} on one line`).toBeLessThan(26);
        }
      } finally {
        if (size) await page.setViewportSize(size);
      }
    });

    await test.step('on a phone (390 px) the activity log is a list of cards: who, whom and why, without scrolling sideways', async () => {
      const card = page.locator('tbody tr').filter({ hasText: REASON });
      await expectFitsPhone(page, [card.getByText(hal.email), card.getByText(grace.email), card.getByText(REASON)], async () => {
        // Each line's label sits beside its value, never over it: the time starts after "Time".
        const cell = card.locator('td[data-label="Time"]');
        const [c, value] = [await cell.boundingBox(), await cell.locator('div').first().boundingBox()];
        expect((value?.x ?? 0) - (c?.x ?? 0), 'the time starts after its label').toBeGreaterThanOrEqual(60);
        // A card has no empty lines: in the whole log, an event without a target or detail (a
        // sign-in) shows no such line.
        await page.goto('/settings/activity');
        let hidden = 0;
        for (const label of ['Target', 'Detail']) {
          const cells = page.locator(`tbody td[data-label="${label}"]`);
          for (let i = 0; i < (await cells.count()); i++) {
            const text = (await cells.nth(i).textContent())?.trim() ?? '';
            if (text === '' || text === '—') {
              await expect(cells.nth(i)).toBeHidden();
              hidden++;
            } else {
              await expect(cells.nth(i)).toBeVisible();
            }
          }
        }
        expect(hidden, 'some events have no target or detail').toBeGreaterThan(0);
      });
    });
  } finally {
    await graceContext?.close();
  }

  await test.step("the main organisation's owner cannot see or reach Grace (another organisation)", async () => {
    const other = ownerFor(project);
    await page.context().clearCookies();
    await signIn(page, other.email, other.password, new HomePage(page).welcomeHeading(other.displayName));
    await team.goto();
    await team.expectLoaded();
    await expect(team.row(grace.email)).toHaveCount(0);
    const response = await member.goto(graceId);
    expect(response?.status(), `GET /settings/team/${graceId} from another organisation`).toBe(404);
    await expect(page.getByText('There is nothing here, or it is not part of your organisation.')).toBeVisible();
    await expect(page.getByText(grace.email)).toHaveCount(0);
    // Nor can a forged reset touch her: she does not exist in this organisation.
    const forged = await page.request.post('/api/team/reset-mfa', {
      form: { member: String(graceId), reason: 'forged' },
      headers: { Origin: new URL(page.url()).origin },
    });
    expect(forged.status(), 'a reset of another organisation\'s member').toBe(404);
    expect(await forged.text()).toBe('not-found');
  });
});
