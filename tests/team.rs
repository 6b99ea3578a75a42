//! Settings -> Team, roles and the activity log over HTTP.

#![cfg(feature = "ssr")]

mod common;

use common::*;

// --- the activity log ------------------------------------------------------------------------------------

#[tokio::test]
async fn the_activity_log_shows_filters_and_exports_one_organisation_only() {
    let t = app().await;
    t.create_org().await;
    t.tessera
        .create_organisation("Other", OrgKind::Standard, "zed@example.org", None, Some("quiet amber lamps over rivers"))
        .await
        .unwrap();
    t.tessera
        .add_user(
            "Acme",
            "bob@example.org",
            None,
            tessera_server::model::Role::Member,
            Some("quiet amber lamps over rivers"),
        )
        .await
        .unwrap();
    assert_eq!(t.sign_in("ada@example.org", "not the password at all").await.status, StatusCode::UNAUTHORIZED);
    let ada = t.session_cookie().await;

    let page = t.get("/settings/activity", Some(&ada)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("Local time"), "an organisation on UTC needs no second time column");
    assert!(
        page.body.contains(r#"<span class="font-medium">Ada</span><div class="wrap-anywhere text-xs text-slate-600 dark:text-slate-300">ada@example.org</div>"#),
        "names beside addresses: {}",
        page.body
    );
    assert!(
        page.body.contains("Activity log") && page.body.contains("ada@example.org") && page.body.contains("Sign-in")
    );
    assert!(page.body.contains("bob@example.org"), "member added by an operator");
    assert!(!page.body.contains("zed@example.org"), "another organisation's events stay out");

    // Filter by action and actor.
    let only = t.get("/settings/activity?action=member.added", Some(&ada)).await;
    assert!(only.body.contains("<span>Member added</span>") && !only.body.contains("<span>Sign-in</span>"));
    let failures = t.get("/settings/activity?target=ada%40example.org&action=signin", Some(&ada)).await;
    assert!(failures.body.contains(">Failed</span>") && failures.body.contains("wrong email or password"));
    let by_actor = t.get("/settings/activity?actor=ADA%40example.org&action=signin", Some(&ada)).await;
    assert!(by_actor.body.contains("ada@example.org"));
    let future = t.get("/settings/activity?from=2099-01-01", Some(&ada)).await;
    assert!(!future.body.contains("<td"), "nothing from the future");
    let bad = t.get("/settings/activity?from=yesterday", Some(&ada)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("YYYY-MM-DD"));
    assert_eq!(
        t.get("/settings/activity?action=drop+table", Some(&ada)).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // CSV export of the same filter.
    let csv = t.get("/settings/activity.csv?action=signin", Some(&ada)).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(csv.headers[header::CONTENT_DISPOSITION].to_str().unwrap().starts_with("attachment"));
    assert!(csv.body.starts_with(
        "time_utc,time_local,actor_name,actor_email,target_name,target_email,action,outcome,ip,detail,reason,flags\r\n"
    ));
    assert!(csv.body.contains(",signin,success,192.0.2.7,") && !csv.body.contains("member.added"));

    // Members may not read it; the other organisation's owner sees only theirs.
    let bob = t.sign_in("bob@example.org", "quiet amber lamps over rivers").await.cookie("tessera_session").unwrap();
    assert_eq!(t.get("/settings/activity", Some(&bob)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.get("/settings/activity.csv", Some(&bob)).await.status, StatusCode::FORBIDDEN);
    let zed = t.sign_in("zed@example.org", "quiet amber lamps over rivers").await.cookie("tessera_session").unwrap();
    let theirs = t.get("/settings/activity.csv", Some(&zed)).await;
    assert!(theirs.body.contains("zed@example.org") && !theirs.body.contains("ada@example.org"));
}

#[tokio::test]
async fn a_help_desk_admin_resets_mfa_through_the_pages() {
    let t = app().await;
    let [ada, adam, _hal, bob, _zed] = two_organisations(&t).await;
    let bob_cookie = cookie_of(&t, "bob@example.org").await;
    enrol_with(&t, &bob_cookie).await;
    let hal_cookie = cookie_of(&t, "hal@example.org").await;
    let hal_secret = enrol_with(&t, &hal_cookie).await;
    let ada_cookie = cookie_of(&t, "ada@example.org").await;
    enrol_with(&t, &ada_cookie).await;
    t.clock.advance(Duration::from_secs(6 * 60));

    // The list shows MFA status to the help desk, and filters by it.
    let list = t.get("/settings/team?mfa=enabled", Some(&hal_cookie)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("bob@example.org") && !list.body.contains("adam@example.org"), "{}", list.body);
    assert!(list.body.contains(">Authenticator app</span></td>"), "the status is a badge");
    let search = t.get("/settings/team?q=ADAM", Some(&hal_cookie)).await;
    assert!(search.body.contains("adam@example.org") && search.body.contains("1 member<"));
    assert_eq!(t.get("/settings/team?mfa=sometimes", Some(&hal_cookie)).await.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The member page offers the reset; the owner's does not.
    let page = t.get(&format!("/settings/team/{bob}"), Some(&hal_cookie)).await;
    assert!(page.body.contains("Security settings") && page.body.contains(&format!("/settings/team/{bob}/reset-mfa")));
    let owner = t.get(&format!("/settings/team/{ada}"), Some(&hal_cookie)).await;
    assert!(!owner.body.contains("/reset-mfa") && owner.body.contains("Only an owner can reset an owner's MFA."));
    assert!(!owner.body.contains("Change role"), "the help desk does not manage members");

    // The confirmation names the member; a stale session needs a code and keeps the reason.
    let confirm = t.get(&format!("/settings/team/{bob}/reset-mfa"), Some(&hal_cookie)).await;
    assert!(confirm.body.contains("Reset MFA for bob?") && confirm.body.contains("Yes, reset MFA"));
    assert!(confirm.body.contains("role=\"alertdialog\"") && confirm.body.contains("autocomplete=\"one-time-code\""));
    // The member page has the same confirmation in its dialog.
    assert!(
        page.body.contains("<dialog")
            && page.body.contains("Reset MFA for bob?")
            && page.body.contains("data-open-dialog")
    );
    // It asks how the person asking was verified, and says what follows under this policy.
    assert!(
        confirm.body.contains("How did you verify who is asking?") && confirm.body.contains("In person, with photo ID")
    );
    assert!(
        confirm.body.contains("they sign in with their password alone until they set up MFA again"),
        "{}",
        confirm.body
    );
    let bob_id = bob.to_string();
    let r = t.post(RESET_MFA, &[("member", &bob_id), ("reason", "Ticket 7: lost phone")], Some(&hal_cookie)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Choose how you verified who is asking."), "{}", r.body);
    let r = t
        .post(
            RESET_MFA,
            &[("member", &bob_id), ("reason", "Ticket 7: lost phone"), ("verified_by", "known-number")],
            Some(&hal_cookie),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("value=\"known-number\" checked"), "the choice is kept: {}", r.body);
    assert!(r.body.contains("value=\"Ticket 7: lost phone\"") && r.body.contains("confirm it is you"));
    assert!(r.body.contains("Reset MFA for bob?"), "the confirmation page again");
    let r = t
        .post(
            RESET_MFA,
            &[
                ("member", &bob_id),
                ("reason", "Ticket 7: lost phone"),
                ("verified_by", "known-number"),
                ("code", "000000"),
            ],
            Some(&hal_cookie),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = t
        .island(
            RESET_MFA,
            &[
                ("member", &bob_id),
                ("reason", "Ticket 7: lost phone"),
                ("verified_by", "known-number"),
                ("code", "000000"),
            ],
            Some(&hal_cookie),
        )
        .await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::UNAUTHORIZED, "invalid code=wrong-code"));
    let code = code_now(&t, &hal_secret);
    let r = t
        .post(
            RESET_MFA,
            &[
                ("member", &bob_id),
                ("reason", "Ticket 7: lost phone"),
                ("verified_by", "known-number"),
                ("code", &code),
            ],
            Some(&hal_cookie),
        )
        .await;
    assert_eq!(r.location(), Some(format!("/settings/team/{bob}?reset").as_str()), "{}", r.body);
    let after = t.get(&format!("/settings/team/{bob}?reset"), Some(&hal_cookie)).await;
    assert!(after.body.contains("MFA was reset") && after.body.contains(">Not set up</strong>"));

    // An administrator holds permissions the help desk lacks: no button, the reason instead, and
    // a forged reset is refused with the administrator's MFA untouched.
    let adam_cookie = cookie_of(&t, "adam@example.org").await;
    enrol_with(&t, &adam_cookie).await;
    let page = t.get(&format!("/settings/team/{adam}"), Some(&hal_cookie)).await;
    assert!(page.body.contains(">Authenticator app</strong>") && !page.body.contains("/reset-mfa"), "{}", page.body);
    assert!(page.body.contains("only someone with at least their permissions can reset their MFA"), "{}", page.body);
    let r = t.post(RESET_MFA, &[("member", &adam.to_string()), ("reason", "")], Some(&hal_cookie)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(t.tessera.store.totp_credential(adam).await.unwrap().is_some());

    // Bob's open session is over; the log has the reset with its reason.
    assert_eq!(t.get("/", Some(&bob_cookie)).await.location(), Some("/login"));
    let log = t.get("/settings/activity?action=mfa.reset_by_admin", Some(&ada_cookie)).await;
    assert!(log.body.contains("Ticket 7: lost phone") && log.body.contains("hal@example.org"), "{}", log.body);
    assert!(log.body.contains("verified by a call to a number on record"), "{}", log.body);
}

/// The code on the page that shows a temporary access code once.
fn shown_access_code(html: &str) -> Option<String> {
    let at = html.find("id=\"access-code\"")?;
    let start = at + html[at..].find('>')? + 1;
    let code: String = html[start..].chars().take_while(|c| *c != '<').collect();
    (code.len() == 14).then_some(code)
}

#[tokio::test]
async fn a_reset_under_required_hands_over_an_access_code_and_holds_the_account_until_it_is_used() {
    let t = app().await;
    let [_ada, _adam, _hal, bob, _zed] = two_organisations(&t).await;
    let bob_cookie = cookie_of(&t, "bob@example.org").await;
    enrol_with(&t, &bob_cookie).await;
    t.tessera.set_mfa_policy_by_operator("Acme", tessera_server::policy::MfaPolicy::Required, None).await.unwrap();
    let hal_cookie = cookie_of(&t, "hal@example.org").await;
    let hal = enrol_with(&t, &hal_cookie).await;
    let _ = hal;

    // The confirmation says what the reset leads to under Required: the access code.
    let confirm = t.get(&format!("/settings/team/{bob}/reset-mfa"), Some(&hal_cookie)).await;
    assert!(confirm.body.contains("they cannot sign in until they enter a temporary access code"), "{}", confirm.body);
    // An email alone is not enough: refused, with what to do instead, and nothing changes.
    let bob_id = bob.to_string();
    let r = t.post(RESET_MFA, &[("member", &bob_id), ("verified_by", "email-only")], Some(&hal_cookie)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("An email alone does not prove who is asking"), "{}", r.body);
    let r = t.island(RESET_MFA, &[("member", &bob_id), ("verified_by", "email-only")], Some(&hal_cookie)).await;
    assert_eq!(r.body, "invalid verified_by=not-enough-proof");
    assert!(t.tessera.store.totp_credential(bob).await.unwrap().is_some());

    // Verified on a video call: the reset goes through to the page that shows the code, once.
    let r = t.post(RESET_MFA, &[("member", &bob_id), ("verified_by", "video-call")], Some(&hal_cookie)).await;
    assert_eq!(r.location(), Some(format!("/settings/team/{bob}/access-code?reset").as_str()), "{}", r.body);
    let page = t.get(&format!("/settings/team/{bob}/access-code?reset"), Some(&hal_cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    let code = shown_access_code(&page.body).unwrap_or_else(|| panic!("no code on: {}", page.body));
    assert!(page.body.contains("It works once, for 60 minutes") && page.body.contains("MFA was reset"));
    let again = t.get(&format!("/settings/team/{bob}/access-code"), Some(&hal_cookie)).await;
    assert!(shown_access_code(&again.body).is_none() && !again.body.contains(&code));
    assert!(again.body.contains("is never shown twice"));
    // The member page says the account waits for it, and offers a new code.
    let member = t.get(&format!("/settings/team/{bob}"), Some(&hal_cookie)).await;
    assert!(member.body.contains("cannot sign in until they enter the temporary access code"), "{}", member.body);
    assert!(member.body.contains("Issue a new access code"));
    // The code never went by mail; the mail says who hands it over.
    let mail = t.outbox().into_iter().rev().find(|m| m.contains("To: bob@example.org")).unwrap();
    assert!(!mail.contains(&code) && mail.contains("you need a temporary access code from hal"), "{mail}");

    // Bob's password alone: only the page that asks for the code, and nothing else.
    let r = t.sign_in("bob@example.org", OTHER_PASSWORD).await;
    assert_eq!(r.location(), Some("/login/mfa"));
    let held = r.cookie("tessera_session").unwrap();
    let challenge = t.get("/login/mfa", Some(&held)).await;
    assert!(challenge.body.contains("Your MFA was reset") && challenge.body.contains("Temporary access code"));
    assert!(
        challenge.body.contains(
            "Signing in as <strong class=\"wrap-anywhere text-slate-900 dark:text-white\">bob@example.org</strong>"
        ),
        "{}",
        challenge.body
    );
    assert!(!challenge.body.contains("Email me a code"));
    let r = t.post(MFA_START, &[], Some(&held)).await;
    assert_eq!(r.location(), Some("/login/mfa"), "enrolment without the code: {}", r.body);
    let r = t.island(MFA_START, &[], Some(&held)).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::UNAUTHORIZED, "challenge"));
    assert!(
        t.tessera.store.pending_totp(bob, tessera_server::clock::Clock::now(&*t.clock)).await.unwrap().is_none(),
        "no secret was made"
    );
    assert_eq!(t.get("/account/security/enrol-required", Some(&held)).await.location(), Some("/login/mfa"));
    let r = t.post(LOGIN_MFA, &[("code", "ABCD-EFGH-JKMN")], Some(&held)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(
        r.body.contains("That access code didn&#x27;t work") || r.body.contains("That access code didn't work"),
        "{}",
        r.body
    );
    let r = t.island(LOGIN_MFA, &[("code", "123456")], Some(&held)).await;
    assert_eq!(r.body, "invalid code=access-code-wrong");

    // The code, typed loosely: through to enrolment, confined there.
    let r = t.post(LOGIN_MFA, &[("code", &code.to_lowercase().replace('-', " "))], Some(&held)).await;
    assert_eq!(r.location(), Some("/account/security/enrol-required"), "{}", r.body);
    let through = r.cookie("tessera_session").unwrap();
    assert_eq!(t.get("/", Some(&through)).await.location(), Some("/account/security/enrol-required"));
    let member = t.get(&format!("/settings/team/{bob}"), Some(&hal_cookie)).await;
    assert!(member.body.contains("entered their temporary access code"), "{}", member.body);
    enrol_with(&t, &through).await;
    let member = t.get(&format!("/settings/team/{bob}"), Some(&hal_cookie)).await;
    assert!(!member.body.contains("Temporary access code") && member.body.contains(">Authenticator app</strong>"));
}

#[tokio::test]
async fn owners_invite_members_and_define_roles_through_the_pages() {
    let t = app().await;
    let (secret, _codes, ada) = enrol_over_http(&t).await;
    let _ = secret;
    t.tessera
        .add_user("Acme", "bob@example.org", None, tessera_server::model::Role::Member, Some(OTHER_PASSWORD))
        .await
        .unwrap();
    let roles = t.tessera.store.roles(1).await.unwrap();
    let member = roles.iter().find(|r| r.name == "Member").unwrap().id.to_string();
    let admin = roles.iter().find(|r| r.name == "Administrator").unwrap().id.to_string();

    // Fresh from enrolment: an invitation goes out with no code asked.
    let page = t.get("/settings/team/invite", Some(&ada)).await;
    assert!(page.body.contains("Administrator (administrative)"));
    let r = t.post(INVITE, &[("email", "cy@example.org"), ("role", &member)], Some(&ada)).await;
    assert_eq!(r.location(), Some("/settings/team?invited"), "{}", r.body);
    let r = t.post(INVITE, &[("email", "nope"), ("role", &member), ("name", "Dee")], Some(&ada)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("value=\"Dee\""), "what was typed stays");
    // Stale: an administrator needs a code.
    t.clock.advance(Duration::from_secs(6 * 60));
    let r = t.post(INVITE, &[("email", "dee@example.org"), ("role", &admin)], Some(&ada)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("to confirm it is you") && r.body.contains("value=\"dee@example.org\""), "{}", r.body);

    // Roles: the page lists the built-in ones; creating one needs a fresh factor first.
    let page = t.get("/settings/roles", Some(&ada)).await;
    assert!(page.body.contains("Help desk") && page.body.contains("Manage Multi-Factor Authentication"));
    // Ticked boxes arrive as `permissions[N]`, N the box's place in the list.
    let form = [
        ("name", "Auditors"),
        ("permissions[0]", "manage-mfa"),
        ("permissions[4]", "view-activity-log"),
        ("requires_mfa", "true"),
    ];
    let r = t.post(CREATE_ROLE, &form, Some(&ada)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("value=\"Auditors\"") && r.body.contains("to confirm it is you"), "{}", r.body);
    assert!(r.body.contains("value=\"view-activity-log\" checked"), "ticked boxes stay ticked");
    let r = t.post(STEP_UP, &[("code", &code_now(&t, &secret)), ("next", "/settings/roles")], Some(&ada)).await;
    assert_eq!(r.location(), Some("/settings/roles"));
    let r = t.post(CREATE_ROLE, &form, Some(&ada)).await;
    assert_eq!(r.location(), Some("/settings/roles?created"), "{}", r.body);
    let created = t.tessera.store.roles(1).await.unwrap().into_iter().find(|r| r.name == "Auditors").unwrap();
    assert!(created.requires_mfa);
    assert_eq!(created.permissions().to_ids(), "manage-mfa,view-activity-log");
    let r = t.post(CREATE_ROLE, &[("name", "Bad"), ("permissions[0]", "root")], Some(&ada)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Choose permissions from the list."));
    // Business hours: saved, shown back, and nonsense refused.
    let r =
        t.post(SET_HOURS, &[("start", "09:00"), ("end", "17:30"), ("time_zone", "Europe/London")], Some(&ada)).await;
    assert_eq!(r.location(), Some("/settings/security?hours"), "{}", r.body);
    let page = t.get("/settings/security?hours", Some(&ada)).await;
    assert!(
        page.body.contains("value=\"17:30\"") && page.body.contains("<option selected>Europe/London</option>"),
        "{}",
        page.body
    );
    let r = t.post(SET_HOURS, &[("start", "18:00"), ("end", "09:00"), ("time_zone", "UTC")], Some(&ada)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("The working day must end after it starts."));
    let r = t.post(SET_HOURS, &[("start", "09:00"), ("end", "17:00"), ("time_zone", "Mars/Base")], Some(&ada)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Choose a time zone from the list."), "{}", r.body);
    let log = t.get("/settings/activity", Some(&ada)).await;
    assert!(log.body.contains("Time (Europe/London)"));
    // The clock is in November: London is on GMT, shown with its offset, and UTC under it.
    assert!(log.body.contains(">+00:00 · "), "{}", log.body);
    assert!(log.body.contains(" UTC</div>"), "{}", log.body);
    // Home's latest events tell the time at the organisation too.
    let home = t.get("/", Some(&ada)).await;
    assert!(home.body.contains("(Europe/London)"), "{}", home.body);
    // Step-up cannot be sent anywhere else.
    let r = t.post(STEP_UP, &[("code", "123456"), ("next", "https://evil.example")], Some(&ada)).await;
    assert!(r.body.contains("value=\"/account/security?verified\""), "{}", r.status);
    assert!(!r.body.contains("evil.example"));

    // The roles say which rule applies: under a Required policy no role shows "No".
    let page = t.get("/settings/roles", Some(&ada)).await;
    assert!(page.body.contains("<span>No</span>") && !page.body.contains("Required by the organisation"));
    t.tessera.set_mfa_policy_by_operator("Acme", tessera_server::policy::MfaPolicy::Required, None).await.unwrap();
    let page = t.get("/settings/roles", Some(&ada)).await;
    assert!(!page.body.contains("<span>No</span>"), "{}", page.body);
    assert!(page.body.contains("<span>Required by the organisation's policy</span>"), "{}", page.body);
    assert!(page.body.contains("<span>Yes (the organisation's policy requires it too)</span>"), "Auditors");
    // Under Required the switches change nothing today: the page and the buttons say what they do.
    assert!(
        page.body.contains("so a role&#x27;s setting changes nothing today")
            || page.body.contains("so a role's setting changes nothing today"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(">Also require if the policy is relaxed</button>")
            && !page.body.contains(">Require MFA</button>")
    );
}

#[tokio::test]
async fn without_an_app_a_reset_of_someone_elses_mfa_is_confirmed_with_an_emailed_code() {
    let t = app().await;
    let [_ada, _adam, _hal, bob, _zed] = two_organisations(&t).await;
    let bob_cookie = cookie_of(&t, "bob@example.org").await;
    enrol_with(&t, &bob_cookie).await;
    // Adam (admin, no authenticator app) signed in more than the step-up window ago.
    let adam = cookie_of(&t, "adam@example.org").await;
    t.clock.advance(Duration::from_secs(6 * 60));
    let page = t.get(&format!("/settings/team/{bob}"), Some(&adam)).await;
    assert!(page.body.contains("Resetting someone's MFA needs a fresh confirmation first"), "{}", page.body);
    assert!(page.body.contains(&format!("/account/security/verify?next=/settings/team/{bob}")));
    assert!(!page.body.contains("Your authentication code"), "no app code is asked of him");
    // A forged reset without the confirmation goes to it, and changes nothing.
    let r = t
        .post(RESET_MFA, &[("member", &bob.to_string()), ("reason", "x"), ("verified_by", "in-person")], Some(&adam))
        .await;
    // Back, once confirmed, to the form it came from (the access table names it).
    assert_eq!(r.location(), Some(format!("/account/security/verify?next=/settings/team/{bob}/reset-mfa").as_str()));
    assert!(t.tessera.store.totp_credential(bob).await.unwrap().is_some());

    // The step-up page offers a code by email, and says email is weaker than an app.
    let back = format!("/settings/team/{bob}");
    let verify = t.get(&format!("/account/security/verify?next={back}"), Some(&adam)).await;
    assert!(verify.body.contains("Email me a code") && verify.body.contains("weaker than an app"), "{}", verify.body);
    assert!(verify.body.contains("adam@example.org"));
    let sent = t.post(SEND_EMAIL_CODE, &[("next", &back)], Some(&adam)).await;
    assert_eq!(sent.location(), Some(format!("/account/security/verify?next=%2Fsettings%2Fteam%2F{bob}").as_str()));
    let code = t.emailed_code();
    assert!(t.outbox().last().unwrap().contains("To: adam@example.org"));
    let page = t.get(&format!("/account/security/verify?next={back}"), Some(&adam)).await;
    assert!(page.body.contains("Code from the email") && page.body.contains("autocomplete=\"one-time-code\""));
    // Asking again within the minute is refused with the wait, and sends nothing.
    let again = t.island(SEND_EMAIL_CODE, &[("next", &back)], Some(&adam)).await;
    assert_eq!((again.status, again.body.as_str()), (StatusCode::TOO_MANY_REQUESTS, "resend-wait 60"));
    // The code works in Adam's session only: another of his sessions cannot use it.
    let other = cookie_of(&t, "adam@example.org").await;
    t.clock.advance(Duration::from_secs(6 * 60));
    let elsewhere = t.island(STEP_UP, &[("code", &code), ("next", &back)], Some(&other)).await;
    assert_eq!(elsewhere.body, "invalid code=wrong-code");
    let done = t.post(STEP_UP, &[("code", &code), ("next", &back)], Some(&adam)).await;
    assert_eq!(done.location(), Some(back.as_str()), "{}", done.body);
    let reused = t.island(STEP_UP, &[("code", &code), ("next", &back)], Some(&adam)).await;
    assert_eq!(reused.body, "invalid code=wrong-code", "single use");

    // Now the reset goes through, without an app code.
    let page = t.get(&back, Some(&adam)).await;
    assert!(page.body.contains("/reset-mfa\""), "{}", page.body);
    let r = t
        .post(
            RESET_MFA,
            &[("member", &bob.to_string()), ("reason", "lost phone"), ("verified_by", "ticket")],
            Some(&adam),
        )
        .await;
    assert_eq!(r.location(), Some(format!("/settings/team/{bob}?reset").as_str()), "{}", r.body);
    assert!(t.tessera.store.totp_credential(bob).await.unwrap().is_none());
}

#[tokio::test]
async fn an_administrator_without_an_app_invites_an_admin_after_an_emailed_code() {
    use tessera_server::model::Role;
    let t = app().await;
    t.create_org().await;
    let ada = t.session_cookie().await;
    t.clock.advance(Duration::from_secs(6 * 60));
    let admin = role_id(&t, Role::Admin).await;
    let invite = [("email", "ivy@example.org"), ("name", "Ivy"), ("role", admin.as_str())];
    let page = t.get("/settings/team/invite", Some(&ada)).await;
    assert!(page.body.contains("Inviting someone with an administrative role needs a fresh confirmation first"));
    let r = t.post(INVITE, &invite, Some(&ada)).await;
    assert_eq!(r.location(), Some("/account/security/verify?next=/settings/team/invite"));
    assert_eq!(user_id(&t, "ivy@example.org").await, None, "nobody invited yet");
    // An app code typed by someone without an app is not a factor either.
    let wrong = t.island(STEP_UP, &[("code", "123456")], Some(&ada)).await;
    assert_eq!(wrong.body, "invalid code=wrong-code");
    let back = "/settings/team/invite";
    assert!(t.post(SEND_EMAIL_CODE, &[("next", back)], Some(&ada)).await.status.is_redirection());
    let done = t.post(STEP_UP, &[("code", &t.emailed_code()), ("next", back)], Some(&ada)).await;
    assert_eq!(done.location(), Some(back));
    assert_eq!(t.post(INVITE, &invite, Some(&ada)).await.location(), Some("/settings/team?invited"));
    assert!(user_id(&t, "ivy@example.org").await.is_some());
    let events = t.tessera.store.recent_audit(None, 20).await.unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    for a in ["mfa.email_code_sent", "mfa.email_code_refused", "mfa.email_code_used", "member.invited"] {
        assert!(actions.contains(&a), "{a}: {actions:?}");
    }
}

#[tokio::test]
async fn step_up_comes_back_to_the_form_that_asked_for_it() {
    use tessera_server::model::Role;
    let t = app().await;
    t.create_org().await;
    let ada = t.session_cookie().await;
    t.clock.advance(Duration::from_secs(6 * 60));
    let admin = role_id(&t, Role::Admin).await;
    // The list of invitations, with and without JavaScript: back to the list, not the Team page.
    let list = [("addresses", "ivy@example.org\njo@example.org"), ("role", admin.as_str())];
    let r = t.post(INVITE_LIST, &list, Some(&ada)).await;
    assert_eq!(r.location(), Some("/account/security/verify?next=/settings/team/invite/list"));
    let r = t.island(INVITE_LIST, &list, Some(&ada)).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::FORBIDDEN, "step-up /settings/team/invite/list"));
    assert_eq!(user_id(&t, "ivy@example.org").await, None, "nobody invited yet");
    // And the step-up page, given that page, comes back to it once the code is in.
    let back = "/settings/team/invite/list";
    assert!(t.post(SEND_EMAIL_CODE, &[("next", back)], Some(&ada)).await.status.is_redirection());
    let done = t.post(STEP_UP, &[("code", &t.emailed_code()), ("next", back)], Some(&ada)).await;
    assert_eq!(done.location(), Some(back));
    let r = t.post(INVITE_LIST, &list, Some(&ada)).await;
    assert_eq!(r.location(), Some("/settings/team?invited=2&resent=0&left_out=0"), "{}", r.body);
}

#[tokio::test]
async fn someone_with_an_app_never_gets_an_email_code() {
    let t = app().await;
    let (_, _, ada) = enrol_over_http(&t).await;
    let page = t.get("/account/security/verify", Some(&ada)).await;
    assert!(!page.body.contains("Email me a code") && page.body.contains("authenticator app"));
    let r = t.island(SEND_EMAIL_CODE, &[], Some(&ada)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(t.outbox().iter().all(|m| !m.contains("Your one-time code")));
}

#[tokio::test]
async fn without_an_app_the_roles_page_offers_to_confirm_by_email() {
    let t = app().await;
    t.create_org().await;
    let ada = t.session_cookie().await;
    t.clock.advance(Duration::from_secs(6 * 60));
    let page = t.get("/settings/roles", Some(&ada)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Changes here need a fresh confirmation"), "{}", page.body);
    assert!(page.body.contains("href=\"/account/security/verify?next=/settings/roles\""));
    assert!(!page.body.contains("Your authentication code"));
}

// --- invitations -----------------------------------------------------------------------------------

async fn role_id(t: &TestApp, role: tessera_server::model::Role) -> String {
    let ada = t.tessera.store.credentials_by_email("ada@example.org").await.unwrap().unwrap().user_id;
    let (org, _) = t.tessera.store.primary_membership(ada).await.unwrap().unwrap();
    t.tessera.store.builtin_role(org.id, role).await.unwrap().unwrap().id.to_string()
}

async fn user_id(t: &TestApp, email: &str) -> Option<i64> {
    t.tessera.store.credentials_by_email(email).await.unwrap().map(|c| c.user_id)
}

#[tokio::test]
async fn invitations_are_resent_reinvited_expire_and_are_accepted_with_the_address_filled_in() {
    use tessera_server::model::Role;
    let t = app().await;
    t.create_org().await;
    let ada = t.session_cookie().await;
    let member = role_id(&t, Role::Member).await;
    let invite = [("email", "ivy@example.org"), ("name", "Ivy"), ("role", member.as_str())];
    assert_eq!(t.post(INVITE, &invite, Some(&ada)).await.location(), Some("/settings/team?invited"));
    let first = t.last_link_token();
    let ivy = user_id(&t, "ivy@example.org").await.unwrap();

    // The set-password page names the account and organisation, and the minimum length.
    let page = t.get(&format!("/set-password?token={first}"), None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("ivy@example.org") && page.body.contains("Acme"), "{}", page.body);
    assert!(page.body.contains("At least 15 characters"), "{}", page.body);

    // The team list says "Invited", with the invitation's age, not "Never signed in".
    t.clock.advance(Duration::from_secs(3 * 3600));
    let ada = t.session_cookie().await;
    let list = t.get("/settings/team", Some(&ada)).await;
    assert!(list.body.contains(">Invited</span>") && list.body.contains("Invited 3 hours ago"), "{}", list.body);

    // Inviting the same address again resends: a new link, and the old one dies.
    assert_eq!(t.post(INVITE, &invite, Some(&ada)).await.location(), Some("/settings/team?invited"));
    let second = t.last_link_token();
    assert_ne!(first, second);
    assert_eq!(t.get(&format!("/set-password?token={first}"), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get(&format!("/set-password?token={second}"), None).await.status, StatusCode::OK);
    assert_eq!(user_id(&t, "ivy@example.org").await, Some(ivy), "still one account");

    // Resend from the member's page does the same.
    let page = t.get(&format!("/settings/team/{ivy}"), Some(&ada)).await;
    assert!(page.body.contains("Resend invitation") && page.body.contains("Revoke invitation"), "{}", page.body);
    let ivy_field = ivy.to_string();
    let r = t.post(RESEND_INVITATION, &[("member", ivy_field.as_str())], Some(&ada)).await;
    assert_eq!(r.location(), Some(format!("/settings/team/{ivy}?resent").as_str()));
    let third = t.last_link_token();
    assert_eq!(t.get(&format!("/set-password?token={second}"), None).await.status, StatusCode::NOT_FOUND);

    // Out of time: the page says so and whom to ask; the list says it expired.
    t.clock.advance(Duration::from_secs(25 * 3600));
    let expired = t.get(&format!("/set-password?token={third}"), None).await;
    assert_eq!(expired.status, StatusCode::GONE);
    assert!(
        expired.body.contains("Invitation expired") && expired.body.contains("Ask Ada (ada@example.org)"),
        "{}",
        expired.body
    );
    let ada = t.session_cookie().await;
    assert!(t.get("/settings/team", Some(&ada)).await.body.contains(">Invitation expired</span>"));

    // A new link works; the sign-in page after it has the address filled in.
    t.post(RESEND_INVITATION, &[("member", ivy_field.as_str())], Some(&ada)).await;
    let fourth = t.last_link_token();
    // Nothing but her own address and her organisation's name is refused, and says why.
    let own = t.post(SET_PASSWORD, &[("token", fourth.as_str()), ("password", "Ivy.Example.Acme-2026!")], None).await;
    assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        own.body.contains("made only of your own name, email address or organisation&#x27;s name")
            || own.body.contains("made only of your own name, email address or organisation's name"),
        "{}",
        own.body
    );
    let set = t.post(SET_PASSWORD, &[("token", fourth.as_str()), ("password", OTHER_PASSWORD)], None).await;
    assert_eq!(set.location(), Some("/login?password-set"), "{}", set.body);
    let step = set.cookie("tessera_login").expect("the address, sealed");
    assert!(!step.contains("ivy"));
    let login = t.get("/login?password-set", Some(&step)).await;
    assert!(login.body.contains(r#"value="ivy@example.org""#), "{}", login.body);

    // Accepted: nothing left to resend or revoke.
    let r = t.post(RESEND_INVITATION, &[("member", ivy_field.as_str())], Some(&ada)).await;
    assert_eq!(r.location(), Some(format!("/settings/team/{ivy}?accepted").as_str()));
    assert_eq!(t.post(INVITE, &invite, Some(&ada)).await.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_list_is_invited_through_the_pages_and_everyone_waiting_can_get_new_links() {
    use tessera_server::model::Role;
    let t = app().await;
    two_organisations(&t).await;
    let ada = cookie_of(&t, "ada@example.org").await;
    let member = role_id(&t, Role::Member).await;
    let team = t.get("/settings/team", Some(&ada)).await;
    assert!(team.body.contains(r#"href="/settings/team/invite/list""#), "{}", team.body);
    assert!(!team.body.contains("Resend all invitations"), "nobody is waiting");

    // The page: a labelled list with its hint and error in reach of screen readers, the roles.
    let page = t.get("/settings/team/invite/list", Some(&ada)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(r#"<label for="addresses""#)
            && page.body.contains(r#"aria-describedby="addresses-hint addresses-error""#)
    );
    assert!(page.body.contains("Up to 100 people") && page.body.contains("Administrator (administrative)"));

    // A bad line: nobody invited, the line named, and what was pasted is still there.
    let bad = "cy@example.org\nnot an address\ndee@example.org";
    let r = t.post(INVITE_LIST, &[("addresses", bad), ("role", &member)], Some(&ada)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Line 2: there is no email address like name@example.com on it."), "{}", r.body);
    assert!(r.body.contains("not an address\ndee@example.org</textarea>"), "{}", r.body);
    let r = t.island(INVITE_LIST, &[("addresses", bad), ("role", &member)], Some(&ada)).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid addresses=list:not-email:2:0"));
    let has_account = "cy@example.org\nbob@example.org";
    let r = t.island(INVITE_LIST, &[("addresses", has_account), ("role", &member)], Some(&ada)).await;
    assert_eq!(r.body, "invalid addresses=list:has-account:2:0");
    let many: String = (0..101).map(|i| format!("p{i}@example.org\n")).collect();
    let r = t.post(INVITE_LIST, &[("addresses", &many), ("role", &member)], Some(&ada)).await;
    assert!(r.body.contains("The list has 101 addresses; one list invites at most 100."), "{}", r.body);
    assert_eq!(user_id(&t, "cy@example.org").await, None, "nobody invited yet");

    // A good list: everyone mailed, the Team page counts them and offers to resend.
    let good = "Name,Email\nCy Young,cy@example.org\nDee <dee@example.org>\neve@example.org";
    let r = t.post(INVITE_LIST, &[("addresses", good), ("role", &member)], Some(&ada)).await;
    assert_eq!(r.location(), Some("/settings/team?invited=3&resent=0&left_out=0"), "{}", r.body);
    for to in ["cy@example.org", "dee@example.org", "eve@example.org"] {
        assert!(
            t.outbox().iter().any(|m| m.contains(&format!("To: {to}")) && m.contains("set-password?token")),
            "{to}"
        );
    }
    let dee_link = t
        .outbox()
        .iter()
        .rev()
        .find(|m| m.contains("To: dee@example.org"))
        .map(|m| token_after(m, "set-password?token="))
        .unwrap();
    let team = t.get("/settings/team?invited=3&resent=0&left_out=0", Some(&ada)).await;
    assert!(
        team.body.contains("3 invitations are on the way.")
            && team.body.contains("3 invitations are waiting to be accepted."),
        "{}",
        team.body
    );
    assert!(team.body.contains("Cy Young") && team.body.contains("Resend all invitations"));

    // Resending them all: not twice within a minute, then a new link each, the old ones dead.
    let r = t.post(RESEND_ALL_INVITATIONS, &[], Some(&ada)).await;
    assert_eq!(r.location(), Some("/settings/team?resent_all=0&just_sent=3&not_yours=0"));
    let said = t.get("/settings/team?resent_all=0&just_sent=3&not_yours=0", Some(&ada)).await;
    assert!(
        said.body.contains("Nobody was mailed. 3 people got a link less than a minute ago and were not mailed again."),
        "{}",
        said.body
    );
    t.clock.advance(Duration::from_secs(61));
    let before = t.outbox().len();
    let r = t.post(RESEND_ALL_INVITATIONS, &[], Some(&ada)).await;
    assert_eq!(r.location(), Some("/settings/team?resent_all=3&just_sent=0&not_yours=0"));
    assert_eq!(t.outbox().len(), before + 3);
    assert_eq!(t.get(&format!("/set-password?token={dee_link}"), None).await.status, StatusCode::NOT_FOUND);

    // Only people who manage members, and only their own organisation's invitations.
    let bob = cookie_of(&t, "bob@example.org").await;
    assert_eq!(
        t.island(INVITE_LIST, &[("addresses", "gus@example.org"), ("role", &member)], Some(&bob)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(t.island(RESEND_ALL_INVITATIONS, &[], Some(&bob)).await.status, StatusCode::FORBIDDEN);
    let zed = cookie_of(&t, "zed@example.org").await;
    let r = t.island(INVITE_LIST, &[("addresses", "gus@example.org"), ("role", &member)], Some(&zed)).await;
    assert_eq!(r.body, "invalid role=not-in-list", "Acme's role is no role of theirs");
    t.clock.advance(Duration::from_secs(61));
    let r = t.post(RESEND_ALL_INVITATIONS, &[], Some(&zed)).await;
    assert_eq!(r.location(), Some("/settings/team?none_waiting"), "Acme's invitations are not theirs");
    assert!(t.get("/settings/team?none_waiting", Some(&zed)).await.body.contains("No invitations are waiting"));
}

#[tokio::test]
async fn a_revoked_invitation_removes_the_unused_account_and_kills_its_link() {
    use tessera_server::model::Role;
    let t = app().await;
    let ids = two_organisations(&t).await;
    let ada = cookie_of(&t, "ada@example.org").await;
    let member = role_id(&t, Role::Member).await;
    let invite = [("email", "rex@example.org"), ("name", "Rex"), ("role", member.as_str())];
    t.post(INVITE, &invite, Some(&ada)).await;
    let link = t.last_link_token();
    let rex = user_id(&t, "rex@example.org").await.unwrap().to_string();

    // Only people who manage members may revoke, and only in their organisation.
    let hal = cookie_of(&t, "hal@example.org").await;
    assert_eq!(t.post(REVOKE_INVITATION, &[("member", rex.as_str())], Some(&hal)).await.status, StatusCode::FORBIDDEN);
    let zed = cookie_of(&t, "zed@example.org").await;
    assert_eq!(t.post(REVOKE_INVITATION, &[("member", rex.as_str())], Some(&zed)).await.status, StatusCode::NOT_FOUND);
    // Someone who accepted long ago has no invitation to revoke.
    let bob = ids[3].to_string();
    let r = t.post(REVOKE_INVITATION, &[("member", bob.as_str())], Some(&ada)).await;
    assert_eq!(r.location(), Some(format!("/settings/team/{bob}?accepted").as_str()));
    assert!(user_id(&t, "bob@example.org").await.is_some());

    let r = t.post(REVOKE_INVITATION, &[("member", rex.as_str())], Some(&ada)).await;
    assert_eq!(r.location(), Some("/settings/team?revoked"));
    assert_eq!(t.get(&format!("/set-password?token={link}"), None).await.status, StatusCode::NOT_FOUND);
    assert!(user_id(&t, "rex@example.org").await.is_none());
    assert!(!t.get("/settings/team", Some(&ada)).await.body.contains("rex@example.org"));
    let log = t.get("/settings/activity?action=member.invitation_revoked", Some(&ada)).await;
    assert!(log.body.contains("invitation withdrawn for: rex@example.org"), "{}", log.body);
    // And the address can be invited afresh.
    assert_eq!(t.post(INVITE, &invite, Some(&ada)).await.location(), Some("/settings/team?invited"));
}

// --- the frame and home ------------------------------------------------------------------------------

/// The links of the frame's main navigation on a page.
fn nav_links(html: &str) -> Vec<String> {
    let start = html.find(r#"<nav aria-label="Main""#).expect("the frame's navigation");
    let end = start + html[start..].find("</nav>").unwrap();
    html[start..end].split(r#"href=""#).skip(1).map(|s| s[..s.find('"').unwrap()].to_string()).collect()
}

#[tokio::test]
async fn the_frame_offers_each_role_exactly_the_pages_it_may_open() {
    let t = app().await;
    two_organisations(&t).await;
    let pages = [
        "/",
        "/settings/team",
        "/settings/roles",
        "/settings/security",
        "/settings/email",
        "/settings/applications",
        "/settings/activity",
    ];
    for (email, expected) in [
        ("ada@example.org", &pages[..]),
        ("adam@example.org", &["/", "/settings/team", "/settings/applications", "/settings/activity"][..]),
        ("hal@example.org", &["/", "/settings/team"][..]),
        ("bob@example.org", &["/"][..]),
    ] {
        let cookie = cookie_of(&t, email).await;
        let home = t.get("/", Some(&cookie)).await;
        assert_eq!(nav_links(&home.body), expected, "{email}");
        let nav = &home.body[home.body.find(r#"<nav aria-label="Main""#).unwrap()..];
        assert!(nav[..nav.find("</nav>").unwrap()].contains(r#"<a href="/" aria-current="page""#), "{email}");
        assert!(home.body.contains("Account security") && home.body.contains(">Sign out<"), "{email}");
        // What the navigation offers is what the gate lets through, and nothing more.
        for page in pages {
            let status = t.get(page, Some(&cookie)).await.status;
            assert_eq!(status == StatusCode::OK, expected.contains(&page), "{email} {page}: {status}");
        }
    }
    // The current section is marked, and settings pages link nowhere "back".
    let ada = cookie_of(&t, "ada@example.org").await;
    let roles = t.get("/settings/roles", Some(&ada)).await;
    assert!(roles.body.contains(r#"href="/settings/roles" aria-current="page""#), "{}", roles.body);
    assert!(!roles.body.contains("Back to"));
}

/// The number home shows for one part of MFA adoption.
fn count<'a>(html: &'a str, part: &str) -> &'a str {
    let at = html.find(&format!(r#"data-count="{part}""#)).expect("the adoption panel");
    let start = at + html[at..].find('>').unwrap() + 1;
    &html[start..start + html[start..].find('<').unwrap()]
}

#[tokio::test]
async fn the_owners_home_checklist_moves_as_steps_are_done() {
    use tessera_server::model::Role;
    let t = app().await;
    t.create_org().await;
    let ada = t.session_cookie().await;
    let home = t.get("/", Some(&ada)).await;
    assert!(home.body.contains("0 of 3 done."), "{}", home.body);
    assert!(home.body.contains(r#"data-step="Turn on MFA for your account" data-done="false""#));
    assert!(home.body.contains("0 of 1 person uses an authenticator app."), "{}", home.body);

    let member = role_id(&t, Role::Member).await;
    t.post(INVITE, &[("email", "ivy@example.org"), ("name", "Ivy"), ("role", member.as_str())], Some(&ada)).await;
    assert!(t.get("/", Some(&ada)).await.body.contains(r#"data-step="Invite your team" data-done="true""#));

    enrol_with(&t, &ada).await;
    let home = t.get("/", Some(&ada)).await;
    assert!(home.body.contains("2 of 3 done."), "{}", home.body);
    assert_eq!((count(&home.body, "enabled"), count(&home.body, "not-enabled")), ("1", "1"));
    assert!(home.body.contains("1 of 2 people use an authenticator app."), "{}", home.body);

    assert_eq!(
        t.post(SET_POLICY, &[("policy", "visible")], Some(&ada)).await.location(),
        Some("/settings/security?saved")
    );
    let home = t.get("/", Some(&ada)).await;
    assert!(!home.body.contains("Next steps"), "all done: the checklist goes");
    assert!(home.body.contains("Latest security events") && home.body.contains("MFA policy changed"));

    // A member's home is about their own MFA only.
    t.tessera.add_user("Acme", "bob@example.org", None, Role::Member, Some(OTHER_PASSWORD)).await.unwrap();
    let bob = cookie_of(&t, "bob@example.org").await;
    let home = t.get("/", Some(&bob)).await;
    assert!(home.body.contains("Your MFA") && home.body.contains(">Not set up</span>"), "{}", home.body);
    assert!(!home.body.contains("Next steps") && !home.body.contains("MFA in your organisation"));
    assert!(!home.body.contains("Latest security events"));
}

#[tokio::test]
async fn an_administrator_corrects_an_email_address_through_the_member_page() {
    const CORRECT_EMAIL: &str = "/api/team/email";
    let t = app().await;
    let [_ada, _adam, _hal, bob, _zed] = two_organisations(&t).await;
    let ada = t.session_cookie().await;
    enrol_with(&t, &ada).await;
    let bob_id = bob.to_string();
    let page = t.get(&format!("/settings/team/{bob}"), Some(&ada)).await;
    assert!(page.body.contains("Correct email address") && page.body.contains(r#"value="bob@example.org""#));
    // The help desk cannot, not even by a forged post.
    let hal = cookie_of(&t, "hal@example.org").await;
    assert!(!t.get(&format!("/settings/team/{bob}"), Some(&hal)).await.body.contains("Correct email address"));
    let r = t.post(CORRECT_EMAIL, &[("member", &bob_id), ("member_email", "robert@example.org")], Some(&hal)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Another account's address: refused at the field, what was typed kept.
    let r = t.post(CORRECT_EMAIL, &[("member", &bob_id), ("member_email", "zed@example.org")], Some(&ada)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Another account uses that address") && r.body.contains(r#"value="zed@example.org""#));
    let r = t.island(CORRECT_EMAIL, &[("member", &bob_id), ("member_email", "bob@example.org")], Some(&ada)).await;
    assert_eq!(r.body, "invalid member_email=same-as-current");
    let bob_cookie = cookie_of(&t, "bob@example.org").await;
    let r = t.post(CORRECT_EMAIL, &[("member", &bob_id), ("member_email", "robert@example.org")], Some(&ada)).await;
    assert_eq!(r.location(), Some(format!("/settings/team/{bob}?email").as_str()), "{}", r.body);
    let page = t.get(&format!("/settings/team/{bob}?email"), Some(&ada)).await;
    assert!(page.body.contains("The email address is corrected") && page.body.contains("robert@example.org"));
    assert_eq!(t.get("/", Some(&bob_cookie)).await.location(), Some("/login"), "their session ended");
    assert_eq!(t.sign_in("robert@example.org", OTHER_PASSWORD).await.status, StatusCode::SEE_OTHER);
}
