//! Signing in with a provider and linking one, over HTTP: the sign-in page offers it, Account
//! security links it (after a fresh second factor) and unlinks it, a provider sign-in goes on to
//! the MFA challenge, and a callback that is not this browser's opens nothing.

#![cfg(feature = "ssr")]

mod common;

use common::idp::*;
use common::*;
use tessera_server::sso::{ProviderForm, ProviderKind};

/// The provider's authorisation request: its parameter `name`.
fn param(url: &str, name: &str) -> String {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v).unwrap_or_default()
}

/// Scripts the provider's answer to the authorisation request at `location` (for bob), and
/// returns the callback the provider sends the browser to.
fn provider_answers(t: &TestApp, idp: &Idp, location: &str) -> String {
    use tessera_server::clock::Clock;
    assert!(location.starts_with(&format!("{}/idp/auth?", idp.origin)), "{location}");
    assert_eq!(param(location, "redirect_uri"), format!("{ORIGIN}/sso/callback"));
    let now = t.clock.now().0 / 1000;
    let mut script = idp.script.lock().unwrap();
    script.challenge = Some(param(location, "code_challenge"));
    script.claims = Some(serde_json::json!({
        "iss": format!("{}/idp", idp.origin), "sub": "idp-bob", "aud": CLIENT, "exp": now + 300, "iat": now,
        "nonce": param(location, "nonce"), "email": "bob@idp.example", "email_verified": true,
    }));
    format!("/sso/callback?code=good-code&state={}", param(location, "state"))
}

