//! Recovery codes: ten single-use codes of 80 random bits each, shown once, kept only as keyed
//! hashes. Crockford's base32 alphabet (no I, L, O, U), so a code read aloud or copied by hand
//! survives common mistakes.

use std::fmt;

use rand::rngs::OsRng;
use rand::RngCore;

use crate::secret::SecretKey;

pub const COUNT: usize = 10;
/// 16 characters of 5 bits: 80 bits per code.
const CHARS: usize = 16;
const _: () = assert!(CHARS * 5 >= 64, "recovery codes carry at least 64 bits");
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Warn the user when this few are left.
pub const LOW_WATERMARK: usize = 3;

/// A code as shown to the user once. Never printed in logs.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode(String);

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode(<redacted>)")
    }
}

impl RecoveryCode {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 10];
        OsRng.fill_bytes(&mut bytes);
        // 80 bits -> 16 symbols of 5 bits.
        let mut n = u128::from_be_bytes({
            let mut b = [0u8; 16];
            b[6..].copy_from_slice(&bytes);
            b
        });
        let mut s = vec![0u8; CHARS];
        for c in s.iter_mut().rev() {
            *c = ALPHABET[(n & 31) as usize];
            n >>= 5;
        }
        RecoveryCode(String::from_utf8(s).expect("ascii"))
    }

    /// `XXXX-XXXX-XXXX-XXXX`, as shown and printed.
    pub fn display(&self) -> String {
        self.0.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect::<Vec<_>>().join("-")
    }

    /// The keyed hash the database keeps, bound to the user.
    pub fn hash(&self, key: &SecretKey, user_id: i64) -> String {
        key.mac("recovery-code", format!("{user_id}:{}", self.0).as_bytes())
    }

    /// Reads what a person typed: any case, with or without dashes and spaces; the letters
    /// people confuse with digits (O, I, L) read as those digits. `None` if it cannot be a code.
    pub fn parse(input: &str) -> Option<Self> {
        let mut s = String::with_capacity(CHARS);
        for c in input.chars() {
            if c.is_whitespace() || c == '-' {
                continue;
            }
            let c = match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            };
            if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) {
                return None;
            }
            s.push(c);
        }
        (s.len() == CHARS).then_some(RecoveryCode(s))
    }
}

/// A fresh set of codes.
pub fn generate_set() -> Vec<RecoveryCode> {
    (0..COUNT).map(|_| RecoveryCode::generate()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_long_random_and_grouped() {
        let set = generate_set();
        assert_eq!(set.len(), 10);
        let mut unique: Vec<_> = set.iter().map(|c| c.display()).collect();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 10);
        for c in &set {
            let d = c.display();
            assert_eq!(d.len(), 19);
            assert_eq!(d.matches('-').count(), 3);
            assert_eq!(format!("{c:?}"), "RecoveryCode(<redacted>)");
        }
    }

    #[test]
    fn typed_codes_are_normalised() {
        let c = RecoveryCode("0123456789ABCDEF".into());
        for typed in [
            "0123-4567-89AB-CDEF",
            "0123 4567 89ab cdef",
            "o123456789abcdef",
            "0I23-4567-89ab-cdef",
            " 0123456789ABCDEF ",
        ] {
            assert_eq!(RecoveryCode::parse(typed), Some(c.clone()), "{typed:?}");
        }
        for bad in ["", "0123-4567-89AB", "0123-4567-89AB-CDEF-0", "0123-4567-89AB-CDEU", "0123-4567-89AB-CDÉF"] {
            assert_eq!(RecoveryCode::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn hashes_are_keyed_and_bound_to_the_user() {
        let key = SecretKey::generate();
        let c = RecoveryCode::generate();
        assert_eq!(c.hash(&key, 1), c.hash(&key, 1));
        assert_ne!(c.hash(&key, 1), c.hash(&key, 2));
        assert_ne!(c.hash(&key, 1), c.hash(&SecretKey::generate(), 1));
        assert!(!c.hash(&key, 1).contains(&c.0));
    }
}
