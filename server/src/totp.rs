//! Authenticator-app codes (RFC 6238 TOTP: HMAC-SHA1, 6 digits, 30-second steps), compatible with
//! Google Authenticator, Authy and Microsoft Authenticator.
//!
//! The verifier is pure: it says which time step a code matched; the store then records that step
//! with a conditional update so the same code can never be used twice, even in parallel.

use std::fmt;

use rand::rngs::OsRng;
use rand::RngCore;
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Builder};

use crate::clock::Timestamp;

pub const DIGITS: u8 = 6;
pub const STEP_SECS: i64 = 30;
/// Steps either side of now that are accepted, for clocks a little off and slow typists.
pub const SKEW_STEPS: i64 = 1;
pub const SECRET_BYTES: usize = 20;

/// A shared TOTP secret. Never printed; leaves the server only once, in the enrolment page.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

impl TotpSecret {
    /// 160 bits from the OS RNG, as RFC 4226 recommends.
    pub fn generate() -> Self {
        let mut b = vec![0u8; SECRET_BYTES];
        OsRng.fill_bytes(&mut b);
        TotpSecret(b)
    }

    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        TotpSecret(bytes)
    }

    pub fn expose_bytes(&self) -> &[u8] {
        &self.0
    }

    /// RFC 4648 base32 without padding, as authenticator apps expect.
    pub fn to_base32(&self) -> String {
        base32_encode(&self.0)
    }

    /// Reads a base32 key as people type it (any case, spaces allowed, no padding needed).
    pub fn from_base32(input: &str) -> Option<Self> {
        const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let (mut buffer, mut bits, mut out) = (0u32, 0u32, Vec::new());
        for c in input.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=') {
            let v = ALPHABET.iter().position(|&a| a == c.to_ascii_uppercase())? as u32;
            buffer = (buffer << 5) | v;
            bits += 5;
            if bits >= 8 {
                out.push((buffer >> (bits - 8)) as u8);
                bits -= 8;
            }
        }
        Some(TotpSecret(out))
    }

    /// The base32 key in groups of four, for people typing it in.
    pub fn to_grouped_base32(&self) -> String {
        let b = self.to_base32();
        b.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect::<Vec<_>>().join(" ")
    }
}

