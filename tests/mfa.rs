//! Authenticator-app MFA and the organisation's MFA policy over HTTP.

#![cfg(feature = "ssr")]

mod common;

use common::*;

#[tokio::test]
async fn enrolment_then_sign_in_with_the_challenge() {
    let t = app().await;
    let (secret, codes, cookie) = enrol_over_http(&t).await;
    // The secret is never sent again.
    for path in ["/account/security", "/account/security/mfa", "/"] {
        let r = t.get(path, Some(&cookie)).await;
        assert!(!r.body.contains(&secret.to_base32()[..8]), "{path} leaks the key");
        assert!(!r.body.contains(&codes[0]), "{path} shows a recovery code again");
    }
    let status = t.get("/account/security", Some(&cookie)).await;
    assert!(status.body.contains("Recovery codes left") && status.body.contains(">10<"));

    // Password: a password_ok session that can do nothing but the challenge.
    let r = t.sign_in("ada@example.org", PASSWORD).await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, Some("/login/mfa")));
    let pending = r.cookie("tessera_session").unwrap();
    for path in ["/", "/account/security"] {
        let r = t.get(path, Some(&pending)).await;
        assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, Some("/login/mfa")), "{path}");
    }
    let page = t.get("/login/mfa", Some(&pending)).await;
    assert!(page.body.contains("autocomplete=\"one-time-code\"") && page.body.contains("inputmode=\"numeric\""));
    let wrong = t.post(LOGIN_MFA, &[("code", "000000")], Some(&pending)).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("That code didn't work.") && wrong.body.contains("automatic date and time"));
    let code = code_now(&t, &secret);
    let spaced = format!("{} {}", &code[..3], &code[3..]);
    let ok = t.post(LOGIN_MFA, &[("code", &spaced)], Some(&pending)).await;
    assert_eq!((ok.status, ok.location()), (StatusCode::SEE_OTHER, Some("/")));
    let full = ok.cookie("tessera_session").unwrap();
    assert_ne!(full, pending, "the token rotates");
    assert_eq!(t.get("/", Some(&full)).await.status, StatusCode::OK);
    assert_eq!(t.get("/login/mfa", Some(&pending)).await.status, StatusCode::SEE_OTHER, "old token is dead");

    // The same code again, from a new sign-in: refused like a wrong one.
    let pending = t.sign_in("ada@example.org", PASSWORD).await.cookie("tessera_session").unwrap();
    // It says why, since only someone who had the right code can be told so; apart from that
    // sentence the answer is the one a wrong code gets.
    let replay = t.post(LOGIN_MFA, &[("code", &code)], Some(&pending)).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    const USED: &str = "That code has already been used. Wait for your app to show the next code, then enter that one.";
    const WRONG: &str = "That code didn't work. Check it and try again.";
    assert!(replay.body.contains(USED), "{}", replay.body);
    let wrong = t.post(LOGIN_MFA, &[("code", "111111")], Some(&pending)).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(!wrong.body.contains(USED));
    assert_eq!(without_nonce(&replay).replace(USED, "MESSAGE"), without_nonce(&wrong).replace(WRONG, "MESSAGE"));

    // A recovery code: accepted once, then the security page says how many are left.
    let page = t.get("/login/mfa?recovery", Some(&pending)).await;
    assert!(page.body.contains("Recovery code"));
    let ok = t.post(LOGIN_MFA, &[("kind", "recovery"), ("code", &codes[2].to_lowercase())], Some(&pending)).await;
    assert_eq!((ok.status, ok.location()), (StatusCode::SEE_OTHER, Some("/account/security?recovery-used")));
    let full = ok.cookie("tessera_session").unwrap();
    let page = t.get("/account/security?recovery-used", Some(&full)).await;
    assert!(page.body.contains("You signed in with a recovery code") && page.body.contains(">9<"));
    assert!(!page.body.contains("recovery codes left. Generate a new set"));

    // Down to three codes: the page warns.
    let mut left = 9;
    for code in &codes[3..9] {
        let pending = t.sign_in("ada@example.org", PASSWORD).await.cookie("tessera_session").unwrap();
        let ok = t.post(LOGIN_MFA, &[("kind", "recovery"), ("code", code)], Some(&pending)).await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER);
        left -= 1;
        let full = ok.cookie("tessera_session").unwrap();
        let page = t.get("/account/security", Some(&full)).await;
        assert!(page.body.contains(&format!(">{left}<")));
        let warned = page.body.contains(&format!("Only {left} recovery codes left."));
        assert_eq!(warned, left <= 3, "{left} left");
    }
}

