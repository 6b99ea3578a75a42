//! The sign-in providers the operator configures: each field checked, the provider's metadata
//! read (and its issuer matched) before it is stored, the client secret sealed at rest, names
//! unique whatever their case; on both databases.
//!
//! The providers here are small HTTP servers on loopback, each answering its metadata the way a
//! real provider can go wrong: another issuer, a redirect, too slow, not JSON, not there.

mod common;

use std::time::Duration;

use common::idp::*;
use common::*;
use tessera_server::clock::Clock;
use tessera_server::sign_in::{Destination, Stage, Step};
use tessera_server::sso::{
    AddError, DiscoveryError, Landing, MethodError, MethodForm, ProviderForm, ProviderKind, ProviderMfa, SsoRefusal,
};
use tessera_server::store::FlowPurpose;

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

fn oidc(name: &str, issuer: &str) -> ProviderForm {
    ProviderForm {
        kind: Some(ProviderKind::Oidc),
        name: Some(name.into()),
        issuer: Some(issuer.into()),
        client_id: "tessera-client".into(),
        client_secret: "a provider's secret\n".into(),
        tenants: vec![],
    }
}

#[tokio::test]
async fn a_provider_is_stored_only_once_its_metadata_names_it_and_its_secret_is_sealed() {
    let origin = providers().await;
    on_both(|env| {
        let origin = origin.clone();
        async move {
            let good = format!("{origin}/good");
            let added = env.app.add_sso_provider_by_operator(&oidc("Okta", &good)).await.unwrap();
            assert_eq!(
                (added.kind.as_str(), added.name.as_str(), added.issuer.as_str()),
                ("oidc", "Okta", good.as_str())
            );
            // Sealed: neither the secret nor anything that tells it.
            let stored = env.store.sso_providers().await.unwrap();
            assert_eq!(stored.len(), 1, "{}", env.backend);
            assert!(!stored[0].client_secret_sealed.contains("secret"), "{:?}", stored[0].client_secret_sealed);
            assert!(!format!("{stored:?}").contains(&stored[0].client_secret_sealed));
            // One name, whatever its case.
            let again = env.app.add_sso_provider_by_operator(&oidc(" okta ", &good)).await;
            assert!(matches!(&again, Err(AddError::Taken(name)) if name == "okta"), "{again:?}");

            // Each way a provider's metadata can be wrong is refused, and nothing is stored.
            for (path, expected) in [
                ("other", DiscoveryError::OtherIssuer("https://somewhere-else.example.org".into())),
                ("moved", DiscoveryError::Redirected),
                ("missing", DiscoveryError::Status(404)),
            ] {
                let r = env.app.add_sso_provider_by_operator(&oidc(path, &format!("{origin}/{path}"))).await;
                match r {
                    Err(AddError::Discovery { why, .. }) => assert_eq!(why, expected, "{path}"),
                    other => panic!("{path}: {other:?}"),
                }
            }
            let r = env.app.add_sso_provider_by_operator(&oidc("garbled", &format!("{origin}/garbled"))).await;
            assert!(matches!(r, Err(AddError::Discovery { why: DiscoveryError::Unreadable(_), .. })), "{r:?}");
            // Nobody listening.
            let r = env.app.add_sso_provider_by_operator(&oidc("gone", "http://127.0.0.1:9/")).await;
            assert!(matches!(r, Err(AddError::Discovery { why: DiscoveryError::Unreachable(_), .. })), "{r:?}");
            // A bad form is refused before anything is fetched.
            let r = env.app.add_sso_provider_by_operator(&oidc("plain", "http://idp.example.org")).await;
            assert!(matches!(r, Err(AddError::Invalid(_))), "{r:?}");

            // Microsoft's endpoint for several tenants names a template; its tenants are kept.
            let ms = ProviderForm {
                kind: Some(ProviderKind::Microsoft),
                issuer: Some(format!("{origin}/ms")),
                tenants: vec![TENANT.into(), "00000000-0000-0000-0000-0000000000AB".into()],
                ..oidc("", "")
            };
            let ms = ProviderForm { name: None, ..ms };
            let added = env.app.add_sso_provider_by_operator(&ms).await.unwrap();
            assert_eq!(added.name, "Microsoft");
            assert_eq!(added.tenants, vec![TENANT.to_string(), "00000000-0000-0000-0000-0000000000ab".to_string()]);
            // Anyone else naming a template is not Microsoft's multi-tenant endpoint.
            let r = env.app.add_sso_provider_by_operator(&oidc("Template", &format!("{origin}/ms"))).await;
            assert!(matches!(r, Err(AddError::Discovery { why: DiscoveryError::OtherIssuer(_), .. })), "{r:?}");

            let names: Vec<_> = env.app.sso_providers().await.unwrap().into_iter().map(|p| p.name).collect();
            assert_eq!(names, ["Okta", "Microsoft"], "{}", env.backend);
            env.app.remove_sso_provider_by_operator("OKTA").await.unwrap();
            assert!(env.app.remove_sso_provider_by_operator("Okta").await.is_err(), "gone already");
            assert_eq!(env.app.sso_providers().await.unwrap().len(), 1);
        }
    })
    .await;
}

#[tokio::test]
async fn a_provider_that_does_not_answer_in_time_is_not_waited_for() {
    let origin = providers().await;
    on_both(|env| {
        let origin = origin.clone();
        async move {
            // The client's own limit ends the wait: waited out, the request would have succeeded.
            let r = env.app.add_sso_provider_by_operator(&oidc("Slow", &format!("{origin}/slow"))).await;
            assert!(matches!(r, Err(AddError::Discovery { why: DiscoveryError::Slow, .. })), "{r:?}");
            assert!(env.app.sso_providers().await.unwrap().is_empty());
        }
    })
    .await;
}

const PASSWORD: &str = "correct horse battery staple";

fn meta() -> tessera_server::audit::RequestMeta {
    tessera_server::audit::RequestMeta::new(Some("192.0.2.30".parse().unwrap()), Some("sso-test"))
}

/// A flow as the browser sees it: the provider's URL's state, nonce and PKCE challenge, and the
/// binding cookie.
struct Browser {
    state: String,
    nonce: String,
    challenge: String,
    binding: String,
}

fn browser_of(started: &tessera_server::sso::Started) -> Browser {
    let url = url::Url::parse(&started.url).unwrap();
    let get = |k: &str| url.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned()).unwrap_or_default();
    assert_eq!(get("code_challenge_method"), "S256");
    assert_eq!(get("response_type"), "code");
    assert_eq!(get("redirect_uri"), "http://127.0.0.1:3000/sso/callback");
    Browser {
        state: get("state"),
        nonce: get("nonce"),
        challenge: get("code_challenge"),
        binding: started.browser.expose().into(),
    }
}

