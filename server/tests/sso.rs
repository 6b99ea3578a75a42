//! The sign-in providers the operator configures: each field checked, the provider's metadata
//! read (and its issuer matched) before it is stored, the client secret sealed at rest, names
//! unique whatever their case; on both databases.
//!
//! The providers here are small HTTP servers on loopback, each answering its metadata the way a
//! real provider can go wrong: another issuer, a redirect, too slow, not JSON, not there.

mod common;

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use common::*;
use tessera_server::sso::{AddError, DiscoveryError, ProviderForm, ProviderKind};

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

/// The metadata of an issuer at `base` (its issuer is `issuer`).
fn metadata(base: &str, issuer: &str) -> String {
    serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base}/auth"),
        "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    })
    .to_string()
}

async fn answer(State(origin): State<String>, Path(name): Path<String>) -> Response {
    let base = format!("{origin}/{name}");
    let json = |issuer: &str| ([(header::CONTENT_TYPE, "application/json")], metadata(&base, issuer)).into_response();
    match name.as_str() {
        "good" => json(&base),
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

/// Starts the providers; returns their origin (`http://127.0.0.1:PORT`).
async fn providers() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let app =
        axum::Router::new().route("/{name}/.well-known/openid-configuration", get(answer)).with_state(origin.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    origin
}

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
