//! Changing one's email address through the real store, on SQLite and PostgreSQL: who may ask,
//! the link to the new address (lifetime, single use even when two confirmations race,
//! supersession, the sending limits), an address another account has, and what the old address
//! and the old links learn.

mod common;

use std::time::Duration;

use common::{base32_decode, code_now, on_both, Env};
use tessera_server::audit::RequestMeta;
use tessera_server::clock::Clock;
use tessera_server::email_change::{EmailChangeError, EMAIL_CHANGE_TTL};
use tessera_server::model::{OrgKind, Role};
use tessera_server::roles::Refusal;
use tessera_server::session::SessionInfo;
use tessera_server::sign_in::SignInStep;
use tessera_server::store::EmailChanged;

const EMAIL: &str = "ada@example.org";
const NEW: &str = "ada.lovelace@example.net";
const PASSWORD: &str = "plum tractor sings quietly tonight";

fn meta() -> RequestMeta {
    RequestMeta::new(Some("192.0.2.10".parse().unwrap()), Some("email-change-test"))
}

async fn session_of(env: &Env, token: &str) -> SessionInfo {
    env.app.session(token).await.unwrap().expect("a live session")
}

/// Ada with an authenticator app, signed in with it moments ago: her session token and secret.
async fn ada_with_app(env: &Env) -> (String, Vec<u8>) {
    env.app.create_organisation("Acme", OrgKind::Standard, EMAIL, Some("Ada"), Some(PASSWORD)).await.unwrap();
    let token = match env.app.sign_in(EMAIL, PASSWORD, None, &meta()).await.unwrap() {
        SignInStep::Done(t) => t.expose().to_string(),
        SignInStep::MfaRequired(_) => panic!("no MFA yet"),
    };
    let s = session_of(env, &token).await;
    let view = env.app.start_enrolment(&s, &meta()).await.unwrap();
    let secret = base32_decode(&view.setup_key_grouped);
    env.app.confirm_enrolment(&s, &code_now(&secret, env), &meta()).await.unwrap();
    (token, secret)
}

