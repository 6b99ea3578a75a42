/**
 * The signed-in frame, home and invitations end to end, in every project
 * (SQLite and PostgreSQL, JavaScript on and off), with an organisation of
 * the spec's own per project (made with the operator CLI):
 * - the owner's home lists the next steps, which tick off as the owner
 *   invites someone and chooses a policy; MFA adoption shows as numbers;
 * - the frame's navigation offers each role exactly the pages it may open,
 *   marks the current one, and folds into a "Menu" on a phone;
 * - an invitation is resent (the old link dies) and another is revoked (its
 *   link dies); the set-password page names the account and organisation,
 *   and after it the sign-in page has the address filled in;
 * - a list of people is invited at once (pasted, or read from a CSV file with
 *   JavaScript): a bad line invites nobody and is named; resending every
 *   waiting invitation right after mails nobody twice;
 * - every page visited passes axe-core with no serious or critical issue.
 */
import type { Browser, Page } from '@playwright/test';
import { Authenticator } from '../pages/Authenticator';
import { EnrolPage } from '../pages/EnrolPage';
import { expectAccessible } from '../pages/a11y';
import { AppFrame, NAV_FOR } from '../pages/AppFrame';
import { addUser, createOrganisation } from '../pages/Cli';
import { expect, test } from '../pages/fixtures';
import { expectFitsPhone, islandsReady, javaScriptOn, submitAndSettle, submitExpectingError } from '../pages/http';
import { signIn } from '../pages/LoginPage';
import { ensureOrganisation, ownerFor } from '../pages/Organisation';
import { MailDev } from '../pages/MailDev';
import { PolicyPage } from '../pages/PolicyPage';
import { RecoveryCodesPage } from '../pages/RecoveryCodesPage';
import { TeamPage } from '../pages/TeamPage';

test.describe.configure({ mode: 'serial', timeout: 180_000 });

const PASSWORD = 'lantern orchard copper meadow violin';

function people(project: string) {
  const org = `Frame Works ${project}`;
  return {
    org,
    owner: { name: 'Olga Owner', email: `olga.${project}@frame.example` },
    admin: { name: 'Adrian Admin', email: `adrian.${project}@frame.example` },
    desk: { name: 'Hana Desk', email: `hana.${project}@frame.example` },
    member: { name: 'Milo Member', email: `milo.${project}@frame.example` },
    ivy: { name: 'Ivy Invited', email: `ivy.${project}@frame.example` },
    rex: { name: 'Rex Revoked', email: `rex.${project}@frame.example` },
  };
}

const stepItem = (page: Page, label: string) => page.locator(`li[data-step="${label}"]`);

/**
 * The set-password link of the newest invitation to `to` that carries a link other than
 * `previous` (MailDev keeps whole seconds, so time alone cannot tell two quick mails apart).
 */
async function invitationLink(mail: MailDev, to: string, org: string, previous = ''): Promise<string> {
  const subject = `Tessera: You were invited to ${org}`;
  const linkIn = (text: string) => {
    const url = /https?:\/\/\S+\/set-password\?token=[\w-]+/.exec(text)?.[0];
    return url ? new URL(url).pathname + new URL(url).search : '';
  };
  let link = '';
  await expect
    .poll(async () => {
      const links = (await mail.find({ to, subject })).map((m) => linkIn(m.text)).filter((l) => l && l !== previous);
      link = links[links.length - 1] ?? '';
      return link;
    }, { message: `a new invitation to ${to}`, timeout: 15_000 })
    .not.toEqual('');
  return link;
}

async function invite(page: Page, who: { name: string; email: string }) {
  await page.goto('/settings/team/invite');
  await page.getByLabel('Email', { exact: true }).fill(who.email);
  await page.getByLabel('Name (optional)').fill(who.name);
  await page.getByLabel('Role', { exact: true }).selectOption({ label: 'Member' });
  await submitAndSettle(
    page,
    () => page.getByRole('button', { name: 'Send invitation' }).click(),
    page.getByRole('status').filter({ hasText: 'The invitation is on its way.' }),
  );
}

/** Signs `who` in, in a browser context of their own, and checks what their frame offers. */
async function expectNavigationOf(browser: Browser, who: { name: string; email: string }, labels: readonly string[]) {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await signIn(page, who.email, PASSWORD, page.getByRole('heading', { name: `Welcome, ${who.name}` }));
    await new AppFrame(page).expectNavigation(labels, 'Home');
    await expect(page.getByRole('heading', { name: 'Your MFA' })).toBeVisible();
    await expectAccessible(page, `the home of ${who.name}`);
  } finally {
    await context.close();
  }
}

