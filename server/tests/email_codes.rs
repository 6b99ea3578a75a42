//! Codes by email through the real store, on SQLite and PostgreSQL: their lifetime, the sending
//! limits, one use even when two submissions race, the binding to one session, and the failure
//! budget they share with passwords and app codes.

mod common;

use std::time::Duration;

use common::{on_both, Env};
use tessera_server::audit::RequestMeta;
use tessera_server::clock::Clock;
use tessera_server::email_codes::{code_hash, EMAIL_CODE_TTL};
use tessera_server::mfa::{CodeError, Factor};
use tessera_server::model::OrgKind;
use tessera_server::secret::SecretKey;
use tessera_server::send_limit::Sent;
use tessera_server::session::SessionInfo;
use tessera_server::sign_in::SignInStep;
use tessera_server::store::CodeUse;

const EMAIL: &str = "ada@example.org";
const PASSWORD: &str = "plum tractor sings quietly tonight";
/// The organisation's creator is its owner: tests about them let owners use email codes.
fn owners() -> Vec<String> {
    vec!["Owner".to_string()]
}

fn meta() -> RequestMeta {
    RequestMeta::new(Some("192.0.2.10".parse().unwrap()), Some("email-code-test"))
}

/// A signed-in session of an account without an authenticator app, and its token.
async fn signed_in_with_token(env: &Env) -> (SessionInfo, String) {
    let token = match env.app.sign_in(EMAIL, PASSWORD, None, &meta()).await.unwrap() {
        SignInStep::Done(t) => t,
        SignInStep::MfaRequired(_) => panic!("no MFA here"),
    };
    (env.app.session(token.expose()).await.unwrap().unwrap(), token.expose().to_string())
}

async fn signed_in(env: &Env) -> SessionInfo {
    signed_in_with_token(env).await.0
}

fn last_code(env: &Env) -> String {
    let mail = env.outbox().into_iter().rev().find(|m| m.contains("Your Tessera code is: ")).expect("a code mail");
    let at = mail.find("Your Tessera code is: ").unwrap() + "Your Tessera code is: ".len();
    mail[at..at + 6].to_string()
}