/// Acme, with bob (a member, by password), and the provider "Idp", allowed for Acme. Returns
/// the provider's id and bob's user id.
async fn world(env: &Env, idp: &Idp) -> (i64, i64) {
    use tessera_server::model::{OrgKind, Role};
    env.app.create_organisation("Acme", OrgKind::Standard, "ada@example.org", None, Some(PASSWORD)).await.unwrap();
    let bob = env.app.add_user("Acme", "bob@example.org", None, Role::Member, Some(PASSWORD)).await.unwrap();
    let added = env.app.add_sso_provider_by_operator(&oidc("Idp", &format!("{}/idp", idp.origin))).await.unwrap();
    env.app.allow_sso_provider_by_operator("Acme", "idp", true, &[]).await.unwrap();
    let key = Key::new("k1");
    let mut script = idp.script.lock().unwrap();
    script.signer = Some(key.clone());
    script.published = vec![key];
    (added.id, bob.user_id)
}

/// The claims a good ID token for `browser`'s flow carries, at the test clock's now.
fn claims(env: &Env, idp: &Idp, browser: &Browser, sub: &str) -> serde_json::Value {
    use tessera_server::clock::Clock;
    let now = env.clock.now().0 / 1000;
    serde_json::json!({
        "iss": format!("{}/idp", idp.origin),
        "sub": sub,
        "aud": CLIENT,
        "exp": now + 300,
        "iat": now,
        "nonce": browser.nonce,
        "email": "bob@idp.example",
        "email_verified": true,
    })
}

/// Starts a flow and scripts the provider's answer: `edit` changes the good claims first.
async fn at_provider(
    env: &Env,
    idp: &Idp,
    provider: i64,
    purpose: tessera_server::store::FlowPurpose,
    sub: &str,
    edit: impl FnOnce(&mut serde_json::Value),
) -> Browser {
    let started = env.app.start_sso(provider, purpose, &Destination::Home).await.unwrap().unwrap();
    let browser = browser_of(&started);
    let mut c = claims(env, idp, &browser, sub);
    edit(&mut c);
    let mut script = idp.script.lock().unwrap();
    script.claims = Some(c);
    script.challenge = Some(browser.challenge.clone());
    browser
}

async fn back(env: &Env, browser: &Browser, extra: &str, signed_in: Option<i64>) -> Landing {
    let query = format!("code=good-code&state={}{extra}", browser.state);
    env.app.finish_sso(&query, Some(&browser.binding), signed_in, None, &meta()).await.unwrap()
}

/// `s` (whose token is `token`) once it has enrolled an authenticator, which makes its second
/// factor fresh; and the authenticator's secret.
async fn enrolled(
    env: &Env,
    token: &str,
    s: &tessera_server::session::SessionInfo,
) -> (tessera_server::session::SessionInfo, Vec<u8>) {
    let view = env.app.start_enrolment(s, &meta()).await.unwrap();
    let secret = base32_decode(&view.setup_key_grouped);
    env.app.confirm_enrolment(s, &code_now(&secret, env), &meta()).await.unwrap();
    (env.app.session(token).await.unwrap().unwrap(), secret)
}

/// A sign-in method's form: on or off, accounts from where, what the provider's MFA counts for.
fn method(allowed: bool, from: &str, mfa: ProviderMfa) -> MethodForm {
    MethodForm { allowed, accounts_from: from.into(), mfa, ..MethodForm::default() }
}

/// A session opened with `email`'s password (no MFA yet): its token and what it is.
async fn by_password(env: &Env, email: &str) -> (String, tessera_server::session::SessionInfo) {
    let token = match env.app.sign_in(email, PASSWORD, None, &meta()).await.unwrap() {
        tessera_server::sign_in::SignInStep::Done(t) => t.expose().to_string(),
        other => panic!("{other:?}"),
    };
    let s = env.app.session(&token).await.unwrap().unwrap();
    (token, s)
}

fn refusal(landing: &Landing) -> Option<SsoRefusal> {
    match landing {
        Landing::Refused { reason, .. } => Some(*reason),
        _ => None,
    }
}

