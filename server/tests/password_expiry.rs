//! Password expiry through the real store, on SQLite and PostgreSQL: the organisation's setting,
//! a password's age from when it was chosen (a rehash does not renew it, a new password does),
//! and replacing an expired password.

mod common;

use std::time::Duration;

use common::{on_both, Env};
use tessera_server::account::{AccountError, PasswordChange};
use tessera_server::audit::RequestMeta;
use tessera_server::clock::Clock;
use tessera_server::mfa::CodeError;
use tessera_server::model::OrgKind;
use tessera_server::session::SessionInfo;
use tessera_server::sign_in::SignInStep;

const EMAIL: &str = "ada@example.org";
const PASSWORD: &str = "plum tractor sings quietly tonight";
const NEW_PASSWORD: &str = "copper lantern hums beside rivers";
const DAY: Duration = Duration::from_secs(86_400);

fn meta() -> RequestMeta {
    RequestMeta::new(Some("192.0.2.10".parse().unwrap()), Some("password-expiry-test"))
}

async fn signed_in(env: &Env, password: &str) -> (SessionInfo, String) {
    let token = match env.app.sign_in(EMAIL, password, None, &meta()).await.unwrap() {
        SignInStep::Done(t) => t.expose().to_string(),
        SignInStep::MfaRequired(_) => panic!("no MFA here"),
    };
    (env.app.session(&token).await.unwrap().unwrap(), token)
}

fn form(password: &str, again: &str) -> PasswordChange {
    PasswordChange { current: String::new(), password: password.into(), password_again: again.into() }
}

#[tokio::test]
async fn a_password_expires_at_its_age_and_a_new_one_starts_again() {
    on_both(|env| async move {
        env.app.create_organisation("Acme", OrgKind::Standard, EMAIL, None, Some(PASSWORD)).await.unwrap();
        for wrong in [Some(29), Some(366), Some(0)] {
            assert!(env.app.set_password_expiry_by_operator("Acme", wrong).await.is_err(), "{wrong:?}");
        }
        let (s, _) = signed_in(&env, PASSWORD).await;
        assert!(!s.password_expired(env.clock.now().plus(DAY * 400)), "off by default");
        env.app.set_password_expiry_by_operator("Acme", Some(30)).await.unwrap();
        let last = env.store.recent_audit(None, 1).await.unwrap().remove(0);
        assert_eq!(
            (last.action.as_str(), last.detail.as_deref()),
            ("organisation.mfa_policy_changed", Some("passwords now expire"))
        );
        // Not expired: nothing to replace.
        let (s, _) = signed_in(&env, PASSWORD).await;
        assert!(matches!(
            env.app.replace_expired_password(&s, &form(NEW_PASSWORD, NEW_PASSWORD), &meta()).await,
            Err(AccountError::NotExpired)
        ));
        env.clock.advance(DAY * 30 - Duration::from_millis(1));
        assert!(!signed_in(&env, PASSWORD).await.0.password_expired(env.clock.now()), "{}", env.backend);
        env.clock.advance(Duration::from_millis(1));
        let (other, other_token) = signed_in(&env, PASSWORD).await;
        let (s, token) = signed_in(&env, PASSWORD).await;
        assert!(s.password_expired(env.clock.now()) && other.password_expired(env.clock.now()));

        assert!(
            matches!(
                env.app.replace_expired_password(&s, &form(PASSWORD, PASSWORD), &meta()).await,
                Err(AccountError::Invalid(_))
            ),
            "the expired password again"
        );
        assert!(matches!(
            env.app.replace_expired_password(&s, &form(NEW_PASSWORD, "something else"), &meta()).await,
            Err(AccountError::Invalid(_))
        ));
        let renewed = env.app.replace_expired_password(&s, &form(NEW_PASSWORD, NEW_PASSWORD), &meta()).await.unwrap();
        assert!(env.app.session(&token).await.unwrap().is_none(), "the old token died");
        assert!(env.app.session(&other_token).await.unwrap().is_none(), "other sessions ended");
        let s = env.app.session(renewed.expose()).await.unwrap().unwrap();
        assert!(!s.password_expired(env.clock.now()), "{}", env.backend);
        assert!(env.app.password_prompt(&s).await.unwrap().is_some(), "the MFA question comes next");
        let last = env.store.recent_audit(None, 1).await.unwrap().remove(0);
        assert_eq!(last.detail.as_deref(), Some("expired password replaced; other sessions ended"));
        assert!(env.app.sign_in(EMAIL, PASSWORD, None, &meta()).await.is_err());
        // The new one's 30 days start now.
        env.clock.advance(DAY * 30 - Duration::from_millis(1));
        assert!(!signed_in(&env, NEW_PASSWORD).await.0.password_expired(env.clock.now()));
        // Turned off, nobody's password expires.
        env.clock.advance(DAY);
        env.app.set_password_expiry_by_operator("Acme", None).await.unwrap();
        assert!(!signed_in(&env, NEW_PASSWORD).await.0.password_expired(env.clock.now()));
    })
    .await;
}

