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
        page.body.contains(r#"<span class="font-medium">Ada</span><div class="break-all text-slate-600 dark:text-slate-300">ada@example.org</div>"#),
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
    assert!(only.body.contains(">Member added</td>") && !only.body.contains(">Sign-in</td>"));
    let failures = t.get("/settings/activity?target=ada%40example.org&action=signin", Some(&ada)).await;
    assert!(failures.body.contains(">failure</td>") && failures.body.contains("wrong email or password"));
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
    assert!(csv.body.starts_with("time_utc,time_local,actor,target,action,outcome,ip,detail,reason,flags\r\n"));
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
    assert!(list.body.contains(">Enabled</span></td>"), "the status is a badge");
    let search = t.get("/settings/team?q=ADAM", Some(&hal_cookie)).await;
    assert!(search.body.contains("adam@example.org") && search.body.contains("1 member<"));
    assert_eq!(t.get("/settings/team?mfa=sometimes", Some(&hal_cookie)).await.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The member page offers the reset; the owner's does not.
    let page = t.get(&format!("/settings/team/{bob}"), Some(&hal_cookie)).await;
    assert!(page.body.contains("Security Settings") && page.body.contains(&format!("/settings/team/{bob}/reset-mfa")));
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
    let bob_id = bob.to_string();
    let r = t.post(RESET_MFA, &[("member", &bob_id), ("reason", "Ticket 7: lost phone")], Some(&hal_cookie)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("value=\"Ticket 7: lost phone\"") && r.body.contains("confirm it is you"));
    assert!(r.body.contains("Reset MFA for bob?"), "the confirmation page again");
    let r = t
        .post(
            RESET_MFA,
            &[("member", &bob_id), ("reason", "Ticket 7: lost phone"), ("code", "000000")],
            Some(&hal_cookie),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = t
        .island(
            RESET_MFA,
            &[("member", &bob_id), ("reason", "Ticket 7: lost phone"), ("code", "000000")],
            Some(&hal_cookie),
        )
        .await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::UNAUTHORIZED, "invalid code=wrong-code"));
    let code = code_now(&t, &hal_secret);
    let r = t
        .post(RESET_MFA, &[("member", &bob_id), ("reason", "Ticket 7: lost phone"), ("code", &code)], Some(&hal_cookie))
        .await;
    assert_eq!(r.location(), Some(format!("/settings/team/{bob}?reset").as_str()), "{}", r.body);
    let after = t.get(&format!("/settings/team/{bob}?reset"), Some(&hal_cookie)).await;
    assert!(after.body.contains("MFA was reset") && after.body.contains(">Not enabled</strong>"));

    // An administrator holds permissions the help desk lacks: no button, the reason instead, and
    // a forged reset is refused with the administrator's MFA untouched.
    let adam_cookie = cookie_of(&t, "adam@example.org").await;
    enrol_with(&t, &adam_cookie).await;
    let page = t.get(&format!("/settings/team/{adam}"), Some(&hal_cookie)).await;
    assert!(page.body.contains(">Enabled</strong>") && !page.body.contains("/reset-mfa"), "{}", page.body);
    assert!(page.body.contains("only someone with at least their permissions can reset their MFA"), "{}", page.body);
    let r = t.post(RESET_MFA, &[("member", &adam.to_string()), ("reason", "")], Some(&hal_cookie)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(t.tessera.store.totp_credential(adam).await.unwrap().is_some());

    // Bob's open session is over; the log has the reset with its reason.
    assert_eq!(t.get("/", Some(&bob_cookie)).await.location(), Some("/login"));
    let log = t.get("/settings/activity?action=mfa.reset_by_admin", Some(&ada_cookie)).await;
    assert!(log.body.contains("Ticket 7: lost phone") && log.body.contains("hal@example.org"), "{}", log.body);
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
    let r = t.post(SET_HOURS, &[("start", "09:00"), ("end", "17:30"), ("offset", "60")], Some(&ada)).await;
    assert_eq!(r.location(), Some("/settings/security?hours"), "{}", r.body);
    let page = t.get("/settings/security?hours", Some(&ada)).await;
    assert!(
        page.body.contains("value=\"17:30\"") && page.body.contains("<option value=\"60\" selected>UTC+01:00</option>"),
        "{}",
        page.body
    );
    let r = t.post(SET_HOURS, &[("start", "18:00"), ("end", "09:00"), ("offset", "0")], Some(&ada)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("The working day must end after it starts."));
    let log = t.get("/settings/activity", Some(&ada)).await;
    assert!(log.body.contains("Local time (UTC+01:00)"));
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
}

#[tokio::test]
async fn resetting_someone_elses_mfa_needs_your_own() {
    let t = app().await;
    let [_ada, _adam, _hal, bob, _zed] = two_organisations(&t).await;
    let bob_cookie = cookie_of(&t, "bob@example.org").await;
    enrol_with(&t, &bob_cookie).await;
    let adam = cookie_of(&t, "adam@example.org").await;
    let page = t.get(&format!("/settings/team/{bob}"), Some(&adam)).await;
    assert!(page.body.contains("turn on MFA for your account"), "{}", page.body);
    assert!(!page.body.contains("/reset-mfa\""));
    let confirm = t.get(&format!("/settings/team/{bob}/reset-mfa"), Some(&adam)).await;
    assert_eq!(confirm.location(), Some(format!("/settings/team/{bob}").as_str()));
    let r = t.post(RESET_MFA, &[("member", &bob.to_string()), ("reason", "x")], Some(&adam)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("Turn on MFA for your own account first"));
    assert!(t.tessera.store.totp_credential(bob).await.unwrap().is_some());
}

#[tokio::test]
async fn an_owner_without_mfa_is_told_to_turn_it_on_before_changing_roles() {
    let t = app().await;
    t.create_org().await;
    let ada = t.session_cookie().await;
    let page = t.get("/settings/roles", Some(&ada)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Turn on MFA for your account"), "{}", page.body);
    assert!(!page.body.contains("Confirm it is you"), "no code to confirm with");
    assert!(!page.body.contains("Your authentication code"));
}