#[tokio::test]
async fn a_person_links_a_provider_then_signs_in_with_it_and_still_owes_their_second_factor() {
    let idp = start_providers().await;
    on_both(|env| {
        let idp = idp.clone();
        async move {
            let (provider, bob) = world(&env, &idp).await;
            // Not linked yet: refused, saying nothing about any account.
            let b = at_provider(&env, &idp, provider, FlowPurpose::SignIn, "idp-bob", |_| {}).await;
            let landing = back(&env, &b, "", None).await;
            assert!(matches!(landing, Landing::NotLinked(_)), "{landing:?} ({})", env.backend);
            // Bob links it from his account.
            let b = at_provider(&env, &idp, provider, FlowPurpose::Link { user_id: bob }, "idp-bob", |_| {}).await;
            let landing = back(&env, &b, "", Some(bob)).await;
            assert!(matches!(&landing, Landing::Linked { provider } if provider == "Idp"), "{landing:?}");
            let linked = env.app.linked_providers(bob).await.unwrap();
            assert_eq!(linked, vec![(provider, "Idp".to_string(), Some("bob@idp.example".to_string()))]);
            // Now he signs in with it: without MFA, straight to where he was going.
            let b = at_provider(&env, &idp, provider, FlowPurpose::SignIn, "idp-bob", |_| {}).await;
            let Landing::SignedIn(progress) = back(&env, &b, "", None).await else { panic!("signed in") };
            assert_eq!(progress.step, Step::Done(Destination::Home));
            let s = env.app.session(progress.token.expose()).await.unwrap().unwrap();
            assert_eq!(s.user_id, bob);
            // With an authenticator, the provider is only the first factor.
            let view = env.app.start_enrolment(&s, &meta()).await.unwrap();
            let secret = base32_decode(&view.setup_key_grouped);
            env.app.confirm_enrolment(&s, &code_now(&secret, &env), &meta()).await.unwrap();
            let b = at_provider(&env, &idp, provider, FlowPurpose::SignIn, "idp-bob", |_| {}).await;
            let Landing::SignedIn(progress) = back(&env, &b, "", None).await else { panic!("signed in") };
            assert_eq!(progress.step, Step::SecondFactor);
            let half = env.app.session(progress.token.expose()).await.unwrap().unwrap();
            assert_eq!(half.stage(env.clock.now()), Stage::SecondFactor);
            // The activity log says how.
            let log = env.store.recent_audit(None, 50).await.unwrap();
            let details: Vec<_> = log.iter().filter_map(|e| e.detail.clone()).collect();
            assert!(details.contains(&"signed in with Idp; second factor required".to_string()), "{details:?}");
            assert!(details.contains(&"with Idp: no linked account".to_string()), "{details:?}");
            assert!(log
                .iter()
                .any(|e| e.action == "sso.linked" && e.detail.as_deref() == Some("Idp (bob@idp.example)")));

            // A provider that names the address at userinfo only, for the same subject.
            let carol = env.app.add_user(
                "Acme",
                "carol@example.org",
                None,
                tessera_server::model::Role::Member,
                Some(PASSWORD),
            );
            let carol = carol.await.unwrap().user_id;
            let no_email = |c: &mut serde_json::Value| {
                c.as_object_mut().unwrap().remove("email");
            };
            let b =
                at_provider(&env, &idp, provider, FlowPurpose::Link { user_id: carol }, "idp-carol", no_email).await;
            idp.script.lock().unwrap().userinfo =
                Some(serde_json::json!({ "sub": "idp-carol", "email": "carol@idp.example" }));
            assert!(matches!(back(&env, &b, "", Some(carol)).await, Landing::Linked { .. }));
            let linked = env.app.linked_providers(carol).await.unwrap();
            assert_eq!(linked[0].2.as_deref(), Some("carol@idp.example"), "{}", env.backend);
            // ... and not for another subject's answer.
            env.store.unlink_sso_identity(carol, provider).await.unwrap();
            let b =
                at_provider(&env, &idp, provider, FlowPurpose::Link { user_id: carol }, "idp-carol", no_email).await;
            idp.script.lock().unwrap().userinfo =
                Some(serde_json::json!({ "sub": "idp-bob", "email": "bob@idp.example" }));
            assert!(matches!(back(&env, &b, "", Some(carol)).await, Landing::Linked { .. }));
            assert_eq!(env.app.linked_providers(carol).await.unwrap()[0].2, None);

            // Disabled, bob hears so after the provider too (and which organisation to ask).
            let (acme, role) = env.store.primary_membership(bob).await.unwrap().unwrap();
            env.store.set_member_disabled(acme.id, bob, role.id, true, env.clock.now()).await.unwrap();
            let b = at_provider(&env, &idp, provider, FlowPurpose::SignIn, "idp-bob", |_| {}).await;
            match back(&env, &b, "", None).await {
                Landing::Disabled(account) => {
                    assert_eq!((account.email.as_str(), account.org_name.as_str()), ("bob@example.org", "Acme"))
                }
                other => panic!("{other:?}"),
            }
            env.store.set_member_disabled(acme.id, bob, role.id, false, env.clock.now()).await.unwrap();

            // The organisation stops allowing the provider: refused, and why.
            env.app.allow_sso_provider_by_operator("Acme", "Idp", false, &[]).await.unwrap();
            let b = at_provider(&env, &idp, provider, FlowPurpose::SignIn, "idp-bob", |_| {}).await;
            assert_eq!(refusal(&back(&env, &b, "", None).await), Some(SsoRefusal::NotAllowed));
            env.app.allow_sso_provider_by_operator("Acme", "Idp", true, &[]).await.unwrap();
            // Another person cannot link bob's provider account, nor bob a second one.
            let ada = env.store.credentials_by_email("ada@example.org").await.unwrap().unwrap().user_id;
            let b = at_provider(&env, &idp, provider, FlowPurpose::Link { user_id: ada }, "idp-bob", |_| {}).await;
            assert_eq!(refusal(&back(&env, &b, "", Some(ada)).await), Some(SsoRefusal::LinkedElsewhere));
            let b = at_provider(&env, &idp, provider, FlowPurpose::Link { user_id: bob }, "idp-bob-2", |_| {}).await;
            assert_eq!(refusal(&back(&env, &b, "", Some(bob)).await), Some(SsoRefusal::AlreadyLinked));
            // A link finished by someone other than who started it is no link.
            let b = at_provider(&env, &idp, provider, FlowPurpose::Link { user_id: ada }, "idp-ada", |_| {}).await;
            assert_eq!(refusal(&back(&env, &b, "", Some(bob)).await), Some(SsoRefusal::Expired));
        }
    })
    .await;
}

#[tokio::test]
async fn password_expiry_stops_a_password_sign_in_but_not_a_provider_s_even_after_the_second_factor() {
    let idp = start_providers().await;
    on_both(|env| {
        let idp = idp.clone();
        async move {
            let (provider, bob) = world(&env, &idp).await;
            let b = at_provider(&env, &idp, provider, FlowPurpose::Link { user_id: bob }, "idp-bob", |_| {}).await;
            assert!(matches!(back(&env, &b, "", Some(bob)).await, Landing::Linked { .. }));
            // Bob has an authenticator, and Acme's passwords expire after 30 days.
            let b = at_provider(&env, &idp, provider, FlowPurpose::SignIn, "idp-bob", |_| {}).await;
            let Landing::SignedIn(progress) = back(&env, &b, "", None).await else { panic!("signed in") };
            let s = env.app.session(progress.token.expose()).await.unwrap().unwrap();
            let view = env.app.start_enrolment(&s, &meta()).await.unwrap();
            let secret = base32_decode(&view.setup_key_grouped);
            env.app.confirm_enrolment(&s, &code_now(&secret, &env), &meta()).await.unwrap();
            let (acme, _) = env.store.primary_membership(bob).await.unwrap().unwrap();
            env.store.set_password_max_age(acme.id, Some(30)).await.unwrap();
            env.clock.advance(Duration::from_secs(31 * 24 * 3600));

            // With his password: a new one before anything else.
            let by_password = match env.app.sign_in("bob@example.org", PASSWORD, None, &meta()).await.unwrap() {
                tessera_server::sign_in::SignInStep::MfaRequired(t) => t,
                other => panic!("{other:?}"),
            };
            let half = env.app.session(by_password.expose()).await.unwrap().unwrap();
            let code = code_now(&secret, &env);
            let (full, _) = env.app.answer_challenge(&half, &code, false, &meta()).await.unwrap();
            let full = env.app.session(full.expose()).await.unwrap().unwrap();
            assert_eq!(full.stage(env.clock.now()), Stage::NewPassword, "{}", env.backend);

            // With the provider, then the second factor: free, expiry is about passwords.
            env.clock.advance(Duration::from_secs(31));
            let b = at_provider(&env, &idp, provider, FlowPurpose::SignIn, "idp-bob", |_| {}).await;
            let Landing::SignedIn(progress) = back(&env, &b, "", None).await else { panic!("signed in") };
            assert_eq!(progress.step, Step::SecondFactor);
            let half = env.app.session(progress.token.expose()).await.unwrap().unwrap();
            let code = code_now(&secret, &env);
            let (full, _) = env.app.answer_challenge(&half, &code, false, &meta()).await.unwrap();
            let full = env.app.session(full.expose()).await.unwrap().unwrap();
            assert!(full.via_provider);
            assert_eq!(full.stage(env.clock.now()), Stage::Free, "{}", env.backend);
        }
    })
    .await;
}