#[tokio::test]
async fn a_code_works_once_within_ten_minutes_in_its_own_session() {
    on_both(|env| async move {
        env.app.create_organisation("Acme", OrgKind::Standard, EMAIL, None, Some(PASSWORD)).await.unwrap();
        let (s, token) = signed_in_with_token(&env).await;
        let other = signed_in(&env).await;
        assert_eq!(env.app.email_code_expiry(&s).await.unwrap(), None);
        let expires = env.app.send_email_code(&s, &meta()).await.unwrap();
        assert_eq!(expires, env.clock.now().plus(EMAIL_CODE_TTL));
        assert_eq!(env.app.email_code_expiry(&s).await.unwrap(), Some(expires));
        let code = last_code(&env);
        let mail = env.outbox().pop().unwrap();
        assert!(mail.contains("To: ada@example.org") && mail.contains("only in the browser where you asked for it"));
        assert!(mail.contains("If you did not ask for a code, someone who knows your password"));

        // Another session of the same person cannot use it.
        assert!(matches!(env.app.step_up(&other, &code, &meta()).await, Err(CodeError::Invalid)), "{}", env.backend);
        // Valid to the last millisecond of its ten minutes.
        env.clock.advance(EMAIL_CODE_TTL - Duration::from_millis(1));
        assert_eq!(env.app.step_up(&s, &code, &meta()).await.unwrap(), Factor::EmailCode);
        assert!(matches!(env.app.step_up(&s, &code, &meta()).await, Err(CodeError::Invalid)), "single use");
        assert!(env.app.has_fresh_step_up(&env.app.session(&token).await.unwrap().unwrap()), "a fresh step-up");

        // A code 10 minutes and 1 second old is refused as expired: ask for a new one.
        env.clock.advance(Duration::from_secs(60));
        env.app.send_email_code(&s, &meta()).await.unwrap();
        let late = last_code(&env);
        env.clock.advance(EMAIL_CODE_TTL + Duration::from_secs(1));
        assert!(matches!(env.app.step_up(&s, &late, &meta()).await, Err(CodeError::Expired)), "{}", env.backend);
        assert_eq!(env.app.email_code_expiry(&s).await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn asking_again_kills_the_old_code_within_the_sending_limits() {
    on_both(|env| async move {
        env.app.create_organisation("Acme", OrgKind::Standard, EMAIL, None, Some(PASSWORD)).await.unwrap();
        let s = signed_in(&env).await;
        env.app.send_email_code(&s, &meta()).await.unwrap();
        let first = last_code(&env);
        match env.app.send_email_code(&s, &meta()).await {
            Err(CodeError::TooSoon(wait)) => assert_eq!(wait, Duration::from_secs(60), "{}", env.backend),
            other => panic!("{other:?}"),
        }
        for _ in 0..4 {
            env.clock.advance(Duration::from_secs(60));
            env.app.send_email_code(&s, &meta()).await.unwrap();
        }
        let newest = last_code(&env);
        env.clock.advance(Duration::from_secs(60));
        match env.app.send_email_code(&s, &meta()).await {
            // Five within the hour: the next one when the first leaves it.
            Err(CodeError::TooSoon(wait)) => assert_eq!(wait, Duration::from_secs(3600 - 5 * 60), "{}", env.backend),
            other => panic!("{other:?}"),
        }
        assert_eq!(env.outbox().iter().filter(|m| m.contains("Your Tessera code is")).count(), 5);
        if first != newest {
            assert!(matches!(env.app.step_up(&s, &first, &meta()).await, Err(CodeError::Invalid)), "the old code died");
        }
        assert_eq!(env.app.step_up(&s, &newest, &meta()).await.unwrap(), Factor::EmailCode);
    })
    .await;
}

#[tokio::test]
async fn two_submissions_of_one_code_at_once_have_one_winner() {
    on_both(|env| async move {
        let created =
            env.app.create_organisation("Acme", OrgKind::Standard, EMAIL, None, Some(PASSWORD)).await.unwrap();
        let key = SecretKey::generate();
        let now = env.clock.now();
        let hash = code_hash(&key, "session-a", "123456");
        assert_eq!(
            env.store.issue_email_code(created.user_id, "session-a", &hash, now, EMAIL_CODE_TTL).await.unwrap(),
            Sent::Yes
        );
        // Twice: the first round also opens the pool's connections, so the second races on warm ones.
        for round in 0..2 {
            let hash = code_hash(&key, "session-a", &format!("65432{round}"));
            let at = now.plus(Duration::from_secs(61 * (round + 1)));
            let sent =
                env.store.issue_email_code(created.user_id, "session-a", &hash, at, EMAIL_CODE_TTL).await.unwrap();
            assert_eq!(sent, Sent::Yes);
            let mut tasks = Vec::new();
            for _ in 0..6 {
                let (store, hash) = (env.store.clone(), hash.clone());
                tasks.push(tokio::spawn(async move { store.use_email_code("session-a", &hash, at).await.unwrap() }));
            }
            let mut used = 0;
            for t in tasks {
                if t.await.unwrap() == CodeUse::Used {
                    used += 1;
                }
            }
            assert_eq!(used, 1, "{} round {round}: exactly one use wins", env.backend);
            assert_eq!(env.store.use_email_code("session-b", &hash, at).await.unwrap(), CodeUse::Refused);
        }
        // Sending races too: many asking at once get one code.
        let at = now.plus(Duration::from_secs(600));
        let mut tasks = Vec::new();
        for i in 0..6 {
            let store = env.store.clone();
            let hash = code_hash(&key, "session-c", &format!("00000{i}"));
            let user = created.user_id;
            tasks.push(tokio::spawn(async move {
                store.issue_email_code(user, "session-c", &hash, at, EMAIL_CODE_TTL).await.unwrap()
            }));
        }
        let mut sent = 0;
        for t in tasks {
            if t.await.unwrap() == Sent::Yes {
                sent += 1;
            }
        }
        assert_eq!(sent, 1, "{}: one code a minute, however many ask at once", env.backend);
    })
    .await;
}

#[tokio::test]
async fn wrong_email_codes_share_the_budget_of_passwords() {
    on_both(|env| async move {
        env.app.create_organisation("Acme", OrgKind::Standard, EMAIL, None, Some(PASSWORD)).await.unwrap();
        let s = signed_in(&env).await;
        env.app.send_email_code(&s, &meta()).await.unwrap();
        let code = last_code(&env);
        let wrong = if code == "000000" { "000001" } else { "000000" };
        // Three wrong passwords and two wrong codes spend the five free tries.
        for _ in 0..3 {
            assert!(env.app.sign_in(EMAIL, "wrong wrong wrong", None, &meta()).await.is_err());
        }
        for _ in 0..2 {
            assert!(matches!(env.app.step_up(&s, wrong, &meta()).await, Err(CodeError::Invalid)));
        }
        match env.app.step_up(&s, &code, &meta()).await {
            Err(CodeError::Waiting(_)) => {}
            other => panic!("{}: {other:?}", env.backend),
        }
    })
    .await;
}

/// Signs in with the password; the token and whether a second factor is owed.
async fn password_step(env: &Env, email: &str) -> (String, bool) {
    match env.app.sign_in(email, PASSWORD, None, &meta()).await.unwrap() {
        SignInStep::Done(t) => (t.expose().to_string(), false),
        SignInStep::MfaRequired(t) => (t.expose().to_string(), true),
    }
}

async fn session_of(env: &Env, token: &str) -> SessionInfo {
    env.app.session(token).await.unwrap().expect("a live session")
}

#[tokio::test]
async fn where_allowed_a_person_without_an_app_signs_in_with_an_emailed_code() {
    use tessera_server::policy::{MfaPolicy, Requirement};
    use tessera_server::session::SessionState;
    on_both(|env| async move {
        env.app.create_organisation("Acme", OrgKind::Standard, EMAIL, None, Some(PASSWORD)).await.unwrap();
        env.app.set_mfa_policy_by_operator("Acme", MfaPolicy::Required, None).await.unwrap();
        // Not allowed: the password signs in, confined to enrolment; no code is mailed.
        let (token, challenged) = password_step(&env, EMAIL).await;
        assert!(!challenged);
        assert_eq!(session_of(&env, &token).await.mfa_requirement(env.clock.now()), Requirement::MustEnrol);
        assert!(!env.outbox().iter().any(|m| m.contains("Your Tessera code is")));

        env.app.set_email_codes_by_operator("Acme", true, Some(owners().as_slice())).await.unwrap();
        let (a, challenged) = password_step(&env, EMAIL).await;
        assert!(challenged, "{}: the password alone no longer signs in", env.backend);
        let pending = session_of(&env, &a).await;
        assert_eq!(pending.state, SessionState::PasswordOk);
        let code = last_code(&env);
        let sent = env.store.recent_audit(None, 2).await.unwrap();
        assert!(
            sent.iter().any(|e| e.action == "mfa.email_code_sent" && e.detail.as_deref() == Some("to sign in")),
            "{sent:?}"
        );

        // A second sign-in at once gets no code of its own yet (one a minute), and the first
        // sign-in's code is refused in it.
        let (b, _) = password_step(&env, EMAIL).await;
        let other = session_of(&env, &b).await;
        assert!(matches!(env.app.send_email_code(&other, &meta()).await, Err(CodeError::TooSoon(_))));
        assert!(matches!(env.app.answer_challenge(&other, &code, true, &meta()).await, Err(CodeError::Invalid)));

        let (full, factor) = env.app.answer_challenge(&pending, &code, false, &meta()).await.unwrap();
        assert_eq!(factor, Factor::EmailCode);
        let s = session_of(&env, full.expose()).await;
        assert_eq!(s.state, SessionState::Full);
        assert_eq!(s.mfa_requirement(env.clock.now()), Requirement::ByEmail, "the policy is met: not confined");
        assert!(env.app.has_fresh_step_up(&s));
        assert!(matches!(env.app.answer_challenge(&pending, &code, true, &meta()).await, Err(CodeError::Invalid)));

        // Turned off again, the same person is back to enrolling.
        env.app.set_email_codes_by_operator("Acme", false, None).await.unwrap();
        assert_eq!(session_of(&env, full.expose()).await.mfa_requirement(env.clock.now()), Requirement::MustEnrol);
        env.clock.advance(Duration::from_secs(61));
        assert!(!password_step(&env, EMAIL).await.1);
    })
    .await;
}

#[tokio::test]
async fn a_person_with_an_app_may_choose_an_emailed_code_only_where_allowed() {
    use common::{base32_decode, code_now};
    on_both(|env| async move {
        env.app.create_organisation("Acme", OrgKind::Standard, EMAIL, None, Some(PASSWORD)).await.unwrap();
        let (token, _) = password_step(&env, EMAIL).await;
        let s = session_of(&env, &token).await;
        let view = env.app.start_enrolment(&s, &meta()).await.unwrap();
        let secret = base32_decode(&view.setup_key_grouped);
        env.app.confirm_enrolment(&s, &code_now(&secret, &env), &meta()).await.unwrap();
        env.clock.advance(Duration::from_secs(30));

        let (token, challenged) = password_step(&env, EMAIL).await;
        assert!(challenged);
        let pending = session_of(&env, &token).await;
        assert!(!env.app.proves_by_email(&pending));
        assert!(matches!(env.app.send_email_code(&pending, &meta()).await, Err(CodeError::NotApplicable)));
        assert!(matches!(
            env.app.answer_challenge(&pending, "123456", true, &meta()).await,
            Err(CodeError::NotApplicable)
        ));
        assert!(env.outbox().iter().all(|m| !m.contains("Your Tessera code is")), "{}", env.backend);

        env.app.set_email_codes_by_operator("Acme", true, Some(owners().as_slice())).await.unwrap();
        let pending = session_of(&env, &token).await;
        assert!(env.outbox().iter().all(|m| !m.contains("Your Tessera code is")), "allowing them mails nobody a code");
        env.app.send_email_code(&pending, &meta()).await.unwrap();
        let code = last_code(&env);
        let (full, factor) = env.app.answer_challenge(&pending, &code, true, &meta()).await.unwrap();
        assert_eq!(factor, Factor::EmailCode);
        // Signed in, the app is still the only step-up: email never stands in for it, and an
        // emailed sign-in is not a fresh confirmation for sensitive changes.
        let s = session_of(&env, full.expose()).await;
        assert!(!env.app.proves_by_email(&s));
        assert!(!env.app.has_fresh_step_up(&s), "{}", env.backend);
        assert!(matches!(env.app.regenerate_recovery_codes(&s, &meta()).await, Err(CodeError::StepUpRequired)));
        env.clock.advance(Duration::from_secs(61));
        assert!(matches!(env.app.send_email_code(&s, &meta()).await, Err(CodeError::NotApplicable)));
    })
    .await;
}

#[tokio::test]
async fn owners_allow_email_codes_after_a_fresh_second_factor_and_never_in_healthcare() {
    use tessera_server::model::Role;
    use tessera_server::policy::MfaPolicy;
    use tessera_server::roles::Refusal;
    on_both(|env| async move {
        env.app.create_organisation("Acme", OrgKind::Standard, EMAIL, None, Some(PASSWORD)).await.unwrap();
        env.app.add_user("Acme", "bob@example.org", None, Role::Admin, Some(PASSWORD)).await.unwrap();
        let bob = session_of(&env, &password_step(&env, "bob@example.org").await.0).await;
        assert!(matches!(
            env.app.set_email_codes(&bob, true, &[bob.role.id], &meta()).await,
            Err(CodeError::NotAllowed(Refusal::MissingPermission))
        ));
        let (s, token) = signed_in_with_token(&env).await;
        assert!(matches!(
            env.app.set_email_codes(&s, true, &[s.role.id], &meta()).await,
            Err(CodeError::StepUpRequired)
        ));
        env.app.send_email_code(&s, &meta()).await.unwrap();
        env.app.step_up(&s, &last_code(&env), &meta()).await.unwrap();
        let s = session_of(&env, &token).await;
        env.app.set_email_codes(&s, true, &[s.role.id], &meta()).await.unwrap();
        let last = env.store.recent_audit(None, 1).await.unwrap().remove(0);
        assert_eq!(
            (last.action.as_str(), last.detail.as_deref()),
            ("organisation.mfa_policy_changed", Some("email codes allowed as a second factor for: Owner"))
        );
        assert!(env.outbox().iter().any(|m| m.contains("Email codes are now allowed as a second factor")));

        // Healthcare: refused, and a stored "allowed" is never in force.
        env.app
            .create_organisation("Clinic", OrgKind::Healthcare, "cy@example.org", None, Some(PASSWORD))
            .await
            .unwrap();
        assert!(env.app.set_email_codes_by_operator("Clinic", true, None).await.is_err());
        common::execute(&env, "UPDATE organisations SET email_codes_allowed = TRUE WHERE name = 'Clinic'").await;
        env.app.set_mfa_policy_by_operator("Clinic", MfaPolicy::Required, None).await.unwrap();
        let (token, challenged) = password_step(&env, "cy@example.org").await;
        assert!(!challenged, "{}: no email code in healthcare", env.backend);
        let cy = session_of(&env, &token).await;
        assert_eq!(cy.mfa_requirement(env.clock.now()), tessera_server::policy::Requirement::MustEnrol);
    })
    .await;
}

#[tokio::test]
async fn owners_choose_which_roles_may_use_email_codes_and_see_whom_a_change_moves_first() {
    use tessera_server::model::Role;
    use tessera_server::policy::{MfaPolicy, Requirement};
    on_both(|env| async move {
        env.app.create_organisation("Acme", OrgKind::Standard, EMAIL, None, Some(PASSWORD)).await.unwrap();
        env.app.add_user("Acme", "bob@example.org", Some("Bob"), Role::Admin, Some(PASSWORD)).await.unwrap();
        env.app.add_user("Acme", "cy@example.org", Some("Cy"), Role::Member, Some(PASSWORD)).await.unwrap();
        env.app.set_mfa_policy_by_operator("Acme", MfaPolicy::Required, None).await.unwrap();
        // A new organisation lets only the roles without permissions use email codes.
        env.app.set_email_codes_by_operator("Acme", true, None).await.unwrap();
        let (cy_token, cy_challenged) = password_step(&env, "cy@example.org").await;
        assert!(cy_challenged, "{}: a member signs in with an emailed code", env.backend);
        let (bob_token, bob_challenged) = password_step(&env, "bob@example.org").await;
        assert!(!bob_challenged, "an administrator has no email codes: the password leads to enrolment");
        let bob = session_of(&env, &bob_token).await;
        assert_eq!(bob.mfa_requirement(env.clock.now()), Requirement::MustEnrol);
        assert!(session_of(&env, &cy_token).await.email_codes_in_force());

        // The owner steps up, then asks what letting administrators (and not members) use
        // them would change: Bob moves to email codes, Cy to an app; the owner, without an app,
        // is not among the members' roles either way.
        let (s, token) = signed_in_with_token(&env).await;
        env.app.send_email_code(&s, &meta()).await.unwrap();
        env.app.step_up(&s, &last_code(&env), &meta()).await.unwrap();
        let s = session_of(&env, &token).await;
        let roles = env.app.email_code_roles(&s).await.unwrap().unwrap();
        let id = |name: &str| roles.iter().find(|r| r.name == name).unwrap().id;
        let allowed: Vec<&str> = roles.iter().filter(|r| r.email_codes).map(|r| r.name.as_str()).collect();
        assert_eq!(allowed, ["Member"]);
        let impact = env.app.email_codes_impact(&s, true, &[id("Administrator")]).await.unwrap().unwrap();
        let emails = |v: &[tessera_server::store::Member]| v.iter().map(|m| m.email.clone()).collect::<Vec<_>>();
        assert_eq!(emails(&impact.to_email), ["bob@example.org"]);
        assert_eq!(emails(&impact.to_app), ["cy@example.org"]);
        // Nothing is saved by asking.
        assert!(session_of(&env, &cy_token).await.email_codes_in_force());

        env.app.set_email_codes(&s, true, &[id("Administrator")], &meta()).await.unwrap();
        assert!(session_of(&env, &bob_token).await.email_codes_in_force(), "{}", env.backend);
        let cy = session_of(&env, &cy_token).await;
        assert!(!cy.email_codes_in_force());
        assert_eq!(cy.mfa_requirement(env.clock.now()), Requirement::MustEnrol, "an open session is confined at once");
        let last = env.store.recent_audit(None, 1).await.unwrap().remove(0);
        assert_eq!(last.detail.as_deref(), Some("email codes allowed as a second factor for: Administrator"));
        assert!(env.outbox().iter().any(|m| m.contains("second factor for these roles: Administrator")));
        env.clock.advance(Duration::from_secs(61));
        assert!(password_step(&env, "bob@example.org").await.1, "Bob's next sign-in mails him a code");

        // Another organisation's role, or none at all, changes nothing.
        env.app.create_organisation("Other", OrgKind::Standard, "zed@example.org", None, Some(PASSWORD)).await.unwrap();
        let other = session_of(&env, &password_step(&env, "zed@example.org").await.0).await;
        assert!(matches!(
            env.app.set_email_codes(&s, true, &[other.role.id], &meta()).await,
            Err(CodeError::NotApplicable)
        ));
        assert!(env.app.set_email_codes(&s, true, &[], &meta()).await.is_err());
        assert!(session_of(&env, &bob_token).await.email_codes_in_force());
        // The operator names roles; an unknown name is an error.
        assert!(env.app.set_email_codes_by_operator("Acme", true, Some(&["Nobody".to_string()])).await.is_err());
        env.app.set_email_codes_by_operator("Acme", true, Some(&["member".to_string()])).await.unwrap();
        assert!(session_of(&env, &cy_token).await.email_codes_in_force());
        assert!(!session_of(&env, &bob_token).await.email_codes_in_force());
    })
    .await;
}