fn link_token(env: &Env, to: &str) -> String {
    let mail = env
        .outbox()
        .into_iter()
        .rev()
        .find(|m| m.contains(&format!("To: {to}")) && m.contains("Confirm your new email address"))
        .expect("a confirmation mail")
        .replace("=3D", "=");
    let at = mail.find("/account/email/confirm?token=").unwrap() + "/account/email/confirm?token=".len();
    mail[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
}

#[tokio::test]
async fn the_address_changes_only_through_the_link_to_the_new_one_and_the_old_one_is_told() {
    on_both(|env| async move {
        let (token, _) = ada_with_app(&env).await;
        let s = session_of(&env, &token).await;
        assert_eq!(
            env.app.request_email_change(&s, "  Ada.Lovelace@Example.NET ", &meta()).await.unwrap(),
            "Ada.Lovelace@Example.NET"
        );
        let link = link_token(&env, "Ada.Lovelace@Example.NET");
        let told = env.outbox().into_iter().rev().find(|m| m.contains(&format!("To: {EMAIL}"))).unwrap();
        assert!(told.contains("asked to change its email address to Ada.Lovelace@Example.NET"), "{told}");
        // Nothing changed yet: the old address still signs in, the link only shows where it leads.
        assert_eq!(session_of(&env, &token).await.email, EMAIL);
        assert_eq!(env.app.email_change_link(&link).await.unwrap().as_deref(), Some("Ada.Lovelace@Example.NET"));

        // Valid to the last millisecond of its hour.
        env.clock.advance(EMAIL_CHANGE_TTL - Duration::from_millis(1));
        assert_eq!(env.app.confirm_email_change(&link, &meta()).await.unwrap(), "Ada.Lovelace@Example.NET");
        assert!(matches!(env.app.confirm_email_change(&link, &meta()).await, Err(EmailChangeError::LinkInvalid)));
        assert_eq!(session_of(&env, &token).await.email, "Ada.Lovelace@Example.NET", "{}", env.backend);
        let told = env.outbox().into_iter().rev().find(|m| m.contains(&format!("To: {EMAIL}"))).unwrap();
        assert!(
            told.contains("Your email address was changed") && told.contains("changed to Ada.Lovelace@Example.NET")
        );
        assert!(env.app.sign_in(EMAIL, PASSWORD, None, &meta()).await.is_err(), "the old address is gone");
        assert!(env.app.sign_in(NEW, PASSWORD, None, &meta()).await.is_ok(), "the new one signs in, any case");
        let last = env.store.recent_audit(None, 5).await.unwrap();
        assert!(last.iter().any(|e| e.action == "email.changed" && e.outcome == "success"), "{last:?}");
        assert!(last.iter().all(|e| !e.detail.as_deref().unwrap_or("").contains('@')), "no addresses in the log");
    })
    .await;
}

#[tokio::test]
async fn only_an_app_holder_with_a_fresh_code_may_ask_and_links_expire_and_are_superseded() {
    on_both(|env| async move {
        let (token, secret) = ada_with_app(&env).await;
        // Someone without an app: refused, whatever their emailed step-up.
        env.app.add_user("Acme", "bob@example.org", None, Role::Member, Some(PASSWORD)).await.unwrap();
        let bob = match env.app.sign_in("bob@example.org", PASSWORD, None, &meta()).await.unwrap() {
            SignInStep::Done(t) => session_of(&env, t.expose()).await,
            SignInStep::MfaRequired(_) => panic!("bob has no app"),
        };
        env.app.send_email_code(&bob, &meta()).await.unwrap();
        let mail = env.outbox().pop().unwrap();
        let at = mail.find("Your Tessera code is: ").unwrap() + "Your Tessera code is: ".len();
        env.app.step_up(&bob, &mail[at..at + 6], &meta()).await.unwrap();
        assert!(matches!(
            env.app.request_email_change(&bob, "bob@example.net", &meta()).await,
            Err(EmailChangeError::Refused(Refusal::NeedsApp))
        ));

        // Ada's confirmation goes stale; a code from the app makes it fresh again.
        env.clock.advance(Duration::from_secs(15 * 60));
        let s = session_of(&env, &token).await;
        assert!(matches!(env.app.request_email_change(&s, NEW, &meta()).await, Err(EmailChangeError::StepUpRequired)));
        env.app.step_up(&s, &code_now(&secret, &env), &meta()).await.unwrap();
        let s = session_of(&env, &token).await;
        for (typed, why) in [("not-an-address", "not an address"), ("ADA@example.org", "the current one")] {
            assert!(
                matches!(env.app.request_email_change(&s, typed, &meta()).await, Err(EmailChangeError::Invalid(_))),
                "{why}"
            );
        }
        env.app.request_email_change(&s, NEW, &meta()).await.unwrap();
        let first = link_token(&env, NEW);
        // One a minute: the second waits, the third replaces the first.
        assert!(matches!(env.app.request_email_change(&s, NEW, &meta()).await, Err(EmailChangeError::TooSoon(_))));
        env.clock.advance(Duration::from_secs(60));
        env.app.request_email_change(&s, "ada@example.com", &meta()).await.unwrap();
        let second = link_token(&env, "ada@example.com");
        assert!(matches!(env.app.confirm_email_change(&first, &meta()).await, Err(EmailChangeError::LinkInvalid)));
        // An hour and a second later the newer one is dead too.
        env.clock.advance(EMAIL_CHANGE_TTL + Duration::from_secs(1));
        assert!(matches!(env.app.confirm_email_change(&second, &meta()).await, Err(EmailChangeError::LinkInvalid)));
        assert!(env.store.credentials_by_email(EMAIL).await.unwrap().is_some(), "the address is unchanged");
        assert!(matches!(
            env.app.confirm_email_change("not a token", &meta()).await,
            Err(EmailChangeError::LinkInvalid)
        ));
    })
    .await;
}

#[tokio::test]
async fn an_address_another_account_has_changes_nothing_and_tells_that_account() {
    on_both(|env| async move {
        let (token, _) = ada_with_app(&env).await;
        env.app.add_user("Acme", "cy@example.org", Some("Cy"), Role::Member, Some(PASSWORD)).await.unwrap();
        let s = session_of(&env, &token).await;
        // The same answer as for a free address.
        env.app.request_email_change(&s, "CY@example.org", &meta()).await.unwrap();
        let to_cy = env.outbox().into_iter().find(|m| m.contains("To: cy@example.org")).expect("cy is told");
        assert!(to_cy.contains("Someone tried to use your email address") && !to_cy.contains("/account/email/confirm"));
        assert!(env.outbox().iter().any(|m| m.contains("To: ada@example.org") && m.contains("asked to change")));

        // Taken between asking and confirming: nothing changes and the link is spent.
        env.clock.advance(Duration::from_secs(60));
        env.app.request_email_change(&s, NEW, &meta()).await.unwrap();
        let link = link_token(&env, NEW);
        env.app.add_user("Acme", NEW, None, Role::Member, Some(PASSWORD)).await.unwrap();
        assert!(
            matches!(env.app.confirm_email_change(&link, &meta()).await, Err(EmailChangeError::Taken)),
            "{}",
            env.backend
        );
        assert_eq!(session_of(&env, &token).await.email, EMAIL);
        assert!(matches!(env.app.confirm_email_change(&link, &meta()).await, Err(EmailChangeError::LinkInvalid)));
    })
    .await;
}

#[tokio::test]
async fn two_confirmations_at_once_have_one_winner_and_old_links_die() {
    use tessera_server::secret::Token;
    use tessera_server::store::TokenPurpose;
    on_both(|env| async move {
        let (token, _) = ada_with_app(&env).await;
        let s = session_of(&env, &token).await;
        // A reset link and an emailed code went to the old address before the change.
        let reset = Token::generate();
        env.store
            .create_token(
                &reset.hash(),
                TokenPurpose::ResetPassword,
                Some(s.user_id),
                None,
                env.clock.now(),
                Duration::from_secs(3600),
            )
            .await
            .unwrap();
        let code_hash =
            tessera_server::email_codes::code_hash(&tessera_server::secret::SecretKey::generate(), "sess", "123456");
        env.store
            .issue_email_code(s.user_id, "sess", &code_hash, env.clock.now(), Duration::from_secs(600))
            .await
            .unwrap();
        for round in 0..2u64 {
            let link = Token::generate();
            let now = env.clock.now();
            let at = now.plus(Duration::from_secs(61 * (round + 1)));
            let new = format!("ada{round}@example.net");
            env.store.request_email_change(s.user_id, &link.hash(), &new, at, EMAIL_CHANGE_TTL).await.unwrap();
            let mut tasks = Vec::new();
            for _ in 0..6 {
                let (store, hash) = (env.store.clone(), link.hash());
                tasks.push(tokio::spawn(async move { store.confirm_email_change(&hash, at).await.unwrap() }));
            }
            let mut changed = 0;
            for t in tasks {
                match t.await.unwrap() {
                    EmailChanged::Changed { new_email, .. } => {
                        assert_eq!(new_email, new);
                        changed += 1;
                    }
                    EmailChanged::Invalid => {}
                    other => panic!("{other:?}"),
                }
            }
            assert_eq!(changed, 1, "{} round {round}: exactly one confirmation wins", env.backend);
        }
        assert!(env
            .store
            .peek_token(&reset.hash(), TokenPurpose::ResetPassword, env.clock.now())
            .await
            .unwrap()
            .is_none());
        assert_eq!(
            env.store.use_email_code("sess", &code_hash, env.clock.now()).await.unwrap(),
            tessera_server::store::CodeUse::Refused
        );
    })
    .await;
}