#[tokio::test]
async fn every_bad_answer_from_the_provider_is_refused_and_opens_no_session() {
    let idp = start_providers().await;
    on_both(|env| {
        let idp = idp.clone();
        async move {
            let (provider, bob) = world(&env, &idp).await;
            let b = at_provider(&env, &idp, provider, FlowPurpose::Link { user_id: bob }, "idp-bob", |_| {}).await;
            assert!(matches!(back(&env, &b, "", Some(bob)).await, Landing::Linked { .. }));
            let sign_in = FlowPurpose::SignIn;
            let failed = Some(SsoRefusal::ProviderFailed);
            // Claims that do not hold.
            for (what, edit) in [
                (
                    "wrong nonce",
                    Box::new(|c: &mut serde_json::Value| c["nonce"] = "another".into())
                        as Box<dyn FnOnce(&mut serde_json::Value)>,
                ),
                (
                    "no nonce",
                    Box::new(|c: &mut serde_json::Value| {
                        c.as_object_mut().unwrap().remove("nonce");
                    }),
                ),
                ("wrong audience", Box::new(|c: &mut serde_json::Value| c["aud"] = "someone-else".into())),
                ("expired", Box::new(|c: &mut serde_json::Value| c["exp"] = (c["iat"].as_i64().unwrap() - 60).into())),
                ("another issuer", Box::new(|c: &mut serde_json::Value| c["iss"] = "https://evil.example.org".into())),
            ] {
                let b = at_provider(&env, &idp, provider, sign_in, "idp-bob", edit).await;
                assert_eq!(refusal(&back(&env, &b, "", None).await), failed, "{what}, {}", env.backend);
            }
            // The provider's answer names another issuer (RFC 9207).
            let b = at_provider(&env, &idp, provider, sign_in, "idp-bob", |_| {}).await;
            assert_eq!(refusal(&back(&env, &b, "&iss=https%3A%2F%2Fevil.example.org", None).await), failed);
            // ... or its own: fine.
            let b = at_provider(&env, &idp, provider, sign_in, "idp-bob", |_| {}).await;
            let own = format!(
                "&iss={}",
                url::form_urlencoded::byte_serialize(format!("{}/idp", idp.origin).as_bytes()).collect::<String>()
            );
            assert!(matches!(back(&env, &b, &own, None).await, Landing::SignedIn(_)));
            // The person said no at the provider.
            let b = at_provider(&env, &idp, provider, sign_in, "idp-bob", |_| {}).await;
            let query = format!("error=access_denied&state={}", b.state);
            let landing = env.app.finish_sso(&query, Some(&b.binding), None, None, &meta()).await.unwrap();
            assert_eq!(refusal(&landing), Some(SsoRefusal::Denied));
            // A state used twice, tampered with, from another browser, or too old.
            let b = at_provider(&env, &idp, provider, sign_in, "idp-bob", |_| {}).await;
            assert!(matches!(back(&env, &b, "", None).await, Landing::SignedIn(_)));
            assert_eq!(refusal(&back(&env, &b, "", None).await), Some(SsoRefusal::Expired), "replayed");
            let b = at_provider(&env, &idp, provider, sign_in, "idp-bob", |_| {}).await;
            let tampered = Browser { state: format!("{}x", &b.state[..42]), ..b };
            assert_eq!(refusal(&back(&env, &tampered, "", None).await), Some(SsoRefusal::Expired));
            let b = at_provider(&env, &idp, provider, sign_in, "idp-bob", |_| {}).await;
            let binding = tessera_server::secret::Token::generate().expose().to_string();
            let elsewhere = Browser { binding, state: b.state.clone(), nonce: String::new(), challenge: String::new() };
            assert_eq!(refusal(&back(&env, &elsewhere, "", None).await), Some(SsoRefusal::Expired));
            // ... which did not spend the flow of the browser that started it.
            assert!(matches!(back(&env, &b, "", None).await, Landing::SignedIn(_)));
            let b = at_provider(&env, &idp, provider, sign_in, "idp-bob", |_| {}).await;
            env.clock.advance(Duration::from_secs(11 * 60));
            assert_eq!(refusal(&back(&env, &b, "", None).await), Some(SsoRefusal::Expired), "too old");
            // A token signed by a key the provider does not publish.
            let b = at_provider(&env, &idp, provider, sign_in, "idp-bob", |_| {}).await;
            idp.script.lock().unwrap().signer = Some(Key::new("k1"));
            assert_eq!(refusal(&back(&env, &b, "", None).await), failed, "a forged key with a known kid");
            let b = at_provider(&env, &idp, provider, sign_in, "idp-bob", |_| {}).await;
            idp.script.lock().unwrap().signer = Some(Key::new("unknown"));
            assert_eq!(refusal(&back(&env, &b, "", None).await), failed, "an unpublished key");
            // The provider rotates its keys: the new key is read at once.
            let rotated = Key::new("k2");
            {
                let mut script = idp.script.lock().unwrap();
                script.signer = Some(rotated.clone());
                script.published.push(rotated);
            }
            let b = at_provider(&env, &idp, provider, sign_in, "idp-bob", |_| {}).await;
            assert!(matches!(back(&env, &b, "", None).await, Landing::SignedIn(_)), "{}", env.backend);
            // No refused answer opened a session: only the four that were let in did.
            let sessions = query_texts(&env, "SELECT CAST(COUNT(*) AS TEXT) FROM sessions").await;
            assert_eq!(sessions, ["4"], "{}", env.backend);
            // A day after they expired, flows are forgotten.
            let before = query_texts(&env, "SELECT CAST(COUNT(*) AS TEXT) FROM sso_flows").await;
            assert_ne!(before, ["0"]);
            assert_eq!(env.app.purge_expired_sso_flows().await.unwrap(), 0, "none expired a day ago");
            env.clock.advance(Duration::from_secs(25 * 3600));
            env.app.purge_expired_sso_flows().await.unwrap();
            assert_eq!(query_texts(&env, "SELECT CAST(COUNT(*) AS TEXT) FROM sso_flows").await, ["0"]);
        }
    })
    .await;
}

