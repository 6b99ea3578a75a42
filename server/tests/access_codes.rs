//! Lost phone, done safely, through the real store on SQLite and PostgreSQL: a reset of someone
//! who must have MFA holds their account for a temporary access code (no password-only window,
//! grace period or not), which works once, even when submitted many times at once, and expires;
//! a new one can be issued; the verification question is required and an email-only request is
//! refused unless the organisation allows it (then flagged); where email codes or an optional
//! policy apply, nothing is held.

mod common;

use std::time::Duration;

use common::{base32_decode, code_now, on_both, Env};
use tessera_server::activity::Flag;
use tessera_server::audit::RequestMeta;
use tessera_server::clock::Clock;
use tessera_server::mfa::{CodeError, Factor};
use tessera_server::model::{OrgKind, Role};
use tessera_server::policy::{AfterReset, MfaPolicy, Requirement};
use tessera_server::session::{SessionInfo, SessionState};
use tessera_server::sign_in::SignInStep;
use tessera_server::store::{AuditEntry, AuditFilter};
use tessera_server::team::{ResetForm, TeamError};

const PASSWORD: &str = "plum tractor sings quietly tonight";

fn meta() -> RequestMeta {
    RequestMeta::new(Some("192.0.2.30".parse().unwrap()), Some("access-code-test"))
}

fn form(verified_by: &str) -> ResetForm {
    ResetForm { reason: "Ticket 7: lost phone".into(), verified_by: verified_by.into(), code: String::new() }
}

/// Acme (MFA `policy`) with its owner ada, hal (help desk) and bob (member), hal and bob enrolled.
/// Returns hal's session token (fresh from enrolment) and secret, and bob's id.
async fn acme(env: &Env, policy: MfaPolicy, grace_days: Option<u32>) -> (String, Vec<u8>, i64) {
    env.app
        .create_organisation("Acme", OrgKind::Standard, "ada@example.org", Some("Ada"), Some(PASSWORD))
        .await
        .unwrap();
    env.app.add_user("Acme", "hal@example.org", Some("Hal"), Role::HelpDesk, Some(PASSWORD)).await.unwrap();
    env.app.add_user("Acme", "bob@example.org", Some("Bob"), Role::Member, Some(PASSWORD)).await.unwrap();
    let bob = enrol(env, &sign_in(env, "bob@example.org").await).await.0;
    env.app.set_mfa_policy_by_operator("Acme", policy, grace_days).await.unwrap();
    let hal_token = sign_in(env, "hal@example.org").await;
    let (_, hal_secret) = enrol(env, &hal_token).await;
    (hal_token, hal_secret, bob.user_id)
}

async fn sign_in(env: &Env, email: &str) -> String {
    match env.app.sign_in(email, PASSWORD, None, &meta()).await.unwrap() {
        SignInStep::Done(t) | SignInStep::MfaRequired(t) => t.expose().to_string(),
    }
}

async fn session(env: &Env, token: &str) -> SessionInfo {
    env.app.session(token).await.unwrap().expect("live session")
}

/// Enrols the account behind `token` (fresh session afterwards); the clock moves past the code.
async fn enrol(env: &Env, token: &str) -> (SessionInfo, Vec<u8>) {
    let s = session(env, token).await;
    let view = env.app.start_enrolment(&s, &meta()).await.unwrap();
    let secret = base32_decode(&view.setup_key_grouped);
    env.app.confirm_enrolment(&s, &code_now(&secret, env), &meta()).await.unwrap();
    env.clock.advance(Duration::from_secs(30));
    (session(env, token).await, secret)
}

/// Bob's password step: a half-finished sign-in.
async fn bob_password_step(env: &Env) -> SessionInfo {
    match env.app.sign_in("bob@example.org", PASSWORD, None, &meta()).await.unwrap() {
        SignInStep::MfaRequired(t) => session(env, t.expose()).await,
        SignInStep::Done(_) => panic!("{}: bob's password alone signed him in", env.backend),
    }
}

async fn log(env: &Env, org_id: i64, action: &str) -> Vec<AuditEntry> {
    let filter = AuditFilter { action: Some(action.into()), ..AuditFilter::default() };
    env.store.audit_log(org_id, &filter, None, 100).await.unwrap()
}