#[tokio::test]
async fn sensitive_changes_ask_for_a_fresh_code_over_http() {
    let t = app().await;
    let (secret, codes, cookie) = enrol_over_http(&t).await;
    t.clock.advance(Duration::from_secs(6 * 60));
    for path in [REGENERATE_CODES, MFA_START, DISABLE_MFA] {
        let form: &[(&str, &str)] = if path == DISABLE_MFA { &[("confirm", "yes")] } else { &[] };
        let r = t.post(path, form, Some(&cookie)).await;
        assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, Some("/account/security/verify")), "{path}");
        let r = t.island(path, form, Some(&cookie)).await;
        assert_eq!((r.status, r.body.as_str()), (StatusCode::FORBIDDEN, "step-up /account/security"), "{path}");
    }
    let bad = t.post(STEP_UP, &[("code", "000000")], Some(&cookie)).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    let ok = t.post(STEP_UP, &[("code", &codes[0])], Some(&cookie)).await;
    assert_eq!((ok.status, ok.location()), (StatusCode::SEE_OTHER, Some("/account/security?verified")));
    let regen = t.post(REGENERATE_CODES, &[], Some(&cookie)).await;
    assert_eq!((regen.status, regen.location()), (StatusCode::SEE_OTHER, Some("/account/security/recovery-codes")));
    let shown = t.get("/account/security/recovery-codes", Some(&cookie)).await;
    let new_codes = recovery_codes(&shown.body);
    assert_eq!(new_codes.len(), 10);
    assert!(new_codes.iter().all(|c| !codes.contains(c)), "a new set");
    assert!(
        shown.body.contains("The old ones no longer work.") && shown.body.contains(r#"action="/account/security""#)
    );
    assert!(shown.body.contains(r#"name="regenerated""#), "Done says what happened");
    assert!(t
        .get("/account/security?regenerated", Some(&cookie))
        .await
        .body
        .contains("Your new recovery codes are active."));
    // Disable with the same fresh step-up, but never in one click: without the confirmation's
    // answer the form leads to the confirmation, which says what will change.
    let security = t.get("/account/security", Some(&cookie)).await;
    assert!(security.body.contains(r#"href="/account/security/disable" data-open-dialog"#));
    assert!(security.body.contains("<dialog") && security.body.contains("Disable MFA?"));
    let off = t.post(DISABLE_MFA, &[], Some(&cookie)).await;
    assert_eq!((off.status, off.location()), (StatusCode::SEE_OTHER, Some("/account/security/disable")));
    let confirm = t.get("/account/security/disable", Some(&cookie)).await;
    assert!(confirm.body.contains("role=\"alertdialog\"") && confirm.body.contains("Disable MFA?"));
    assert!(confirm.body.contains("your 10 recovery codes stop working;") && confirm.body.contains("Yes, disable MFA"));
    assert!(t.get("/account/security", Some(&cookie)).await.body.contains("Recovery codes left"), "still on");
    let off = t.post(DISABLE_MFA, &[("confirm", "yes")], Some(&cookie)).await;
    assert_eq!((off.status, off.location()), (StatusCode::SEE_OTHER, Some("/account/security?disabled")));
    // With MFA off there is nothing to confirm.
    assert_eq!(t.get("/account/security/disable", Some(&cookie)).await.location(), Some("/account/security"));
    assert!(t.get("/account/security", Some(&cookie)).await.body.contains("Enable MFA"));
    let r = t.sign_in("ada@example.org", PASSWORD).await;
    assert_eq!(r.location(), Some("/"), "no challenge once MFA is off");
    let _ = secret;
}

// --- the organisation's MFA policy ---------------------------------------------------------------------

#[tokio::test]
async fn a_required_policy_confines_members_to_enrolment_until_done() {
    let t = app().await;
    t.create_org().await;
    let cookie = t.session_cookie().await;
    assert_eq!(t.get("/", Some(&cookie)).await.status, StatusCode::OK);

    // The operator requires MFA: the open session is confined at its next request.
    t.tessera.set_mfa_policy_by_operator("Acme", tessera_server::policy::MfaPolicy::Required, None).await.unwrap();
    for path in ["/", "/account/security", "/settings/security", "/no-such-page-is-still-404"] {
        let r = t.get(path, Some(&cookie)).await;
        if path.starts_with("/no-such") {
            assert_eq!(r.status, StatusCode::NOT_FOUND);
            continue;
        }
        assert_eq!(
            (r.status, r.location()),
            (StatusCode::SEE_OTHER, Some("/account/security/enrol-required")),
            "{path}"
        );
    }
    let page = t.get("/account/security/enrol-required", Some(&cookie)).await;
    assert!(page.body.contains("Your organisation requires MFA") && page.body.contains("Set up now"));
    for path in [REGENERATE_CODES, DISABLE_MFA, SET_POLICY] {
        let r = t.island(path, &[], Some(&cookie)).await;
        assert_eq!((r.status, r.body.as_str()), (StatusCode::FORBIDDEN, "enrol"), "{path}");
        let r = t.post(path, &[], Some(&cookie)).await;
        assert_eq!(r.location(), Some("/account/security/enrol-required"), "{path}");
    }
    // Signing out and in again lands in the same place.
    let again = t.session_cookie().await;
    assert_eq!(t.get("/", Some(&again)).await.location(), Some("/account/security/enrol-required"));

    // Enrolment stays open; once done, the product is.
    let r = t.post(MFA_START, &[], Some(&again)).await;
    assert_eq!(r.location(), Some("/account/security/mfa"));
    let secret = setup_key(&t.get("/account/security/mfa", Some(&again)).await.body);
    confirm_and_read_codes(&t, &again, &secret).await;
    assert_eq!(t.get("/", Some(&again)).await.status, StatusCode::OK);
    let security = t.get("/account/security", Some(&again)).await;
    assert!(security.body.contains("cannot be turned off") && !security.body.contains("Disable MFA"));
}

#[tokio::test]
async fn a_grace_period_reminds_before_it_confines() {
    let t = app().await;
    t.create_org().await;
    t.tessera.set_mfa_policy_by_operator("Acme", tessera_server::policy::MfaPolicy::Required, Some(3)).await.unwrap();
    let cookie = t.session_cookie().await;
    let home = t.get("/", Some(&cookie)).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Set it up within 3 days"), "{}", home.body);
    t.clock.advance(Duration::from_secs(2 * 86_400 + 1));
    let cookie = t.session_cookie().await;
    assert!(t.get("/", Some(&cookie)).await.body.contains("Set it up within 1 day;"));
    t.clock.advance(Duration::from_secs(86_400));
    let cookie = t.session_cookie().await;
    assert_eq!(t.get("/", Some(&cookie)).await.location(), Some("/account/security/enrol-required"));
}

#[tokio::test]
async fn owners_set_the_policy_with_a_fresh_second_factor() {
    let t = app().await;
    let (secret, _codes, cookie) = enrol_over_http(&t).await;
    t.tessera
        .add_user(
            "Acme",
            "bob@example.org",
            None,
            tessera_server::model::Role::Admin,
            Some("quiet amber lamps over rivers"),
        )
        .await
        .unwrap();
    // Not an owner: refused.
    let bob = t.sign_in("bob@example.org", "quiet amber lamps over rivers").await.cookie("tessera_session").unwrap();
    assert_eq!(t.get("/settings/security", Some(&bob)).await.status, StatusCode::FORBIDDEN);
    let r = t.island(SET_POLICY, &[("policy", "hidden")], Some(&bob)).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::FORBIDDEN, "refused permission"));
    let last = &t.tessera.store.recent_audit(None, 1).await.unwrap()[0];
    assert_eq!((last.action.as_str(), last.outcome.as_str()), ("access.refused", "failure"));
    assert_eq!(last.detail.as_deref(), Some("refused /api/policy/mfa: the role lacks manage-policy"));
    let r = t.post(SET_POLICY, &[("policy", "hidden")], Some(&bob)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // The owner, fresh from enrolment: saved, recorded, and bob is confined at once.
    let page = t.get("/settings/security", Some(&cookie)).await;
    assert!(page.body.contains("Required (recommended)"));
    // Required first shows whom it affects, and changes nothing until confirmed.
    let r = t.post(SET_POLICY, &[("policy", "required"), ("grace_days", "")], Some(&cookie)).await;
    assert_eq!(r.location(), Some("/settings/security/require?grace_days="), "{}", r.body);
    let ask = t.get("/settings/security/require?grace_days=", Some(&cookie)).await;
    assert!(ask.body.contains("1 person will have to set up MFA at their next sign-in"), "{}", ask.body);
    assert_ne!(t.get("/", Some(&bob)).await.location(), Some("/account/security/enrol-required"));
    let ask = t.get("/settings/security/require?grace_days=7", Some(&cookie)).await;
    assert!(ask.body.contains("within the grace period of 7 days"), "{}", ask.body);
    assert_eq!(t.get("/settings/security/require", Some(&bob)).await.status, StatusCode::FORBIDDEN);
    let r = t.post(SET_POLICY, &[("policy", "required"), ("grace_days", ""), ("confirm", "yes")], Some(&cookie)).await;
    assert_eq!(r.location(), Some("/settings/security?saved"), "{}", r.body);
    assert_eq!(t.get("/", Some(&bob)).await.location(), Some("/account/security/enrol-required"));
    // Under Required, giving a grace period moves everyone's deadline: asked first as well.
    let r = t.post(SET_POLICY, &[("policy", "required"), ("grace_days", "5")], Some(&cookie)).await;
    assert_eq!(r.location(), Some("/settings/security/require?grace_days=5"), "{}", r.body);
    let ask = t.get("/settings/security/require?grace_days=5", Some(&cookie)).await;
    assert!(
        ask.body.contains("Change the grace period?") && ask.body.contains("1 person without MFA will have until"),
        "{}",
        ask.body
    );
    assert_eq!(
        t.get("/", Some(&bob)).await.location(),
        Some("/account/security/enrol-required"),
        "nothing changed yet"
    );
    let r = t.post(SET_POLICY, &[("policy", "required"), ("grace_days", "5"), ("confirm", "yes")], Some(&cookie)).await;
    assert_eq!(r.location(), Some("/settings/security?saved"), "{}", r.body);
    assert_ne!(t.get("/", Some(&bob)).await.location(), Some("/account/security/enrol-required"));
    // Taking it away again ends it now, for the same person: asked first, saying so.
    let r = t.post(SET_POLICY, &[("policy", "required"), ("grace_days", "")], Some(&cookie)).await;
    assert_eq!(r.location(), Some("/settings/security/require?grace_days="), "{}", r.body);
    let ask = t.get("/settings/security/require?grace_days=", Some(&cookie)).await;
    assert!(ask.body.contains("The grace period ends now (instead of"), "{}", ask.body);
    let r = t.post(SET_POLICY, &[("policy", "required"), ("grace_days", ""), ("confirm", "yes")], Some(&cookie)).await;
    assert_eq!(r.location(), Some("/settings/security?saved"));
    // Saving Required again with no grace period before or now changes nothing, and asks nothing.
    let r = t.post(SET_POLICY, &[("policy", "required"), ("grace_days", "")], Some(&cookie)).await;
    assert_eq!(r.location(), Some("/settings/security?saved"));
    // Bad input is explained.
    let r = t.post(SET_POLICY, &[("policy", "sometimes")], Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Choose a policy from the list."), "{}", r.body);
    let r = t.post(SET_POLICY, &[("policy", "required"), ("grace_days", "many")], Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Enter the grace period as a whole number of days, from 0 to 365."));
    // Stale second factor: confirm first.
    t.clock.advance(Duration::from_secs(6 * 60));
    let r = t.post(SET_POLICY, &[("policy", "visible")], Some(&cookie)).await;
    assert_eq!(r.location(), Some("/account/security/verify?next=/settings/security"));
    let _ = secret;
}

#[tokio::test]
async fn too_many_wrong_codes_say_how_long_to_wait() {
    let t = app().await;
    let (secret, _codes, _cookie) = enrol_over_http(&t).await;
    let pending = t.sign_in("ada@example.org", PASSWORD).await.cookie("tessera_session").unwrap();
    for _ in 0..5 {
        let r = t.post(LOGIN_MFA, &[("code", "111111")], Some(&pending)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = t.post(LOGIN_MFA, &[("code", &code_now(&t, &secret))], Some(&pending)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert_eq!(r.headers[header::RETRY_AFTER], "1");
    assert!(r.body.contains("Too many wrong codes for this account. Try again in 1 second."), "{}", r.body);
    let r = t.island(LOGIN_MFA, &[("code", &code_now(&t, &secret))], Some(&pending)).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::TOO_MANY_REQUESTS, "codes-waiting 1"));
}

#[tokio::test]
async fn owners_choose_the_roles_that_may_use_email_codes_and_confirm_whom_a_change_moves() {
    let t = app().await;
    let (_secret, _codes, cookie) = enrol_over_http(&t).await;
    let bob_password = "quiet amber lamps over rivers";
    t.tessera
        .add_user("Acme", "bob@example.org", Some("Bob"), tessera_server::model::Role::Member, Some(bob_password))
        .await
        .unwrap();
    t.tessera.set_mfa_policy_by_operator("Acme", tessera_server::model::MfaPolicy::Required, None).await.unwrap();
    let org = t.tessera.store.find_organisation_by_name("Acme").await.unwrap().unwrap();
    let roles = t.tessera.store.roles(org.id).await.unwrap();
    let member = roles.iter().find(|r| r.name == "Member").unwrap().id.to_string();
    let page = t.get("/settings/security", Some(&cookie)).await;
    assert!(page.body.contains("Roles that may use them"), "{}", page.body);
    assert!(page.body.contains(&format!(r#"name="roles[3]" value="{member}" checked"#)), "{}", page.body);

    // Allowed for no role at all is explained; a role that is not a number is a bad request.
    let r = t.post(SET_EMAIL_CODES, &[("allowed", "yes")], Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Choose at least one role whose people may use email codes"), "{}", r.body);
    let r = t.post(SET_EMAIL_CODES, &[("allowed", "yes"), ("roles[0]", "member")], Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // Bob (no app) would move from enrolment to emailed codes: asked first, by name.
    let r = t.post(SET_EMAIL_CODES, &[("allowed", "yes"), ("roles[0]", &member)], Some(&cookie)).await;
    let ask = format!("/settings/security/email-codes?allowed=yes&roles={member}");
    assert_eq!(r.location(), Some(ask.as_str()), "{}", r.body);
    let page = t.get(&ask, Some(&cookie)).await;
    assert!(page.body.contains("Change who may use email codes?"), "{}", page.body);
    assert!(page.body.contains("1 person without an authenticator app will sign in with a code we email them"));
    assert!(page.body.contains("Bob (bob@example.org)"), "{}", page.body);
    let bob = t.sign_in("bob@example.org", bob_password).await;
    assert_eq!(bob.location(), Some("/account/security/enrol-required"), "nothing is saved by asking");

    let r =
        t.post(SET_EMAIL_CODES, &[("allowed", "yes"), ("roles[0]", &member), ("confirm", "yes")], Some(&cookie)).await;
    assert_eq!(r.location(), Some("/settings/security?email-codes"), "{}", r.body);
    let page = t.get("/settings/security?email-codes", Some(&cookie)).await;
    assert!(page.body.contains("Email codes are allowed as a second factor for: Member."), "{}", page.body);
    t.clock.advance(Duration::from_secs(61));
    assert_eq!(t.sign_in("bob@example.org", bob_password).await.location(), Some("/login/mfa"));

    // Turning them off moves Bob back: asked first too.
    let r = t.post(SET_EMAIL_CODES, &[("roles[0]", &member)], Some(&cookie)).await;
    assert_eq!(r.location(), Some(format!("/settings/security/email-codes?allowed=no&roles={member}").as_str()));
    let page = t.get(r.location().unwrap(), Some(&cookie)).await;
    assert!(
        page.body.contains("1 person signs in with emailed codes now and will have to set up an authenticator app"),
        "{}",
        page.body
    );
}
