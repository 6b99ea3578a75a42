//! The keys ID tokens are signed with, through the real store on SQLite and PostgreSQL: made once
//! (also by instances starting together), sealed at rest, published without their private half,
//! and rotated with the replaced key still verifying its tokens until they have all expired.

mod common;

use std::time::Duration;

use common::{on_both, query_texts, Env};
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{decode, decode_header, DecodingKey, Validation};
use tessera_server::clock::Clock;
use tessera_server::signing_keys::{SigningAlg, ALGORITHMS, PUBLISHED_AFTER_REPLACED};

#[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
struct Claims {
    iss: String,
    sub: String,
    aud: String,
    exp: i64,
}

fn claims(env: &Env) -> Claims {
    let exp = env.clock.now().0 / 1000 + 600;
    Claims { iss: "https://tessera.example".into(), sub: "u1".into(), aud: "wiki".into(), exp }
}

/// Verifies `token` with the key of its `kid` in `set`, as an application would.
fn verify(token: &str, set: &JwkSet, alg: SigningAlg) -> Result<Claims, String> {
    let header = decode_header(token).map_err(|e| e.to_string())?;
    let kid = header.kid.ok_or("no kid")?;
    let jwk = set.find(&kid).ok_or(format!("kid {kid} is not published"))?;
    let mut validation = Validation::new(header.alg);
    assert_eq!(format!("{:?}", header.alg), alg.as_str());
    validation.set_audience(&["wiki"]);
    validation.set_issuer(&["https://tessera.example"]);
    // The story's clock is not the machine's.
    validation.validate_exp = false;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    decode::<Claims>(token, &key, &validation).map(|d| d.claims).map_err(|e| e.to_string())
}

#[tokio::test]
async fn keys_are_made_once_sealed_published_and_rotated() {
    on_both(|env| async move {
        // Two instances starting at once make one key per algorithm between them.
        let (a, b) = tokio::join!(env.app.ensure_signing_keys(), env.app.ensure_signing_keys());
        a.unwrap();
        b.unwrap();
        env.app.ensure_signing_keys().await.unwrap();
        let set = env.app.jwks().await.unwrap();
        assert_eq!(set.keys.len(), 2, "{}: {set:?}", env.backend);
        for jwk in &set.keys {
            let json = serde_json::to_value(jwk).unwrap();
            assert_eq!(json["use"], "sig");
            assert!(json.get("d").is_none() && json.get("p").is_none(), "no private half is published: {json}");
            match &jwk.algorithm {
                AlgorithmParameters::EllipticCurve(_) => assert_eq!(json["alg"], "ES256"),
                AlgorithmParameters::RSA(_) => assert_eq!(json["alg"], "RS256"),
                other => panic!("unexpected key {other:?}"),
            }
        }
        // At rest the private half is sealed: nothing in the row reads as a key. (Looking for a
        // few base64 letters such as "MII" in the text fails by chance on random ciphertext; the
        // decoded bytes are searched for structures every such key holds instead.)
        for sealed in query_texts(&env, "SELECT private_sealed FROM signing_keys").await {
            assert!(sealed.starts_with("v1:"), "{sealed}");
            let raw = base64::Engine::decode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                sealed.trim_start_matches("v1:"),
            )
            .expect("the sealed text is base64");
            for (what, marker) in KEY_MARKERS {
                assert!(!raw.windows(marker.len()).any(|w| w == marker), "{what} readable in {sealed}");
            }
        }

        let mut old_tokens = Vec::new();
        for alg in ALGORITHMS {
            let token = env.app.sign_token(&claims(&env), alg).await.unwrap();
            assert_eq!(verify(&token, &set, alg).unwrap(), claims(&env));
            // A token altered after signing does not verify.
            let mut parts: Vec<&str> = token.split('.').collect();
            let forged = base64_claims(&Claims { sub: "u2".into(), ..claims(&env) });
            parts[1] = &forged;
            assert!(verify(&parts.join("."), &set, alg).is_err());
            old_tokens.push((alg, token));
        }

        // Rotation: new keys sign, the replaced ones stay published while their tokens may live.
        let new_kids = env.app.rotate_signing_keys().await.unwrap();
        assert_eq!(new_kids.len(), 2);
        let set = env.app.jwks().await.unwrap();
        assert_eq!(set.keys.len(), 4);
        for (alg, token) in &old_tokens {
            assert!(verify(token, &set, *alg).is_ok(), "a token signed before the rotation still verifies");
            let fresh = env.app.sign_token(&claims(&env), *alg).await.unwrap();
            let kid = decode_header(&fresh).unwrap().kid.unwrap();
            assert!(new_kids.contains(&kid), "new tokens are signed with the new key");
            assert!(verify(&fresh, &set, *alg).is_ok());
        }
        // Once every token they signed has expired, the replaced keys go.
        env.clock.advance(PUBLISHED_AFTER_REPLACED + Duration::from_secs(1));
        assert_eq!(env.app.jwks().await.unwrap().keys.len(), 2);
        env.app.rotate_signing_keys().await.unwrap();
        let kids = query_texts(&env, "SELECT kid FROM signing_keys").await;
        assert_eq!(kids.len(), 4, "the first keys are deleted, the second ones kept for now: {kids:?}");
        for (alg, token) in &old_tokens {
            assert!(verify(token, &env.app.jwks().await.unwrap(), *alg).unwrap_err().contains("not published"));
        }
    })
    .await;
}

