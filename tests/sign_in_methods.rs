//! Settings -> Security policy -> Sign-in methods over HTTP: who sees it and who changes it, a
//! fresh second factor before every change, what a bad list is told (without JavaScript too),
//! and the provider's sign-in following what was chosen.

#![cfg(feature = "ssr")]

mod common;

use common::idp::*;
use common::*;
use tessera_server::clock::Clock;
use tessera_server::sso::{ProviderForm, ProviderKind};

const PAGE: &str = "/settings/security/sign-in";
const SET: &str = "/api/policy/sign-in-method";

/// A fresh second factor for `cookie` (an emailed code: the test's people have no app).
async fn step_up(t: &TestApp, cookie: &str, back: &str) {
    assert!(t.post(SEND_EMAIL_CODE, &[("next", back)], Some(cookie)).await.status.is_redirection());
    let done = t.post(STEP_UP, &[("code", &t.emailed_code()), ("next", back)], Some(cookie)).await;
    assert_eq!(done.location(), Some(back));
}

async fn provider(t: &TestApp, idp: &Idp) -> i64 {
    let form = ProviderForm {
        kind: Some(ProviderKind::Oidc),
        name: Some("Idp".into()),
        issuer: Some(format!("{}/idp", idp.origin)),
        client_id: CLIENT.into(),
        client_secret: CLIENT_SECRET.into(),
        tenants: vec![],
    };
    t.tessera.add_sso_provider_by_operator(&form).await.unwrap().id
}