fn base32_encode(data: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(data.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in data {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// The time step a moment falls in.
pub fn step_at(now: Timestamp) -> i64 {
    now.0.div_euclid(1000).div_euclid(STEP_SECS)
}

/// The code for `step` (HOTP with the step as counter), as a string: leading zeros kept.
pub fn code_for_step(secret: &[u8], step: i64, digits: u8, algorithm: Algorithm) -> Option<String> {
    let step = u64::try_from(step).ok()?;
    let totp = Builder::new()
        .with_algorithm(algorithm)
        .with_digits(digits)
        .with_skew(0)
        .with_step_duration(STEP_SECS as u64)
        .with_secret(secret.to_vec())
        .build_noncompliant();
    Some(totp.generate(step.checked_mul(STEP_SECS as u64)?).to_string())
}

/// Tolerates what people paste or type around a code: spaces and dashes. Anything else that is
/// not exactly six digits is no code.
pub fn normalize_code(input: &str) -> Option<String> {
    let digits: String = input.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    (digits.len() == DIGITS as usize && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// Checks `code` against the steps around `now`. Returns the step it matched, or `None` when it
/// matches none, or only a step at or before `last_used_step` (a replay, answered like a wrong
/// code). Every candidate is compared in constant time and all are always computed.
pub fn verify(secret: &TotpSecret, code: &str, now: Timestamp, last_used_step: Option<i64>) -> Option<i64> {
    let code = normalize_code(code)?;
    let current = step_at(now);
    let mut matched: Option<i64> = None;
    for step in (current - SKEW_STEPS)..=(current + SKEW_STEPS) {
        let expected = code_for_step(secret.expose_bytes(), step, DIGITS, Algorithm::SHA1).unwrap_or_default();
        let equal: bool = expected.as_bytes().ct_eq(code.as_bytes()).into();
        if equal && last_used_step.is_none_or(|last| step > last) {
            matched = Some(step);
        }
    }
    matched
}

/// The Key URI an authenticator app scans: `otpauth://totp/Issuer:account?secret=...&issuer=...`.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &TotpSecret) -> String {
    let enc = |s: &str| percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        enc(issuer),
        enc(account),
        secret.to_base32(),
        enc(issuer)
    )
}

/// The URI as a QR code, rendered here as SVG (no third-party service sees the secret).
pub fn qr_svg(uri: &str) -> Option<String> {
    let code = qrcode::QrCode::with_error_correction_level(uri.as_bytes(), qrcode::EcLevel::M).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .dark_color(qrcode::render::svg::Color("#000000"))
            .light_color(qrcode::render::svg::Color("#ffffff"))
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET_SHA1: &[u8] = b"12345678901234567890";
    const RFC_SECRET_SHA256: &[u8] = b"12345678901234567890123456789012";
    const RFC_SECRET_SHA512: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

    #[test]
    fn rfc4226_hotp_vectors() {
        let expected =
            ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
        for (counter, want) in expected.iter().enumerate() {
            assert_eq!(
                code_for_step(RFC_SECRET_SHA1, counter as i64, 6, Algorithm::SHA1).unwrap(),
                *want,
                "counter {counter}"
            );
        }
    }

    #[test]
    fn rfc6238_totp_vectors() {
        // (unix seconds, SHA1, SHA256, SHA512), 8 digits, from RFC 6238 appendix B.
        let table: [(i64, &str, &str, &str); 6] = [
            (59, "94287082", "46119246", "90693936"),
            (1111111109, "07081804", "68084774", "25091201"),
            (1111111111, "14050471", "67062674", "99943326"),
            (1234567890, "89005924", "91819424", "93441116"),
            (2000000000, "69279037", "90698825", "38618901"),
            (20000000000, "65353130", "77737706", "47863826"),
        ];
        for (t, sha1, sha256, sha512) in table {
            let step = step_at(Timestamp(t * 1000));
            assert_eq!(code_for_step(RFC_SECRET_SHA1, step, 8, Algorithm::SHA1).unwrap(), sha1, "SHA1 at {t}");
            assert_eq!(code_for_step(RFC_SECRET_SHA256, step, 8, Algorithm::SHA256).unwrap(), sha256, "SHA256 at {t}");
            assert_eq!(code_for_step(RFC_SECRET_SHA512, step, 8, Algorithm::SHA512).unwrap(), sha512, "SHA512 at {t}");
        }
        // Leading zeros are kept: the 1111111109 code starts with 0.
        assert!(code_for_step(RFC_SECRET_SHA1, step_at(Timestamp(1_111_111_109_000)), 8, Algorithm::SHA1)
            .unwrap()
            .starts_with('0'));
    }

    fn secret() -> TotpSecret {
        TotpSecret::from_bytes(RFC_SECRET_SHA1.to_vec())
    }

    fn code_at_step(step: i64) -> String {
        code_for_step(RFC_SECRET_SHA1, step, 6, Algorithm::SHA1).unwrap()
    }

    #[test]
    fn window_is_one_step_either_side() {
        let now = Timestamp(1_795_348_815_000); // 15 s into a step
        let s = step_at(now);
        for (offset, accepted) in [(-2, false), (-1, true), (0, true), (1, true), (2, false)] {
            assert_eq!(
                verify(&secret(), &code_at_step(s + offset), now, None),
                accepted.then_some(s + offset),
                "offset {offset}"
            );
        }
    }

    #[test]
    fn used_steps_are_refused() {
        let now = Timestamp(1_795_348_815_000);
        let s = step_at(now);
        let code = code_at_step(s);
        assert_eq!(verify(&secret(), &code, now, Some(s - 1)), Some(s));
        assert_eq!(verify(&secret(), &code, now, Some(s)), None, "the same step twice is a replay");
        assert_eq!(verify(&secret(), &code_at_step(s - 1), now, Some(s)), None, "an older step after a newer one");
        assert_eq!(verify(&secret(), &code_at_step(s + 1), now, Some(s)), Some(s + 1));
    }

    #[test]
    fn codes_are_normalised() {
        let now = Timestamp(1_795_348_815_000);
        let code = code_at_step(step_at(now));
        let spaced = format!(" {} {} ", &code[..3], &code[3..]);
        let dashed = format!("{}-{}", &code[..3], &code[3..]);
        assert!(verify(&secret(), &spaced, now, None).is_some());
        assert!(verify(&secret(), &dashed, now, None).is_some());
        for bad in ["", "12345", "1234567", "12a456", "１２３４５６"] {
            assert_eq!(normalize_code(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn secrets_are_160_bits_base32_without_padding() {
        let s = TotpSecret::generate();
        assert_eq!(s.expose_bytes().len(), 20);
        let b32 = s.to_base32();
        assert_eq!(b32.len(), 32);
        assert!(b32.bytes().all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)));
        assert_eq!(s.to_grouped_base32().split(' ').count(), 8);
        assert_eq!(format!("{s:?}"), "TotpSecret(<redacted>)");
        assert_ne!(TotpSecret::generate(), s);
        // RFC 4648 test vector, both ways.
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(TotpSecret::from_base32("mzxw 6ytb oi").unwrap().expose_bytes(), b"foobar");
        assert_eq!(TotpSecret::from_base32(&s.to_grouped_base32()).unwrap(), s);
        assert!(TotpSecret::from_base32("M1").is_none());
    }

    #[test]
    fn key_uri_follows_the_key_uri_format() {
        let uri = otpauth_uri("Tessera", "ada+mfa@example.org", &secret());
        assert_eq!(
            uri,
            "otpauth://totp/Tessera:ada%2Bmfa%40example%2Eorg?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Tessera&algorithm=SHA1&digits=6&period=30"
        );
        let odd = otpauth_uri("Acme & Co: Health", "a b", &secret());
        assert!(odd.starts_with("otpauth://totp/Acme%20%26%20Co%3A%20Health:a%20b?"), "{odd}");
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.contains("<svg") && svg.contains("</svg>"));
    }
}
