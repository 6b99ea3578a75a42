//! The sign-in pipeline through the real store, on SQLite and PostgreSQL: each step it names, in
//! the order the rules put them, the destination carried sealed between the steps, and the stage
//! the gate reads from the same machine.

mod common;

use std::time::Duration;

use common::{base32_decode, code_now, on_both, Env};
use tessera_server::audit::RequestMeta;
use tessera_server::clock::Clock;
use tessera_server::model::OrgKind;
use tessera_server::policy::MfaPolicy;
use tessera_server::recovery::RecoveryCode;
use tessera_server::sign_in::{Destination, LoginStep, Progress, SignInError, Stage, Step};

const PASSWORD: &str = "plum tractor sings quietly tonight";
const EMAIL: &str = "ada@example.org";

fn meta() -> RequestMeta {
    RequestMeta::new(Some("192.0.2.10".parse().unwrap()), Some("sign-in-test"))
}

fn team() -> Destination {
    Destination::Page("/settings/team?q=ada".into())
}

/// Email and password, on the way to `to`.
async fn password(env: &Env, to: Destination) -> Progress {
    let sealed = env.app.begin_sign_in(EMAIL, to).unwrap();
    env.app.password_step(Some(&sealed), PASSWORD, None, &meta()).await.unwrap()
}

async fn stage(env: &Env, token: &str) -> Stage {
    env.app.session(token).await.unwrap().expect("live session").stage(env.clock.now())
}

/// Ada with an authenticator app: its secret and recovery codes.
async fn enrolled(env: &Env) -> (Vec<u8>, Vec<RecoveryCode>) {
    let p = password(env, Destination::Home).await;
    let s = env.app.session(p.token.expose()).await.unwrap().unwrap();
    let view = env.app.start_enrolment(&s, &meta()).await.unwrap();
    let secret = base32_decode(&view.setup_key_grouped);
    let codes = env.app.confirm_enrolment(&s, &code_now(&secret, env), &meta()).await.unwrap();
    env.clock.advance(Duration::from_secs(30));
    (secret, codes)
}

#[tokio::test]
async fn without_mfa_the_password_leads_to_the_destination() {
    on_both(|env| async move {
        env.app.create_organisation("Acme", OrgKind::Standard, EMAIL, None, Some(PASSWORD)).await.unwrap();
        // The email step checks only the shape of the address.
        assert!(env.app.begin_sign_in("not an address", Destination::Home).is_err());
        let p = password(&env, team()).await;
        assert_eq!((p.step, p.keep), (Step::Done(team()), None), "{}", env.backend);
        assert_eq!(stage(&env, p.token.expose()).await, Stage::Free);
        // A password without the first step (skipped, forged or too old) is refused alike.
        for sealed in [None, Some("forged")] {
            let r = env.app.password_step(sealed, PASSWORD, None, &meta()).await;
            assert!(matches!(r, Err(SignInError::EmailFirst)), "{r:?}");
        }
        let sealed = env.app.begin_sign_in(EMAIL, Destination::Home).unwrap();
        env.clock.advance(Duration::from_secs(15 * 60));
        let r = env.app.password_step(Some(&sealed), PASSWORD, None, &meta()).await;
        assert!(matches!(r, Err(SignInError::EmailFirst)), "{r:?}");
        // A wrong password is the same answer as ever.
        let sealed = env.app.begin_sign_in(EMAIL, Destination::Home).unwrap();
        let r = env.app.password_step(Some(&sealed), "wrong password entirely", None, &meta()).await;
        assert!(matches!(r, Err(SignInError::InvalidCredentials)), "{r:?}");
    })
    .await;
}

#[tokio::test]
async fn the_second_factor_comes_between_and_the_destination_waits_sealed() {
    on_both(|env| async move {
        env.app.create_organisation("Acme", OrgKind::Standard, EMAIL, None, Some(PASSWORD)).await.unwrap();
        let (secret, codes) = enrolled(&env).await;
        let p = password(&env, team()).await;
        assert_eq!(p.step, Step::SecondFactor, "{}", env.backend);
        assert_eq!(stage(&env, p.token.expose()).await, Stage::SecondFactor);
        // What the browser keeps names the destination and no longer the address.
        let kept = p.keep.expect("the destination is kept");
        assert_eq!(env.app.open_login_step(&kept), Some(LoginStep { email: String::new(), destination: team() }));
        let s = env.app.session(p.token.expose()).await.unwrap().unwrap();
        let done = env.app.second_factor_step(&s, Some(&kept), &code_now(&secret, &env), false, &meta()).await.unwrap();
        assert_eq!((done.step, done.keep), (Step::Done(team()), None));
        assert_eq!(stage(&env, done.token.expose()).await, Stage::Free);
        // Going home, nothing needs keeping.
        let p = password(&env, Destination::Home).await;
        assert_eq!((p.step, p.keep), (Step::SecondFactor, None));
        // A recovery code: saying it was spent comes before the destination.
        let p = password(&env, team()).await;
        let s = env.app.session(p.token.expose()).await.unwrap().unwrap();
        let used =
            env.app.second_factor_step(&s, p.keep.as_deref(), &codes[0].display(), false, &meta()).await.unwrap();
        assert_eq!(used.step, Step::RecoveryCodeUsed(team()));
    })
    .await;
}