test("the frame, the owner's home and invitations", async ({ page, server, browser }, testInfo) => {
  const p = people(testInfo.project.name);
  const mail = new MailDev(server.mailURL);
  const frame = new AppFrame(page);
  const team = new TeamPage(page);
  const linkGone = page.getByRole('heading', { name: 'Link no longer valid' });
  // The project's main organisation comes from the setup link, which works only while no
  // organisation exists: make sure it is there before the CLI adds this spec's own, so the
  // spec passes run alone or in any order.
  await ensureOrganisation(page, server, ownerFor(testInfo.project.name));
  createOrganisation(server, { name: p.org, ownerEmail: p.owner.email, ownerName: p.owner.name, ownerPassword: PASSWORD });
  for (const [who, role] of [
    [p.admin, 'admin'],
    [p.desk, 'helpdesk'],
    [p.member, 'member'],
  ] as const) {
    addUser(server, { organisationName: p.org, email: who.email, role, displayName: who.name, password: PASSWORD });
  }

  await test.step("the owner's home: next steps, MFA adoption and the frame", async () => {
    await signIn(page, p.owner.email, PASSWORD, page.getByRole('heading', { name: `Welcome, ${p.owner.name}` }));
    await expect(page.getByText('1 of 3 done.')).toBeVisible();
    await expect(stepItem(page, 'Invite your team')).toHaveAttribute('data-done', 'true');
    await expect(stepItem(page, 'Turn on MFA for your account')).toHaveAttribute('data-done', 'false');
    await expect(stepItem(page, 'Choose an MFA policy')).toHaveAttribute('data-done', 'false');
    await expect(page.locator('[data-count="enabled"]')).toHaveText('0');
    await expect(page.locator('[data-count="not-enabled"]')).toHaveText('4');
    await frame.expectNavigation(NAV_FOR.owner, 'Home');
    await expectAccessible(page, "the owner's home");
  });

  await test.step('on a phone the navigation folds into a menu, and the page fits', async () => {
    const nav = page.getByRole('navigation', { name: 'Main' });
    await expectFitsPhone(
      page,
      [page.getByRole('heading', { name: `Welcome, ${p.owner.name}` }), frame.personSummary, frame.phoneMenu, nav],
      async () => {
        await expect(frame.phoneMenu).toBeVisible();
        await frame.expectNavigation(NAV_FOR.owner, 'Home');
        await expectAccessible(page, 'the home on a phone, menu open');
      },
    );
  });

  let ivyLink = '';
  let rexLink = '';
  await test.step('the owner invites two people; the team list shows them as Invited', async () => {
    await invite(page, p.ivy);
    ivyLink = await invitationLink(mail, p.ivy.email, p.org);
    await invite(page, p.rex);
    rexLink = await invitationLink(mail, p.rex.email, p.org);
    await team.goto();
    await team.expectLoaded();
    await expect(team.row(p.ivy.email).getByText('Invited', { exact: true })).toBeVisible();
    await expect(team.row(p.rex.email).getByText('Invited', { exact: true })).toBeVisible();
    await expectAccessible(page, 'the team list');
  });

  await test.step("resending Ivy's invitation kills the link sent before", async () => {
    await team.row(p.ivy.email).getByRole('link', { name: p.ivy.name }).click();
    await expect(page.locator('#invitation-state')).toContainText('Invited');
    await expectAccessible(page, "an invited member's page");
    await submitAndSettle(
      page,
      () => page.getByRole('button', { name: 'Resend invitation' }).click(),
      page.getByRole('status').filter({ hasText: 'A new invitation is on its way.' }),
    );
    const fresh = await invitationLink(mail, p.ivy.email, p.org, ivyLink);
    expect(fresh).not.toEqual(ivyLink);
    await page.goto(ivyLink);
    await expect(linkGone).toBeVisible();
    ivyLink = fresh;
  });

  await test.step("revoking Rex's invitation kills his link and removes him", async () => {
    await team.goto();
    await team.row(p.rex.email).getByRole('link', { name: p.rex.name }).click();
    await submitAndSettle(
      page,
      () => page.getByRole('button', { name: 'Revoke invitation' }).click(),
      page.getByRole('status').filter({ hasText: 'The invitation is revoked' }),
    );
    await expect(team.row(p.rex.email)).toHaveCount(0);
    await page.goto(rexLink);
    await expect(linkGone).toBeVisible();
    await expectAccessible(page, 'a dead link');
  });

  await test.step('Ivy chooses her password on a page that says whose account it is, then signs in', async () => {
    const context = await browser.newContext();
    const ivy = await context.newPage();
    try {
      await ivy.goto(ivyLink);
      await expect(ivy.getByRole('heading', { name: 'Choose your password' })).toBeVisible();
      await expect(ivy.getByText(p.ivy.email)).toBeVisible();
      await expect(ivy.getByText(p.org)).toBeVisible();
      await expect(ivy.getByText(/^At least \d+ characters\./)).toBeVisible();
      await expectAccessible(ivy, 'the set-password page');
      await ivy.getByLabel('New password').fill(PASSWORD);
      await submitAndSettle(
        ivy,
        () => ivy.getByRole('button', { name: 'Set password' }).click(),
        ivy.getByRole('status').filter({ hasText: 'Your password is set.' }),
      );
      await expect(ivy.getByLabel('Email')).toHaveValue(p.ivy.email);
      await expectAccessible(ivy, 'the sign-in page');
    } finally {
      await context.close();
    }
  });

  await test.step('each role sees exactly the pages it may open', async () => {
    await expectNavigationOf(browser, p.admin, NAV_FOR.admin);
    await expectNavigationOf(browser, p.desk, NAV_FOR.helpDesk);
    await expectNavigationOf(browser, p.member, NAV_FOR.member);
  });

  await test.step('the frame marks the current page and every settings page passes axe', async () => {
    await page.goto('/');
    for (const [label, heading] of [
      ['Team', 'Team'],
      ['Roles & permissions', 'Roles & permissions'],
      ['Security policy', 'Security policy'],
      ['Email templates', 'Email templates'],
      ['Applications', 'Applications'],
      ['Activity log', 'Activity log'],
    ] as const) {
      await frame.goTo(label);
      await expect(page.getByRole('heading', { name: heading, exact: true, level: 1 })).toBeVisible();
      await frame.expectNavigation(NAV_FOR.owner, label);
      await expectAccessible(page, label);
    }
    await frame.accountSecurity();
    await expect(page.getByRole('heading', { name: 'Account security', exact: true })).toBeVisible();
    await expectAccessible(page, 'account security');
  });

  await test.step('the owner turns MFA on and chooses a policy: the next steps are done', async () => {
    await page.getByRole('button', { name: 'Enable MFA' }).click();
    const enrol = new EnrolPage(page);
    await enrol.expectLoaded();
    await expectAccessible(page, 'the enrolment wizard');
    const app = new Authenticator(await enrol.readSetupKey());
    const codes = new RecoveryCodesPage(page);
    await enrol.confirm(app.current().code, codes.heading);
    await expectAccessible(page, 'the recovery codes');
    await codes.finish();
    await page.goto('/');
    await expect(page.getByText('2 of 3 done.')).toBeVisible();
    await expect(stepItem(page, 'Turn on MFA for your account')).toHaveAttribute('data-done', 'true');

    await stepItem(page, 'Choose an MFA policy').getByRole('link').click();
    const policy = new PolicyPage(page);
    await policy.expectLoaded();
    await policy.choose('Required (recommended)', 7);
    await submitAndSettle(page, () => policy.saveButton.click(), policy.requireHeading);
    await expect(policy.requireImpact).toContainText('4 people will have to set up MFA within the grace period of 7 days');
    await expectAccessible(page, 'the Require MFA confirmation');
    await submitAndSettle(page, () => policy.requireButton.click(), policy.savedStatus);
    await page.goto('/');
    await expect(page.getByRole('heading', { name: 'Next steps' })).toHaveCount(0);
    await expect(page.getByRole('region', { name: 'Latest security events' })).toContainText('MFA policy changed');
    await expect(page.locator('[data-count="required"]')).toHaveText('4');
    await expectAccessible(page, 'the home with everything done');
  });

  await test.step('every other page the owner can open passes axe, checked where it stands still', async () => {
    await team.goto();
    const ivyId = await team.memberId(p.ivy.email);
    for (const path of [
      '/settings/team/invite',
      `/settings/team/${ivyId}`,
      '/settings/security/require?grace_days=3',
      '/settings/roles',
      '/settings/activity?action=member.invitation_revoked',
      '/account/security/verify',
      '/account/security',
    ]) {
      await page.goto(path);
      await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
      await expectAccessible(page, path);
    }
    await frame.signOut();
    await expect(page.getByRole('heading', { name: 'Sign in', exact: true })).toBeVisible();
    await expectAccessible(page, 'the sign-in page after signing out');
  });
});