#[tokio::test]
async fn microsoft_accounts_pass_only_from_allowed_tenants_with_their_own_tenant_s_issuer() {
    let idp = start_providers().await;
    on_both(|env| {
        let idp = idp.clone();
        async move {
            let (_, bob) = world(&env, &idp).await;
            const OTHER: &str = "11111111-2222-3333-4444-555555555555";
            let form = ProviderForm {
                kind: Some(ProviderKind::Microsoft),
                name: None,
                issuer: Some(format!("{}/ms", idp.origin)),
                tenants: vec![TENANT.into()],
                ..oidc("", "")
            };
            let ms = env.app.add_sso_provider_by_operator(&form).await.unwrap().id;
            env.app.allow_sso_provider_by_operator("Acme", "Microsoft", true, &[]).await.unwrap();
            let origin = idp.origin.clone();
            let as_tenant = move |tid: &'static str, iss_tid: &'static str| {
                let origin = origin.clone();
                move |c: &mut serde_json::Value| {
                    c["iss"] = format!("{origin}/{iss_tid}/v2.0").into();
                    c["tid"] = tid.into();
                    c["oid"] = "object-of-bob".into();
                    c["sub"] = "pairwise-sub-of-bob".into();
                }
            };
            let b =
                at_provider(&env, &idp, ms, FlowPurpose::Link { user_id: bob }, "", as_tenant(TENANT, TENANT)).await;
            assert!(matches!(back(&env, &b, "", Some(bob)).await, Landing::Linked { .. }), "{}", env.backend);
            // Keyed by tenant and object id, not by the pairwise sub or the address.
            let linked = query_texts(&env, "SELECT subject FROM sso_identities").await;
            assert_eq!(linked, [format!("{TENANT} object-of-bob")]);
            let b = at_provider(&env, &idp, ms, FlowPurpose::SignIn, "", as_tenant(TENANT, TENANT)).await;
            assert!(matches!(back(&env, &b, "", None).await, Landing::SignedIn(_)));
            // Another tenant, even with the same object id: refused; and a token whose issuer
            // is another tenant's than its tid.
            for (tid, iss) in [(OTHER, OTHER), (TENANT, OTHER), (OTHER, TENANT)] {
                let b = at_provider(&env, &idp, ms, FlowPurpose::SignIn, "", as_tenant(tid, iss)).await;
                assert_eq!(refusal(&back(&env, &b, "", None).await), Some(SsoRefusal::ProviderFailed), "{tid} {iss}");
            }
        }
    })
    .await;
}

#[tokio::test]
async fn a_provider_added_after_another_was_removed_never_gets_its_metadata() {
    let idp = start_providers().await;
    on_both(|env| {
        let idp = idp.clone();
        async move {
            let (first, bob) = world(&env, &idp).await;
            // Its metadata is read and kept.
            at_provider(&env, &idp, first, FlowPurpose::Link { user_id: bob }, "idp-bob", |_| {}).await;
            env.app.remove_sso_provider_by_operator("Idp").await.unwrap();
            // The next provider (SQLite may give it the same id) is another issuer.
            let issuer = format!("{}/idp2", idp.origin);
            let second = env.app.add_sso_provider_by_operator(&oidc("Idp2", &issuer)).await.unwrap().id;
            env.app.allow_sso_provider_by_operator("Acme", "Idp2", true, &[]).await.unwrap();
            let b = at_provider(&env, &idp, second, FlowPurpose::Link { user_id: bob }, "idp-bob", |c| {
                c["iss"] = issuer.clone().into();
            })
            .await;
            let landing = back(&env, &b, "", Some(bob)).await;
            assert!(matches!(landing, Landing::Linked { .. }), "{landing:?} ({}, ids {first} {second})", env.backend);
        }
    })
    .await;
}

#[tokio::test]
async fn owners_choose_where_a_provider_s_accounts_may_come_from_and_others_are_refused() {
    use tessera_server::model::{ListIssue, Problem};
    let idp = start_providers().await;
    on_both(|env| {
        let idp = idp.clone();
        async move {
            let (provider, bob) = world(&env, &idp).await;
            let b = at_provider(&env, &idp, provider, FlowPurpose::Link { user_id: bob }, "idp-bob", |_| {}).await;
            assert!(matches!(back(&env, &b, "", Some(bob)).await, Landing::Linked { .. }));
            // Members neither see nor change it; an owner needs a fresh second factor.
            let (_, member) = by_password(&env, "bob@example.org").await;
            assert!(matches!(env.app.sign_in_methods(&member).await, Err(MethodError::Forbidden)));
            let forbidden =
                env.app.set_sign_in_method(&member, provider, &method(true, "", ProviderMfa::Always), &meta()).await;
            assert!(matches!(forbidden, Err(MethodError::Forbidden)), "{forbidden:?}");
            let (token, ada) = by_password(&env, "ada@example.org").await;
            let stale = env
                .app
                .set_sign_in_method(&ada, provider, &method(true, "example.org", ProviderMfa::Always), &meta())
                .await;
            assert!(matches!(stale, Err(MethodError::StepUpRequired)), "{stale:?}");
            let (ada, _) = enrolled(&env, &token, &ada).await;
            let page = env.app.sign_in_methods(&ada).await.unwrap();
            assert!(page.may_change);
            assert_eq!(page.methods.len(), 1);
            assert!(page.methods[0].allowed && page.methods[0].accounts_from.is_empty(), "{page:?}");

            // What is not a domain is refused, saying which line.
            let bad = env
                .app
                .set_sign_in_method(
                    &ada,
                    provider,
                    &method(true, "example.org\nlocalhost", ProviderMfa::Always),
                    &meta(),
                )
                .await;
            match bad {
                Err(MethodError::Invalid(errors)) => assert_eq!(
                    errors.get("accounts_from"),
                    Some(Problem::InList { issue: ListIssue::NotADomain, line: 2, more: 0 })
                ),
                other => panic!("{other:?}"),
            }
            assert!(matches!(
                env.app.set_sign_in_method(&ada, 9999, &method(true, "", ProviderMfa::Always), &meta()).await,
                Err(MethodError::NotFound)
            ));

            // Only verified addresses at example.org from now on.
            env.app
                .set_sign_in_method(&ada, provider, &method(true, "Example.org", ProviderMfa::Always), &meta())
                .await
                .unwrap();
            let page = env.app.sign_in_methods(&ada).await.unwrap();
            assert_eq!(page.methods[0].accounts_from, ["example.org"], "{}", env.backend);
            let b = at_provider(&env, &idp, provider, FlowPurpose::SignIn, "idp-bob", |_| {}).await;
            assert_eq!(refusal(&back(&env, &b, "", None).await), Some(SsoRefusal::NotFromOrganisation));
            let unverified = |c: &mut serde_json::Value| {
                c["email"] = "bob@example.org".into();
                c["email_verified"] = false.into();
            };
            let b = at_provider(&env, &idp, provider, FlowPurpose::SignIn, "idp-bob", unverified).await;
            assert_eq!(refusal(&back(&env, &b, "", None).await), Some(SsoRefusal::NotFromOrganisation));
            let verified = |c: &mut serde_json::Value| c["email"] = "bob@example.org".into();
            let b = at_provider(&env, &idp, provider, FlowPurpose::SignIn, "idp-bob", verified).await;
            assert!(matches!(back(&env, &b, "", None).await, Landing::SignedIn(_)), "{}", env.backend);

            // Stopped: refused; and every change is in the log and mailed to the owners.
            env.app.set_sign_in_method(&ada, provider, &method(false, "", ProviderMfa::Always), &meta()).await.unwrap();
            assert!(!env.app.sign_in_methods(&ada).await.unwrap().methods[0].allowed);
            let b = at_provider(&env, &idp, provider, FlowPurpose::SignIn, "idp-bob", verified).await;
            assert_eq!(refusal(&back(&env, &b, "", None).await), Some(SsoRefusal::NotAllowed));
            let log = env.store.recent_audit(None, 50).await.unwrap();
            let changes: Vec<_> =
                log.iter().filter(|e| e.action == "sso.method_changed").filter_map(|e| e.detail.clone()).collect();
            assert_eq!(
                changes,
                [
                    "Idp: not allowed",
                    "Idp: allowed, accounts from example.org",
                    "Idp: allowed, any account, by an operator"
                ],
                "{}",
                env.backend
            );
            let refusals: Vec<_> = log.iter().filter_map(|e| e.detail.clone()).collect();
            assert!(
                refusals.contains(&"with Idp: an account from idp.example, not accepted".to_string()),
                "{refusals:?}"
            );
            assert!(refusals.contains(&"with Idp: an account from nowhere it names, not accepted".to_string()));
            let mails: Vec<String> = env
                .outbox()
                .into_iter()
                .filter(|m| m.contains("To: ada@example.org") && m.contains("sign-in methods changed in Acme"))
                .collect();
            assert_eq!(mails.len(), 3, "{}", env.backend);
            assert!(mails.iter().any(|m| m.contains("with accounts from example.org only")));
            assert!(mails
                .iter()
                .any(|m| m.contains("can no longer sign in with Idp") && m.contains("(ada@example.org)")));
        }
    })
    .await;
}