#[tokio::test]
async fn a_reset_under_required_holds_the_account_until_the_code_and_enrolment() {
    on_both(|env| async move {
        let (hal_token, hal_secret, bob_id) = acme(&env, MfaPolicy::Required, None).await;
        let hal = session(&env, &hal_token).await;
        // The page says what will happen before the reset.
        let page = env.app.team_member(&hal, bob_id).await.unwrap();
        assert_eq!((page.after_reset, page.access_hold), (AfterReset::AccessCode, None));

        let after = env.app.reset_member_mfa(&hal, bob_id, &form("known-number"), &meta()).await.unwrap();
        assert_eq!(after, AfterReset::AccessCode);
        // The code is shown once, to hal, and only its keyed hash is stored.
        let code = env.app.take_access_code_to_show(&hal, bob_id).await.unwrap().expect("the code to hand over");
        assert_eq!(env.app.take_access_code_to_show(&hal, bob_id).await.unwrap(), None, "shown once");
        let stored = common::query_texts(&env, "SELECT code_hash FROM access_codes").await;
        assert_eq!(stored.len(), 1);
        assert!(!stored[0].contains(&code.replace('-', "")), "stored hashed");
        let event = &log(&env, hal.org_id, "mfa.reset_by_admin").await[0];
        assert_eq!(
            event.event.detail.as_deref(),
            Some("verified by a call to a number on record; temporary access code issued")
        );
        let mail = env.outbox().into_iter().rev().find(|m| m.contains("To: bob@example.org")).unwrap();
        assert!(mail.contains("you need a temporary access code from Hal or another administrator of Acme"), "{mail}");
        assert!(mail.contains("never by email"), "{mail}");
        assert!(!mail.contains(&code), "the code never goes by mail");

        // The password alone gets bob nothing but the step that asks for the code.
        let s = bob_password_step(&env).await;
        assert_eq!(s.state, SessionState::PasswordOk);
        assert!(env.app.needs_access_code(&s));
        // An authenticator code or a recovery-code shape is no way in, nor an emailed code.
        for wrong in ["123456", "ABCD-EFGH-JKMN", ""] {
            let r = env.app.answer_challenge(&s, wrong, false, &meta()).await;
            assert!(matches!(r, Err(CodeError::Invalid)), "{wrong:?}: {r:?}");
        }
        let r = env.app.answer_challenge(&s, &code, true, &meta()).await;
        let (token, factor) = r.expect("the access code, typed as it was shown, even with kind=email");
        assert_eq!(factor, Factor::AccessCode);
        let bob = session(&env, token.expose()).await;
        // Through to enrolment and nothing else: confined, no grace, no fresh confirmation.
        assert_eq!((bob.state, bob.mfa_requirement(env.clock.now())), (SessionState::Full, Requirement::MustEnrol));
        assert!(!env.app.has_fresh_step_up(&bob));
        // The code works once.
        let again = bob_password_step(&env).await;
        assert!(matches!(env.app.answer_challenge(&again, &code, false, &meta()).await, Err(CodeError::Invalid)));
        assert_eq!(log(&env, hal.org_id, "mfa.access_code_used").await.len(), 1);
        assert!(log(&env, hal.org_id, "mfa.access_code_refused").await.len() >= 4);
        let page = env.app.team_member(&hal, bob_id).await.unwrap();
        assert!(page.access_hold.is_some_and(|h| h.used_at.is_some()) && page.can_issue_access_code);

        // Enrolling lifts the hold: the next sign-in asks for the new app's code as usual.
        let (_, secret) = enrol(&env, token.expose()).await;
        assert_eq!(env.app.access_hold(bob_id).await.unwrap(), None);
        let s = bob_password_step(&env).await;
        assert!(!env.app.needs_access_code(&s));
        env.app.answer_challenge(&s, &code_now(&secret, &env), false, &meta()).await.unwrap();
        let _ = hal_secret;
    })
    .await;
}

#[tokio::test]
async fn an_access_code_submitted_many_times_at_once_signs_in_once() {
    on_both(|env| async move {
        let (hal_token, _, bob_id) = acme(&env, MfaPolicy::Required, None).await;
        let hal = session(&env, &hal_token).await;
        env.app.reset_member_mfa(&hal, bob_id, &form("in-person"), &meta()).await.unwrap();
        let code = env.app.take_access_code_to_show(&hal, bob_id).await.unwrap().unwrap();
        let mut sessions = Vec::new();
        for _ in 0..6 {
            sessions.push(bob_password_step(&env).await);
        }
        let mut tasks = Vec::new();
        for s in sessions {
            let (app, code) = (env.app.clone(), code.clone());
            tasks.push(tokio::spawn(async move { app.answer_challenge(&s, &code, false, &meta()).await.is_ok() }));
        }
        let mut wins = 0;
        for t in tasks {
            wins += u32::from(t.await.unwrap());
        }
        assert_eq!(wins, 1, "{}: one access code, one way through", env.backend);
    })
    .await;
}

