//! A small OpenID Connect provider on loopback for tests: metadata (also the ways a real one can
//! go wrong: another issuer, a redirect, too slow, not JSON, not there), its key set, and a token
//! endpoint that checks the client's secret, the code and its PKCE verifier as a provider does,
//! then issues the ID token the test scripted, signed with the key the test chose.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The client the tests register with the provider, and its secret.
pub const CLIENT: &str = "tessera-client";
pub const CLIENT_SECRET: &str = "a provider's secret";

/// The metadata of an issuer at `base` (its issuer is `issuer`).
pub fn metadata(base: &str, issuer: &str) -> String {
    serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base}/auth"),
        "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/jwks"),
        "userinfo_endpoint": format!("{base}/userinfo"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
    })
    .to_string()
}

/// A signing key of the test provider: its private half (PKCS#8 DER) and its public JWK.
#[derive(Clone)]
pub struct Key {
    der: Vec<u8>,
    pub jwk: jsonwebtoken::jwk::Jwk,
}

impl Key {
    pub fn new(kid: &str) -> Key {
        use p256::pkcs8::EncodePrivateKey;
        let der = p256::SecretKey::random(&mut rand::rngs::OsRng).to_pkcs8_der().unwrap().as_bytes().to_vec();
        let encoding = jsonwebtoken::EncodingKey::from_ec_der(&der);
        let mut jwk = jsonwebtoken::jwk::Jwk::from_encoding_key(&encoding, jsonwebtoken::Algorithm::ES256).unwrap();
        jwk.common.key_id = Some(kid.into());
        Key { der, jwk }
    }

    pub fn sign(&self, claims: &serde_json::Value) -> String {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = self.jwk.common.key_id.clone();
        jsonwebtoken::encode(&header, claims, &jsonwebtoken::EncodingKey::from_ec_der(&self.der)).unwrap()
    }
}

/// What the test provider does next: the claims of the ID token it issues for the code
/// `good-code`, the key it signs with, the keys it publishes, and the PKCE challenge the code was
/// asked with.
#[derive(Default)]
pub struct Script {
    pub claims: Option<serde_json::Value>,
    pub signer: Option<Key>,
    pub published: Vec<Key>,
    pub challenge: Option<String>,
    /// What userinfo answers (for the access token it issued), if anything.
    pub userinfo: Option<serde_json::Value>,
}

#[derive(Clone)]
pub struct Idp {
    pub origin: String,
    pub script: Arc<Mutex<Script>>,
}

async fn answer(State(idp): State<Idp>, Path(name): Path<String>) -> Response {
    let origin = &idp.origin;
    let base = format!("{origin}/{name}");
    let json = |issuer: &str| ([(header::CONTENT_TYPE, "application/json")], metadata(&base, issuer)).into_response();
    match name.as_str() {
        "good" | "idp" | "idp2" => json(&base),
        "other" => json("https://somewhere-else.example.org"),
        "ms" => json(&format!("{origin}/{{tenantid}}/v2.0")),
        "moved" => (StatusCode::FOUND, [(header::LOCATION, format!("{origin}/good/.well-known/openid-configuration"))])
            .into_response(),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(7)).await;
            json(&base)
        }
        "garbled" => (StatusCode::OK, "<html>not metadata</html>").into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn keys(State(idp): State<Idp>) -> Response {
    let keys: Vec<_> = idp.script.lock().unwrap().published.iter().map(|k| k.jwk.clone()).collect();
    axum::Json(serde_json::json!({ "keys": keys })).into_response()
}

/// The token endpoint: the client's secret, the code and its PKCE verifier checked as a
/// provider checks them.
async fn token(
    State(idp): State<Idp>,
    headers: axum::http::HeaderMap,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    use base64::Engine;
    use sha2::Digest;
    let script = idp.script.lock().unwrap();
    let refuse =
        |error: &str| (StatusCode::BAD_REQUEST, axum::Json(serde_json::json!({ "error": error }))).into_response();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("tessera-client:a%20provider%27s%20secret")
    );
    let alt =
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("tessera-client:a+provider%27s+secret"));
    let auth = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if auth != basic && auth != alt {
        return (StatusCode::UNAUTHORIZED, axum::Json(serde_json::json!({ "error": "invalid_client", "got": auth })))
            .into_response();
    }
    if form.get("grant_type").map(String::as_str) != Some("authorization_code")
        || form.get("code").map(String::as_str) != Some("good-code")
    {
        return refuse("invalid_grant");
    }
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    if script.challenge.as_deref() != Some(challenge.as_str()) {
        return refuse("invalid_grant");
    }
    let (Some(claims), Some(signer)) = (script.claims.clone(), script.signer.clone()) else {
        return refuse("invalid_grant");
    };
    axum::Json(serde_json::json!({
        "access_token": "an-access-token",
        "token_type": "Bearer",
        "expires_in": 60,
        "id_token": signer.sign(&claims),
    }))
    .into_response()
}

async fn userinfo(State(idp): State<Idp>, headers: axum::http::HeaderMap) -> Response {
    let bearer = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) == Some("Bearer an-access-token");
    match idp.script.lock().unwrap().userinfo.clone() {
        Some(info) if bearer => axum::Json(info).into_response(),
        _ => StatusCode::UNAUTHORIZED.into_response(),
    }
}

/// Starts the providers; returns their origin (`http://127.0.0.1:PORT`) and the script of the
/// one that issues tokens.
pub async fn providers() -> String {
    start_providers().await.origin
}

pub async fn start_providers() -> Idp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let idp = Idp { origin: origin.clone(), script: Arc::default() };
    let app = axum::Router::new()
        .route("/{name}/.well-known/openid-configuration", get(answer))
        .route("/{name}/jwks", get(keys))
        .route("/{name}/token", axum::routing::post(token))
        .route("/{name}/userinfo", get(userinfo))
        .with_state(idp.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    idp
}