#[tokio::test]
async fn an_unlinked_provider_account_waits_sealed_until_its_person_proves_their_account_and_links_it() {
    use tessera_server::account::AccountError;
    let idp = start_providers().await;
    on_both(|env| {
        let idp = idp.clone();
        async move {
            let (provider, bob) = world(&env, &idp).await;
            // Nobody is linked to it: what the provider said is handed back to keep, sealed.
            let b = at_provider(&env, &idp, provider, FlowPurpose::SignIn, "idp-bob", |_| {}).await;
            let Landing::NotLinked(pending) = back(&env, &b, "", None).await else { panic!("not linked") };
            assert_eq!((pending.provider_id, pending.provider.as_str()), (provider, "Idp"));
            let sealed = env.app.seal_pending_link(&pending);
            assert!(!sealed.contains("idp-bob") && !sealed.contains("bob@idp.example"), "sealed: {sealed}");
            assert_eq!(env.app.open_pending_link(&sealed).as_ref(), Some(&*pending));
            let mut tampered = sealed.clone();
            tampered.pop();
            assert_eq!(env.app.open_pending_link(&tampered), None);
            assert_eq!(env.app.open_pending_link("v1:not-sealed"), None);

            // Bob proves his account with his password; linking needs a fresh second factor.
            let (token, s) = by_password(&env, "bob@example.org").await;
            let stale = env.app.link_pending(&s, &sealed, &meta()).await;
            assert!(matches!(stale, Err(AccountError::StepUpRequired)), "{stale:?}");
            let (s, _) = enrolled(&env, &token, &s).await;
            let landing = env.app.link_pending(&s, &sealed, &meta()).await.unwrap();
            assert!(matches!(&landing, Landing::Linked { provider } if provider == "Idp"), "{landing:?}");
            assert_eq!(env.app.linked_providers(bob).await.unwrap()[0].0, provider);
            // From now on the provider signs him in (his code still owed).
            let b = at_provider(&env, &idp, provider, FlowPurpose::SignIn, "idp-bob", |_| {}).await;
            let Landing::SignedIn(progress) = back(&env, &b, "", None).await else { panic!("signed in") };
            assert_eq!(progress.step, Step::SecondFactor, "{}", env.backend);

            // Someone else, later in the same browser, cannot take bob's provider account.
            let (token, ada) = by_password(&env, "ada@example.org").await;
            let (ada, _) = enrolled(&env, &token, &ada).await;
            let landing = env.app.link_pending(&ada, &sealed, &meta()).await.unwrap();
            assert_eq!(refusal(&landing), Some(SsoRefusal::LinkedElsewhere));
            // What was kept lasts 15 minutes.
            let b = at_provider(&env, &idp, provider, FlowPurpose::SignIn, "idp-ada", |_| {}).await;
            let Landing::NotLinked(pending) = back(&env, &b, "", None).await else { panic!("not linked") };
            let sealed = env.app.seal_pending_link(&pending);
            env.clock.advance(Duration::from_secs(15 * 60));
            assert_eq!(env.app.open_pending_link(&sealed), None);
            let landing = env.app.link_pending(&ada, &sealed, &meta()).await.unwrap();
            assert_eq!(refusal(&landing), Some(SsoRefusal::Expired), "{}", env.backend);
            assert!(env.app.linked_providers(ada.user_id).await.unwrap().is_empty());
        }
    })
    .await;
}

