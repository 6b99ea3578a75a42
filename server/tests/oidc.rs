//! The OpenID Connect provider through the real store, on SQLite and PostgreSQL: a code is spent
//! once even when two requests race with it, a replay revokes what it gave, refresh tokens rotate,
//! and what the person changes about their account ends what applications hold.

mod common;

use std::time::Duration;

use base64::Engine;
use common::{on_both, Env};
use sha2::{Digest, Sha256};
use tessera_server::applications::ApplicationForm;
use tessera_server::audit::RequestMeta;
use tessera_server::model::OrgKind;
use tessera_server::oidc::Authorization;
use tessera_server::sign_in::Destination;

const PASSWORD: &str = "plum tractor sings quietly tonight";
const REDIRECT: &str = "https://wiki.example.org/callback";
const VERIFIER: &str = "a-pkce-verifier-of-at-least-forty-three-characters-0123";

fn meta() -> RequestMeta {
    RequestMeta::new(Some("192.0.2.10".parse().unwrap()), Some("oidc-test"))
}

struct Client {
    id: String,
    basic: String,
}

/// Acme with ada (owner), its keys and its confidential wiki.
async fn acme(env: &Env) -> Client {
    env.app.create_organisation("Acme", OrgKind::Standard, "ada@example.org", None, Some(PASSWORD)).await.unwrap();
    env.app.ensure_signing_keys().await.unwrap();
    let form = ApplicationForm {
        name: "Wiki".into(),
        confidential: true,
        redirect_uris: vec![REDIRECT.into()],
        es256: true,
        ..Default::default()
    };
    let r = env.app.add_application_by_operator("Acme", &form).await.unwrap();
    let creds = format!("{}:{}", r.client_id, r.client_secret.unwrap());
    Client { id: r.client_id, basic: format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(creds)) }
}

/// Ada's session token.
async fn signed_in(env: &Env) -> String {
    let sealed = env.app.begin_sign_in("ada@example.org", Destination::Home).unwrap();
    env.app.password_step(Some(&sealed), PASSWORD, None, &meta()).await.unwrap().token.expose().to_string()
}