#[tokio::test]
async fn what_must_come_first_comes_first() {
    on_both(|env| async move {
        let created =
            env.app.create_organisation("Acme", OrgKind::Standard, EMAIL, None, Some(PASSWORD)).await.unwrap();
        // After a password reset: the question about MFA, instead of the destination.
        env.store.set_password_prompt(created.user_id, true).await.unwrap();
        let p = password(&env, team()).await;
        assert_eq!(p.step, Step::PasswordPrompt, "{}", env.backend);
        // MFA required and missing: enrolment, and the question is dropped (enrolling answers it).
        env.app.set_mfa_policy_by_operator("Acme", MfaPolicy::Required, None).await.unwrap();
        let p = password(&env, team()).await;
        assert_eq!(p.step, Step::Enrol);
        assert_eq!(stage(&env, p.token.expose()).await, Stage::Enrol);
        assert!(!env.store.password_prompt_pending(created.user_id).await.unwrap(), "the question is dropped");
        // An expired password comes before enrolment.
        env.app.set_password_expiry_by_operator("Acme", Some(30)).await.unwrap();
        env.clock.advance(Duration::from_secs(31 * 86_400));
        let p = password(&env, team()).await;
        assert_eq!(p.step, Step::NewPassword);
        assert_eq!(stage(&env, p.token.expose()).await, Stage::NewPassword);
    })
    .await;
}

/// Two instances on one database, each with its own memory, a burst of 3 sign-in requests per
/// address and one more every 10 seconds.
fn two_instances(env: &Env) -> [tessera_server::Tessera; 2] {
    let data = env.data.path().display().to_string();
    let config = tessera_server::config::Config::from_lookup(
        |k| match k {
            "TESSERA_DATA_DIR" => Some(data.clone()),
            "TESSERA_SIGNIN_BURST" => Some("3".into()),
            "TESSERA_SIGNIN_PER_MINUTE" => Some("6".into()),
            _ => None,
        },
        "127.0.0.1:3000",
    )
    .unwrap();
    let config = std::sync::Arc::new(config);
    [0, 1].map(|_| {
        tessera_server::Tessera::new(
            env.store.clone(),
            env.clock.clone(),
            config.clone(),
            tessera_server::password::PasswordHasher::new(1, 1),
            tessera_server::secret::SecretKey::generate(),
        )
    })
}

#[tokio::test]
async fn the_per_ip_limit_holds_across_instances_sharing_postgresql() {
    on_both(|env| async move {
        let [a, b] = two_instances(&env);
        let (one, other) = (meta(), RequestMeta::new(Some("192.0.2.11".parse().unwrap()), None));
        assert!(a.check_signin_rate(&one).await.is_ok());
        assert!(a.check_signin_rate(&one).await.is_ok());
        assert!(b.check_signin_rate(&one).await.is_ok());
        let fourth = a.check_signin_rate(&one).await;
        if env.backend == "postgres" {
            // The three requests were spread over two instances and still count three.
            assert_eq!(fourth, Err(Duration::from_secs(10)), "{}", env.backend);
            assert!(b.check_signin_rate(&one).await.is_err());
            // Another address has its own bucket; time refills this one.
            assert!(b.check_signin_rate(&other).await.is_ok());
            env.clock.advance(Duration::from_secs(10));
            assert!(b.check_signin_rate(&one).await.is_ok());
            assert!(a.check_signin_rate(&one).await.is_err());
            // The clean-up forgets buckets only once they are surely full again (the longest
            // refill of any limit: the reset links' hour).
            a.purge_idle_limits().await.unwrap();
            let mut kept = common::query_texts(&env, "SELECT bucket FROM shared_limits").await;
            kept.sort();
            assert_eq!(kept, ["sign-in:192.0.2.10", "sign-in:192.0.2.11"]);
            env.clock.advance(Duration::from_secs(3601));
            a.purge_idle_limits().await.unwrap();
            assert!(common::query_texts(&env, "SELECT bucket FROM shared_limits").await.is_empty());
        } else {
            // One process serves a SQLite database: each instance's memory is the whole limit,
            // and the database is not written for it.
            assert!(fourth.is_ok());
            assert!(a.check_signin_rate(&one).await.is_err());
            assert!(common::query_texts(&env, "SELECT bucket FROM shared_limits").await.is_empty());
        }
    })
    .await;
}