#[tokio::test]
async fn owners_choose_what_a_provider_s_own_mfa_counts_for() {
    let idp = start_providers().await;
    on_both(|env| {
        let idp = idp.clone();
        async move {
            let (provider, bob) = world(&env, &idp).await;
            let b = at_provider(&env, &idp, provider, FlowPurpose::Link { user_id: bob }, "idp-bob", |_| {}).await;
            assert!(matches!(back(&env, &b, "", Some(bob)).await, Landing::Linked { .. }));
            // Bob has MFA; so does Ada, the owner, whose enrolment is her fresh second factor.
            let (token, s) = by_password(&env, "bob@example.org").await;
            let view = env.app.start_enrolment(&s, &meta()).await.unwrap();
            env.app
                .confirm_enrolment(&s, &code_now(&base32_decode(&view.setup_key_grouped), &env), &meta())
                .await
                .unwrap();
            drop(token);
            let (token, ada) = by_password(&env, "ada@example.org").await;
            let (ada, _) = enrolled(&env, &token, &ada).await;
            let proven = |c: &mut serde_json::Value| c["amr"] = serde_json::json!(["pwd", "mfa"]);
            let step_after = |edit: fn(&mut serde_json::Value)| {
                let (env, idp) = (&env, &idp);
                async move {
                    let b = at_provider(env, idp, provider, FlowPurpose::SignIn, "idp-bob", edit).await;
                    match back(env, &b, "", None).await {
                        Landing::SignedIn(progress) => progress.step,
                        other => panic!("{other:?}"),
                    }
                }
            };
            // The default: Tessera's second factor after the provider, whatever it says.
            assert_eq!(step_after(proven).await, Step::SecondFactor, "{}", env.backend);
            // Skipped when the provider proves its own, and only then.
            env.app
                .set_sign_in_method(&ada, provider, &method(true, "", ProviderMfa::WhenProven), &meta())
                .await
                .unwrap();
            let page = env.app.sign_in_methods(&ada).await.unwrap();
            assert_eq!(page.methods[0].mfa, ProviderMfa::WhenProven);
            assert_eq!(step_after(proven).await, Step::Done(Destination::Home), "{}", env.backend);
            assert_eq!(step_after(|_| {}).await, Step::SecondFactor);
            assert_eq!(step_after(|c| c["amr"] = serde_json::json!(["pwd"])).await, Step::SecondFactor);
            assert_eq!(
                step_after(|c| c["amr"] = serde_json::json!(["pwd", "otp"])).await,
                Step::Done(Destination::Home)
            );
            // A session the provider's MFA opened has proved no second factor of Tessera's:
            // sensitive changes still ask for one.
            let b = at_provider(&env, &idp, provider, FlowPurpose::SignIn, "idp-bob", proven).await;
            let Landing::SignedIn(progress) = back(&env, &b, "", None).await else { panic!("signed in") };
            let s = env.app.session(progress.token.expose()).await.unwrap().unwrap();
            assert!(!env.app.has_fresh_step_up(&s));
            // Never: no second factor after it, and the owners are warned.
            env.app.set_sign_in_method(&ada, provider, &method(true, "", ProviderMfa::Never), &meta()).await.unwrap();
            assert_eq!(step_after(|_| {}).await, Step::Done(Destination::Home));
            let mail = env.outbox().into_iter().rev().find(|m| m.contains("sign-in methods changed")).unwrap();
            assert!(mail.contains("Warning: Tessera no longer asks for its MFA after Idp"), "{mail}");
            // The operator changing where accounts come from keeps what the owners chose.
            env.app.allow_sso_provider_by_operator("Acme", "Idp", true, &["idp.example".to_string()]).await.unwrap();
            assert_eq!(env.app.sign_in_methods(&ada).await.unwrap().methods[0].mfa, ProviderMfa::Never);
            let log = env.store.recent_audit(None, 80).await.unwrap();
            let details: Vec<_> = log.iter().filter_map(|e| e.detail.clone()).collect();
            assert!(
                details.contains(
                    &"Idp: allowed, any account; Tessera's MFA skipped when the provider proves its own".to_string()
                ),
                "{details:?}"
            );
            assert!(details.contains(&"signed in with Idp, whose own MFA was accepted".to_string()), "{details:?}");
            assert!(details.contains(&"signed in with Idp, trusted without Tessera's MFA".to_string()), "{details:?}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_verified_address_at_a_trusted_domain_links_itself_an_unverified_one_never() {
    let idp = start_providers().await;
    on_both(|env| {
        let idp = idp.clone();
        async move {
            let (provider, bob) = world(&env, &idp).await;
            // Ada, the owner, with a fresh second factor, trusts the provider's verified
            // addresses at example.org (where bob's Tessera address is).
            let (token, ada) = by_password(&env, "ada@example.org").await;
            let (ada, _) = enrolled(&env, &token, &ada).await;
            let mut form = method(true, "", ProviderMfa::Always);
            form.trust_email_from = "nope".into();
            let bad = env.app.set_sign_in_method(&ada, provider, &form, &meta()).await;
            assert!(matches!(bad, Err(MethodError::Invalid(ref e)) if e.get("trust_email_from").is_some()), "{bad:?}");
            form.trust_email_from = "Example.org".into();
            env.app.set_sign_in_method(&ada, provider, &form, &meta()).await.unwrap();
            assert_eq!(env.app.sign_in_methods(&ada).await.unwrap().methods[0].trust_email_from, ["example.org"]);
            let bobs = |c: &mut serde_json::Value| c["email"] = "Bob@Example.org".into();
            // Unverified, or at another domain: nothing links, the person is told as before.
            let unverified = |c: &mut serde_json::Value| {
                c["email"] = "bob@example.org".into();
                c["email_verified"] = false.into();
            };
            let b = at_provider(&env, &idp, provider, FlowPurpose::SignIn, "idp-twin", unverified).await;
            assert!(matches!(back(&env, &b, "", None).await, Landing::NotLinked(_)), "{}", env.backend);
            let b = at_provider(&env, &idp, provider, FlowPurpose::SignIn, "idp-other", |_| {}).await;
            assert!(matches!(back(&env, &b, "", None).await, Landing::NotLinked(_)));
            assert!(env.app.linked_providers(bob).await.unwrap().is_empty());
            // Verified at example.org: linked to bob's account, and he is signed in.
            let b = at_provider(&env, &idp, provider, FlowPurpose::SignIn, "idp-bob", bobs).await;
            let Landing::SignedIn(progress) = back(&env, &b, "", None).await else { panic!("signed in") };
            let s = env.app.session(progress.token.expose()).await.unwrap().unwrap();
            assert_eq!(s.user_id, bob, "{}", env.backend);
            assert_eq!(env.app.linked_providers(bob).await.unwrap()[0].2.as_deref(), Some("Bob@Example.org"));
            let mail = env.outbox().into_iter().rev().find(|m| m.contains("To: bob@example.org")).unwrap();
            assert!(mail.contains("Idp can now sign you in"), "{mail}");
            let log = env.store.recent_audit(None, 50).await.unwrap();
            assert!(log.iter().any(|e| e.action == "sso.linked"
                && e.detail.as_deref()
                    == Some("Idp (Bob@Example.org), by its verified address, which the organisation trusts")));
            assert!(log
                .iter()
                .any(|e| e.detail.as_deref()
                    == Some("Idp: allowed, any account; trusts verified addresses at example.org")));
            // Another provider account with the same verified address cannot take it over.
            let b = at_provider(&env, &idp, provider, FlowPurpose::SignIn, "idp-bob-2", bobs).await;
            assert!(matches!(back(&env, &b, "", None).await, Landing::NotLinked(_)));
            // The operator changing where accounts come from keeps the trust.
            env.app.allow_sso_provider_by_operator("Acme", "Idp", true, &[]).await.unwrap();
            assert_eq!(env.app.sign_in_methods(&ada).await.unwrap().methods[0].trust_email_from, ["example.org"]);
        }
    })
    .await;
}

#[tokio::test]
async fn required_provider_sign_in_stops_passwords_for_all_but_the_owners_and_keeps_links() {
    use tessera_server::account::AccountError;
    use tessera_server::sign_in::SignInError;
    let idp = start_providers().await;
    on_both(|env| {
        let idp = idp.clone();
        async move {
            let (provider, bob) = world(&env, &idp).await;
            let b = at_provider(&env, &idp, provider, FlowPurpose::Link { user_id: bob }, "idp-bob", |_| {}).await;
            assert!(matches!(back(&env, &b, "", Some(bob)).await, Landing::Linked { .. }));
            let (token, ada) = by_password(&env, "ada@example.org").await;
            let (_, member) = by_password(&env, "bob@example.org").await;
            assert!(matches!(
                env.app.set_provider_sign_in_required(&member, true, &meta()).await,
                Err(MethodError::Forbidden)
            ));
            assert!(matches!(
                env.app.set_provider_sign_in_required(&ada, true, &meta()).await,
                Err(MethodError::StepUpRequired)
            ));
            let (ada, _) = enrolled(&env, &token, &ada).await;
            // Not with no provider on.
            env.app.set_sign_in_method(&ada, provider, &method(false, "", ProviderMfa::Always), &meta()).await.unwrap();
            assert!(matches!(
                env.app.set_provider_sign_in_required(&ada, true, &meta()).await,
                Err(MethodError::NoProvider)
            ));
            env.app.set_sign_in_method(&ada, provider, &method(true, "", ProviderMfa::Always), &meta()).await.unwrap();
            env.app.set_provider_sign_in_required(&ada, true, &meta()).await.unwrap();
            assert!(env.app.sign_in_methods(&ada).await.unwrap().required);
            // The last provider stays on while it is required.
            let off =
                env.app.set_sign_in_method(&ada, provider, &method(false, "", ProviderMfa::Always), &meta()).await;
            assert!(matches!(off, Err(MethodError::LastProvider)), "{off:?}");

            // Bob's right password: refused, saying why (and spending no try); a wrong one is
            // wrong as ever. The owner's password still works.
            let right = env.app.sign_in("bob@example.org", PASSWORD, None, &meta()).await;
            assert!(matches!(right, Err(SignInError::ProviderRequired)), "{right:?} ({})", env.backend);
            let wrong = env.app.sign_in("bob@example.org", "not his password at all", None, &meta()).await;
            assert!(matches!(wrong, Err(SignInError::InvalidCredentials)), "{wrong:?}");
            for _ in 0..6 {
                let again = env.app.sign_in("bob@example.org", PASSWORD, None, &meta()).await;
                assert!(matches!(again, Err(SignInError::ProviderRequired)), "never locked out by the right password");
            }
            let owner = env.app.sign_in("ada@example.org", PASSWORD, None, &meta()).await;
            assert!(matches!(owner, Ok(tessera_server::sign_in::SignInStep::MfaRequired(_))), "{owner:?}");
            // The provider signs him in; his link stays.
            let b = at_provider(&env, &idp, provider, FlowPurpose::SignIn, "idp-bob", |_| {}).await;
            let Landing::SignedIn(progress) = back(&env, &b, "", None).await else { panic!("signed in") };
            let s = env.app.session(progress.token.expose()).await.unwrap().unwrap();
            assert!(env.app.links_locked(&s).await.unwrap());
            let unlink = env.app.unlink_sso_provider(&s, provider, &meta()).await;
            assert!(matches!(unlink, Err(AccountError::ProviderRequired)), "{unlink:?}");
            assert!(!env.app.links_locked(&ada).await.unwrap(), "owners keep theirs to change");
            let log = env.store.recent_audit(None, 80).await.unwrap();
            let details: Vec<_> = log.iter().filter_map(|e| e.detail.clone()).collect();
            assert!(details.contains(&"provider sign-in required for everyone but the owners".to_string()));
            assert!(
                details.contains(&"password refused: the organisation requires sign-in with a provider".to_string())
            );
            // Stopped: passwords work again.
            env.app.set_provider_sign_in_required(&ada, false, &meta()).await.unwrap();
            by_password(&env, "bob@example.org").await;
        }
    })
    .await;
}

#[tokio::test]
async fn new_people_with_a_verified_address_at_a_domain_an_owner_names_become_members() {
    let idp = start_providers().await;
    on_both(|env| {
        let idp = idp.clone();
        async move {
            let (provider, _) = world(&env, &idp).await;
            let (token, ada) = by_password(&env, "ada@example.org").await;
            let (ada, _) = enrolled(&env, &token, &ada).await;
            let mut form = method(true, "", ProviderMfa::Always);
            form.create_from = "newco.example".into();
            env.app.set_sign_in_method(&ada, provider, &form, &meta()).await.unwrap();
            let nia = |c: &mut serde_json::Value| c["email"] = "nia@newco.example".into();
            // Unverified: nothing is created.
            let b = at_provider(&env, &idp, provider, FlowPurpose::SignIn, "idp-nia", |c| {
                c["email"] = "nia@newco.example".into();
                c["email_verified"] = false.into();
            })
            .await;
            assert!(matches!(back(&env, &b, "", None).await, Landing::NotLinked(_)), "{}", env.backend);
            assert!(env.store.credentials_by_email("nia@newco.example").await.unwrap().is_none());
            // Verified: a new member of Acme, signed in, linked.
            let b = at_provider(&env, &idp, provider, FlowPurpose::SignIn, "idp-nia", nia).await;
            let Landing::SignedIn(progress) = back(&env, &b, "", None).await else { panic!("signed in") };
            let s = env.app.session(progress.token.expose()).await.unwrap().unwrap();
            assert_eq!((s.email.as_str(), s.org_name.as_str(), s.role.name.as_str()), ("nia@newco.example", "Acme", "Member"));
            assert_eq!(env.app.linked_providers(s.user_id).await.unwrap().len(), 1);
            let log = env.store.recent_audit(None, 50).await.unwrap();
            assert!(log.iter().any(|e| e.action == "member.added" && e.detail.as_deref()
                == Some("by signing in with Idp (nia@newco.example), a verified address the organisation creates members from")));
            // Another provider account with her address does not make a second one.
            let b = at_provider(&env, &idp, provider, FlowPurpose::SignIn, "idp-nia-2", nia).await;
            assert!(matches!(back(&env, &b, "", None).await, Landing::NotLinked(_)));
            // Two organisations creating members from one domain: nobody is created.
            use tessera_server::model::OrgKind;
            env.app.create_organisation("Rival", OrgKind::Standard, "rex@example.net", None, Some(PASSWORD)).await.unwrap();
            env.app.allow_sso_provider_by_operator("Rival", "Idp", true, &[]).await.unwrap();
            let rival = env.store.find_organisation_by_name("Rival").await.unwrap().unwrap().id;
            let setting = tessera_server::store::OrgProvider {
                provider_id: provider,
                accounts_from: vec![],
                mfa: ProviderMfa::Always,
                trust_email_from: vec![],
                create_from: vec!["newco.example".into()],
            };
            let e = tessera_server::audit::event(
                env.clock.now(),
                tessera_server::audit::Action::SignInMethodChanged,
                tessera_server::audit::Outcome::Success,
                Some(rival),
                None,
                None,
                &meta(),
                None,
            );
            env.store.set_org_sso_provider(rival, provider, Some(&setting), &e).await.unwrap();
            let b = at_provider(&env, &idp, provider, FlowPurpose::SignIn, "idp-omar", |c| c["email"] = "omar@newco.example".into()).await;
            assert!(matches!(back(&env, &b, "", None).await, Landing::NotLinked(_)), "{}", env.backend);
            assert!(env.store.credentials_by_email("omar@newco.example").await.unwrap().is_none());
        }
    })
    .await;
}
