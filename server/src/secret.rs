//! The instance key and opaque tokens. Tokens come from the OS RNG, reach the user once and are
//! stored only as hashes; none of these types print their contents, and URLs lose their passwords
//! before they are printed.

use std::fmt;
use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// 32 bytes that key everything Tessera keeps secret at rest (HMACs now, encryption of TOTP
/// secrets next). Loaded from `TESSERA_SECRET_KEY` or generated into the data directory.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

impl SecretKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        SecretKey(bytes)
    }

    pub fn generate() -> Self {
        let mut k = [0u8; 32];
        OsRng.fill_bytes(&mut k);
        SecretKey(k)
    }

    /// Accepts 64 hex characters.
    pub fn from_hex(s: &str) -> Result<Self> {
        let bytes =
            hex::decode(s.trim()).map_err(|_| Error::Config("TESSERA_SECRET_KEY must be 64 hex characters".into()))?;
        let arr: [u8; 32] =
            bytes.try_into().map_err(|_| Error::Config("TESSERA_SECRET_KEY must be 64 hex characters".into()))?;
        Ok(SecretKey(arr))
    }

    /// Reads `<dir>/secret.key`, creating it (mode 0600) on first start.
    pub fn load_or_create(dir: &Path) -> Result<Self> {
        let path = dir.join("secret.key");
        match std::fs::read_to_string(&path) {
            Ok(s) => Self::from_hex(&s),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate();
                write_private(&path, hex::encode(key.0).as_bytes())?;
                tracing::info!(path = %path.display(), "generated a new instance secret key");
                Ok(key)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A keyed hash, for values we must look up but should not store readable (typed emails).
    pub fn mac(&self, purpose: &str, data: &[u8]) -> String {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
        m.update(purpose.as_bytes());
        m.update(&[0]);
        m.update(data);
        hex::encode(m.finalize().into_bytes())
    }
}

impl SecretKey {
    /// Encrypts a secret for storage (XChaCha20-Poly1305, random nonce). `context` is bound in as
    /// associated data, so a sealed value moved to another row or purpose does not open.
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> String {
        use chacha20poly1305::aead::{Aead, KeyInit, Payload};
        use chacha20poly1305::{XChaCha20Poly1305, XNonce};
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let mut nonce = [0u8; 24];
        OsRng.fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad: context.as_bytes() })
            .expect("encryption with a valid key cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("v1:{}", URL_SAFE_NO_PAD.encode(out))
    }

    /// Opens what [`SecretKey::seal`] made with the same key and context.
    pub fn open(&self, context: &str, sealed: &str) -> Option<Vec<u8>> {
        use chacha20poly1305::aead::{Aead, KeyInit, Payload};
        use chacha20poly1305::{XChaCha20Poly1305, XNonce};
        let raw = URL_SAFE_NO_PAD.decode(sealed.strip_prefix("v1:")?).ok()?;
        if raw.len() < 24 + 16 {
            return None;
        }
        let (nonce, ct) = raw.split_at(24);
        XChaCha20Poly1305::new((&self.0).into())
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: context.as_bytes() })
            .ok()
    }
}

#[cfg(unix)]
fn write_private(path: &Path, data: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(data)?;
    f.sync_all()?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, data: &[u8]) -> Result<()> {
    std::fs::write(path, data)?;
    Ok(())
}

/// A bearer token handed to a user (session cookie, setup link, set-password link).
/// 256 bits from the OS RNG, URL-safe base64.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl Token {
    pub fn generate() -> Self {
        let mut b = [0u8; 32];
        OsRng.fill_bytes(&mut b);
        Token(URL_SAFE_NO_PAD.encode(b))
    }

    /// Wraps a token presented by a client. Anything not shaped like one of ours is refused
    /// early so it never reaches the database.
    pub fn parse(s: &str) -> Option<Self> {
        let ok = s.len() == 43 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| Token(s.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the database keeps: SHA-256, hex. The token has 256 bits of entropy, so an unkeyed
    /// hash is enough to make a stolen table useless.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }
}

/// Hides a password in a URL (`postgres://user:secret@host` -> `postgres://user:***@host`).
pub fn redact_url(s: &str) -> String {
    match url::Url::parse(s) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_redacted() {
        let a = Token::generate();
        let b = Token::generate();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 43, "32 bytes in unpadded base64");
        assert_eq!(format!("{a:?}"), "Token(<redacted>)");
        assert_eq!(Token::parse(a.expose()), Some(a.clone()));
        assert_eq!(a.hash().len(), 64);
        assert_ne!(a.hash(), a.expose());
        assert!(Token::parse("short").is_none());
        assert!(Token::parse(&"a".repeat(42)).is_none());
        assert!(Token::parse(&format!("{}'", "a".repeat(42))).is_none());
    }

    #[test]
    fn key_is_created_once_private_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let k1 = SecretKey::load_or_create(dir.path()).unwrap();
        let k2 = SecretKey::load_or_create(dir.path()).unwrap();
        assert_eq!(k1.mac("t", b"x"), k2.mac("t", b"x"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("secret.key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(format!("{k1:?}"), "SecretKey(<redacted>)");
        assert_ne!(k1.mac("a", b"x"), k1.mac("b", b"x"), "purposes are separated");
    }

    #[test]
    fn sealed_secrets_open_only_with_the_same_key_and_context() {
        let k = SecretKey::generate();
        let sealed = k.seal("totp:1", b"twenty bytes secret!");
        assert!(sealed.starts_with("v1:"));
        assert!(!sealed.contains("twenty"));
        assert_eq!(k.open("totp:1", &sealed).as_deref(), Some(&b"twenty bytes secret!"[..]));
        assert_eq!(k.open("totp:2", &sealed), None, "another row");
        assert_eq!(SecretKey::generate().open("totp:1", &sealed), None, "another key");
        assert_ne!(k.seal("totp:1", b"x"), k.seal("totp:1", b"x"), "fresh nonce each time");
        assert_eq!(k.open("totp:1", "v1:AAAA"), None);
        assert_eq!(k.open("totp:1", "garbage"), None);
    }

    #[test]
    fn hex_keys_are_validated() {
        assert!(SecretKey::from_hex(&"ab".repeat(32)).is_ok());
        assert!(SecretKey::from_hex("abcd").is_err());
        assert!(SecretKey::from_hex(&"zz".repeat(32)).is_err());
    }
}