#[tokio::test]
async fn owners_change_sign_in_methods_others_see_them_or_nothing() {
    let t = app().await;
    two_organisations(&t).await;
    // Before the operator adds a provider: said so, with what to do.
    let ada = cookie_of(&t, "ada@example.org").await;
    let page = t.get(PAGE, Some(&ada)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("not set up for any sign-in provider yet"), "{}", page.body);
    // The security policy page leads here.
    assert!(t.get("/settings/security", Some(&ada)).await.body.contains(&format!(r#"href="{PAGE}""#)));

    let idp = start_providers().await;
    let id = provider(&t, &idp).await.to_string();
    let on = [("provider", id.as_str()), ("allowed", "true"), ("accounts_from", "")];
    // Administrators, the help desk and members do not manage the security policy.
    for who in ["adam@example.org", "hal@example.org", "bob@example.org"] {
        let cookie = cookie_of(&t, who).await;
        assert_eq!(t.get(PAGE, Some(&cookie)).await.status, StatusCode::FORBIDDEN, "{who}");
        assert_eq!(t.island(SET, &on, Some(&cookie)).await.status, StatusCode::FORBIDDEN, "{who}");
    }
    // A custom role that manages the policy sees it, but only owners change it.
    let acme = t.tessera.store.find_organisation_by_name("Acme").await.unwrap().unwrap().id;
    let perms = tessera_server::roles::Permissions::from_ids("manage-policy").unwrap();
    let auditor = t.tessera.store.create_role(acme, "Auditor", perms, false, t.clock.now()).await.unwrap();
    let bob = t.tessera.store.credentials_by_email("bob@example.org").await.unwrap().unwrap().user_id;
    let member = t.tessera.store.primary_membership(bob).await.unwrap().unwrap().1.id;
    assert!(t.tessera.store.set_member_role(acme, bob, member, auditor).await.unwrap());
    let bob = cookie_of(&t, "bob@example.org").await;
    let page = t.get(PAGE, Some(&bob)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Only owners can change sign-in methods")
            && page.body.contains("Off: nobody signs in with Idp.")
    );
    assert!(!page.body.contains(SET), "no form for who cannot use it");
    assert_eq!(t.island(SET, &on, Some(&bob)).await.status, StatusCode::FORBIDDEN);
    assert!(t.tessera.allowed_providers(acme).await.unwrap().is_empty(), "nothing changed");
}

#[tokio::test]
async fn an_owner_limits_a_provider_to_the_organisation_s_domains_after_a_fresh_confirmation() {
    let t = app().await;
    two_organisations(&t).await;
    let idp = start_providers().await;
    let id = provider(&t, &idp).await;
    let id_text = id.to_string();
    let acme = t.tessera.store.find_organisation_by_name("Acme").await.unwrap().unwrap().id;
    let ada = cookie_of(&t, "ada@example.org").await;
    t.clock.advance(Duration::from_secs(6 * 60));
    let page = t.get(PAGE, Some(&ada)).await.body;
    assert!(page.contains("Changes here need a fresh confirmation") && page.contains("Let people sign in with Idp"));
    // Without a fresh second factor: to step-up, and back to this page.
    let form = |allowed: &'static str, from: &'static str| {
        vec![("provider", id_text.clone()), ("allowed", allowed.to_string()), ("accounts_from", from.to_string())]
    };
    let send = |f: &Vec<(&'static str, String)>| f.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    let post = |f: Vec<(&'static str, String)>| {
        let t = &t;
        let ada = ada.clone();
        async move {
            let pairs = send(&f);
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            t.post(SET, &pairs, Some(&ada)).await
        }
    };
    let r = post(form("true", "example.org")).await;
    assert_eq!(r.location(), Some("/account/security/verify?next=/settings/security/sign-in"), "{}", r.body);
    assert!(t.tessera.allowed_providers(acme).await.unwrap().is_empty());
    step_up(&t, &ada, PAGE).await;
    // A bad line is named, with what to do; the form keeps what was typed (without JavaScript).
    let r = post(form("true", "example.org\nexample")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("Line 2: not a domain name. Write only the part after the @, like example.org."),
        "{}",
        r.body
    );
    assert!(r.body.contains("example.org\nexample</textarea>"), "{}", r.body);
    assert!(t.tessera.allowed_providers(acme).await.unwrap().is_empty(), "nothing saved");
    // Saved: said so, and in force.
    let r = post(form("true", "@Example.org")).await;
    assert_eq!(r.location(), Some(format!("{PAGE}?saved={id}").as_str()), "{}", r.body);
    let page = t.get(r.location().unwrap(), Some(&ada)).await.body;
    assert!(page.contains("Saved. On, for accounts from example.org only."), "{page}");
    assert!(page.contains("example.org</textarea>"), "{page}");
    assert_eq!(t.tessera.allowed_providers(acme).await.unwrap(), vec![(id, "Idp".to_string())]);
    // The owners hear of it, with who did it.
    let mail = t.outbox().into_iter().rev().find(|m| m.contains("sign-in methods changed")).unwrap_or_default();
    assert!(mail.contains("To: ada@example.org") && mail.contains("with accounts from example.org only"), "{mail}");
    // An unticked box stops it (a checkbox sends nothing then).
    let r = post(vec![("provider", id_text.clone()), ("accounts_from", "example.org".to_string())]).await;
    assert!(r.status.is_redirection(), "{}", r.body);
    assert!(t.tessera.allowed_providers(acme).await.unwrap().is_empty());
    // What no form sends is a bad request.
    let r = post(vec![("provider", "not-a-number".to_string())]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = post(vec![("provider", "9999".to_string()), ("allowed", "true".to_string())]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r =
        post(vec![("provider", id_text.clone()), ("allowed", "true".to_string()), ("mfa", "sometimes".to_string())])
            .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // What the provider's own MFA counts for is chosen on the same form, and said.
    let r =
        post(vec![("provider", id_text.clone()), ("allowed", "true".to_string()), ("mfa", "when-proven".to_string())])
            .await;
    let page = t.get(r.location().unwrap(), Some(&ada)).await.body;
    assert!(page.contains("Your MFA is skipped when Idp says it checked a second factor."), "{page}");
    assert!(page.contains(r#"id="mfa-"#) && page.contains(r#"value="when-proven" checked"#), "{page}");
    // Verified addresses at a domain the organisation trusts: checked like the others.
    let trust = |domains: &str| {
        vec![("provider", id_text.clone()), ("allowed", "true".to_string()), ("trust_email_from", domains.to_string())]
    };
    let r = post(trust("example.org\nat@example.org")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Line 2: not a domain name."), "{}", r.body);
    let r = post(trust("example.org")).await;
    let page = t.get(r.location().unwrap(), Some(&ada)).await.body;
    assert!(page.contains("Verified addresses at example.org link themselves."), "{page}");
    let create = |domains: &str| {
        vec![("provider", id_text.clone()), ("allowed", "true".to_string()), ("create_from", domains.to_string())]
    };
    let r = post(create("new.example.org, -nope-")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Line 2: not a domain name."), "{}", r.body);
    let r = post(create("new.example.org")).await;
    let page = t.get(r.location().unwrap(), Some(&ada)).await.body;
    assert!(page.contains("New people from new.example.org become members."), "{page}");
}

#[tokio::test]
async fn once_a_provider_is_required_a_member_s_right_password_says_how_to_sign_in_instead() {
    let t = app().await;
    two_organisations(&t).await;
    let idp = start_providers().await;
    let id = provider(&t, &idp).await.to_string();
    let ada = cookie_of(&t, "ada@example.org").await;
    t.clock.advance(Duration::from_secs(6 * 60));
    // Not before a provider is on.
    step_up(&t, &ada, PAGE).await;
    let page = t.get(PAGE, Some(&ada)).await.body;
    assert!(page.contains("Not required: people may sign in with their email and password too."), "{page}");
    let r = t.post("/api/policy/sign-in-required", &[("required", "true")], Some(&ada)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("Turn on at least one sign-in provider first"), "{}", r.body);
    let on = [("provider", id.as_str()), ("allowed", "true")];
    assert!(t.post(SET, &on, Some(&ada)).await.status.is_redirection());
    let r = t.post("/api/policy/sign-in-required", &[("required", "true")], Some(&ada)).await;
    assert_eq!(r.location(), Some("/settings/security/sign-in?required"), "{}", r.body);
    let page = t.get(r.location().unwrap(), Some(&ada)).await.body;
    assert!(page.contains("Saved. Everyone but the owners must now sign in with a provider."), "{page}");
    assert!(page.contains("Required: everyone but the owners signs in with a provider"), "{page}");
    // The owners hear of it.
    let mail = t.outbox().into_iter().rev().find(|m| m.contains("sign-in methods changed")).unwrap_or_default();
    assert!(mail.contains("must now sign in with a provider"), "{mail}");

    // Bob's right password: the page says what to do instead (a wrong one is wrong as ever).
    let step1 = t.post(LOGIN_EMAIL, &[("email", "bob@example.org")], None).await;
    let login = step1.cookie("tessera_login").unwrap();
    let r = t.post(LOGIN_PASSWORD, &[("password", OTHER_PASSWORD)], Some(&login)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("Your organisation requires signing in with a provider"), "{}", r.body);
    assert!(r.cookie("tessera_session").is_none());
    let r = t.island(LOGIN_PASSWORD, &[("password", OTHER_PASSWORD)], Some(&login)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t.post(LOGIN_PASSWORD, &[("password", "a wrong password for bob")], Some(&login)).await;
    assert!(r.body.contains("Incorrect email or password"), "{}", r.body);
    // Owners still sign in with theirs.
    assert_eq!(t.sign_in("ada@example.org", PASSWORD).await.status, StatusCode::SEE_OTHER);
}