#[tokio::test]
async fn an_access_code_expires_and_a_new_one_can_be_issued_with_a_fresh_factor() {
    on_both(|env| async move {
        let (hal_token, hal_secret, bob_id) = acme(&env, MfaPolicy::Required, None).await;
        let hal = session(&env, &hal_token).await;
        env.app.reset_member_mfa(&hal, bob_id, &form("video-call"), &meta()).await.unwrap();
        let old = env.app.take_access_code_to_show(&hal, bob_id).await.unwrap().unwrap();

        // An hour later the code no longer works, and says so (hal looks in half-way, so his
        // session is still open, but his last second factor is long stale).
        env.clock.advance(Duration::from_secs(1800));
        session(&env, &hal_token).await;
        env.clock.advance(Duration::from_secs(1800));
        let s = bob_password_step(&env).await;
        assert!(matches!(env.app.answer_challenge(&s, &old, false, &meta()).await, Err(CodeError::Expired)));
        let hal = session(&env, &hal_token).await;

        // A new one needs hal's fresh second factor; it replaces the old one and is on record.
        let r = env.app.issue_access_code(&hal, bob_id, "", &meta()).await;
        assert!(matches!(r, Err(TeamError::StepUpRequired)), "{r:?}");
        env.app.issue_access_code(&hal, bob_id, &code_now(&hal_secret, &env), &meta()).await.unwrap();
        let new = env.app.take_access_code_to_show(&hal, bob_id).await.unwrap().unwrap();
        assert_ne!(new, old);
        assert_eq!(log(&env, hal.org_id, "mfa.access_code_issued").await.len(), 1);
        let s = bob_password_step(&env).await;
        assert!(matches!(env.app.answer_challenge(&s, &old, false, &meta()).await, Err(CodeError::Invalid)));
        env.app.answer_challenge(&s, &new, false, &meta()).await.unwrap();

        // Nobody issues codes for an account that is not held, or one they may not reset.
        let ada = env.store.credentials_by_email("ada@example.org").await.unwrap().unwrap().user_id;
        let r = env.app.issue_access_code(&hal, ada, "", &meta()).await;
        assert!(matches!(r, Err(TeamError::Refused(_))), "{r:?}");
        let hal_id = hal.user_id;
        let r = env.app.issue_access_code(&hal, hal_id, "", &meta()).await;
        assert!(matches!(r, Err(TeamError::Refused(_))), "{r:?}");
    })
    .await;
}

#[tokio::test]
async fn a_grace_period_is_no_password_only_window_after_a_reset() {
    on_both(|env| async move {
        let (hal_token, _, bob_id) = acme(&env, MfaPolicy::Required, Some(14)).await;
        let hal = session(&env, &hal_token).await;
        // The policy change on record says how long the grace period is.
        let changes = log(&env, hal.org_id, "organisation.mfa_policy_changed").await;
        assert_eq!(changes[0].event.detail.as_deref(), Some("policy set to required, with a grace period of 14 days"));
        let after = env.app.reset_member_mfa(&hal, bob_id, &form("ticket"), &meta()).await.unwrap();
        assert_eq!(after, AfterReset::AccessCode);
        let s = bob_password_step(&env).await;
        assert!(env.app.needs_access_code(&s), "{}: still in the grace period, yet held", env.backend);
        // Others who never had MFA keep their grace period.
        env.app.add_user("Acme", "cy@example.org", Some("Cy"), Role::Member, Some(PASSWORD)).await.unwrap();
        let cy = session(&env, &sign_in(&env, "cy@example.org").await).await;
        assert!(matches!(cy.mfa_requirement(env.clock.now()), Requirement::Grace { .. }));
    })
    .await;
}

