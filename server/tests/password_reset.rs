//! "Forgot your password?" through the real store, on SQLite and PostgreSQL: the link, its
//! lifetime and limits, what a reset changes (the password, the sessions) and what it never does
//! (MFA), one winner when a link is used twice at once, and the operators' commands.

mod common;

use std::time::Duration;

use common::{base32_decode, code_now, on_both, Env};
use tessera_server::audit::RequestMeta;
use tessera_server::clock::Clock;
use tessera_server::form_errors::FormError;
use tessera_server::model::{OrgKind, Problem, Role};
use tessera_server::password_reset::{ResetForm, RESET_LINK_TTL};
use tessera_server::secret::Token;
use tessera_server::send_limit::Sent;
use tessera_server::sign_in::SignInStep;
use tessera_server::store::TokenPurpose;

const EMAIL: &str = "ada@example.org";
const PASSWORD: &str = "plum tractor sings quietly tonight";
const NEW_PASSWORD: &str = "copper lantern hums beside rivers";

fn meta() -> RequestMeta {
    RequestMeta::new(Some("192.0.2.10".parse().unwrap()), Some("reset-test"))
}

async fn reset(env: &Env, link: &str, email: &str, password: &str, again: &str) -> Result<String, FormError> {
    let form = ResetForm { email: email.into(), password: password.into(), password_again: again.into() };
    env.app.complete_password_reset(link, &form, &meta()).await
}