/// Byte sequences every unsealed private key of ours holds in its DER: found in a sealed value,
/// the key would be stored readable.
const KEY_MARKERS: [(&str, &[u8]); 2] = [
    // RSAPrivateKey: version 0, then a 2048-bit modulus's INTEGER header.
    ("an RSA private key", &[0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00]),
    // PKCS#8 for ES256: the P-256 curve's object identifier.
    ("a P-256 private key", &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]),
];

fn base64_claims(c: &Claims) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(c).unwrap())
}

#[tokio::test]
async fn an_instance_with_another_instance_key_refuses_to_start_on_the_same_database() {
    on_both(|env| async move {
        env.app.ensure_signing_keys().await.unwrap();
        let stranger = tessera_server::tessera::Tessera::new(
            env.store.clone(),
            env.clock.clone(),
            env.app.config.clone(),
            tessera_server::password::PasswordHasher::new(1, 1),
            tessera_server::secret::SecretKey::generate(),
        );
        let refused = stranger.ensure_signing_keys().await.unwrap_err().to_string();
        assert!(
            refused.contains("sealed with another instance key") && refused.contains("TESSERA_SECRET_KEY"),
            "{refused}"
        );
        // The instance with the right key still starts, and nothing was replaced.
        let before = env.app.jwks().await.unwrap();
        env.app.ensure_signing_keys().await.unwrap();
        assert_eq!(env.app.jwks().await.unwrap(), before, "{}", env.backend);
    })
    .await;
}

/// The check above would pass on anything if its markers were wrong: they are in freshly made keys
/// of both kinds, in the form the store seals.
#[test]
fn the_markers_are_in_every_unsealed_key() {
    use p256::pkcs8::EncodePrivateKey;
    use rsa::pkcs1::EncodeRsaPrivateKey;
    let mut rng = rand::rngs::OsRng;
    let ec = p256::SecretKey::random(&mut rng).to_pkcs8_der().unwrap().as_bytes().to_vec();
    let rsa = rsa::RsaPrivateKey::new(&mut rng, 2048).unwrap().to_pkcs1_der().unwrap().as_bytes().to_vec();
    let holds = |der: &[u8], marker: &[u8]| der.windows(marker.len()).any(|w| w == marker);
    assert!(holds(&rsa, KEY_MARKERS[0].1));
    assert!(holds(&ec, KEY_MARKERS[1].1));
}
