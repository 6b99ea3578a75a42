//! The keys Tessera signs OpenID Connect ID tokens with, and the key set it publishes for
//! applications to verify them (JWKS).
//!
//! One current key per algorithm: ES256, and RS256 for applications that only know it. Keys are
//! made at the first start (several instances starting at once make one between them), their
//! private half sealed with the instance key; `tessera keys rotate` makes new ones, and a replaced
//! key stays published until every token it signed has expired. Signing and the key formats are
//! the `jsonwebtoken`, `p256` and `rsa` crates' work, never Tessera's.

use std::time::Duration;

use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::RngCore;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::store::NewSigningKey;
use crate::tessera::Tessera;

/// How long an ID token is valid.
pub const ID_TOKEN_TTL: Duration = Duration::from_secs(10 * 60);

/// How long a replaced key stays published: every token it signed expires within this, with
/// room for clocks that disagree by a few minutes.
pub const PUBLISHED_AFTER_REPLACED: Duration = Duration::from_secs(ID_TOKEN_TTL.as_secs() + 5 * 60);

/// The algorithms Tessera signs with, the one it prefers first.
pub const ALGORITHMS: [SigningAlg; 2] = [SigningAlg::Es256, SigningAlg::Rs256];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningAlg {
    Es256,
    Rs256,
}

impl SigningAlg {
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::Es256 => "ES256",
            SigningAlg::Rs256 => "RS256",
        }
    }

    pub fn parse(s: &str) -> Option<SigningAlg> {
        ALGORITHMS.into_iter().find(|a| a.as_str() == s)
    }

    fn jose(self) -> Algorithm {
        match self {
            SigningAlg::Es256 => Algorithm::ES256,
            SigningAlg::Rs256 => Algorithm::RS256,
        }
    }

    fn encoding_key(self, der: &[u8]) -> EncodingKey {
        match self {
            SigningAlg::Es256 => EncodingKey::from_ec_der(der),
            SigningAlg::Rs256 => EncodingKey::from_rsa_der(der),
        }
    }
}

/// The private key's DER (PKCS#8 for ES256, PKCS#1 for RS256, as `jsonwebtoken` reads them).
fn generate(alg: SigningAlg) -> Result<Vec<u8>> {
    let failed = |e: &dyn std::fmt::Display| Error::Invalid(format!("could not make a {} key: {e}", alg.as_str()));
    let mut rng = rand::rngs::OsRng;
    Ok(match alg {
        SigningAlg::Es256 => {
            use p256::pkcs8::EncodePrivateKey;
            let key = p256::SecretKey::random(&mut rng);
            key.to_pkcs8_der().map_err(|e| failed(&e))?.as_bytes().to_vec()
        }
        SigningAlg::Rs256 => {
            use rsa::pkcs1::EncodeRsaPrivateKey;
            let key = rsa::RsaPrivateKey::new(&mut rng, 2048).map_err(|e| failed(&e))?;
            key.to_pkcs1_der().map_err(|e| failed(&e))?.as_bytes().to_vec()
        }
    })
}

fn sealing_context(kid: &str) -> String {
    format!("signing-key:{kid}")
}

impl Tessera {
    /// At start: a current key for each algorithm where there is none.
    /// Then every current key must open with this instance's key: an instance started with
    /// another key (a different `TESSERA_SECRET_KEY` behind the same load balancer, or a lost key
    /// file) would fail every sealed secret (authenticators, signing), so it refuses to start.
    pub async fn ensure_signing_keys(&self) -> Result<()> {
        let current = self.store.current_signing_keys().await?;
        for alg in ALGORITHMS {
            if !current.iter().any(|k| k.alg == alg.as_str()) {
                let key = self.new_signing_key(alg).await?;
                // Another instance may have made one meanwhile: then its key is the current one.
                self.store.add_signing_key(&key, false).await?;
            }
        }
        let current = self.store.current_signing_keys().await?;
        if current.iter().any(|k| self.key.open(&sealing_context(&k.kid), &k.private_sealed).is_none()) {
            return Err(Error::Config(
                "this database was sealed with another instance key: start every instance with the same \
                 TESSERA_SECRET_KEY (or the key file of the data directory that first used this database)"
                    .into(),
            ));
        }
        Ok(())
    }

    /// `tessera keys rotate`: new current keys for every algorithm; the ones they replace stay
    /// published for [`PUBLISHED_AFTER_REPLACED`]. Returns the new keys' ids.
    pub async fn rotate_signing_keys(&self) -> Result<Vec<String>> {
        let mut kids = Vec::new();
        for alg in ALGORITHMS {
            let key = self.new_signing_key(alg).await?;
            self.store.add_signing_key(&key, true).await?;
            kids.push(key.kid);
        }
        let gone_before = crate::clock::Timestamp(self.clock.now().0 - PUBLISHED_AFTER_REPLACED.as_millis() as i64);
        self.store.delete_replaced_signing_keys(gone_before).await?;
        Ok(kids)
    }

    async fn new_signing_key(&self, alg: SigningAlg) -> Result<NewSigningKey> {
        // An RSA key takes a while to find: off the async runtime.
        let der = tokio::task::spawn_blocking(move || generate(alg))
            .await
            .map_err(|e| Error::Invalid(format!("key generation stopped: {e}")))??;
        let mut id = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut id);
        let kid = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, id);
        let mut jwk = Jwk::from_encoding_key(&alg.encoding_key(&der), alg.jose())
            .map_err(|e| Error::Invalid(format!("could not describe the {} key: {e}", alg.as_str())))?;
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk.common.key_algorithm = Some(match alg {
            SigningAlg::Es256 => KeyAlgorithm::ES256,
            SigningAlg::Rs256 => KeyAlgorithm::RS256,
        });
        let public_jwk = serde_json::to_string(&jwk).map_err(|e| Error::Invalid(e.to_string()))?;
        Ok(NewSigningKey {
            private_sealed: self.key.seal(&sealing_context(&kid), &der),
            kid,
            alg: alg.as_str().to_string(),
            public_jwk,
            created_at: self.clock.now(),
        })
    }

    /// The published key set: the current keys and those replaced recently enough that tokens
    /// they signed may still be live.
    pub async fn jwks(&self) -> Result<JwkSet> {
        let since = crate::clock::Timestamp(self.clock.now().0 - PUBLISHED_AFTER_REPLACED.as_millis() as i64);
        let keys = self.store.published_signing_keys(since).await?;
        let keys = keys.iter().filter_map(|k| serde_json::from_str::<Jwk>(&k.public_jwk).ok()).collect();
        Ok(JwkSet { keys })
    }

    /// `claims` as a JWT signed with the current key of `alg`, its `kid` in the header.
    pub async fn sign_token<T: Serialize>(&self, claims: &T, alg: SigningAlg) -> Result<String> {
        let current = self.store.current_signing_keys().await?;
        let key = current.iter().find(|k| k.alg == alg.as_str()).ok_or(Error::NotFound("signing key"))?;
        let der = self
            .key
            .open(&sealing_context(&key.kid), &key.private_sealed)
            .ok_or_else(|| Error::Invalid(format!("signing key {} does not open with this instance key", key.kid)))?;
        let mut header = Header::new(alg.jose());
        header.kid = Some(key.kid.clone());
        jsonwebtoken::encode(&header, claims, &alg.encoding_key(&der))
            .map_err(|e| Error::Invalid(format!("could not sign: {e}")))
    }
}