#[tokio::test]
async fn only_owners_with_a_fresh_second_factor_set_password_expiry() {
    use tessera_server::model::Role;
    on_both(|env| async move {
        env.app.create_organisation("Acme", OrgKind::Standard, EMAIL, None, Some(PASSWORD)).await.unwrap();
        env.app.add_user("Acme", "bob@example.org", None, Role::Admin, Some(PASSWORD)).await.unwrap();
        let bob = match env.app.sign_in("bob@example.org", PASSWORD, None, &meta()).await.unwrap() {
            SignInStep::Done(t) => env.app.session(t.expose()).await.unwrap().unwrap(),
            SignInStep::MfaRequired(_) => panic!("no MFA here"),
        };
        assert!(matches!(env.app.set_password_expiry(&bob, Some(90), &meta()).await, Err(CodeError::NotAllowed(_))));
        let (s, _) = signed_in(&env, PASSWORD).await;
        assert!(matches!(env.app.set_password_expiry(&s, Some(90), &meta()).await, Err(CodeError::StepUpRequired)));
        let org = env.store.find_organisation_by_name("Acme").await.unwrap().unwrap();
        assert_eq!(org.password_max_age_days, None);
    })
    .await;
}

#[tokio::test]
async fn changing_a_password_is_all_or_nothing() {
    on_both(|env| async move {
        env.app.create_organisation("Acme", OrgKind::Standard, EMAIL, None, Some(PASSWORD)).await.unwrap();
        let (_, other_token) = signed_in(&env, PASSWORD).await;
        let (s, token) = signed_in(&env, PASSWORD).await;
        // A fresh confirmation, as an emailed code would give.
        env.store.mark_second_factor(&s.token_hash, env.clock.now()).await.unwrap();
        let s = env.app.session(&token).await.unwrap().unwrap();
        let change = PasswordChange {
            current: PASSWORD.into(),
            password: NEW_PASSWORD.into(),
            password_again: NEW_PASSWORD.into(),
        };

        // Signed out between the check and the write: nothing at all changes.
        env.store.delete_session(&s.token_hash).await.unwrap();
        let r = env.app.change_password(&s, &change, &meta()).await;
        assert!(matches!(r, Err(AccountError::StepUpRequired)), "{r:?}");
        assert!(env.app.session(&other_token).await.unwrap().is_some(), "{}: the other session stays", env.backend);
        assert!(!env.store.password_prompt_pending(s.user_id).await.unwrap());
        signed_in(&env, PASSWORD).await;
        let changed = env.store.recent_audit(None, 50).await.unwrap();
        assert!(!changed.iter().any(|e| e.action == "password.changed" && e.outcome == "success"));

        // Otherwise everything at once: the password, the sessions, the question, the record.
        let (s, token) = signed_in(&env, PASSWORD).await;
        env.store.mark_second_factor(&s.token_hash, env.clock.now()).await.unwrap();
        let s = env.app.session(&token).await.unwrap().unwrap();
        let new = env.app.change_password(&s, &change, &meta()).await.unwrap();
        assert!(env.app.session(new.expose()).await.unwrap().is_some());
        assert!(
            env.app.session(&token).await.unwrap().is_none() && env.app.session(&other_token).await.unwrap().is_none()
        );
        assert!(env.store.password_prompt_pending(s.user_id).await.unwrap());
        signed_in(&env, NEW_PASSWORD).await;
        let last = env.store.recent_audit(None, 50).await.unwrap();
        assert!(last.iter().any(|e| e.action == "password.changed" && e.outcome == "success"));
    })
    .await;
}