async fn code_for(env: &Env, client: &Client, token: &str) -> String {
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
    let query = serde_urlencoded_like(&[
        ("client_id", &client.id),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid email"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ]);
    let s = env.app.session(token).await.unwrap().unwrap();
    match env.app.authorize(&query, Some(&s), &meta()).await.unwrap() {
        Authorization::Redirect(to) => {
            let url = url::Url::parse(&to).unwrap();
            url.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).expect("a code")
        }
        other => panic!("{}: {other:?}", env.backend),
    }
}

fn serde_urlencoded_like(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

fn exchange_form(code: &str) -> String {
    serde_urlencoded_like(&[
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ])
}

#[tokio::test]
async fn a_code_raced_by_two_requests_is_spent_once_and_the_loser_revokes_the_winner() {
    on_both(|env| async move {
        let client = acme(&env).await;
        let token = signed_in(&env).await;
        let code = code_for(&env, &client, &token).await;
        let form = exchange_form(&code);
        let m = meta();
        let (a, b) =
            tokio::join!(env.app.token(Some(&client.basic), &form, &m), env.app.token(Some(&client.basic), &form, &m));
        // One spends it, the other finds it spent and revokes the sign-in: the first may have had
        // its tokens already (then they are dead now) or not (then it is told the sign-in ended).
        assert!(a.is_err() || b.is_err(), "{}: never two winners", env.backend);
        let errors: Vec<_> = [&a, &b].into_iter().filter_map(|r| r.as_ref().err()).collect();
        assert!(errors.iter().all(|e| e.error == "invalid_grant"), "{}: {errors:?}", env.backend);
        assert!(errors.iter().any(|e| e.description.contains("used already")), "{}: {errors:?}", env.backend);
        if let Some(won) = [a, b].into_iter().find_map(Result::ok) {
            assert_eq!(format!("{:?}", jsonwebtoken::decode_header(&won.id_token).unwrap().alg), "ES256");
            let bearer = format!("Bearer {}", won.access_token);
            assert!(env.app.userinfo(Some(&bearer)).await.is_err(), "{}: the replay revoked them", env.backend);
        }
        // ES256, as registered.
        let code = code_for(&env, &client, &token).await;
        let tokens = env.app.token(Some(&client.basic), &exchange_form(&code), &meta()).await.unwrap();
        assert_eq!(format!("{:?}", jsonwebtoken::decode_header(&tokens.id_token).unwrap().alg), "ES256");
    })
    .await;
}

#[tokio::test]
async fn refresh_tokens_rotate_and_die_with_the_password_or_the_member() {
    on_both(|env| async move {
        let client = acme(&env).await;
        let token = signed_in(&env).await;
        let code = code_for(&env, &client, &token).await;
        let first = env.app.token(Some(&client.basic), &exchange_form(&code), &meta()).await.unwrap();
        let bearer = format!("Bearer {}", first.access_token);
        let info = env.app.userinfo(Some(&bearer)).await.unwrap();
        assert_eq!(info.person.email.as_deref(), Some("ada@example.org"));
        assert_eq!(info.person.name, None, "{}: no profile scope, no name", env.backend);
        let refresh = |t: &str| serde_urlencoded_like(&[("grant_type", "refresh_token"), ("refresh_token", t)]);
        let second = env.app.token(Some(&client.basic), &refresh(&first.refresh_token), &meta()).await.unwrap();
        assert_ne!(second.refresh_token, first.refresh_token);
        // Racing the same refresh token: one wins, the other revokes everything.
        let (m, form) = (meta(), refresh(&second.refresh_token));
        let (a, b) =
            tokio::join!(env.app.token(Some(&client.basic), &form, &m), env.app.token(Some(&client.basic), &form, &m));
        assert!(a.is_ok() != b.is_ok(), "{}: {a:?} {b:?}", env.backend);
        let third = a.or(b).unwrap();
        let r = env.app.token(Some(&client.basic), &refresh(&third.refresh_token), &meta()).await;
        assert_eq!(r.unwrap_err().error, "invalid_grant", "{}: the family is revoked", env.backend);

        // A fresh sign-in's tokens end when the password changes (here by a reset link).
        let code = code_for(&env, &client, &signed_in(&env).await).await;
        let fresh = env.app.token(Some(&client.basic), &exchange_form(&code), &meta()).await.unwrap();
        let link = env.app.reset_link_by_operator("Acme", "ada@example.org").await.unwrap();
        let reset = link.split("token=").nth(1).unwrap().to_string();
        let new_password = "seven green kites drift upward";
        let form = tessera_server::password_reset::ResetForm {
            email: "ada@example.org".into(),
            password: new_password.into(),
            password_again: new_password.into(),
        };
        env.app.complete_password_reset(&reset, &form, &meta()).await.unwrap();
        let bearer = format!("Bearer {}", fresh.access_token);
        assert_eq!(env.app.userinfo(Some(&bearer)).await.unwrap_err().error, "invalid_token", "{}", env.backend);
        let r = env.app.token(Some(&client.basic), &refresh(&fresh.refresh_token), &meta()).await;
        assert_eq!(r.unwrap_err().error, "invalid_grant", "{}", env.backend);
        // Old codes and tokens are forgotten in time, not before.
        assert_eq!(env.app.purge_expired_grants().await.unwrap(), 0, "{}", env.backend);
        env.clock.advance(Duration::from_secs(32 * 24 * 3600));
        assert!(env.app.purge_expired_grants().await.unwrap() > 0, "{}", env.backend);
    })
    .await;
}

#[tokio::test]
async fn a_password_change_ends_what_applications_hold() {
    on_both(|env| async move {
        let client = acme(&env).await;
        let token = signed_in(&env).await;
        // A fresh second factor (enrolling proves one), which a password change needs.
        let s = env.app.session(&token).await.unwrap().unwrap();
        let view = env.app.start_enrolment(&s, &meta()).await.unwrap();
        let secret = common::base32_decode(&view.setup_key_grouped);
        env.app.confirm_enrolment(&s, &common::code_now(&secret, &env), &meta()).await.unwrap();
        let code = code_for(&env, &client, &token).await;
        let tokens = env.app.token(Some(&client.basic), &exchange_form(&code), &meta()).await.unwrap();
        let bearer = format!("Bearer {}", tokens.access_token);
        assert!(env.app.userinfo(Some(&bearer)).await.is_ok(), "{}", env.backend);
        let s = env.app.session(&token).await.unwrap().unwrap();
        let new_password = "seven green kites drift upward";
        let form = tessera_server::account::PasswordChange {
            current: PASSWORD.into(),
            password: new_password.into(),
            password_again: new_password.into(),
        };
        env.app.change_password(&s, &form, &meta()).await.unwrap();
        assert_eq!(env.app.userinfo(Some(&bearer)).await.unwrap_err().error, "invalid_token", "{}", env.backend);
        let refresh =
            serde_urlencoded_like(&[("grant_type", "refresh_token"), ("refresh_token", &tokens.refresh_token)]);
        let r = env.app.token(Some(&client.basic), &refresh, &meta()).await;
        assert_eq!(r.unwrap_err().error, "invalid_grant", "{}", env.backend);
    })
    .await;
}