#[tokio::test]
async fn a_member_links_a_provider_signs_in_with_it_then_their_code_and_unlinks_it() {
    let t = app().await;
    let idp = start_providers().await;
    two_organisations(&t).await;
    let form = ProviderForm {
        kind: Some(ProviderKind::Oidc),
        name: Some("Idp".into()),
        issuer: Some(format!("{}/idp", idp.origin)),
        client_id: CLIENT.into(),
        client_secret: CLIENT_SECRET.into(),
        tenants: vec![],
    };
    let provider = t.tessera.add_sso_provider_by_operator(&form).await.unwrap().id;
    {
        let key = Key::new("k1");
        let mut script = idp.script.lock().unwrap();
        script.signer = Some(key.clone());
        script.published = vec![key];
    }
    // Bob's security page, and the sign-in page, offer it only once an organisation allows it.
    let cookie = cookie_of(&t, "bob@example.org").await;
    let link = format!("/account/security/link/{provider}");
    assert!(!t.get("/account/security", Some(&cookie)).await.body.contains("Sign-in providers"));
    assert!(!t.get("/login", None).await.body.contains("Sign in with Idp"));
    t.tessera.allow_sso_provider_by_operator("Acme", "Idp", true, &[]).await.unwrap();
    // The sign-in page keeps where the person was going.
    let page = t.get("/login?next=%2Faccount%2Fsecurity", None).await.body;
    assert!(page.contains(&format!(r#"href="/sso/{provider}/start?next=%2Faccount%2Fsecurity""#)), "{page}");
    assert!(page.contains("Sign in with Idp"));
    let security = t.get("/account/security", Some(&cookie)).await.body;
    assert!(
        security.contains(&format!(r#"href="{link}""#)) && security.contains("Link your Idp account"),
        "{security}"
    );
    // Linking asks for a fresh second factor first.
    let r = t.get(&link, Some(&cookie)).await;
    assert!(r.location().unwrap().starts_with("/account/security/verify?next="), "{:?}", r.location());
    let secret = enrol_with(&t, &cookie).await;
    let r = t.get(&link, Some(&cookie)).await;
    let binding = r.cookie("tessera_sso").expect("the browser's binding to the flow");
    let callback = provider_answers(&t, &idp, r.location().unwrap());
    // Back in another browser (without the binding): nothing is linked, and the flow is not
    // spent for the browser that started it.
    let r = t.get(&callback, Some(&cookie)).await;
    assert_eq!(r.location(), Some("/login?sso=expired"));
    let r = t.get(&callback, Some(&format!("{cookie}; {binding}"))).await;
    assert_eq!(r.location(), Some("/account/security?linked"), "{}", r.body);
    assert!(r.set_cookies().iter().any(|c| c.starts_with("tessera_sso=;")), "the binding is spent");
    let security = t.get("/account/security?linked", Some(&cookie)).await.body;
    assert!(security.contains("Linked. From now on you can sign in with it"), "{security}");
    assert!(security.contains(": linked (bob@idp.example)") && security.contains("Unlink Idp"), "{security}");
    // Bob is told, at his own address.
    let mail = t.outbox().last().cloned().unwrap_or_default();
    assert!(
        mail.contains("To: bob@example.org") && mail.contains("Subject: Tessera: Idp can now sign you in"),
        "{mail}"
    );
    assert!(mail.contains("Your Idp account (bob@idp.example) was linked to your Tessera account"), "{mail}");

    // Signing in with it, on the way to a page: the provider first, then bob's code.
    let r = t.get(&format!("/sso/{provider}/start?next=%2Faccount%2Fsecurity"), None).await;
    let binding = r.cookie("tessera_sso").unwrap();
    let callback = provider_answers(&t, &idp, r.location().unwrap());
    let r = t.get(&callback, Some(&binding)).await;
    assert_eq!(r.location(), Some("/login/mfa"), "{}", r.body);
    let half = r.cookie("tessera_session").unwrap();
    let kept = r.cookie("tessera_login").expect("the destination, kept for after the code");
    let both = format!("{half}; {kept}");
    assert_eq!(t.get("/account/security", Some(&both)).await.location(), Some("/login/mfa"), "the code first");
    let r = t.post(LOGIN_MFA, &[("code", &code_now(&t, &secret))], Some(&both)).await;
    assert_eq!(r.location(), Some("/account/security"), "{}", r.body);
    let signed_in = r.cookie("tessera_session").unwrap();
    // The same callback again: refused, and no session.
    let r = t.get(&callback, Some(&binding)).await;
    assert_eq!(r.location(), Some("/login?sso=expired"));
    assert!(r.cookie("tessera_session").is_none());
    let page = t.get("/login?sso=expired", None).await.body;
    assert!(page.contains("That sign-in with the provider had expired or was already used. Start again."), "{page}");

    // Unlinking needs a fresh second factor too; then the provider signs nobody in.
    let unlink = [("provider", provider.to_string())];
    let unlink: Vec<(&str, &str)> = unlink.iter().map(|(k, v)| (*k, v.as_str())).collect();
    t.clock.advance(Duration::from_secs(6 * 60));
    let r = t.post("/api/account/unlink-provider", &unlink, Some(&signed_in)).await;
    assert_eq!(r.location(), Some("/account/security/verify"), "a code first");
    let step1 = t.post(LOGIN_EMAIL, &[("email", "bob@example.org")], None).await;
    let r =
        t.post(LOGIN_PASSWORD, &[("password", OTHER_PASSWORD)], Some(&step1.cookie("tessera_login").unwrap())).await;
    let fresh = r.cookie("tessera_session").unwrap();
    let r = t.post(LOGIN_MFA, &[("code", &code_now(&t, &secret))], Some(&fresh)).await;
    let fresh = r.cookie("tessera_session").unwrap();
    let r = t.post("/api/account/unlink-provider", &unlink, Some(&fresh)).await;
    assert_eq!(r.location(), Some("/account/security?unlinked"), "{}", r.body);
    let security = t.get("/account/security?unlinked", Some(&fresh)).await.body;
    assert!(
        security.contains("Unlinked. That account no longer signs you in.")
            && security.contains("Link your Idp account")
    );
    let r = t.get(&format!("/sso/{provider}/start"), None).await;
    let binding = r.cookie("tessera_sso").unwrap();
    let callback = provider_answers(&t, &idp, r.location().unwrap());
    let r = t.get(&callback, Some(&binding)).await;
    let location = format!("/login?sso=not-linked&with={provider}&next=%2Faccount%2Fsecurity");
    assert_eq!(r.location(), Some(location.as_str()));
    let pending = r.cookie("tessera_sso_link").expect("the provider's account, kept to link");
    assert!(!pending.contains("idp-bob") && !pending.contains("bob@idp.example"), "sealed: {pending}");
    let page = t.get(&location, Some(&pending)).await.body;
    assert!(page.contains("No Tessera account you may use is linked to that Idp account yet."), "{page}");
    assert!(page.contains(r#"name="next" value="/account/security""#), "{page}");

    // Bob proves his account in that browser (password, then code): on to Account security,
    // which offers to link what the provider said; his code just now is the fresh factor.
    let step1 = t.post(LOGIN_EMAIL, &[("email", "bob@example.org"), ("next", "/account/security")], None).await;
    let login = format!("{pending}; {}", step1.cookie("tessera_login").unwrap());
    let r = t.post(LOGIN_PASSWORD, &[("password", OTHER_PASSWORD)], Some(&login)).await;
    let half = format!("{pending}; {}; {}", r.cookie("tessera_session").unwrap(), r.cookie("tessera_login").unwrap());
    t.clock.advance(Duration::from_secs(31));
    let r = t.post(LOGIN_MFA, &[("code", &code_now(&t, &secret))], Some(&half)).await;
    assert_eq!(r.location(), Some("/account/security"), "{}", r.body);
    let bob = format!("{pending}; {}", r.cookie("tessera_session").unwrap());
    let security = t.get("/account/security", Some(&bob)).await.body;
    assert!(
        security.contains("Link your Idp account?") && security.contains("You signed in with Idp (bob@idp.example)")
    );
    let r = t.post("/api/account/link-pending-provider", &[], Some(&bob)).await;
    assert_eq!(r.location(), Some("/account/security?linked"), "{}", r.body);
    assert!(r.set_cookies().iter().any(|c| c.starts_with("tessera_sso_link=;")), "forgotten once linked");
    let security = t.get("/account/security?linked", Some(&bob)).await.body;
    assert!(security.contains(": linked (bob@idp.example)"), "{security}");
    let mail = t.outbox().last().cloned().unwrap_or_default();
    assert!(mail.contains("To: bob@example.org") && mail.contains("Subject: Tessera: Idp can now sign you in"));
    // Without what the provider said (another browser, or forgotten), there is nothing to link.
    let r = t.post("/api/account/forget-pending-provider", &[], Some(&bob)).await;
    assert!(r.set_cookies().iter().any(|c| c.starts_with("tessera_sso_link=;")));
    let signed_in_only = bob.split("; ").nth(1).unwrap().to_string();
    assert!(!t.get("/account/security", Some(&signed_in_only)).await.body.contains("Link your Idp account?"));
    let r = t.post("/api/account/link-pending-provider", &[], Some(&signed_in_only)).await;
    assert_eq!(r.location(), Some("/account/security?sso=expired"), "{}", r.body);
}