#[tokio::test]
async fn where_email_codes_or_an_optional_policy_apply_nothing_is_held() {
    on_both(|env| async move {
        let (hal_token, _, bob_id) = acme(&env, MfaPolicy::Required, None).await;
        env.app.set_email_codes_by_operator("Acme", true, None).await.unwrap();
        let hal = session(&env, &hal_token).await;
        assert_eq!(env.app.team_member(&hal, bob_id).await.unwrap().after_reset, AfterReset::EmailCodes);
        let after = env.app.reset_member_mfa(&hal, bob_id, &form("in-person"), &meta()).await.unwrap();
        assert_eq!(after, AfterReset::EmailCodes);
        assert_eq!(env.app.take_access_code_to_show(&hal, bob_id).await.unwrap(), None);
        assert_eq!(env.app.access_hold(bob_id).await.unwrap(), None);
        let mail = env.outbox().into_iter().rev().find(|m| m.contains("To: bob@example.org")).unwrap();
        assert!(mail.contains("Tessera emails you a code") && !mail.contains("access code"), "{mail}");
        let s = bob_password_step(&env).await;
        assert!(!env.app.needs_access_code(&s), "an emailed code proves the factor");

        // Visible: the password alone, as before.
        env.app.set_email_codes_by_operator("Acme", false, None).await.unwrap();
        env.app.set_mfa_policy_by_operator("Acme", MfaPolicy::Visible, None).await.unwrap();
        env.app.add_user("Acme", "cy@example.org", Some("Cy"), Role::Member, Some(PASSWORD)).await.unwrap();
        let cy = enrol(&env, &sign_in(&env, "cy@example.org").await).await.0;
        let hal = session(&env, &hal_token).await;
        let after = env.app.reset_member_mfa(&hal, cy.user_id, &form("in-person"), &meta()).await.unwrap();
        assert_eq!(after, AfterReset::Optional);
        assert!(matches!(
            env.app.sign_in("cy@example.org", PASSWORD, None, &meta()).await.unwrap(),
            SignInStep::Done(_)
        ));
    })
    .await;
}

#[tokio::test]
async fn the_verification_question_is_required_and_email_alone_is_refused_unless_allowed_then_flagged() {
    on_both(|env| async move {
        let (hal_token, _, bob_id) = acme(&env, MfaPolicy::Required, None).await;
        let hal = session(&env, &hal_token).await;
        for (choice, field_problem) in
            [("", "Missing"), ("carrier pigeon", "NotInList"), ("email-only", "NotEnoughProof")]
        {
            let r = env.app.reset_member_mfa(&hal, bob_id, &form(choice), &meta()).await;
            match r {
                Err(TeamError::Invalid(e)) => {
                    assert_eq!(format!("{:?}", e.get("verified_by").unwrap()), field_problem, "{choice:?}")
                }
                other => panic!("{choice:?}: {other:?}"),
            }
        }
        assert!(env.store.totp_credential(bob_id).await.unwrap().is_some(), "nothing was reset");
        let refused = log(&env, hal.org_id, "mfa.reset_by_admin").await;
        assert_eq!(refused.len(), 1, "the email-only attempt is on record");
        assert_eq!(refused[0].event.detail.as_deref(), Some("refused: the request was verified by email only"));

        // The organisation may allow it: then it goes ahead, and the log flags it.
        env.app.set_email_only_resets_by_operator("Acme", true).await.unwrap();
        let hal = session(&env, &hal_token).await;
        assert!(hal.org_email_only_resets);
        env.app.reset_member_mfa(&hal, bob_id, &form("email-only"), &meta()).await.unwrap();
        let done: Vec<_> = log(&env, hal.org_id, "mfa.reset_by_admin")
            .await
            .into_iter()
            .filter(|e| e.event.outcome == "success")
            .collect();
        assert_eq!(done[0].event.detail.as_deref(), Some("verified by email only; temporary access code issued"));
        let ada_token = sign_in(&env, "ada@example.org").await;
        let ada = enrol(&env, &ada_token).await.0;
        let hours = env.app.business_hours(&ada).await.unwrap();
        let flags = env.app.activity_flags(&ada, &done, &hours).await.unwrap();
        assert!(flags[&done[0].id].contains(&Flag::EmailOnlyVerification), "{flags:?}");
        let changes = log(&env, hal.org_id, "organisation.mfa_policy_changed").await;
        assert!(changes.iter().any(|e| e.event.detail.as_deref() == Some("MFA resets verified by email only allowed")));
    })
    .await;
}

#[tokio::test]
async fn the_operators_reset_holds_the_account_too_and_prints_the_code() {
    on_both(|env| async move {
        let (_, _, bob_id) = acme(&env, MfaPolicy::Required, None).await;
        let code = env.app.reset_mfa_by_operator("Acme", "bob@example.org", "Ticket 9").await.unwrap();
        let code = code.expect("a code for the operator to hand over");
        assert!(env.app.access_hold(bob_id).await.unwrap().is_some());
        let s = bob_password_step(&env).await;
        env.app.answer_challenge(&s, &code.to_lowercase(), false, &meta()).await.unwrap();
    })
    .await;
}
