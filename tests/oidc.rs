//! Tessera as an OpenID Connect provider, over HTTP: an application sends a person to sign in,
//! gets a code, exchanges it for tokens and verifies the ID token against the published keys;
//! and every refusal the protocol and the organisation's rules call for.

#![cfg(feature = "ssr")]

mod common;

use base64::Engine;
use common::*;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, DecodingKey, Validation};
use sha2::{Digest, Sha256};
use tessera_server::applications::ApplicationForm;

const REDIRECT: &str = "https://wiki.example.org/callback";
const VERIFIER: &str = "a-pkce-verifier-of-at-least-forty-three-characters-0123";

fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

struct Wiki {
    client_id: String,
    secret: String,
}

/// Acme and Other (see `two_organisations`), signing keys, and Acme's wiki: confidential, for
/// everyone unless `roles` says otherwise.
async fn world(t: &TestApp, form: ApplicationForm) -> ([i64; 5], Wiki) {
    let ids = two_organisations(t).await;
    t.tessera.ensure_signing_keys().await.unwrap();
    let registered = t.tessera.add_application_by_operator("Acme", &form).await.unwrap();
    (ids, Wiki { client_id: registered.client_id, secret: registered.client_secret.unwrap_or_default() })
}

fn wiki_form() -> ApplicationForm {
    ApplicationForm {
        name: "Wiki".into(),
        confidential: true,
        redirect_uris: vec![REDIRECT.into(), "http://localhost:8080/cb".into()],
        logout_uris: vec![],
        roles: vec![],
        require_mfa: false,
        es256: false,
    }
}