test('an owner invites a list of people at once, and offers everyone waiting a new link', async ({ page, server }, testInfo) => {
  const project = testInfo.project.name;
  const org = `List Works ${project}`;
  const owner = { name: 'Lena Lister', email: `lena.${project}@lists.example` };
  const cy = { name: 'Cy Young', email: `cy.${project}@lists.example` };
  const dee = { name: 'Dee Dale', email: `dee.${project}@lists.example` };
  const eve = `eve.${project}@lists.example`;
  const mail = new MailDev(server.mailURL);
  const javaScript = javaScriptOn();
  await ensureOrganisation(page, server, ownerFor(project));
  createOrganisation(server, { name: org, ownerEmail: owner.email, ownerName: owner.name, ownerPassword: PASSWORD });
  await signIn(page, owner.email, PASSWORD, page.getByRole('heading', { name: `Welcome, ${owner.name}` }));

  const list = page.getByLabel('Email addresses');
  const send = page.getByRole('button', { name: 'Send invitations' });
  const spreadsheet = `Name,Email\n${cy.name},${cy.email}\nDee Dale\n${eve}\n`;
  await test.step('a list with a line that is no address invites nobody and names the line', async () => {
    await page.goto('/settings/team');
    await page.getByRole('link', { name: 'Invite several people' }).click();
    await expect(page.getByRole('heading', { name: 'Invite several people', level: 1 })).toBeVisible();
    const fromFile = page.getByLabel('Or read the list from a file');
    if (javaScript) {
      // A spreadsheet saved as CSV fills the list, which is checked before anything is sent.
      await islandsReady(page);
      await fromFile.setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(spreadsheet) });
      await expect(list).toHaveValue(spreadsheet);
      await expect(page.getByRole('status').filter({ hasText: 'Read 4 lines from people.csv' })).toBeVisible();
    } else {
      await expect(fromFile).toBeHidden();
      await list.fill(spreadsheet);
    }
    await expectAccessible(page, 'the list invitation page');
    await submitExpectingError(
      page,
      () => send.click(),
      page.getByText('Line 3: there is no email address like name@example.com on it.'),
      javaScript,
    );
    await expect(list).toHaveValue(spreadsheet);
    await expect(list).toHaveAttribute('aria-invalid', 'true');
    expect(await mail.find({ to: cy.email, subject: `Tessera: You were invited to ${org}` })).toHaveLength(0);
  });

  await test.step('corrected, it invites everyone with the names it gives', async () => {
    await list.fill(spreadsheet.replace('Dee Dale\n', `${dee.name} <${dee.email}>\n`));
    await submitAndSettle(
      page,
      () => send.click(),
      page.getByRole('status').filter({ hasText: '3 invitations are on the way.' }),
    );
    for (const to of [cy.email, dee.email, eve]) {
      await mail.waitFor({ to, subject: `Tessera: You were invited to ${org}` });
    }
    const team = new TeamPage(page);
    await expect(team.row(cy.email).getByRole('link', { name: cy.name })).toBeVisible();
    await expect(team.row(dee.email).getByText('Invited', { exact: true })).toBeVisible();
    await expect(page.getByText('3 invitations are waiting to be accepted.')).toBeVisible();
  });

  await test.step('resending them all right away mails nobody twice, and says so', async () => {
    const before = (await mail.find({ to: eve, subject: `Tessera: You were invited to ${org}` })).length;
    await submitAndSettle(
      page,
      () => page.getByRole('button', { name: 'Resend all invitations' }).click(),
      page.getByRole('status').filter({ hasText: '3 people got a link less than a minute ago and were not mailed again.' }),
    );
    expect(await mail.find({ to: eve, subject: `Tessera: You were invited to ${org}` })).toHaveLength(before);
    await expectAccessible(page, 'the team list with invitations waiting');
  });

  await test.step('on a phone the list page fits', async () => {
    await page.goto('/settings/team/invite/list');
    await expectFitsPhone(page, [list, send, page.getByLabel('Role', { exact: true })]);
  });
});