/// Mail is sent in the background, after the answer: waits until the outbox holds `n` messages.
async fn outbox_of(env: &Env, n: usize) -> Vec<String> {
    for _ in 0..200 {
        // Quoted-printable writes '=' as "=3D".
        let mail: Vec<String> = env.outbox().into_iter().map(|m| m.replace("=3D", "=")).collect();
        if mail.len() >= n {
            return mail;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{}: expected {n} mails, the outbox has {}", env.backend, env.outbox().len());
}

/// Asks for a link and lets the background work finish (whether or not it mails).
async fn ask(env: &Env, email: &str) {
    env.app.request_password_reset(email, &meta()).unwrap();
    // The background task takes a few queries; nothing else tells when it is done if no mail goes.
    tokio::time::sleep(Duration::from_millis(300)).await;
}

fn reset_token(mail: &str) -> String {
    let at = mail.find("/reset-password?token=").expect("a reset link") + "/reset-password?token=".len();
    mail[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
}

async fn password_step(env: &Env, password: &str) -> Option<(String, bool)> {
    match env.app.sign_in(EMAIL, password, None, &meta()).await {
        Ok(SignInStep::Done(t)) => Some((t.expose().to_string(), false)),
        Ok(SignInStep::MfaRequired(t)) => Some((t.expose().to_string(), true)),
        Err(_) => None,
    }
}

#[tokio::test]
async fn a_reset_link_changes_the_password_ends_sessions_and_keeps_mfa() {
    on_both(|env| async move {
        env.app.create_organisation("Acme", OrgKind::Standard, EMAIL, Some("Ada"), Some(PASSWORD)).await.unwrap();
        let (token, _) = password_step(&env, PASSWORD).await.unwrap();
        let s = env.app.session(&token).await.unwrap().unwrap();
        let view = env.app.start_enrolment(&s, &meta()).await.unwrap();
        let secret = base32_decode(&view.setup_key_grouped);
        env.app.confirm_enrolment(&s, &code_now(&secret, &env), &meta()).await.unwrap();
        let before = env.outbox().len();

        // Typed with other case and spaces; mailed to the address on record, from the base URL.
        ask(&env, "  ADA@Example.org ").await;
        let mail = outbox_of(&env, before + 1).await.pop().unwrap();
        assert!(mail.contains("To: ada@example.org") && mail.contains("Subject: Tessera: Reset your password"));
        assert!(mail.contains("http://127.0.0.1:3000/reset-password?token="), "{mail}");
        assert!(mail.contains("within 60 minutes") && mail.contains("Your MFA stays as it is"));
        let link = reset_token(&mail);
        assert!(Token::parse(&link).is_some(), "a full-strength token");
        assert_eq!(env.app.reset_link_state(&link).await.unwrap().map(|l| l.min_chars), Some(15));

        // The form's rules, each with its reason; none of them uses the link up.
        let wrong = reset(&env, &link, "bob@example.org", NEW_PASSWORD, NEW_PASSWORD);
        match wrong.await {
            Err(FormError::Invalid(e)) => assert_eq!(e.get("email"), Some(Problem::NotLinkAddress)),
            other => panic!("{other:?}"),
        }
        let differ = reset(&env, &link, EMAIL, NEW_PASSWORD, "copper lantern");
        match differ.await {
            Err(FormError::Invalid(e)) => assert_eq!(e.get("password_again"), Some(Problem::Mismatch)),
            other => panic!("{other:?}"),
        }
        let weak = reset(&env, &link, EMAIL, "acme ada", "acme ada");
        match weak.await {
            Err(FormError::Invalid(e)) => assert!(matches!(e.get("password"), Some(Problem::Weak(_)))),
            other => panic!("{other:?}"),
        }

        let done = reset(&env, &link, "Ada@example.org", NEW_PASSWORD, NEW_PASSWORD);
        assert_eq!(done.await.unwrap(), EMAIL);
        assert!(env.app.session(&token).await.unwrap().is_none(), "every session ended");
        let again = reset(&env, &link, EMAIL, NEW_PASSWORD, NEW_PASSWORD);
        assert!(matches!(again.await, Err(FormError::LinkInvalid)), "single use");
        assert!(password_step(&env, PASSWORD).await.is_none(), "the old password is gone");
        let (_, mfa) = password_step(&env, NEW_PASSWORD).await.unwrap();
        assert!(mfa, "{}: a reset never gets past MFA", env.backend);

        let notice = outbox_of(&env, before + 2).await.pop().unwrap();
        assert!(
            notice.contains("Subject: Tessera: Your password was changed") && notice.contains("Your MFA is unchanged")
        );
        assert!(!notice.contains(NEW_PASSWORD) && !notice.contains(&link));
        let events = env.store.recent_audit(None, 20).await.unwrap();
        let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
        assert!(actions.contains(&"password.reset") && actions.contains(&"password.reset_requested"), "{actions:?}");
        for e in &events {
            let detail = e.detail.clone().unwrap_or_default();
            assert!(!detail.contains(&link) && !detail.contains(NEW_PASSWORD));
        }
    })
    .await;
}

#[tokio::test]
async fn a_link_lives_60_minutes_and_dies_when_replaced_or_after_a_sign_in() {
    on_both(|env| async move {
        env.app.create_organisation("Acme", OrgKind::Standard, EMAIL, None, Some(PASSWORD)).await.unwrap();
        ask(&env, EMAIL).await;
        let first = reset_token(&outbox_of(&env, 1).await[0]);
        env.clock.advance(RESET_LINK_TTL - Duration::from_millis(1));
        assert!(env.app.reset_link_state(&first).await.unwrap().is_some(), "valid until its last millisecond");
        env.clock.advance(Duration::from_millis(1));
        assert!(env.app.reset_link_state(&first).await.unwrap().is_none(), "{}: dead at 60 minutes", env.backend);

        ask(&env, EMAIL).await;
        let second = reset_token(&outbox_of(&env, 2).await[1]);
        env.clock.advance(Duration::from_secs(61));
        ask(&env, EMAIL).await;
        let third = reset_token(&outbox_of(&env, 3).await[2]);
        assert!(env.app.reset_link_state(&second).await.unwrap().is_none(), "a newer link kills the older one");
        assert!(env.app.reset_link_state(&third).await.unwrap().is_some());
        // Signing in with the old password proves it is known: the link stops working.
        assert!(password_step(&env, PASSWORD).await.is_some());
        assert!(env.app.reset_link_state(&third).await.unwrap().is_none(), "{}: a sign-in kills it", env.backend);
    })
    .await;
}

#[tokio::test]
async fn links_are_limited_per_account_and_go_only_to_usable_accounts() {
    on_both(|env| async move {
        env.app.create_organisation("Acme", OrgKind::Standard, EMAIL, None, Some(PASSWORD)).await.unwrap();
        // Within a minute of a link, no new one; then one a minute, at most five an hour.
        ask(&env, EMAIL).await;
        ask(&env, EMAIL).await;
        assert_eq!(outbox_of(&env, 1).await.len(), 1, "{}: the cooldown", env.backend);
        for _ in 0..6 {
            env.clock.advance(Duration::from_secs(60));
            ask(&env, EMAIL).await;
        }
        assert_eq!(env.outbox().len(), 5, "{}: five an hour", env.backend);
        env.clock.advance(Duration::from_secs(3600));
        ask(&env, EMAIL).await;
        assert_eq!(outbox_of(&env, 6).await.len(), 6, "an hour later, one more");
        let refused = env.store.recent_audit(None, 50).await.unwrap();
        assert!(refused.iter().any(|e| e.detail.as_deref() == Some("too many links asked for; no link sent")));

        // Unknown, disabled and invited-but-not-accepted accounts get nothing.
        let bob = env.app.add_user("Acme", "bob@example.org", None, Role::Member, Some(PASSWORD)).await.unwrap();
        let bob_role = env.store.member(bob.org_id, bob.user_id).await.unwrap().unwrap().role.id;
        env.store.set_member_disabled(bob.org_id, bob.user_id, bob_role, true, env.clock.now()).await.unwrap();
        env.app.add_user("Acme", "cy@example.org", None, Role::Member, None).await.unwrap();
        let before = env.outbox().len();
        env.clock.advance(Duration::from_secs(120));
        for email in ["nobody@example.org", "bob@example.org", "cy@example.org"] {
            ask(&env, email).await;
        }
        assert_eq!(env.outbox().len(), before, "{}", env.backend);
        // Only the shape of the address is checked before answering.
        assert!(env.app.request_password_reset("not an address", &meta()).is_err());
        assert!(env.app.request_password_reset("a@x.org\r\nBcc: evil@x.org", &meta()).is_err());
    })
    .await;
}

#[tokio::test]
async fn a_link_used_twice_at_once_sets_one_password() {
    on_both(|env| async move {
        let created =
            env.app.create_organisation("Acme", OrgKind::Standard, EMAIL, None, Some(PASSWORD)).await.unwrap();
        let token = Token::generate();
        let now = env.clock.now();
        env.store
            .create_token(&token.hash(), TokenPurpose::ResetPassword, Some(created.user_id), None, now, RESET_LINK_TTL)
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for i in 0..6 {
            let (store, hash) = (env.store.clone(), token.hash());
            tasks.push(tokio::spawn(async move {
                store
                    .complete_set_password(&hash, TokenPurpose::ResetPassword, &format!("hash-{i}"), now)
                    .await
                    .unwrap()
            }));
        }
        let mut winners = 0;
        for t in tasks {
            if t.await.unwrap().is_some() {
                winners += 1;
            }
        }
        assert_eq!(winners, 1, "{}: exactly one use wins", env.backend);
        // Asking at the same moment from many places sends one link, not one each. Twice: the
        // first round also opens the pool's connections, so the second races on warm ones.
        for round in 1..=2 {
            let now = now.plus(Duration::from_secs(60 * round));
            let mut tasks = Vec::new();
            for _ in 0..6 {
                let store = env.store.clone();
                tasks.push(tokio::spawn(async move {
                    let hash = Token::generate().hash();
                    let purpose = TokenPurpose::ResetPassword;
                    store.issue_limited_token(&hash, purpose, created.user_id, now, RESET_LINK_TTL).await.unwrap()
                }));
            }
            let mut issued = 0;
            for t in tasks {
                if t.await.unwrap() == Sent::Yes {
                    issued += 1;
                }
            }
            assert_eq!(issued, 1, "{} round {round}: one link within the minute, however many ask", env.backend);
        }
        // A link of another purpose is not a reset link.
        let setup = Token::generate();
        env.store
            .create_token(&setup.hash(), TokenPurpose::SetPassword, Some(created.user_id), None, now, RESET_LINK_TTL)
            .await
            .unwrap();
        assert!(env.app.reset_link_state(setup.expose()).await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn operators_hand_out_a_reset_link_and_reset_an_owners_mfa() {
    on_both(|env| async move {
        env.app.create_organisation("Acme", OrgKind::Standard, EMAIL, Some("Ada"), Some(PASSWORD)).await.unwrap();
        let link = env.app.reset_link_by_operator("Acme", "ADA@example.org").await.unwrap();
        assert!(link.starts_with("http://127.0.0.1:3000/reset-password?token="), "{link}");
        assert!(env.app.reset_link_state(&reset_token(&link)).await.unwrap().is_some());
        assert!(env.app.reset_link_by_operator("Acme", "nobody@example.org").await.is_err());
        assert!(env.app.reset_link_by_operator("Nope", EMAIL).await.is_err());

        assert!(env.app.reset_mfa_by_operator("Acme", EMAIL, "ticket 7").await.is_err(), "no MFA to reset");
        let (token, _) = password_step(&env, PASSWORD).await.unwrap();
        let s = env.app.session(&token).await.unwrap().unwrap();
        let view = env.app.start_enrolment(&s, &meta()).await.unwrap();
        let secret = base32_decode(&view.setup_key_grouped);
        env.app.confirm_enrolment(&s, &code_now(&secret, &env), &meta()).await.unwrap();
        assert!(env.app.reset_mfa_by_operator("Acme", EMAIL, "  ").await.is_err(), "a reason is needed");
        env.app.reset_mfa_by_operator("Acme", EMAIL, "ticket 7: lost phone and codes").await.unwrap();
        let (_, mfa) = password_step(&env, PASSWORD).await.unwrap();
        assert!(!mfa, "{}: MFA is gone", env.backend);
        assert!(env.app.session(&token).await.unwrap().is_none(), "signed out everywhere");
        let mail = env.outbox().pop().unwrap();
        assert!(
            mail.contains("Subject: Tessera: Your MFA was reset") && mail.contains("ticket 7: lost phone and codes")
        );
        let events = env.store.recent_audit(None, 20).await.unwrap();
        let reset = events.iter().find(|e| e.action == "mfa.reset_by_admin").expect("on record");
        assert_eq!((reset.actor_user_id, reset.reason.as_deref()), (None, Some("ticket 7: lost phone and codes")));
        let issued = events.iter().find(|e| e.action == "password.reset_requested").expect("on record");
        assert_eq!(issued.detail.as_deref(), Some("link issued to an operator"));
    })
    .await;
}