/// An authorisation request of `client_id`, with `extra` parameters replacing or adding to the
/// usual ones.
fn authorize_path(client_id: &str, extra: &[(&str, &str)]) -> String {
    let challenge = challenge(VERIFIER);
    let mut params: Vec<(&str, &str)> = vec![
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid email profile"),
        ("state", "st-123"),
        ("nonce", "no-456"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ];
    for (k, v) in extra {
        params.retain(|(name, _)| name != k);
        if !v.is_empty() {
            params.push((k, v));
        }
    }
    format!("/oauth2/authorize?{}", serde_urlencoded::to_string(&params).unwrap())
}

/// The query of a redirect to the application, as pairs.
fn query_of(location: &str) -> Vec<(String, String)> {
    let query = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
    serde_urlencoded::from_str(query).unwrap()
}

fn param(location: &str, name: &str) -> Option<String> {
    query_of(location).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// The code an application gets for the signed-in `cookie`.
async fn code_for(t: &TestApp, wiki: &Wiki, cookie: &str) -> String {
    let r = t.get(&authorize_path(&wiki.client_id, &[]), Some(cookie)).await;
    let to = r.location().unwrap_or_else(|| panic!("{} {}", r.status, r.body)).to_string();
    assert!(to.starts_with(&format!("{REDIRECT}?code=")), "{to}");
    param(&to, "code").unwrap()
}

fn basic(id: &str, secret: &str) -> String {
    let enc = |s: &str| serde_urlencoded::to_string([("x", s)]).unwrap()[2..].to_string();
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", enc(id), enc(secret))))
}

/// A request of the application's server to a JSON endpoint: no cookie, no Origin.
async fn backchannel(
    t: &TestApp,
    path: &str,
    auth: Option<&str>,
    form: &[(&str, &str)],
) -> (StatusCode, serde_json::Value, Reply) {
    let mut b = Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(a) = auth {
        b = b.header(header::AUTHORIZATION, a);
    }
    let r = t.send(b.body(Body::from(serde_urlencoded::to_string(form).unwrap())).unwrap()).await;
    let json = serde_json::from_str(&r.body).unwrap_or(serde_json::Value::Null);
    (r.status, json, r)
}

async fn exchange(t: &TestApp, wiki: &Wiki, code: &str, verifier: &str) -> (StatusCode, serde_json::Value) {
    let form =
        [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", REDIRECT), ("code_verifier", verifier)];
    let (status, json, _) = backchannel(t, "/oauth2/token", Some(&basic(&wiki.client_id, &wiki.secret)), &form).await;
    (status, json)
}

async fn refresh(t: &TestApp, wiki: &Wiki, token: &str) -> (StatusCode, serde_json::Value) {
    let form = [("grant_type", "refresh_token"), ("refresh_token", token)];
    let (status, json, _) = backchannel(t, "/oauth2/token", Some(&basic(&wiki.client_id, &wiki.secret)), &form).await;
    (status, json)
}

async fn userinfo(t: &TestApp, access_token: &str) -> (StatusCode, serde_json::Value) {
    let req = Request::get("/oauth2/userinfo").header(header::AUTHORIZATION, format!("Bearer {access_token}"));
    let r = t.send(req.body(Body::empty()).unwrap()).await;
    (r.status, serde_json::from_str(&r.body).unwrap_or(serde_json::Value::Null))
}

/// The ID token's claims, verified as an application verifies them: the key of its `kid` from
/// the published key set, the issuer, the audience.
async fn verified_claims(t: &TestApp, id_token: &str, audience: &str) -> serde_json::Value {
    let set: JwkSet = serde_json::from_str(&t.get("/oauth2/jwks", None).await.body).unwrap();
    let header = decode_header(id_token).unwrap();
    let jwk = set.find(header.kid.as_deref().unwrap()).expect("the token's key is published");
    let mut validation = Validation::new(header.alg);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[ORIGIN]);
    // The test's clock is not the machine's: exp is checked below against it.
    validation.validate_exp = false;
    let claims =
        decode::<serde_json::Value>(id_token, &DecodingKey::from_jwk(jwk).unwrap(), &validation).unwrap().claims;
    use tessera_server::clock::Clock;
    let now = t.clock.now().0 / 1000;
    assert!(claims["exp"].as_i64().unwrap() > now && claims["iat"].as_i64().unwrap() <= now, "{claims}");
    claims
}

async fn actions(t: &TestApp) -> Vec<String> {
    let log = t.tessera.store.recent_audit(None, 100).await.unwrap();
    log.into_iter().map(|e| format!("{} {}", e.action, e.detail.unwrap_or_default())).collect()
}

#[tokio::test]
async fn a_member_signs_in_to_an_application_which_gets_verifiable_tokens() {
    let t = app().await;
    let ([_, _, _, bob, _], wiki) = world(&t, wiki_form()).await;
    // Not signed in: to the sign-in page, which names the application, with the request kept.
    let start = authorize_path(&wiki.client_id, &[]);
    let r = t.get(&start, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let login = r.location().unwrap().to_string();
    assert!(login.starts_with("/login?next=%2Foauth2%2Fauthorize%3F"), "{login}");
    let page = t.get(&login, None).await;
    assert!(page.body.contains("Sign in to continue to Wiki."), "{}", page.body);
    let next = param(&login, "next").unwrap();
    // Email (with the request as `next`), then the password: back to the request.
    let step1 = t.post(LOGIN_EMAIL, &[("email", "bob@example.org"), ("next", &next)], None).await;
    let login_cookie = step1.cookie("tessera_login").unwrap();
    let password_page = t.get("/login/password", Some(&login_cookie)).await;
    assert!(password_page.body.contains("Sign in to continue to Wiki."));
    let step2 = t.post(LOGIN_PASSWORD, &[("password", OTHER_PASSWORD)], Some(&login_cookie)).await;
    assert_eq!(step2.status, StatusCode::SEE_OTHER, "{}", step2.body);
    let back = step2.location().unwrap().to_string();
    assert!(back.starts_with("/oauth2/authorize?"), "{back}");
    let cookie = step2.cookie("tessera_session").unwrap();
    // Coming from Tessera's own form, a page sends the browser on (a form may not redirect to
    // another site); a link from elsewhere is redirected at once.
    let mut req = Request::get(&back).header(header::COOKIE, &cookie).header("sec-fetch-site", "same-origin");
    req = req.header(header::ACCEPT, BROWSER_ACCEPT);
    let hop = t.send(req.body(Body::empty()).unwrap()).await;
    assert_eq!(hop.status, StatusCode::OK);
    let refresh_to = hop.headers.get("refresh").unwrap().to_str().unwrap().to_string();
    assert!(refresh_to.starts_with(&format!("0;url={REDIRECT}?code=")), "{refresh_to}");
    assert!(hop.body.contains(">Continue</a>"));
    let code = param(&refresh_to["0;url=".len()..], "code").unwrap();
    let to = refresh_to["0;url=".len()..].to_string();
    assert_eq!(param(&to, "state").as_deref(), Some("st-123"));
    assert_eq!(param(&to, "iss").as_deref(), Some(ORIGIN));

    let (status, tokens) = exchange(&t, &wiki, &code, VERIFIER).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 600);
    let claims = verified_claims(&t, tokens["id_token"].as_str().unwrap(), &wiki.client_id).await;
    assert_eq!(claims["nonce"], "no-456");
    assert_eq!(claims["email"], "bob@example.org");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["groups"], serde_json::json!(["Member"]));
    assert_eq!(claims["amr"], serde_json::json!(["pwd"]));
    assert_eq!(claims["acr"], "pwd");
    let sub = claims["sub"].as_str().unwrap().to_string();
    // Opaque: neither the address nor the account's number.
    assert!(sub.len() == 64 && !sub.contains("bob") && sub != bob.to_string(), "{sub}");
    // RS256 by default: the key the header names is the RSA one.
    assert_eq!(format!("{:?}", decode_header(tokens["id_token"].as_str().unwrap()).unwrap().alg), "RS256");
    // The access token is opaque and gives the same person at userinfo.
    let access = tokens["access_token"].as_str().unwrap();
    assert!(!access.contains('.'), "opaque, not a JWT");
    let (status, info) = userinfo(&t, access).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((info["sub"].as_str(), info["email"].as_str()), (Some(sub.as_str()), Some("bob@example.org")));
    // The same person signs in again later: the same subject.
    let again = code_for(&t, &wiki, &cookie).await;
    let (_, tokens2) = exchange(&t, &wiki, &again, VERIFIER).await;
    assert_eq!(verified_claims(&t, tokens2["id_token"].as_str().unwrap(), &wiki.client_id).await["sub"], sub.as_str());
    // The activity log has each sign-in to the application.
    let log = actions(&t).await;
    assert_eq!(log.iter().filter(|a| a.as_str() == "application.sign_in Wiki (password)").count(), 2, "{log:?}");
    // Tokens never reach the log.
    assert!(!log.iter().any(|a| a.contains(&code) || a.contains(access)));
    // The member's page lists the applications they signed in to lately; another member's not.
    let owner = cookie_of(&t, "ada@example.org").await;
    let page = t.get(&format!("/settings/team/{bob}"), Some(&owner)).await.body;
    let listed = &page[page.find(r#"id="member-applications""#).expect("the applications")..];
    assert!(listed.starts_with(r#"id="member-applications"><ul><li>Wiki"#), "{listed}");
    let hal = t.tessera.store.credentials_by_email("hal@example.org").await.unwrap().unwrap().user_id;
    let page = t.get(&format!("/settings/team/{hal}"), Some(&owner)).await.body;
    assert!(page.contains(r#"id="member-applications"><span>None</span>"#));
}

#[tokio::test]
async fn the_discovery_document_names_every_endpoint_under_the_issuer() {
    let t = app().await;
    let r = t.get("/.well-known/openid-configuration", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers.get("access-control-allow-origin").unwrap(), "*");
    let d: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(d["issuer"], ORIGIN);
    for (k, path) in [
        ("authorization_endpoint", "/oauth2/authorize"),
        ("token_endpoint", "/oauth2/token"),
        ("userinfo_endpoint", "/oauth2/userinfo"),
        ("jwks_uri", "/oauth2/jwks"),
        ("revocation_endpoint", "/oauth2/revoke"),
    ] {
        assert_eq!(d[k], format!("{ORIGIN}{path}"), "{k}");
    }
    assert_eq!(d["code_challenge_methods_supported"], serde_json::json!(["S256"]));
    assert_eq!(d["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(d["authorization_response_iss_parameter_supported"], true);
}

#[tokio::test]
async fn an_unknown_client_or_unregistered_redirect_uri_gets_a_page_never_a_redirect() {
    let t = app().await;
    let (_, wiki) = world(&t, wiki_form()).await;
    let cookie = cookie_of(&t, "bob@example.org").await;
    let id = wiki.client_id.as_str();
    let cases: Vec<(String, &str)> = vec![
        (authorize_path("no-such-client", &[]), "no application is registered"),
        (authorize_path(id, &[("client_id", "")]), "no client_id"),
        (authorize_path(id, &[("redirect_uri", "")]), "no redirect_uri"),
        (authorize_path(id, &[("redirect_uri", "https://wiki.example.org/callback/")]), "did not register"),
        (authorize_path(id, &[("redirect_uri", "https://WIKI.example.org/callback")]), "did not register"),
        (authorize_path(id, &[("redirect_uri", "https://wiki.example.org/callback?x=1")]), "did not register"),
        (authorize_path(id, &[("redirect_uri", "https://wiki.example.org:8443/callback")]), "did not register"),
        (authorize_path(id, &[("redirect_uri", "https://wiki.example.org/callback/evil")]), "did not register"),
        (authorize_path(id, &[("redirect_uri", "http://localhost:8081/cb")]), "did not register"),
        (format!("{}&client_id={id}", authorize_path(id, &[])), "more than once"),
        (authorize_path(id, &[("state", &"s".repeat(5000))]), "longer than"),
    ];
    for (path, says) in cases {
        for cookie in [None, Some(cookie.as_str())] {
            let r = t.get(&path, cookie).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}");
            assert_eq!(r.location(), None, "{path}");
            assert!(
                r.body.contains("This sign-in request is not valid") && r.body.contains(says),
                "{path}: {}",
                r.body
            );
        }
    }
}

#[tokio::test]
async fn a_bad_request_with_a_good_redirect_uri_goes_back_with_the_protocol_s_error() {
    let t = app().await;
    let (_, wiki) = world(&t, wiki_form()).await;
    let spa = ApplicationForm { name: "Dashboard".into(), confidential: false, ..wiki_form() };
    let public = t.tessera.add_application_by_operator("Acme", &spa).await.unwrap().client_id;
    let cookie = cookie_of(&t, "bob@example.org").await;
    let cases = [
        (authorize_path(&wiki.client_id, &[("response_type", "token")]), "unsupported_response_type"),
        (authorize_path(&wiki.client_id, &[("scope", "email")]), "invalid_scope"),
        (authorize_path(&wiki.client_id, &[("code_challenge_method", "plain")]), "invalid_request"),
        // A public application must use PKCE.
        (authorize_path(&public, &[("code_challenge", ""), ("code_challenge_method", "")]), "invalid_request"),
    ];
    for (path, error) in cases {
        let r = t.get(&path, Some(&cookie)).await;
        let to = r.location().unwrap_or_else(|| panic!("{path}: {} {}", r.status, r.body));
        assert!(to.starts_with(&format!("{REDIRECT}?error={error}")), "{path}: {to}");
        assert_eq!((param(to, "state").as_deref(), param(to, "iss").as_deref()), (Some("st-123"), Some(ORIGIN)));
    }
    // Without a session, prompt=none answers at once instead of showing a page.
    let r = t.get(&authorize_path(&wiki.client_id, &[("prompt", "none")]), None).await;
    assert_eq!(param(r.location().unwrap(), "error").as_deref(), Some("login_required"));
    assert_eq!(param(r.location().unwrap(), "state").as_deref(), Some("st-123"));
    // With one, prompt=none is answered with a code.
    let r = t.get(&authorize_path(&wiki.client_id, &[("prompt", "none")]), Some(&cookie)).await;
    assert!(param(r.location().unwrap(), "code").is_some());
}

#[tokio::test]
async fn prompt_login_and_max_age_ask_for_a_new_sign_in_then_go_through() {
    let t = app().await;
    let (_, wiki) = world(&t, wiki_form()).await;
    let cookie = cookie_of(&t, "bob@example.org").await;
    t.clock.advance(Duration::from_secs(120));
    for extra in [("prompt", "login"), ("max_age", "60")] {
        let cookie = cookie_of(&t, "bob@example.org").await;
        t.clock.advance(Duration::from_secs(120));
        let r = t.get(&authorize_path(&wiki.client_id, &[extra]), Some(&cookie)).await;
        let to = r.location().unwrap().to_string();
        assert!(to.starts_with("/login?next="), "{extra:?}: {to}");
        // The old session ended: the sign-in page asks for the address.
        assert!(r.set_cookies().iter().any(|c| c.starts_with("tessera_session=;")), "{:?}", r.set_cookies());
        assert_eq!(t.get("/", Some(&cookie)).await.location(), Some("/login"));
        // What comes back after the new sign-in no longer asks for it: a code.
        let next = param(&to, "next").unwrap();
        assert!(!next.contains("prompt") && !next.contains("max_age"), "{next}");
        let fresh = cookie_of(&t, "bob@example.org").await;
        let r = t.get(&next, Some(&fresh)).await;
        assert!(param(r.location().unwrap(), "code").is_some(), "{:?}", r.location());
    }
    // max_age that the session meets: a code straight away.
    let r = t.get(&authorize_path(&wiki.client_id, &[("max_age", "86400")]), Some(&cookie)).await;
    assert!(param(r.location().unwrap(), "code").is_some());
    // login_hint: the address is filled in and the password comes next.
    let r = t.get(&authorize_path(&wiki.client_id, &[("login_hint", "bob@example.org")]), None).await;
    assert_eq!(r.location(), Some("/login/password"));
    let login_cookie = r.cookie("tessera_login").unwrap();
    let page = t.get("/login/password", Some(&login_cookie)).await;
    assert!(page.body.contains("bob@example.org") && page.body.contains("Sign in to continue to Wiki."));
}

#[tokio::test]
async fn people_the_application_does_not_admit_are_told_and_it_hears_access_denied() {
    let t = app().await;
    let form = ApplicationForm { roles: vec!["Administrator".into()], ..wiki_form() };
    let (_, wiki) = world(&t, form).await;
    for (who, says) in [
        ("bob@example.org", "People with your role (Member) may not use it."),
        ("zed@example.org", "Wiki belongs to another organisation than Other"),
    ] {
        let cookie = cookie_of(&t, who).await;
        let r = t.get(&authorize_path(&wiki.client_id, &[]), Some(&cookie)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
        assert!(
            r.body.contains("You can&#x27;t use this application") || r.body.contains("You can't use this application")
        );
        assert!(r.body.contains(says), "{who}: {}", r.body);
        let back = format!("{REDIRECT}?error=access_denied");
        assert!(r.body.contains(&back), "{}", r.body);
    }
    let log = actions(&t).await;
    assert!(log.contains(&"application.refused Wiki: their role may not use it".to_string()), "{log:?}");
    assert!(log.contains(&"application.refused Wiki: a person of another organisation".to_string()), "{log:?}");
    // An administrator gets in.
    let cookie = cookie_of(&t, "adam@example.org").await;
    code_for(&t, &wiki, &cookie).await;
}

#[tokio::test]
async fn a_code_is_single_use_bound_to_its_client_verifier_and_redirect_and_short_lived() {
    let t = app().await;
    let (_, wiki) = world(&t, wiki_form()).await;
    let other = t
        .tessera
        .add_application_by_operator("Acme", &ApplicationForm { name: "Grafana".into(), ..wiki_form() })
        .await
        .unwrap();
    let other = Wiki { client_id: other.client_id, secret: other.client_secret.unwrap() };
    let cookie = cookie_of(&t, "bob@example.org").await;

    // Another client cannot use it (and it still works for its own).
    let code = code_for(&t, &wiki, &cookie).await;
    let (status, e) = exchange(&t, &other, &code, VERIFIER).await;
    assert_eq!((status, e["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    // A wrong verifier, a missing one, another redirect URI: refused (and the code is spent).
    let (status, e) = exchange(&t, &wiki, &code, &VERIFIER.replace('a', "b")).await;
    assert_eq!((status, e["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{e}");
    let code = code_for(&t, &wiki, &cookie).await;
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", REDIRECT)];
    let (_, e, _) = backchannel(&t, "/oauth2/token", Some(&basic(&wiki.client_id, &wiki.secret)), &form).await;
    assert_eq!(e["error"], "invalid_grant");
    let code = code_for(&t, &wiki, &cookie).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "http://localhost:8080/cb"),
        ("code_verifier", VERIFIER),
    ];
    let (_, e, _) = backchannel(&t, "/oauth2/token", Some(&basic(&wiki.client_id, &wiki.secret)), &form).await;
    assert_eq!(e["error"], "invalid_grant");
    // A verifier for a request that sent no challenge: refused (no PKCE downgrade).
    let r = t
        .get(&authorize_path(&wiki.client_id, &[("code_challenge", ""), ("code_challenge_method", "")]), Some(&cookie))
        .await;
    let code = param(r.location().unwrap(), "code").unwrap();
    assert_eq!(exchange(&t, &wiki, &code, VERIFIER).await.1["error"], "invalid_grant");
    // 60 seconds at most.
    let code = code_for(&t, &wiki, &cookie).await;
    t.clock.advance(Duration::from_secs(61));
    assert_eq!(exchange(&t, &wiki, &code, VERIFIER).await.1["error"], "invalid_grant");

    // Used twice: refused, and the tokens of the first use are revoked.
    let code = code_for(&t, &wiki, &cookie).await;
    let (status, tokens) = exchange(&t, &wiki, &code, VERIFIER).await;
    assert_eq!(status, StatusCode::OK);
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&t, access).await.0, StatusCode::OK);
    let (status, e) = exchange(&t, &wiki, &code, VERIFIER).await;
    assert_eq!((status, e["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    let (status, _) = userinfo(&t, access).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(refresh(&t, &wiki, tokens["refresh_token"].as_str().unwrap()).await.1["error"], "invalid_grant");
    let log = actions(&t).await;
    assert!(
        log.contains(&"application.tokens_revoked Wiki: an authorisation code was used twice".to_string()),
        "{log:?}"
    );
}

#[tokio::test]
async fn clients_authenticate_one_way_with_the_right_secret() {
    let t = app().await;
    let (_, wiki) = world(&t, wiki_form()).await;
    let cookie = cookie_of(&t, "bob@example.org").await;
    let code = code_for(&t, &wiki, &cookie).await;
    let form = |extra: &[(&'static str, &str)]| {
        let mut f: Vec<(&str, String)> = vec![
            ("grant_type", "authorization_code".into()),
            ("code", code.clone()),
            ("redirect_uri", REDIRECT.into()),
            ("code_verifier", VERIFIER.into()),
        ];
        f.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        f
    };
    let send = |auth: Option<String>, f: Vec<(&'static str, String)>| {
        let t = &t;
        async move {
            let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            backchannel(t, "/oauth2/token", auth.as_deref(), &f).await
        }
    };
    // A wrong secret, either way: 401 invalid_client, with the scheme to use.
    let (status, e, r) = send(Some(basic(&wiki.client_id, "wrong")), form(&[])).await;
    assert_eq!((status, e["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));
    assert!(r.headers.get(header::WWW_AUTHENTICATE).unwrap().to_str().unwrap().starts_with("Basic"));
    let (status, _, _) = send(None, form(&[("client_id", &wiki.client_id), ("client_secret", "wrong")])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // No secret at all from a confidential client.
    let (status, _, _) = send(None, form(&[("client_id", &wiki.client_id)])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Both ways at once.
    let (status, e, _) = send(
        Some(basic(&wiki.client_id, &wiki.secret)),
        form(&[("client_id", &wiki.client_id), ("client_secret", &wiki.secret)]),
    )
    .await;
    assert_eq!((status, e["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request")));
    // Not a form, a parameter twice, an unknown grant type.
    let r = t
        .send(
            Request::post("/oauth2/token")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::AUTHORIZATION, basic(&wiki.client_id, &wiki.secret))
                .body(Body::from("{}"))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("invalid_request"));
    let (status, e, _) = send(Some(basic(&wiki.client_id, &wiki.secret)), form(&[("code", "again")])).await;
    assert_eq!((status, e["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request")));
    let (status, e, _) =
        send(Some(basic(&wiki.client_id, &wiki.secret)), vec![("grant_type", "password".into())]).await;
    assert_eq!((status, e["error"].as_str()), (StatusCode::BAD_REQUEST, Some("unsupported_grant_type")));
    // client_secret_post, right: the code (still unspent) goes through.
    let (status, tokens, _) =
        send(None, form(&[("client_id", &wiki.client_id), ("client_secret", &wiki.secret)])).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    // A rotated secret: the old one stops working.
    let new_secret = t.tessera.rotate_client_secret_by_operator("Acme", &wiki.client_id).await.unwrap();
    let token = tokens["refresh_token"].as_str().unwrap();
    let old = refresh(&t, &wiki, token).await;
    assert_eq!(old.0, StatusCode::UNAUTHORIZED);
    let rotated = refresh(&t, &Wiki { client_id: wiki.client_id.clone(), secret: new_secret }, token).await;
    assert_eq!(rotated.0, StatusCode::OK, "{}", rotated.1);
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_revokes_the_whole_sign_in() {
    let t = app().await;
    let (_, wiki) = world(&t, wiki_form()).await;
    let cookie = cookie_of(&t, "bob@example.org").await;
    let code = code_for(&t, &wiki, &cookie).await;
    let (_, first) = exchange(&t, &wiki, &code, VERIFIER).await;
    let r1 = first["refresh_token"].as_str().unwrap().to_string();
    t.clock.advance(Duration::from_secs(11 * 60));
    // The access token has expired; the refresh token gives new ones, and a new ID token.
    assert_eq!(userinfo(&t, first["access_token"].as_str().unwrap()).await.0, StatusCode::UNAUTHORIZED);
    let (status, second) = refresh(&t, &wiki, &r1).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let r2 = second["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r1, r2);
    assert_eq!(userinfo(&t, second["access_token"].as_str().unwrap()).await.0, StatusCode::OK);
    let claims = verified_claims(&t, second["id_token"].as_str().unwrap(), &wiki.client_id).await;
    assert!(claims.get("nonce").is_none());
    // The first one again: refused, and the second (and its access token) die with it.
    assert_eq!(refresh(&t, &wiki, &r1).await.1["error"], "invalid_grant");
    assert_eq!(refresh(&t, &wiki, &r2).await.1["error"], "invalid_grant");
    assert_eq!(userinfo(&t, second["access_token"].as_str().unwrap()).await.0, StatusCode::UNAUTHORIZED);
    assert!(actions(&t).await.contains(&"application.tokens_revoked Wiki: a refresh token was used twice".to_string()));
    // Revocation (RFC 7009): the application signs the person out.
    let code = code_for(&t, &wiki, &cookie).await;
    let (_, fresh) = exchange(&t, &wiki, &code, VERIFIER).await;
    let form = [("token", fresh["refresh_token"].as_str().unwrap())];
    let (status, _, _) = backchannel(&t, "/oauth2/revoke", Some(&basic(&wiki.client_id, "wrong")), &form).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(userinfo(&t, fresh["access_token"].as_str().unwrap()).await.0, StatusCode::OK);
    let (status, _, _) = backchannel(&t, "/oauth2/revoke", Some(&basic(&wiki.client_id, &wiki.secret)), &form).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(userinfo(&t, fresh["access_token"].as_str().unwrap()).await.0, StatusCode::UNAUTHORIZED);
    // An unknown token is no error.
    let (status, _, _) =
        backchannel(&t, "/oauth2/revoke", Some(&basic(&wiki.client_id, &wiki.secret)), &[("token", "nope")]).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_person_s_tokens_die_with_a_password_reset_an_mfa_reset_or_being_disabled() {
    let t = app().await;
    let (_, wiki) = world(&t, wiki_form()).await;
    let tokens_of = |who: &'static str| {
        let (t, wiki) = (&t, &wiki);
        async move {
            let cookie = cookie_of(t, who).await;
            let code = code_for(t, wiki, &cookie).await;
            let (status, tokens) = exchange(t, wiki, &code, VERIFIER).await;
            assert_eq!(status, StatusCode::OK);
            (
                tokens["access_token"].as_str().unwrap().to_string(),
                tokens["refresh_token"].as_str().unwrap().to_string(),
            )
        }
    };
    let dead = |(access, refresh_token): (String, String)| {
        let (t, wiki) = (&t, &wiki);
        async move {
            assert_eq!(userinfo(t, &access).await.0, StatusCode::UNAUTHORIZED);
            assert_eq!(refresh(t, wiki, &refresh_token).await.1["error"], "invalid_grant");
        }
    };
    // A password reset through the mailed link.
    let bobs = tokens_of("bob@example.org").await;
    let link = t.tessera.reset_link_by_operator("Acme", "bob@example.org").await.unwrap();
    let token = token_after(&link, "token=");
    let new_password = "seven green kites drift upward";
    let r = t
        .post(
            RESET_PASSWORD,
            &[
                ("token", &token),
                ("email", "bob@example.org"),
                ("password", new_password),
                ("password_again", new_password),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    dead(bobs).await;
    // An MFA reset by an operator: hal enrols, signs in to the wiki with it, loses the phone.
    let hal_cookie = cookie_of(&t, "hal@example.org").await;
    enrol_with(&t, &hal_cookie).await;
    let code = code_for(&t, &wiki, &hal_cookie).await;
    let (_, hals) = exchange(&t, &wiki, &code, VERIFIER).await;
    let hals =
        (hals["access_token"].as_str().unwrap().to_string(), hals["refresh_token"].as_str().unwrap().to_string());
    t.tessera.reset_mfa_by_operator("Acme", "hal@example.org", "ticket 42: lost phone").await.unwrap();
    dead(hals).await;
    // Being disabled.
    let adams = tokens_of("adam@example.org").await;
    use tessera_server::clock::Clock;
    t.tessera.store.revoke_user_grants(0, t.clock.now()).await.unwrap();
    assert_eq!(userinfo(&t, &adams.0).await.0, StatusCode::OK, "another person's revocation leaves adam's alone");
    let admin = cookie_of(&t, "ada@example.org").await;
    let adam_id = t.tessera.store.credentials_by_email("adam@example.org").await.unwrap().unwrap().user_id;
    let r = t.post(SET_DISABLED, &[("member", &adam_id.to_string()), ("disabled", "true")], Some(&admin)).await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.body);
    dead(adams).await;
}

#[tokio::test]
async fn an_application_requiring_mfa_takes_a_person_without_it_through_enrolment_and_back() {
    let t = app().await;
    let (_, wiki) = world(&t, ApplicationForm { require_mfa: true, ..wiki_form() }).await;
    let cookie = cookie_of(&t, "bob@example.org").await;
    let start = authorize_path(&wiki.client_id, &[]);
    let r = t.get(&start, Some(&cookie)).await;
    assert_eq!(r.location(), Some("/account/security/enrol-required"), "{}", r.body);
    let pending = r.cookie("tessera_login").expect("the request kept for after enrolment");
    let both = format!("{cookie}; {pending}");
    let page = t.get("/account/security/enrol-required", Some(&both)).await;
    assert!(
        page.body.contains("Wiki requires MFA. Before you continue to Wiki, set up an authenticator app"),
        "{}",
        page.body
    );
    // The wizard, as usual.
    let r = t.post(MFA_START, &[], Some(&both)).await;
    assert_eq!(r.location(), Some("/account/security/mfa"));
    let secret = setup_key(&t.get("/account/security/mfa", Some(&both)).await.body);
    let done = t.post(MFA_CONFIRM, &[("code", &code_now(&t, &secret))], Some(&both)).await;
    assert_eq!(done.location(), Some("/account/security/recovery-codes"));
    // Its last page resumes the application's request, as a form that works without JavaScript.
    let codes = t.get("/account/security/recovery-codes", Some(&both)).await;
    assert_eq!(codes.status, StatusCode::OK);
    assert!(
        codes.body.contains(r#"action="/oauth2/authorize""#) && codes.body.contains("Done: continue to Wiki"),
        "{}",
        codes.body
    );
    assert!(codes.body.contains(&format!(r#"name="client_id" value="{}""#, wiki.client_id)), "{}", codes.body);
    assert!(codes.set_cookies().iter().any(|c| c.starts_with("tessera_login=;")), "kept no longer");
    // The resumed request gets a code; the ID token says a second factor was proven.
    let code = code_for(&t, &wiki, &cookie).await;
    let (_, tokens) = exchange(&t, &wiki, &code, VERIFIER).await;
    let claims = verified_claims(&t, tokens["id_token"].as_str().unwrap(), &wiki.client_id).await;
    assert_eq!(
        (claims["amr"].clone(), claims["acr"].as_str()),
        (serde_json::json!(["pwd", "otp", "mfa"]), Some("mfa"))
    );
}

#[tokio::test]
async fn an_application_signs_the_person_out_of_tessera_with_its_id_token() {
    let t = app().await;
    let form = ApplicationForm { logout_uris: vec!["https://wiki.example.org/signed-out".into()], ..wiki_form() };
    let (_, wiki) = world(&t, form).await;
    let id_token_of = |who: &'static str| {
        let (t, wiki) = (&t, &wiki);
        async move {
            let cookie = cookie_of(t, who).await;
            let code = code_for(t, wiki, &cookie).await;
            let (_, tokens) = exchange(t, wiki, &code, VERIFIER).await;
            (cookie, tokens["id_token"].as_str().unwrap().to_string())
        }
    };
    let (bob, hint) = id_token_of("bob@example.org").await;
    let (_, adams_hint) = id_token_of("adam@example.org").await;
    let logout = |params: &[(&str, &str)]| format!("/oauth2/logout?{}", serde_urlencoded::to_string(params).unwrap());
    let back = "https://wiki.example.org/signed-out";
    // A post-logout URI the application did not register: a page, no redirect, nobody signed out.
    let r = t
        .get(&logout(&[("id_token_hint", &hint), ("post_logout_redirect_uri", "https://evil.example/")]), Some(&bob))
        .await;
    assert_eq!((r.status, r.location()), (StatusCode::BAD_REQUEST, None));
    // No proof that the application speaks for bob (no hint, another person's, a forged one):
    // bob is asked, and stays signed in until he says so.
    let forged = format!("{}x", &hint[..hint.len() - 1]);
    for params in [vec![], vec![("id_token_hint", adams_hint.as_str())], vec![("id_token_hint", forged.as_str())]] {
        let r = t.get(&logout(&params), Some(&bob)).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("Sign out of Tessera?") && r.body.contains("Stay signed in"), "{}", r.body);
        assert_eq!(t.get("/", Some(&bob)).await.status, StatusCode::OK);
    }
    // With his ID token: signed out at once, and back to the application with its state.
    let r = t
        .get(&logout(&[("id_token_hint", &hint), ("post_logout_redirect_uri", back), ("state", "bye")]), Some(&bob))
        .await;
    assert_eq!(r.location(), Some(format!("{back}?state=bye").as_str()));
    assert!(r.set_cookies().iter().any(|c| c.starts_with("tessera_session=;")));
    assert_eq!(t.get("/", Some(&bob)).await.location(), Some("/login"));
    // Already signed out: the same answer, so an application can always end its own sign-out.
    let r = t.get(&logout(&[("id_token_hint", &hint), ("post_logout_redirect_uri", back)]), None).await;
    assert_eq!(r.location(), Some(back));
    // The discovery document names the endpoint.
    let d: serde_json::Value =
        serde_json::from_str(&t.get("/.well-known/openid-configuration", None).await.body).unwrap();
    assert_eq!(d["end_session_endpoint"], format!("{ORIGIN}/oauth2/logout"));
}

#[tokio::test]
async fn where_the_organisation_requires_mfa_the_sign_in_enrols_first_and_the_request_waits() {
    let t = app().await;
    let (_, wiki) = world(&t, wiki_form()).await;
    t.tessera.set_mfa_policy_by_operator("Acme", tessera_server::policy::MfaPolicy::Required, None).await.unwrap();
    // Not signed in: the sign-in leads to enrolment, and keeps the request for after it.
    let r = t.get(&authorize_path(&wiki.client_id, &[]), None).await;
    let next = param(r.location().unwrap(), "next").unwrap();
    let step1 = t.post(LOGIN_EMAIL, &[("email", "bob@example.org"), ("next", &next)], None).await;
    let login_cookie = step1.cookie("tessera_login").unwrap();
    let step2 = t.post(LOGIN_PASSWORD, &[("password", OTHER_PASSWORD)], Some(&login_cookie)).await;
    assert_eq!(step2.location(), Some("/account/security/enrol-required"), "{}", step2.body);
    let session = step2.cookie("tessera_session").unwrap();
    let kept =
        step2.cookie("tessera_login").filter(|c| c != "tessera_login=").expect("the request kept through enrolment");
    let both = format!("{session}; {kept}");
    let page = t.get("/account/security/enrol-required", Some(&both)).await;
    assert!(page.body.contains("Wiki requires MFA."), "{}", page.body);
    // Signed in and confined: the application's request sends the person to enrol too.
    let r = t.get(&authorize_path(&wiki.client_id, &[]), Some(&session)).await;
    assert_eq!(r.location(), Some("/account/security/enrol-required"));
    assert!(r.cookie("tessera_login").is_some_and(|c| c != "tessera_login="));
    t.post(MFA_START, &[], Some(&both)).await;
    let secret = setup_key(&t.get("/account/security/mfa", Some(&both)).await.body);
    t.post(MFA_CONFIRM, &[("code", &code_now(&t, &secret))], Some(&both)).await;
    let codes = t.get("/account/security/recovery-codes", Some(&both)).await;
    assert!(codes.body.contains("Done: continue to Wiki"), "{}", codes.body);
    code_for(&t, &wiki, &session).await;
}

#[tokio::test]
async fn id_tokens_verify_against_the_published_keys_across_a_rotation() {
    let t = app().await;
    let (_, wiki) = world(&t, wiki_form()).await;
    let cookie = cookie_of(&t, "bob@example.org").await;
    let code = code_for(&t, &wiki, &cookie).await;
    let (_, before) = exchange(&t, &wiki, &code, VERIFIER).await;
    let old_token = before["id_token"].as_str().unwrap().to_string();
    let old_kid = decode_header(&old_token).unwrap().kid.unwrap();
    let new_kids = t.tessera.rotate_signing_keys().await.unwrap();
    // The token signed before still verifies: its key stays published while it may be live.
    verified_claims(&t, &old_token, &wiki.client_id).await;
    // New tokens name a new key, which is published too.
    let code = code_for(&t, &wiki, &cookie).await;
    let (_, after) = exchange(&t, &wiki, &code, VERIFIER).await;
    let new_token = after["id_token"].as_str().unwrap();
    let new_kid = decode_header(new_token).unwrap().kid.unwrap();
    assert!(new_kid != old_kid && new_kids.contains(&new_kid), "{new_kid} {new_kids:?}");
    verified_claims(&t, new_token, &wiki.client_id).await;
    // Once every token the old key signed has expired, the next rotation stops publishing it.
    t.clock.advance(Duration::from_secs(16 * 60));
    t.tessera.rotate_signing_keys().await.unwrap();
    let set: JwkSet = serde_json::from_str(&t.get("/oauth2/jwks", None).await.body).unwrap();
    assert!(set.find(&old_kid).is_none() && set.find(&new_kid).is_some());
    // A token naming a key nobody published is not a valid logout hint: the person is asked.
    let (_, forged) = old_token.split_once('.').unwrap();
    let unknown_kid = format!(
        "{}.{forged}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT","kid":"nobody"}"#)
    );
    let r = t.get(&format!("/oauth2/logout?id_token_hint={unknown_kid}"), Some(&cookie)).await;
    assert!(r.body.contains("Sign out of Tessera?"), "{}", r.body);
}

#[tokio::test]
async fn a_public_application_in_a_browser_may_call_the_json_endpoints_from_its_own_origin() {
    let t = app().await;
    for path in ["/oauth2/token", "/oauth2/userinfo", "/oauth2/revoke"] {
        let req = Request::options(path)
            .header(header::ORIGIN, "https://spa.example.org")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization")
            .header("sec-fetch-site", "cross-site");
        let r = t.send(req.body(Body::empty()).unwrap()).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{path}: {}", r.body);
        assert_eq!(r.headers.get("access-control-allow-origin").unwrap(), "*", "{path}");
        assert!(r.headers.get("access-control-allow-headers").unwrap().to_str().unwrap().contains("Authorization"));
    }
    // The calls themselves, cross-site and without a cookie, get the protocol's answer (not the
    // same-origin refusal), open to any origin.
    let req = Request::post("/oauth2/token")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, "https://spa.example.org")
        .header("sec-fetch-site", "cross-site");
    let r = t.send(req.body(Body::from("grant_type=authorization_code&client_id=nobody")).unwrap()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert!(r.body.contains("invalid_client") && r.headers.get("access-control-allow-origin").is_some());
}

/// Signs in `email` with `password` on the way to `start` (an authorisation request): the answer
/// to the password, as a browser's form gets it.
async fn sign_in_towards(t: &TestApp, start: &str, email: &str, password: &str) -> Reply {
    let login = t.get(start, None).await.location().unwrap().to_string();
    let next = param(&login, "next").unwrap();
    let step1 = t.post(LOGIN_EMAIL, &[("email", email), ("next", &next)], None).await;
    let login_cookie = step1.cookie("tessera_login").unwrap();
    t.post(LOGIN_PASSWORD, &[("password", password)], Some(&login_cookie)).await
}

#[tokio::test]
async fn a_disabled_person_is_told_after_the_right_password_and_the_application_hears_access_denied() {
    use tessera_server::clock::Clock;
    let t = app().await;
    let ([_, _, _, bob, zed], wiki) = world(&t, wiki_form()).await;
    for id in [bob, zed] {
        let (org, role) = t.tessera.store.primary_membership(id).await.unwrap().unwrap();
        t.tessera.store.set_member_disabled(org.id, id, role.id, true, t.clock.now()).await.unwrap();
    }
    let start = authorize_path(&wiki.client_id, &[]);
    // A wrong password hears what any wrong password hears: nothing about the account.
    let r = sign_in_towards(&t, &start, "bob@example.org", "not the password at all").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("Incorrect email or password.") && !r.body.contains("is disabled"), "{}", r.body);
    // The right one: a page saying so, whom to ask, and the way back to the application.
    let r = sign_in_towards(&t, &start, "bob@example.org", OTHER_PASSWORD).await;
    assert_eq!(r.location(), Some("/login/disabled"), "{} {}", r.status, r.body);
    assert!(r.cookie("tessera_session").is_none());
    let notice = r.cookie("tessera_login").expect("what the page says, sealed");
    assert!(!notice.contains("Acme") && !notice.contains('@'), "{notice}");
    let page = t.get("/login/disabled", Some(&notice)).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("<h1") && page.body.contains("Your account is disabled"), "{}", page.body);
    assert!(
        page.body
            .contains("The account bob@example.org at Acme is disabled, so you cannot sign in to Wiki or to Tessera."),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(
            "Only someone who manages the members of Acme, such as an owner or administrator, can enable it again."
        ),
        "{}",
        page.body
    );
    let href = |body: &str, text: &str| {
        let end = body.find(&format!(">{text}</a>")).unwrap_or_else(|| panic!("{text}: {body}"));
        let start = body[..end].rfind("href=\"").unwrap() + 6;
        body[start..end].split('"').next().unwrap().replace("&amp;", "&")
    };
    let back = href(&page.body, "Back to Wiki");
    assert!(back.starts_with(&format!("{REDIRECT}?error=access_denied")), "{back}");
    assert_eq!(param(&back, "state").as_deref(), Some("st-123"));
    assert_eq!(param(&back, "iss").as_deref(), Some(ORIGIN));
    assert_eq!(href(&page.body, "Sign in with another account"), "/login");
    // An island hears the same, as its code.
    let login = t.get(&start, None).await.location().unwrap().to_string();
    let step1 =
        t.post(LOGIN_EMAIL, &[("email", "bob@example.org"), ("next", &param(&login, "next").unwrap())], None).await;
    let r =
        t.island(LOGIN_PASSWORD, &[("password", OTHER_PASSWORD)], Some(&step1.cookie("tessera_login").unwrap())).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::FORBIDDEN, "account-disabled"));
    // Nobody else sees the page: not without the sealed notice, nor with a sign-in's first step.
    assert_eq!(t.get("/login/disabled", None).await.location(), Some("/login"));
    let probe = t.post(LOGIN_EMAIL, &[("email", "bob@example.org")], None).await.cookie("tessera_login").unwrap();
    assert_eq!(t.get("/login/disabled", Some(&probe)).await.location(), Some("/login"));
    // Nor for long.
    t.clock.advance(Duration::from_secs(16 * 60));
    assert_eq!(t.get("/login/disabled", Some(&notice)).await.location(), Some("/login"));
    // A person of another organisation disabled there: their own organisation is named to
    // them; Acme's log does not name them, nor say why.
    let r = sign_in_towards(&t, &start, "zed@example.org", OTHER_PASSWORD).await;
    let page = t.get("/login/disabled", Some(&r.cookie("tessera_login").unwrap())).await;
    assert!(page.body.contains("The account zed@example.org at Other is disabled"), "{}", page.body);
    assert!(href(&page.body, "Back to Wiki").starts_with(&format!("{REDIRECT}?error=access_denied")));
    // Without an application: the page, with no way back to one.
    let step1 = t.post(LOGIN_EMAIL, &[("email", "bob@example.org")], None).await;
    let r =
        t.post(LOGIN_PASSWORD, &[("password", OTHER_PASSWORD)], Some(&step1.cookie("tessera_login").unwrap())).await;
    let page = t.get("/login/disabled", Some(&r.cookie("tessera_login").unwrap())).await;
    assert!(page.body.contains("The account bob@example.org at Acme is disabled, so you cannot sign in."));
    assert!(!page.body.contains("Back to"), "{}", page.body);
    // The activity log: each refused sign-in, and each refusal of the application, named only in
    // the person's own organisation.
    let log = t.tessera.store.recent_audit(None, 100).await.unwrap();
    let refusals: Vec<_> = log.iter().filter(|e| e.action == "application.refused").collect();
    assert_eq!(refusals.len(), 3, "{log:?}");
    let bobs = refusals.iter().filter(|e| e.detail.as_deref() == Some("Wiki: their account is disabled"));
    assert!(bobs.clone().count() == 2 && bobs.clone().all(|e| e.actor_user_id == Some(bob)), "{refusals:?}");
    let zeds: Vec<_> =
        refusals.iter().filter(|e| e.detail.as_deref() == Some("Wiki: a person of another organisation")).collect();
    assert!(zeds.len() == 1 && zeds[0].actor_user_id.is_none() && zeds[0].target_user_id.is_none(), "{zeds:?}");
    let disabled_sign_ins =
        log.iter().filter(|e| e.action == "signin" && e.detail.as_deref() == Some("account is disabled"));
    assert_eq!(disabled_sign_ins.count(), 4, "{log:?}");
}
